// useHistory holds the history panel's data: the room's versions, paged, and a playback player.
// ownerToken is sent when this browser holds the room's owner token (lib/api).
import { useCallback, useEffect, useMemo, useState } from 'react'
import { getHistory, getPlayback } from './lib/api'
import { historyPage, mergePages, nextBefore, withNewest, type Version } from './lib/history'
import { Player, type PlayerState } from './lib/player'

export interface Versions {
  versions: Version[]
  // more is whether older versions may be loaded.
  more: boolean
  loading: boolean
  error: string | null
  refresh: () => void
  loadMore: () => void
}

const message = (err: unknown) => (err instanceof Error ? err.message : 'Could not load the history')

// useVersions loads the newest page of roomId's versions, and older pages on loadMore.
export function useVersions(roomId: string, ownerToken: string | null): Versions {
  const [versions, setVersions] = useState<Version[]>([])
  const [before, setBefore] = useState<number | null>(null)
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<string | null>(null)
  const [attempt, setAttempt] = useState(0)

  // The first page, again on refresh: older pages loaded meanwhile are kept, and so is where
  // the next one starts.
  useEffect(() => {
    let live = true
    setLoading(true)
    getHistory(roomId, ownerToken, 0, historyPage).then(
      (page) => {
        if (!live) return
        setVersions((listed) => withNewest(listed, page))
        setBefore((b) => (b !== null && page.length > 0 && b < page[page.length - 1].firstSeq ? b : nextBefore(page, page.length, historyPage)))
        setError(null)
        setLoading(false)
      },
      (err: unknown) => {
        if (!live) return
        setError(message(err))
        setLoading(false)
      },
    )
    return () => {
      live = false
    }
  }, [roomId, ownerToken, attempt])

  // A new room id or token starts the list afresh.
  useEffect(() => {
    setVersions([])
    setBefore(null)
  }, [roomId, ownerToken])

  const loadMore = useCallback(() => {
    if (before === null) return
    setLoading(true)
    getHistory(roomId, ownerToken, before, historyPage).then(
      (page) => {
        const merged = mergePages(versions, page)
        setVersions(merged)
        setBefore(nextBefore(merged, page.length, historyPage))
        setLoading(false)
      },
      (err: unknown) => {
        setError(message(err))
        setLoading(false)
      },
    )
  }, [roomId, ownerToken, before, versions])

  const refresh = useCallback(() => setAttempt((n) => n + 1), [])
  return { versions, more: before !== null, loading, error, refresh, loadMore }
}

// usePlayback returns a player of roomId's history and its state; it is destroyed with the page.
export function usePlayback(roomId: string, ownerToken: string | null): { player: Player; state: PlayerState } {
  const [state, setState] = useState<PlayerState>({ doc: null, seq: 0, playing: false, loading: false, error: null })
  const player = useMemo(
    () => new Player((seq, limit, signal) => getPlayback(roomId, ownerToken, seq, limit, signal), setState),
    [roomId, ownerToken],
  )
  useEffect(() => () => player.destroy(), [player])
  return { player, state }
}
