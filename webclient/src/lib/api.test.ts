import { expect, it } from 'vitest'
import { ApiError, isOwnerRefusal } from './api'

it('isOwnerRefusal is a 401 or a 403 from the server', () => {
  const cases: { err: unknown; want: boolean }[] = [
    { err: new ApiError(401, 'unauthorized'), want: true },
    { err: new ApiError(403, 'forbidden'), want: true },
    { err: new ApiError(404, 'not found'), want: false },
    { err: new ApiError(503, 'unavailable'), want: false },
    { err: new TypeError('Failed to fetch'), want: false },
    { err: null, want: false },
  ]
  for (const c of cases) expect(isOwnerRefusal(c.err), String(c.err)).toBe(c.want)
})
