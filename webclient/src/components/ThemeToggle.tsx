import { Monitor, Moon, Sun } from 'lucide-react'
import type { ThemeChoice } from '../lib/prefs'

const order: ThemeChoice[] = ['system', 'light', 'dark']
const labels: Record<ThemeChoice, string> = { system: 'System theme', light: 'Light theme', dark: 'Dark theme' }

export function ThemeToggle({ choice, onChange }: { choice: ThemeChoice; onChange: (t: ThemeChoice) => void }) {
  const Icon = choice === 'light' ? Sun : choice === 'dark' ? Moon : Monitor
  const next = order[(order.indexOf(choice) + 1) % order.length]
  return (
    <button
      type="button"
      className="icon-btn"
      title={`${labels[choice]} (switch to ${labels[next].toLowerCase()})`}
      aria-label={labels[choice]}
      onClick={() => onChange(next)}
    >
      <Icon size={18} />
    </button>
  )
}
