// readOnly is the extension of an editor that may become read-only while it is open: for a
// viewer, or for anyone while the owner has locked the room. Editor switches it in a Compartment.
// Remote changes (y-codemirror.next's sync) still apply to a read-only editor.
import { EditorState, Prec, type Extension } from '@codemirror/state'
import { EditorView, keymap } from '@codemirror/view'

// readOnly returns the configuration for readOnly: EditorState.readOnly stops the editing
// commands and EditorView.editable makes the content not editable at all.
export function readOnly(readOnly: boolean): Extension {
  return readOnly ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : []
}

// refuseUndo swallows undo and redo in a read-only editor: y-codemirror.next's undo manager
// changes the shared text directly, not through an editor transaction, so readOnly does not stop
// it, and the server would refuse the change. It must be in the editor's base extensions.
export const refuseUndo: Extension = Prec.highest([
  keymap.of(['Mod-z', 'Mod-y', 'Mod-Shift-z'].map((key) => ({ key, run: (view: EditorView) => view.state.readOnly }))),
  EditorView.domEventHandlers({
    beforeinput: (e, view) => view.state.readOnly && (e.inputType === 'historyUndo' || e.inputType === 'historyRedo'),
  }),
])
