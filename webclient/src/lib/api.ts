// api talks to the pairpad REST API (DESIGN.md section 2).
import type { Role } from './access'
import type { TextAt, Version } from './history'
import type { PlaybackPage } from './playback'
import { asRun, type Run } from './runs'

// RoomInfo is a room as GET /rooms/{id} answers it. roomId is the id asked with (the edit or
// the view link) and role what that link allows. viewId is given to editors only; ownerToken
// only by POST /rooms, to the room's creator.
export interface RoomInfo {
  roomId: string
  code: string
  language: string
  created_at: string
  role: Role
  locked: boolean
  viewId?: string
  ownerToken?: string
}

// Links are a room's access as its owner sees it.
export interface Links {
  editId: string
  viewId: string
  locked: boolean
}

// RoomNotFoundError means the server does not know the room.
export class RoomNotFoundError extends Error {
  constructor(roomId: string) {
    super(`room ${roomId} not found`)
  }
}

async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(path, { ...init, headers: { 'Content-Type': 'application/json', ...init.headers } })
  if (!res.ok) {
    let detail = res.statusText
    let code = ''
    try {
      const body = (await res.json()) as { error?: string; detail?: string }
      detail = body.detail ?? detail
      code = body.error ?? ''
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(res.status, detail, code, retryAfter(res.headers.get('Retry-After')))
  }
  return res
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  return (await (await send(path, init)).json()) as T
}

// ApiError is a non-2xx answer, with the body's detail as its message. code is the body's error
// code ("read_only", "conflict", …; empty when there is none), retryAfter the seconds a
// Retry-After header asks to wait, or null.
export class ApiError extends Error {
  constructor(readonly status: number, detail: string, readonly code = '', readonly retryAfter: number | null = null) {
    super(detail)
  }
}

// retryAfter reads a Retry-After header given in seconds (the server's form); null otherwise.
export function retryAfter(header: string | null): number | null {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return null
  return Number(header)
}

// isOwnerRefusal reports whether err is the server refusing an owner token (401 or 403): a
// token it answers so to is no use and is dropped.
export function isOwnerRefusal(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 401 || err.status === 403)
}

function roomPath(roomId: string): string {
  return '/rooms/' + encodeURIComponent(roomId)
}

function asOwner(token: string): Record<string, string> {
  return { Authorization: 'Bearer ' + token }
}

export function createRoom(language: string): Promise<RoomInfo> {
  return call<RoomInfo>('/rooms', { method: 'POST', body: JSON.stringify({ language }) })
}

export async function getRoom(roomId: string): Promise<RoomInfo> {
  try {
    return await call<RoomInfo>(roomPath(roomId))
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new RoomNotFoundError(roomId)
    throw e
  }
}

export function setRoomLanguage(roomId: string, language: string): Promise<RoomInfo> {
  return call<RoomInfo>(roomPath(roomId), { method: 'PATCH', body: JSON.stringify({ language }) })
}

// The owner's calls carry the owner token; each throws an ApiError, which isOwnerRefusal
// recognises when the token is not (or no longer) the room's.

export function getLinks(roomId: string, token: string): Promise<Links> {
  return call<Links>(roomPath(roomId) + '/links', { headers: asOwner(token) })
}

// rotateLink replaces the room's link of role with a new one; the old one stops working at once.
export function rotateLink(roomId: string, token: string, role: Role): Promise<Links> {
  return call<Links>(roomPath(roomId) + '/links/rotate', { method: 'POST', headers: asOwner(token), body: JSON.stringify({ role }) })
}

export function setRoomLocked(roomId: string, token: string, locked: boolean): Promise<RoomInfo> {
  return call<RoomInfo>(roomPath(roomId), { method: 'PATCH', headers: asOwner(token), body: JSON.stringify({ locked }) })
}

export async function deleteRoom(roomId: string, token: string): Promise<void> {
  await send(roomPath(roomId), { method: 'DELETE', headers: asOwner(token) })
}

// The history calls are an editor's (the page's own link) or the owner's: ownerToken, when
// this browser holds one, lets the owner read the history through any of the room's links.

function historyAuth(ownerToken: string | null): Record<string, string> {
  return ownerToken ? asOwner(ownerToken) : {}
}

// getHistory returns a page of the room's versions, newest first: those before entry before
// (0 for the newest), at most limit.
export function getHistory(roomId: string, ownerToken: string | null, before: number, limit: number): Promise<Version[]> {
  const q = new URLSearchParams({ limit: String(limit) })
  if (before > 0) q.set('before', String(before))
  return call<Version[]>(`${roomPath(roomId)}/history?${q}`, { headers: historyAuth(ownerToken) })
}

// getTextAt returns the room's code and language right after entry seq.
export function getTextAt(roomId: string, ownerToken: string | null, seq: number): Promise<TextAt> {
  return call<TextAt>(`${roomPath(roomId)}/history/${seq}`, { headers: historyAuth(ownerToken) })
}

// restoreVersion makes the room's code the text right after entry seq, as a new edit on top;
// it returns that edit's seq. A locked room refuses it (403).
export async function restoreVersion(roomId: string, ownerToken: string | null, seq: number): Promise<number> {
  const r = await call<{ seq: number }>(`${roomPath(roomId)}/restore`, { method: 'POST', headers: historyAuth(ownerToken), body: JSON.stringify({ seq }) })
  return r.seq
}

// getPlayback returns the document right after entry seq and at most limit entries after it.
export function getPlayback(roomId: string, ownerToken: string | null, seq: number, limit: number, signal?: AbortSignal): Promise<PlaybackPage> {
  return call<PlaybackPage>(`${roomPath(roomId)}/history/${seq}/updates?limit=${limit}`, { headers: historyAuth(ownerToken), signal })
}

// The run calls (issue 15). A run's output reaches every client through the events of
// runsEventsPath, not through these answers.

// runsEventsPath is the Server-Sent Events stream of roomId's runs.
export function runsEventsPath(roomId: string): string {
  return roomPath(roomId) + '/runs/events'
}

// startRun runs the room's code with stdin, as name; it answers once the run has finished. A
// view link or a locked room is refused (403), as is a second run while one is in progress
// (409), a language the server does not run (422), too many runs (429, retryAfter) and a server
// that does not run code now (503).
export async function startRun(roomId: string, stdin: string, name: string): Promise<Run> {
  const body = await call<unknown>(roomPath(roomId) + '/run', { method: 'POST', body: JSON.stringify({ stdin, name }) })
  const run = asRun(body)
  if (!run) throw new Error('the server answered the run with something else than a run')
  return run
}

// stopRun asks the server to stop run runId; it is a 404 when that run is not in progress.
export async function stopRun(roomId: string, runId: string): Promise<void> {
  await send(`${roomPath(roomId)}/runs/${encodeURIComponent(runId)}/stop`, { method: 'POST' })
}

// getLanguages returns GET /languages as the server sent it (runnableLanguages reads it).
export function getLanguages(): Promise<unknown> {
  return call<unknown>('/languages')
}

interface AutocompleteAnswer {
  suggestion: string
  confidence: number
  type: string
}

// autocomplete returns the suggested continuation at cursorPosition, or null for none.
export async function autocomplete(code: string, cursorPosition: number, language: string, signal: AbortSignal): Promise<string | null> {
  const a = await call<AutocompleteAnswer>('/autocomplete', {
    method: 'POST',
    body: JSON.stringify({ code, cursorPosition, language }),
    signal,
  })
  return a.suggestion || null
}
