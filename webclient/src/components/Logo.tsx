import { Code2 } from 'lucide-react'
import { navigate } from '../navigation'

export function Logo() {
  return (
    <a
      href="/"
      onClick={(e) => {
        e.preventDefault()
        navigate('/')
      }}
      className="flex items-center gap-2 font-semibold tracking-tight text-slate-900 dark:text-white"
    >
      <span className="grid h-8 w-8 place-items-center rounded-lg bg-indigo-600 text-white">
        <Code2 size={18} />
      </span>
      <span className="text-lg">pairpad</span>
    </a>
  )
}
