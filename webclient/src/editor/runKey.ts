// runKey binds Ctrl/Cmd+Enter to running the room's code. It goes before the default keymap,
// which would insert a blank line, and takes the key even when the run is refused: the caller
// says why, and the code is left as it was.
import { Prec, type Extension } from '@codemirror/state'
import { keymap } from '@codemirror/view'

export function runKey(run: () => void): Extension {
  return Prec.highest(
    keymap.of([
      {
        key: 'Mod-Enter',
        run: () => {
          run()
          return true
        },
      },
    ]),
  )
}
