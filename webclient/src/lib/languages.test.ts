import { describe, expect, it } from 'vitest'
import { defaultLanguage, downloadName, languageInfo, languages } from './languages'

describe('the catalogue', () => {
  it('holds the default language, first', () => {
    expect(languages[0].id).toBe(defaultLanguage)
  })
  it('has unique ids', () => {
    expect(new Set(languages.map((l) => l.id)).size).toBe(languages.length)
  })
  it('ends with plain text, the fallback', () => {
    expect(languageInfo('cobol')).toEqual({ id: 'plaintext', name: 'Plain text', extension: '.txt' })
    expect(languageInfo('Python').id).toBe('plaintext') // ids are case-sensitive
  })
})

describe('extensions', () => {
  const cases: [string, string][] = [
    ['python', '.py'], ['typescript', '.ts'], ['cpp', '.cpp'], ['csharp', '.cs'], ['kotlin', '.kt'],
    ['shell', '.sh'], ['markdown', '.md'], ['plaintext', '.txt'], ['unknown', '.txt'],
  ]
  for (const [id, want] of cases) it(id, () => expect(languageInfo(id).extension).toBe(want))
})

describe('downloadName', () => {
  it('uses the room id and extension', () => {
    expect(downloadName('abc-123', 'go')).toBe('pairpad-abc-123.go')
  })
  it('sanitises odd ids', () => {
    expect(downloadName('../a b', 'rust')).toBe('pairpad-a-b.rs')
    expect(downloadName('///', 'json')).toBe('pairpad-code.json')
    expect(downloadName('abc-123', 'go', '-v12')).toBe('pairpad-abc-123-v12.go')
  })
})
