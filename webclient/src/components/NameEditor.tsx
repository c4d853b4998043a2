import { useState, type FormEvent } from 'react'
import { Pencil } from 'lucide-react'

export function NameEditor({ name, onRename }: { name: string; onRename: (name: string) => void }) {
  const [editing, setEditing] = useState(false)
  const [draft, setDraft] = useState(name)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    onRename(draft)
    setEditing(false)
  }
  if (!editing) {
    return (
      <button
        type="button"
        className="flex items-center gap-2 rounded-lg text-left text-sm hover:text-indigo-600 dark:hover:text-indigo-400"
        onClick={() => {
          setDraft(name)
          setEditing(true)
        }}
        title="Change your name"
      >
        <span className="text-slate-500">You are</span>
        <span className="font-medium" data-testid="my-name">{name}</span>
        <Pencil size={14} />
      </button>
    )
  }
  return (
    <form onSubmit={submit} className="flex gap-2">
      <input
        className="field !py-1"
        value={draft}
        autoFocus
        maxLength={32}
        aria-label="Your name"
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => setEditing(false)}
        onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
      />
      <button type="submit" className="btn-primary !px-3 !py-1" onMouseDown={(e) => e.preventDefault()}>Save</button>
    </form>
  )
}
