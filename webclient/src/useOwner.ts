// useOwner is the owner's side of a room page: the owner token this browser keeps for the room,
// once the server has accepted it, and the owner's calls. A token the server refuses (401, 403)
// is dropped from storage. Calls that end the page's own connection (replacing its link,
// deleting the room) move the page on themselves; leaving tells the page to ignore that close.
import { useCallback, useEffect, useState } from 'react'
import { deleteRoom, getLinks, isOwnerRefusal, rotateLink, setRoomLocked, type Links } from './lib/api'
import type { Role } from './lib/access'
import { prefs } from './lib/prefs'
import { roomPathFor } from './lib/route'
import { navigate, replace } from './navigation'

export interface Owner {
  // token is the owner token this browser holds for the room.
  token: string
  // links are the room's links as the owner sees them; null until the token is accepted.
  links: Links | null
  // leaving is set while a call that closes the page's own connection is under way.
  leaving: boolean
  refresh: () => Promise<void>
  setLocked: (locked: boolean) => Promise<void>
  rotate: (role: Role) => Promise<void>
  remove: () => Promise<void>
}

// useOwner returns the owner's controls for the room opened as roomId with a link of pageRole,
// or null when this browser holds no token for it.
export function useOwner(roomId: string, pageRole: Role): Owner | null {
  const [token, setToken] = useState(() => prefs.ownerToken(roomId))
  const [links, setLinks] = useState<Links | null>(null)
  const [leaving, setLeaving] = useState(false)

  const asOwner = useCallback(
    async <T>(call: (token: string) => Promise<T>): Promise<T> => {
      if (token === null) throw new Error('this browser is not the room’s owner')
      try {
        return await call(token)
      } catch (err) {
        if (isOwnerRefusal(err)) {
          prefs.forgetOwnerToken(roomId)
          setToken(null)
          setLinks(null)
        }
        throw err
      }
    },
    [roomId, token],
  )

  const refresh = useCallback(async () => setLinks(await asOwner((t) => getLinks(roomId, t))), [asOwner, roomId])

  useEffect(() => {
    // A failure other than a refusal (the server unreachable) leaves the controls hidden until
    // the share dialog asks again.
    if (token !== null) refresh().catch(() => {})
  }, [token, refresh])

  if (token === null) return null

  const setLocked = async (locked: boolean) => {
    const room = await asOwner((t) => setRoomLocked(roomId, t, locked))
    setLinks((l) => l && { ...l, locked: room.locked })
  }

  // rotate replaces the link of role. If that is the page's own link, its connection is closed
  // (4410): the page moves to the new link in place, with the token kept under the new id.
  const rotate = async (role: Role) => {
    const own = role === pageRole
    if (own) setLeaving(true)
    try {
      const next = await asOwner((t) => rotateLink(roomId, t, role))
      setLinks(next)
      if (!own) return
      const nextId = role === 'editor' ? next.editId : next.viewId
      prefs.moveOwnerToken(roomId, nextId)
      prefs.forgetRecent(roomId)
      replace(roomPathFor(nextId))
    } catch (err) {
      setLeaving(false)
      throw err
    }
  }

  const remove = async () => {
    setLeaving(true)
    try {
      await asOwner((t) => deleteRoom(roomId, t))
    } catch (err) {
      setLeaving(false)
      throw err
    }
    prefs.forgetOwnerToken(roomId)
    prefs.forgetRecent(roomId)
    navigate('/')
  }

  return { token, links, leaving, refresh, setLocked, rotate, remove }
}
