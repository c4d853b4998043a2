import { useEffect, useRef } from 'react'
import { Compartment, EditorState, type Extension } from '@codemirror/state'
import { EditorView, highlightSpecialChars, lineNumbers } from '@codemirror/view'
import { foldGutter } from '@codemirror/language'
import { yCollab } from 'y-codemirror.next'
import type * as Y from 'yjs'
import { diffMarks } from '../editor/diffMarks'
import { languageSupport } from '../editor/languageSupport'
import { readOnly } from '../editor/readOnly'
import { editorTheme } from '../editor/theme'
import type { LineMark } from '../lib/lineDiff'

// Content is what a CodeView shows: a fixed text with its lines marked, or a Y.Text followed
// live (as playback replays into it).
export type Content = { text: string; marks: readonly LineMark[] } | { ytext: Y.Text }

function contentExtension(content: Content): Extension {
  return 'ytext' in content ? yCollab(content.ytext, null, { undoManager: false }) : diffMarks(content.marks)
}

// CodeView is a read-only CodeMirror view of content, highlighted as language. It is rebuilt
// when the content changes; language and theme are reconfigured in place.
export function CodeView({ content, language, isDark, testId }: { content: Content; language: string; isDark: boolean; testId: string }) {
  const parent = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const languageConf = useRef(new Compartment())
  const themeConf = useRef(new Compartment())

  useEffect(() => {
    const v = new EditorView({
      parent: parent.current!,
      state: EditorState.create({
        doc: 'ytext' in content ? content.ytext.toString() : content.text,
        extensions: [
          lineNumbers(),
          highlightSpecialChars(),
          foldGutter(),
          readOnly(true),
          languageConf.current.of([]),
          themeConf.current.of(editorTheme(isDark)),
          contentExtension(content),
        ],
      }),
    })
    view.current = v
    return () => {
      v.destroy()
      view.current = null
    }
    // Rebuilt per content; language and theme are reconfigured below.
  }, [content])

  useEffect(() => {
    let current = true
    languageSupport(language).then((ext) => {
      if (current) view.current?.dispatch({ effects: languageConf.current.reconfigure(ext) })
    })
    return () => {
      current = false
    }
  }, [language, content])

  useEffect(() => {
    view.current?.dispatch({ effects: themeConf.current.reconfigure(editorTheme(isDark)) })
  }, [isDark])

  return <div ref={parent} className="h-full min-h-0 overflow-hidden" data-testid={testId} data-language={language} />
}
