// identity: how a person appears to others in a room (name and cursor colour).

// palette holds cursor colours readable on light and dark backgrounds.
export const palette: readonly string[] = [
  '#e11d48', '#db2777', '#9333ea', '#4f46e5', '#2563eb', '#0891b2',
  '#059669', '#65a30d', '#ca8a04', '#ea580c', '#dc2626', '#0d9488',
]

const adjectives = ['Swift', 'Calm', 'Bright', 'Clever', 'Brave', 'Quiet', 'Lucky', 'Keen', 'Bold', 'Witty']
const animals = ['Otter', 'Falcon', 'Panda', 'Fox', 'Heron', 'Lynx', 'Koala', 'Badger', 'Owl', 'Seal']

// randomName returns a friendly default name; rand returns numbers in [0, 1).
export function randomName(rand: () => number): string {
  return pick(adjectives, rand) + ' ' + pick(animals, rand)
}

// colorFor picks a palette colour from a seed (e.g. the Yjs client id) so a person
// keeps the same colour for the life of their connection.
export function colorFor(seed: number): string {
  const i = ((Math.trunc(seed) % palette.length) + palette.length) % palette.length
  return palette[i]
}

// lighten returns the colour with an alpha channel, for selection backgrounds.
export function lighten(color: string): string {
  return color + '33'
}

// cleanName trims a typed name and bounds its length; an empty result means "keep the old name".
export function cleanName(name: string): string {
  return name.replace(/\s+/g, ' ').trim().slice(0, 32)
}

// initials returns up to two letters for an avatar.
export function initials(name: string): string {
  const parts = cleanName(name).split(' ').filter(Boolean)
  if (parts.length === 0) return '?'
  const letters = parts.length === 1 ? [...parts[0]].slice(0, 2) : [[...parts[0]][0], [...parts[1]][0]]
  return letters.join('').toUpperCase()
}

function pick<T>(list: readonly T[], rand: () => number): T {
  return list[Math.min(list.length - 1, Math.floor(rand() * list.length))]
}
