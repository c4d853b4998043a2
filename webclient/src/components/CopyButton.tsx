import { useState } from 'react'
import { Check, Copy } from 'lucide-react'

// CopyButton copies text to the clipboard, or offers it in a prompt where the clipboard is refused.
export function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [copied, setCopied] = useState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
    } catch {
      window.prompt(label, text)
      return
    }
    setCopied(true)
    setTimeout(() => setCopied(false), 1500)
  }
  return (
    <button type="button" className="btn-secondary shrink-0 !px-2.5 !py-1.5" onClick={copy} title={label} aria-label={label} data-testid={testId}>
      {copied ? <Check size={16} /> : <Copy size={16} />}
      <span className="hidden sm:inline">{copied ? 'Copied' : 'Copy'}</span>
    </button>
  )
}
