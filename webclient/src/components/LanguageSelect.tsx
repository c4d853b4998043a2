import { languages } from '../lib/languages'

export function LanguageSelect({ value, onChange, disabled = false, className = 'field' }: { value: string; onChange: (id: string) => void; disabled?: boolean; className?: string }) {
  return (
    <select className={className} value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled} aria-label="Language">
      {languages.map((l) => (
        <option key={l.id} value={l.id}>
          {l.name}
        </option>
      ))}
    </select>
  )
}
