import type { ReactNode } from 'react'
import { Home, SearchX, type LucideIcon } from 'lucide-react'
import { Logo } from './Logo'

// Missing is a page that says there is nothing (any more) where the person looked. testId tells
// the pages apart in tests.
export function Missing({ title, detail, onHome, themeToggle, icon: Icon = SearchX, testId = 'not-found' }: { title: string; detail: string; onHome: () => void; themeToggle: ReactNode; icon?: LucideIcon; testId?: string }) {
  return (
    <div className="flex min-h-full flex-col">
      <header className="flex items-center justify-between border-b border-slate-200 px-4 py-3 dark:border-slate-800">
        <Logo />
        {themeToggle}
      </header>
      <main className="flex flex-1 flex-col items-center justify-center gap-4 p-8 text-center" data-testid={testId}>
        <Icon size={48} className="text-slate-400" />
        <h1 className="text-2xl font-semibold">{title}</h1>
        <p className="max-w-md text-slate-600 dark:text-slate-400">{detail}</p>
        <button type="button" className="btn-primary" onClick={onHome}>
          <Home size={16} /> Go home
        </button>
      </main>
    </div>
  )
}
