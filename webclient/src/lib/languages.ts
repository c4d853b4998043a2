// The languages come from the server's catalogue (the Go package language) through
// languages.gen.ts, which `make languages` generates.
import { languages, type LanguageInfo } from './languages.gen'

export { defaultLanguage, languages, type LanguageInfo } from './languages.gen'

// languageInfo returns the language with the id, or plain text (last in the catalogue) for an
// id this client does not know.
export function languageInfo(id: string): LanguageInfo {
  return languages.find((l) => l.id === id) ?? languages[languages.length - 1]
}

// downloadName returns the file name to save a room's code under; suffix (as "-v12") tells a
// version from the current code.
export function downloadName(roomId: string, languageId: string, suffix = ''): string {
  const safe = roomId.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'code'
  return `pairpad-${safe.slice(0, 40)}${suffix}${languageInfo(languageId).extension}`
}
