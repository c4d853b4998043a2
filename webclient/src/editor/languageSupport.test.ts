import { expect, it } from 'vitest'
import { EditorState } from '@codemirror/state'
import { indentUnit, language } from '@codemirror/language'
import { languages } from '../lib/languages'
import { languageSupport, supportedIds } from './languageSupport'

it('maps exactly the languages of the catalogue', () => {
  expect([...supportedIds()].sort()).toEqual(languages.map((l) => l.id).sort())
})

it('every supported language has highlighting and an indent unit', async () => {
  for (const l of languages) {
    const state = EditorState.create({ extensions: await languageSupport(l.id) })
    expect(state.facet(language) !== null, l.id).toBe(l.id !== 'plaintext')
  }
})

it('indentation follows the language', async () => {
  const unit = async (id: string) => EditorState.create({ extensions: await languageSupport(id) }).facet(indentUnit)
  expect(await unit('go')).toBe('\t')
  expect(await unit('python')).toBe('    ')
  expect(await unit('javascript')).toBe('  ')
})

it('unknown ids fall back to plain text', async () => {
  const state = EditorState.create({ extensions: await languageSupport('cobol') })
  expect(state.facet(language)).toBeNull()
})
