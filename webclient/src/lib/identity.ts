// identity: how a person appears to others in a room (name and cursor colour).

// palette holds cursor colours readable on light and dark backgrounds, each a distinct hue.
export const palette: readonly string[] = [
  '#e11d48', '#2563eb', '#059669', '#ca8a04', '#9333ea',
  '#0891b2', '#ea580c', '#db2777', '#65a30d', '#4f46e5',
]

const adjectives = ['Swift', 'Calm', 'Bright', 'Clever', 'Brave', 'Quiet', 'Lucky', 'Keen', 'Bold', 'Witty']
const animals = ['Otter', 'Falcon', 'Panda', 'Fox', 'Heron', 'Lynx', 'Koala', 'Badger', 'Owl', 'Seal']

// randomName returns a friendly default name; rand returns numbers in [0, 1).
export function randomName(rand: () => number): string {
  return pick(adjectives, rand) + ' ' + pick(animals, rand)
}

// colorFor picks a palette colour from a seed (e.g. the Yjs client id) so a person keeps the
// same colour for the life of their connection, skipping colours others took already (while
// the palette lasts) so that two people in a room do not look alike.
export function colorFor(seed: number, taken: readonly string[] = []): string {
  const start = ((Math.trunc(seed) % palette.length) + palette.length) % palette.length
  for (let k = 0; k < palette.length; k++) {
    const color = palette[(start + k) % palette.length]
    if (!taken.includes(color)) return color
  }
  return palette[start]
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
