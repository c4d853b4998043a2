// api talks to the pairpad REST API (DESIGN.md section 2).

export interface RoomInfo {
  roomId: string
  code: string
  language: string
  created_at: string
}

// RoomNotFoundError means the server does not know the room.
export class RoomNotFoundError extends Error {
  constructor(roomId: string) {
    super(`room ${roomId} not found`)
  }
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { ...init, headers: { 'Content-Type': 'application/json', ...init.headers } })
  if (!res.ok) {
    let detail = res.statusText
    try {
      const body = (await res.json()) as { detail?: string }
      detail = body.detail ?? detail
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(res.status, detail)
  }
  return (await res.json()) as T
}

// ApiError is a non-2xx answer.
export class ApiError extends Error {
  constructor(readonly status: number, detail: string) {
    super(detail)
  }
}

export function createRoom(language: string): Promise<RoomInfo> {
  return call<RoomInfo>('/rooms', { method: 'POST', body: JSON.stringify({ language }) })
}

export async function getRoom(roomId: string): Promise<RoomInfo> {
  try {
    return await call<RoomInfo>('/rooms/' + encodeURIComponent(roomId))
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new RoomNotFoundError(roomId)
    throw e
  }
}

export function setRoomLanguage(roomId: string, language: string): Promise<RoomInfo> {
  return call<RoomInfo>('/rooms/' + encodeURIComponent(roomId), { method: 'PATCH', body: JSON.stringify({ language }) })
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
