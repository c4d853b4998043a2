import { describe, expect, it } from 'vitest'
import { downloadName, languageInfo, languages } from './languages'

const serverIds = [
  'python', 'javascript', 'typescript', 'go', 'java', 'c', 'cpp', 'rust', 'ruby', 'php',
  'csharp', 'sql', 'html', 'css', 'json', 'markdown', 'kotlin', 'swift', 'shell', 'plaintext',
]

it('lists exactly the server languages', () => {
  expect(languages.map((l) => l.id).sort()).toEqual([...serverIds].sort())
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
  })
})
