// Route is the page a URL path shows.
export type Route = { page: 'home' } | { page: 'room'; roomId: string } | { page: 'missing' }

const roomPath = /^\/r\/([^/]+)\/?$/

// parseRoute maps a location pathname to a Route.
export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'home' }
  const m = roomPath.exec(pathname)
  if (m) {
    const roomId = safeDecode(m[1])
    if (roomId) return { page: 'room', roomId }
  }
  return { page: 'missing' }
}

// roomPathFor returns the path of a room's page.
export function roomPathFor(roomId: string): string {
  return '/r/' + encodeURIComponent(roomId)
}

// roomIdFromInput extracts a room id from what a person pasted: a bare id, a path
// such as /r/abc, or a full link to a room page. It returns null when there is none.
export function roomIdFromInput(input: string): string | null {
  const text = input.trim()
  if (!text) return null
  let path = text
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      path = new URL(text).pathname
    } catch {
      return null
    }
  } else if (!text.startsWith('/')) {
    return /^[A-Za-z0-9_-]+$/.test(text) ? text : null
  }
  const route = parseRoute(path.replace(/[?#].*$/, ''))
  return route.page === 'room' ? route.roomId : null
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}
