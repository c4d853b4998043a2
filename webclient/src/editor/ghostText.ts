// ghostText is the CodeMirror extension that shows AI suggestions as dimmed text at the
// cursor. Suggestions live only in editor state (a decoration), never in the document,
// until Tab accepts one. The decisions are made by ghostReducer; this module does the I/O.
// A read-only editor (EditorState.readOnly: a viewer, or a locked room) is offered nothing.
import { Facet, Prec, StateEffect, StateField, type Extension, type Transaction } from '@codemirror/state'
import { Decoration, EditorView, ViewPlugin, WidgetType, keymap, type ViewUpdate } from '@codemirror/view'
import { ySyncAnnotation } from 'y-codemirror.next'
import { ghostReducer, initialGhostState, type GhostEvent, type GhostState, type Insertion } from './ghostState'

// GhostConfig configures the extension.
export interface GhostConfig {
  // fetchSuggestion asks for a completion of code at cursor; null or '' means none.
  fetchSuggestion: (code: string, cursor: number, signal: AbortSignal) => Promise<string | null>
  // delay is how long typing must pause before asking, in milliseconds.
  delay: number
  // beforeAccept runs before an accepted suggestion is inserted (e.g. to close an undo group).
  beforeAccept: () => void
}

export const ghostConfig = Facet.define<GhostConfig, GhostConfig | null>({
  combine: (values) => (values.length ? values[values.length - 1] : null),
})

const ghostEvent = StateEffect.define<GhostEvent>()

const ghostField = StateField.define<GhostState>({
  create: () => initialGhostState,
  update(state, tr) {
    if (tr.state.readOnly) return ghostReducer(state, { type: 'dismiss' })
    for (const e of tr.effects) if (e.is(ghostEvent)) state = ghostReducer(state, e.value)
    if (tr.docChanged) {
      const mapPos = (pos: number) => tr.changes.mapPos(pos, 1)
      state = isRemote(tr)
        ? ghostReducer(state, { type: 'remoteEdit', mapPos })
        : ghostReducer(state, { type: 'localEdit', typed: insertionOf(tr), mapPos })
    } else if (tr.selection) {
      const sel = tr.state.selection.main
      state = ghostReducer(state, { type: 'cursor', cursor: sel.head, empty: sel.empty })
    }
    return state
  },
  provide: (field) =>
    EditorView.decorations.from(field, (state) => {
      const s = state.suggestion
      if (!s) return Decoration.none
      return Decoration.set([Decoration.widget({ widget: new GhostWidget(s.text), side: 1 }).range(s.pos)])
    }),
})

function isRemote(tr: Transaction): boolean {
  return tr.annotation(ySyncAnnotation) !== undefined
}

// insertionOf returns the edit as an insertion when it inserted text at one point and deleted nothing.
function insertionOf(tr: Transaction): Insertion | null {
  let result: Insertion | null = null
  let count = 0
  tr.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    count++
    if (fromA === toA) result = { from: fromA, text: inserted.toString() }
  })
  return count === 1 ? result : null
}

class GhostWidget extends WidgetType {
  constructor(readonly text: string) {
    super()
  }
  eq(other: GhostWidget): boolean {
    return other.text === this.text
  }
  toDOM(): HTMLElement {
    const span = document.createElement('span')
    span.className = 'cm-ghost-text'
    span.setAttribute('aria-hidden', 'true')
    span.textContent = this.text
    return span
  }
  ignoreEvent(): boolean {
    return true
  }
}

// requester waits for a pause in local typing, then asks for a suggestion.
const requester = ViewPlugin.fromClass(
  class {
    timer: ReturnType<typeof setTimeout> | undefined
    abort: AbortController | undefined

    constructor(readonly view: EditorView) {}

    update(u: ViewUpdate) {
      const typed = u.transactions.some((tr) => tr.docChanged && !isRemote(tr) && tr.isUserEvent('input'))
      const ghost = u.state.field(ghostField)
      if (ghost.pending === null && this.abort) this.cancel()
      if (typed && ghost.suggestion === null) this.schedule()
    }

    schedule() {
      this.cancel()
      const config = this.view.state.facet(ghostConfig)
      if (!config) return
      this.timer = setTimeout(() => this.request(config), config.delay)
    }

    request(config: GhostConfig) {
      const view = this.view
      const sel = view.state.selection.main
      if (!sel.empty || !view.hasFocus || view.state.readOnly) return
      const id = view.state.field(ghostField).nextId
      view.dispatch({ effects: ghostEvent.of({ type: 'request' }) })
      const abort = new AbortController()
      this.abort = abort
      const pos = sel.head
      config.fetchSuggestion(view.state.doc.toString(), pos, abort.signal).then(
        (text) => {
          if (abort.signal.aborted) return
          view.dispatch({
            effects: ghostEvent.of({ type: 'response', id, pos, text: text ?? '', cursor: view.state.selection.main.head }),
          })
        },
        () => {
          if (!abort.signal.aborted) view.dispatch({ effects: ghostEvent.of({ type: 'dismiss' }) })
        },
      )
    }

    cancel() {
      clearTimeout(this.timer)
      this.timer = undefined
      this.abort?.abort()
      this.abort = undefined
    }

    destroy() {
      this.cancel()
    }
  },
)

// acceptGhost inserts the shown suggestion as one edit; false when there is none.
export function acceptGhost(view: EditorView): boolean {
  const s = view.state.field(ghostField, false)?.suggestion
  if (!s) return false
  view.state.facet(ghostConfig)?.beforeAccept()
  view.dispatch({
    changes: { from: s.pos, insert: s.text },
    selection: { anchor: s.pos + s.text.length },
    effects: ghostEvent.of({ type: 'dismiss' }),
    userEvent: 'input.complete',
    scrollIntoView: true,
  })
  return true
}

// dismissGhost hides the shown suggestion; false when there is none.
export function dismissGhost(view: EditorView): boolean {
  const g = view.state.field(ghostField, false)
  if (!g || (g.suggestion === null && g.pending === null)) return false
  view.dispatch({ effects: ghostEvent.of({ type: 'dismiss' }) })
  return g.suggestion !== null
}

// typeThrough inserts typed text that matches the start of the shown suggestion as is, before
// other input handlers (such as closeBrackets) can add to it, so the rest stays shown.
const typeThrough = EditorView.inputHandler.of((view, from, to, text) => {
  const s = view.state.field(ghostField, false)?.suggestion
  if (!s || from !== to || from !== s.pos || !s.text.startsWith(text)) return false
  view.dispatch({ changes: { from, insert: text }, selection: { anchor: from + text.length }, userEvent: 'input.type' })
  return true
})

// ghostText returns the extension; it must come before keymaps that also bind Tab.
export function ghostText(config: GhostConfig): Extension {
  return [
    ghostConfig.of(config),
    ghostField,
    requester,
    Prec.highest(typeThrough),
    Prec.highest(keymap.of([
      { key: 'Tab', run: acceptGhost },
      { key: 'Escape', run: dismissGhost },
    ])),
    EditorView.focusChangeEffect.of((_state, focusing) => (focusing ? null : ghostEvent.of({ type: 'dismiss' }))),
  ]
}
