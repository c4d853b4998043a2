// owner is the owner's token as a browser keeps it: one per room, keyed by the room's edit id
// (the id the page was opened with), and carried to another browser in an owner link,
// /r/{editId}#owner=<token>. A fragment never reaches the server nor its logs.

// OwnerTokens maps a room id to the owner token this browser holds for it.
export type OwnerTokens = Readonly<Record<string, string>>

// parseOwnerTokens reads the stored map, dropping anything malformed.
export function parseOwnerTokens(raw: string | null): OwnerTokens {
  if (!raw) return {}
  try {
    const v: unknown = JSON.parse(raw)
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {}
    const tokens: Record<string, string> = {}
    for (const [roomId, token] of Object.entries(v)) {
      if (roomId !== '' && typeof token === 'string' && token !== '') tokens[roomId] = token
    }
    return tokens
  } catch {
    return {}
  }
}

// withOwnerToken returns tokens with roomId's token set.
export function withOwnerToken(tokens: OwnerTokens, roomId: string, token: string): OwnerTokens {
  return { ...tokens, [roomId]: token }
}

// withoutOwnerToken returns tokens without roomId's.
export function withoutOwnerToken(tokens: OwnerTokens, roomId: string): OwnerTokens {
  const rest = { ...tokens }
  delete rest[roomId]
  return rest
}

// movedOwnerToken returns tokens with from's token kept under to instead, as after the owner
// replaced the edit link; tokens unchanged if there is none for from.
export function movedOwnerToken(tokens: OwnerTokens, from: string, to: string): OwnerTokens {
  const token = tokens[from]
  if (token === undefined) return tokens
  return withOwnerToken(withoutOwnerToken(tokens, from), to, token)
}

// ownerTokenFromHash returns the token of an owner link's fragment (location.hash, with or
// without its '#'), or null when it carries none.
export function ownerTokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('owner')
  return token ? token : null
}

// ownerLinkFor returns the owner link of a room: its edit link with the token in the fragment.
export function ownerLinkFor(origin: string, roomPath: string, token: string): string {
  return `${origin}${roomPath}#${new URLSearchParams({ owner: token })}`
}
