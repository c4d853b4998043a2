import { useEffect, useRef } from 'react'
import { Compartment, EditorState } from '@codemirror/state'
import {
  EditorView, crosshairCursor, drawSelection, dropCursor, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, keymap, lineNumbers, rectangularSelection,
} from '@codemirror/view'
import { defaultKeymap, indentWithTab } from '@codemirror/commands'
import { bracketMatching, foldGutter, foldKeymap, indentOnInput } from '@codemirror/language'
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search'
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete'
import { yCollab } from 'y-codemirror.next'
import { autocomplete } from '../lib/api'
import { ghostText } from '../editor/ghostText'
import { languageSupport } from '../editor/languageSupport'
import { editorTheme } from '../editor/theme'
import type { Session } from '../useRoomSession'

// ghostDelay is the pause in typing, in milliseconds, after which a suggestion is requested.
const ghostDelay = 600

export function Editor({ session, language, isDark }: { session: Session; language: string; isDark: boolean }) {
  const parent = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const languageConf = useRef(new Compartment())
  const themeConf = useRef(new Compartment())
  const languageRef = useRef(language)
  languageRef.current = language

  useEffect(() => {
    const { text, provider, undoManager } = session
    const v = new EditorView({
      parent: parent.current!,
      state: EditorState.create({
        doc: text.toString(),
        extensions: [
          ghostText({
            delay: ghostDelay,
            fetchSuggestion: (code, cursor, signal) => autocomplete(code, cursor, languageRef.current, signal),
            beforeAccept: () => undoManager.stopCapturing(),
          }),
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightSpecialChars(),
          foldGutter(),
          drawSelection(),
          dropCursor(),
          EditorState.allowMultipleSelections.of(true),
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          rectangularSelection(),
          crosshairCursor(),
          highlightActiveLine(),
          highlightSelectionMatches(),
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...foldKeymap, indentWithTab]),
          languageConf.current.of([]),
          themeConf.current.of(editorTheme(isDark)),
          yCollab(text, provider.awareness, { undoManager }),
        ],
      }),
    })
    view.current = v
    return () => {
      v.destroy()
      view.current = null
    }
    // The view is built once per session; language and theme are reconfigured below.
  }, [session])

  // Grammars load on demand; a load that finishes after the language changed again is dropped.
  useEffect(() => {
    let current = true
    languageSupport(language).then((ext) => {
      if (current) view.current?.dispatch({ effects: languageConf.current.reconfigure(ext) })
    })
    return () => {
      current = false
    }
  }, [language, session])

  useEffect(() => {
    view.current?.dispatch({ effects: themeConf.current.reconfigure(editorTheme(isDark)) })
  }, [isDark])

  return <div ref={parent} className="h-full min-h-0 overflow-hidden" data-language={language} />
}
