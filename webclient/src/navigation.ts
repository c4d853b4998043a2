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

// usePathname returns the current path and re-renders when it changes.
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname)
}
