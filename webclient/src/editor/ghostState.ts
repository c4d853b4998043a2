// The ghost-text state machine: a pure reducer that decides which AI suggestion, if any,
// is shown at the cursor. It knows nothing of CodeMirror or the network; the editor
// extension (ghostText.ts) feeds it events and performs the requests it asks for.

// Suggestion is text proposed for insertion at pos (a UTF-16 offset into the document).
export interface Suggestion {
  pos: number
  text: string
}

export interface GhostState {
  // suggestion is what is shown, or null.
  suggestion: Suggestion | null
  // pending is the id of the request whose answer would still be accepted, or null.
  pending: number | null
  // nextId is the id the next request will get.
  nextId: number
}

export const initialGhostState: GhostState = { suggestion: null, pending: null, nextId: 1 }

// Insertion is a local edit that inserted text at a point without deleting anything.
export interface Insertion {
  from: number
  text: string
}

export type GhostEvent =
  // request: the person paused; a request is about to be sent with id state.nextId.
  | { type: 'request' }
  // response: the answer to request id, computed for the cursor at pos; cursor is where it is now.
  | { type: 'response'; id: number; pos: number; text: string; cursor: number }
  // localEdit: the person changed the document. typed is set when the edit was a pure insertion.
  | { type: 'localEdit'; typed: Insertion | null; mapPos: (pos: number) => number }
  // remoteEdit: someone else changed the document; positions move with mapPos.
  | { type: 'remoteEdit'; mapPos: (pos: number) => number }
  // cursor: the selection moved without an edit; cursor is the new head, empty tells whether it is a caret.
  | { type: 'cursor'; cursor: number; empty: boolean }
  // dismiss: Esc, blur, or the suggestion was accepted.
  | { type: 'dismiss' }

// ghostReducer returns the state after ev.
export function ghostReducer(state: GhostState, ev: GhostEvent): GhostState {
  switch (ev.type) {
    case 'request':
      return { ...state, pending: state.nextId, nextId: state.nextId + 1 }
    case 'response': {
      // A stale answer (the text changed or the cursor moved since it was asked for) is dropped.
      if (ev.id !== state.pending || ev.pos !== ev.cursor) return state
      const suggestion = ev.text === '' ? null : { pos: ev.pos, text: ev.text }
      return { ...state, pending: null, suggestion }
    }
    case 'localEdit':
      return { ...state, pending: null, suggestion: afterTyping(state.suggestion, ev.typed, ev.mapPos) }
    case 'remoteEdit': {
      // The text changed, so an answer in flight is stale; a shown suggestion moves with the text.
      const s = state.suggestion
      return { ...state, pending: null, suggestion: s && { pos: ev.mapPos(s.pos), text: s.text } }
    }
    case 'cursor': {
      const s = state.suggestion
      if (s && (!ev.empty || ev.cursor !== s.pos)) return { ...state, suggestion: null, pending: null }
      if (!ev.empty && state.pending !== null) return { ...state, pending: null }
      return state
    }
    case 'dismiss':
      if (state.suggestion === null && state.pending === null) return state
      return { ...state, suggestion: null, pending: null }
  }
}

// afterTyping keeps a suggestion the person is typing along with, minus what they typed.
function afterTyping(s: Suggestion | null, typed: Insertion | null, mapPos: (pos: number) => number): Suggestion | null {
  if (!s || !typed || typed.from !== s.pos || !s.text.startsWith(typed.text)) return null
  const rest = s.text.slice(typed.text.length)
  return rest === '' ? null : { pos: mapPos(s.pos), text: rest }
}
