// useTheme follows the system colour scheme unless the person picked one.
import { useEffect, useState, useSyncExternalStore } from 'react'
import { prefs, type ThemeChoice } from './lib/prefs'

const query = '(prefers-color-scheme: dark)'

function subscribeSystem(fn: () => void): () => void {
  const mq = window.matchMedia(query)
  mq.addEventListener('change', fn)
  return () => mq.removeEventListener('change', fn)
}

export function useTheme(): { choice: ThemeChoice; isDark: boolean; setChoice: (t: ThemeChoice) => void } {
  const [choice, setChoiceState] = useState<ThemeChoice>(prefs.theme)
  const systemDark = useSyncExternalStore(subscribeSystem, () => window.matchMedia(query).matches)
  const isDark = choice === 'dark' || (choice === 'system' && systemDark)
  useEffect(() => {
    document.documentElement.classList.toggle('dark', isDark)
  }, [isDark])
  const setChoice = (t: ThemeChoice) => {
    prefs.setTheme(t)
    setChoiceState(t)
  }
  return { choice, isDark, setChoice }
}
