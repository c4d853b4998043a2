package crdt

// chunkSize bounds the structs in one chunk of a client's struct list, so that inserting a struct
// in the middle (when an item is split) moves at most this many pointers.
const chunkSize = 256

// structList holds one client's structs sorted by clock, without gaps, in chunks. Each entry
// keeps its struct's clock inline so that searches touch only the chunk's memory.
type structList struct {
	chunks [][]entry
	n      int
	hint   int // the chunk of the last search
	hintI  int // the index in that chunk of the last search
}

type entry struct {
	clock uint64
	it    *item
}

// structStore holds every struct of a document by client, as Yjs's StructStore does.
type structStore struct {
	clients map[uint64]*structList
}

func newStructStore() structStore { return structStore{clients: make(map[uint64]*structList)} }

// state returns the next clock expected from client.
func (s *structStore) state(client uint64) uint64 {
	l := s.clients[client]
	if l == nil {
		return 0
	}
	return l.last().endClock()
}

func (s *structStore) stateVector() StateVector {
	sv := make(StateVector, len(s.clients))
	for client, l := range s.clients {
		sv[client] = l.last().endClock()
	}
	return sv
}

// add appends a struct that continues its client's clock.
func (s *structStore) add(it *item) {
	l := s.clients[it.id.Client]
	if l == nil {
		l = &structList{}
		s.clients[it.id.Client] = l
	}
	l.append(it)
}

// find returns the struct containing id. The caller checks id.Clock < state(id.Client).
func (s *structStore) find(id ID) *item {
	l := s.clients[id.Client]
	c, i := l.search(id.Clock)
	return l.chunks[c][i].it
}

func (l *structList) last() *item {
	c := l.chunks[len(l.chunks)-1]
	return c[len(c)-1].it
}

func (l *structList) first() *item { return l.chunks[0][0].it }

func (l *structList) append(it *item) {
	if len(l.chunks) == 0 || len(l.chunks[len(l.chunks)-1]) >= chunkSize {
		l.chunks = append(l.chunks, make([]entry, 0, chunkSize))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, entry{it.id.Clock, it})
	l.n++
}

// search returns the chunk and index of the struct containing clock, which must exist.
//
// Lookups cluster, so it tries, in order: the last struct (appending and integrating a document
// in clock order look it up), a few structs around the previous result (delete sets and merges
// walk through clocks), and only then searches.
func (l *structList) search(clock uint64) (int, int) {
	chunks := l.chunks
	lc := len(chunks) - 1
	if li := len(chunks[lc]) - 1; chunks[lc][li].clock <= clock {
		return lc, li
	}
	c := l.hint
	if c >= len(chunks) || chunks[c][0].clock > clock || (c < lc && chunks[c+1][0].clock <= clock) {
		c = searchChunks(chunks, clock)
		l.hint, l.hintI = c, 0
	}
	chunk := chunks[c]
	i := min(l.hintI, len(chunk)-1)
	if chunk[i].clock <= clock {
		for k := 0; k < 8 && i+1 < len(chunk) && chunk[i+1].clock <= clock; k++ {
			i++
		}
		if i+1 == len(chunk) || chunk[i+1].clock > clock {
			l.hintI = i
			return c, i
		}
	} else {
		for k := 0; k < 8 && i > 0 && chunk[i].clock > clock; k++ {
			i--
		}
		if chunk[i].clock <= clock {
			l.hintI = i
			return c, i
		}
	}
	i = searchChunk(chunk, clock)
	l.hintI = i
	return c, i
}

// searchChunks returns the last chunk starting at or before clock. The search is branch-free,
// which beats a branchy one on lookups that jump around.
func searchChunks(chunks [][]entry, clock uint64) int {
	base, n := 0, len(chunks)
	for n > 1 {
		half := n / 2
		if chunks[base+half][0].clock <= clock {
			base += half
		}
		n -= half
	}
	return base
}

// searchChunk returns the index of the last entry starting at or before clock.
func searchChunk(chunk []entry, clock uint64) int {
	base, n := 0, len(chunk)
	for n > 1 {
		half := n / 2
		if chunk[base+half].clock <= clock {
			base += half
		}
		n -= half
	}
	return base
}

// insertAfter puts it right after position (c, i).
func (l *structList) insertAfter(c, i int, it *item) {
	chunk := l.chunks[c]
	if len(chunk) >= chunkSize {
		half := len(chunk) / 2
		rightHalf := make([]entry, len(chunk)-half, chunkSize)
		copy(rightHalf, chunk[half:])
		clear(chunk[half:])
		l.chunks[c] = chunk[:half]
		l.chunks = append(l.chunks, nil)
		copy(l.chunks[c+2:], l.chunks[c+1:])
		l.chunks[c+1] = rightHalf
		if i >= half {
			c, i = c+1, i-half
		}
		chunk = l.chunks[c]
	}
	chunk = append(chunk, entry{})
	copy(chunk[i+2:], chunk[i+1:])
	chunk[i+1] = entry{it.id.Clock, it}
	l.chunks[c] = chunk
	l.n++
}

// removeAt removes the struct at (c, i).
func (l *structList) removeAt(c, i int) {
	chunk := l.chunks[c]
	copy(chunk[i:], chunk[i+1:])
	chunk[len(chunk)-1] = entry{}
	chunk = chunk[:len(chunk)-1]
	l.n--
	if len(chunk) == 0 {
		l.chunks = append(l.chunks[:c], l.chunks[c+1:]...)
		return
	}
	l.chunks[c] = chunk
}

// replace puts it in the place of the struct at the same clock.
func (l *structList) replace(it *item) {
	c, i := l.search(it.id.Clock)
	l.chunks[c][i].it = it
}

// prev returns the position before (c, i), ok false at the start.
func (l *structList) prev(c, i int) (int, int, bool) {
	if i > 0 {
		return c, i - 1, true
	}
	if c > 0 {
		return c - 1, len(l.chunks[c-1]) - 1, true
	}
	return 0, 0, false
}

// next returns the position after (c, i), ok false at the end.
func (l *structList) next(c, i int) (int, int, bool) {
	if i+1 < len(l.chunks[c]) {
		return c, i + 1, true
	}
	if c+1 < len(l.chunks) {
		return c + 1, 0, true
	}
	return 0, 0, false
}

func (l *structList) at(c, i int) *item { return l.chunks[c][i].it }

// find returns the struct containing clock, which must exist.
func (l *structList) find(clock uint64) *item {
	c, i := l.search(clock)
	return l.chunks[c][i].it
}

// nextStruct returns the struct after it, or nil for the last one.
func (l *structList) nextStruct(it *item) *item {
	c, i := l.search(it.id.Clock)
	if c, i, ok := l.next(c, i); ok {
		return l.at(c, i)
	}
	return nil
}
