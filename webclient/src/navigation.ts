// navigation is the app's client-side routing: the path in the address bar is the state.
import { useSyncExternalStore } from 'react'

const listeners = new Set<() => void>()

function subscribe(fn: () => void): () => void {
  listeners.add(fn)
  window.addEventListener('popstate', fn)
  return () => {
    listeners.delete(fn)
    window.removeEventListener('popstate', fn)
  }
}

// navigate shows path without a page load.
export function navigate(path: string): void {
  if (path === window.location.pathname) return
  window.history.pushState(null, '', path)
  listeners.forEach((fn) => fn())
}

// replace shows path in place of the current entry, without a page load: for an address that
// must not be gone back to (a replaced link) or must not stay in the bar (an owner link's token).
export function replace(path: string): void {
  const changed = path !== window.location.pathname
  window.history.replaceState(null, '', path)
  if (changed) listeners.forEach((fn) => fn())
}

// usePathname returns the current path and re-renders when it changes.
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname)
}
