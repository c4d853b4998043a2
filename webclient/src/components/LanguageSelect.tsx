import { languages } from '../lib/languages'

export function LanguageSelect({ value, onChange, className = 'field' }: { value: string; onChange: (id: string) => void; className?: string }) {
  return (
    <select className={className} value={value} onChange={(e) => onChange(e.target.value)} aria-label="Language">
      {languages.map((l) => (
        <option key={l.id} value={l.id}>
          {l.name}
        </option>
      ))}
    </select>
  )
}
