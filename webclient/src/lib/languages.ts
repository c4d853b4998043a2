// LanguageInfo describes a language the server supports (server/languages.go).
export interface LanguageInfo {
  id: string
  name: string
  extension: string
}

// languages lists every supported language, in the order the picker shows them.
export const languages: readonly LanguageInfo[] = [
  { id: 'python', name: 'Python', extension: '.py' },
  { id: 'javascript', name: 'JavaScript', extension: '.js' },
  { id: 'typescript', name: 'TypeScript', extension: '.ts' },
  { id: 'go', name: 'Go', extension: '.go' },
  { id: 'java', name: 'Java', extension: '.java' },
  { id: 'c', name: 'C', extension: '.c' },
  { id: 'cpp', name: 'C++', extension: '.cpp' },
  { id: 'csharp', name: 'C#', extension: '.cs' },
  { id: 'rust', name: 'Rust', extension: '.rs' },
  { id: 'kotlin', name: 'Kotlin', extension: '.kt' },
  { id: 'swift', name: 'Swift', extension: '.swift' },
  { id: 'ruby', name: 'Ruby', extension: '.rb' },
  { id: 'php', name: 'PHP', extension: '.php' },
  { id: 'shell', name: 'Shell', extension: '.sh' },
  { id: 'sql', name: 'SQL', extension: '.sql' },
  { id: 'html', name: 'HTML', extension: '.html' },
  { id: 'css', name: 'CSS', extension: '.css' },
  { id: 'json', name: 'JSON', extension: '.json' },
  { id: 'markdown', name: 'Markdown', extension: '.md' },
  { id: 'plaintext', name: 'Plain text', extension: '.txt' },
]

export const defaultLanguage = 'python'

// languageInfo returns the language with the id, or plain text for an id this client does not know.
export function languageInfo(id: string): LanguageInfo {
  return languages.find((l) => l.id === id) ?? languages[languages.length - 1]
}

// downloadName returns the file name to save a room's code under.
export function downloadName(roomId: string, languageId: string): string {
  const safe = roomId.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'code'
  return `pairpad-${safe.slice(0, 40)}${languageInfo(languageId).extension}`
}
