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
import { readOnly, refuseUndo } from '../editor/readOnly'
import { runKey } from '../editor/runKey'
import { editorTheme } from '../editor/theme'
import type { Session } from '../useRoomSession'

// ghostDelay is the pause in typing, in milliseconds, after which a suggestion is requested.
const ghostDelay = 600

// Editor is the room's CodeMirror editor on the session's shared text. Language, theme and
// whether it is read-only are reconfigured in place, without rebuilding the view. onRun is
// called on Ctrl/Cmd+Enter.
export function Editor({ session, language, isDark, editable, onRun }: { session: Session; language: string; isDark: boolean; editable: boolean; onRun: () => void }) {
  const parent = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const languageConf = useRef(new Compartment())
  const themeConf = useRef(new Compartment())
  const readOnlyConf = useRef(new Compartment())
  const languageRef = useRef(language)
  languageRef.current = language
  const onRunRef = useRef(onRun)
  onRunRef.current = onRun

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
          runKey(() => onRunRef.current()),
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
          readOnlyConf.current.of(readOnly(!editable)),
          refuseUndo,
          yCollab(text, provider.awareness, { undoManager }),
        ],
      }),
    })
    view.current = v
    return () => {
      v.destroy()
      view.current = null
    }
    // The view is built once per session; language, theme and read-only are reconfigured below.
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

  useEffect(() => {
    view.current?.dispatch({ effects: readOnlyConf.current.reconfigure(readOnly(!editable)) })
  }, [editable])

  return <div ref={parent} className="h-full min-h-0 overflow-hidden" data-language={language} data-editable={editable} />
}
