// useRuns follows a room's code runs through the server's events (GET /rooms/{id}/runs/events)
// and starts and stops runs. The panel shows only what the events say, so every person in the
// room sees the same runs; a POST's answer only tells its sender that the run was refused.
import { useCallback, useEffect, useReducer, useState } from 'react'
import { ApiError, getLanguages, runsEventsPath, startRun, stopRun } from './lib/api'
import { initialRunsState, parseRunEvent, runError, runnableLanguages, runsReducer, type RunEvent, type RunsState } from './lib/runs'

const eventTypes = ['runs', 'start', 'output', 'finish'] as const

// EventsState is the events stream's: connecting (or reconnecting, which EventSource does by
// itself), open, or closed for good (the server refused the stream, as one without runs does).
export type EventsState = 'connecting' | 'open' | 'closed'

export interface Runs {
  state: RunsState
  events: EventsState
  // sending is whether this page's run request has not been answered yet.
  sending: boolean
  // error words why this page's last run or stop was refused, or null.
  error: string | null
  run: (stdin: string) => void
  stop: () => void
  select: (runId: string | null) => void
  // refuse shows why the person may not run the code, as a refused run would.
  refuse: (why: string) => void
}

// useRuns follows roomId's runs; runs are started under name.
export function useRuns(roomId: string, name: string): Runs {
  const [state, dispatch] = useReducer(runsReducer, initialRunsState)
  const [events, setEvents] = useState<EventsState>('connecting')
  const [sending, setSending] = useState(false)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    const source = new EventSource(runsEventsPath(roomId))
    const listeners = eventTypes.map((type) => {
      const listener = (e: MessageEvent<string>) => {
        const ev = parseRunEvent(type, e.data)
        if (ev) dispatch(ev)
        // A run, anyone's, makes the last refusal old news.
        if (ev?.type === 'start') setError(null)
      }
      source.addEventListener(type, listener)
      return [type, listener] as const
    })
    source.onopen = () => setEvents('open')
    source.onerror = () => setEvents(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting')
    return () => {
      for (const [type, listener] of listeners) source.removeEventListener(type, listener)
      source.close()
    }
  }, [roomId])

  const run = useCallback(
    (stdin: string) => {
      setSending(true)
      setError(null)
      startRun(roomId, stdin, name).then(
        () => setSending(false),
        (err: unknown) => {
          setSending(false)
          setError(runError(err))
        },
      )
    },
    [roomId, name],
  )

  const activeId = state.active?.runId
  const stop = useCallback(() => {
    if (activeId === undefined) return
    // A 404 means the run finished meanwhile: its finish event is on the way.
    stopRun(roomId, activeId).catch((err: unknown) => {
      if (!(err instanceof ApiError && err.status === 404)) setError(`Could not stop the run: ${err instanceof Error ? err.message : String(err)}`)
    })
  }, [roomId, activeId])

  const select = useCallback((runId: string | null) => dispatch({ type: 'select', runId } satisfies RunEvent), [])
  const refuse = useCallback((why: string) => setError(why), [])
  return { state, events, sending, error, run, stop, select, refuse }
}

// useRunnable returns the languages the server runs (GET /languages), or null until it is known.
export function useRunnable(): ReadonlySet<string> | null {
  const [runnable, setRunnable] = useState<ReadonlySet<string> | null>(null)
  useEffect(() => {
    let live = true
    getLanguages().then(
      (body) => live && setRunnable(runnableLanguages(body)),
      // Unknown: the server decides when asked to run.
      () => undefined,
    )
    return () => {
      live = false
    }
  }, [])
  return runnable
}
