package orm

import (
	"math/bits"
	"slices"
	"unsafe"
)

// ptrStates is the part of the state index that is not in slabs: the
// objects the program added, rows of small queries, states made anew. It
// keeps its first few entries inline (a session holding a handful of
// objects allocates nothing for it); beyond inlineN it moves them to a
// dense list, found through an open-addressing table of positions in it.
//
// The list is what makes a flush's walks cheap: a flush walks every object
// the session holds several times, and a walk over a slice of pointers
// costs a tenth of a walk over a Go map of 10,000 entries (measured in
// the FlushGraph benchmark's session). Entries let go leave a hole, skipped
// by walks and squeezed out when holes are half the list and no walk is
// under way. Walks go in the order entries were made.
//
// The table finds an address's position with one multiplication and, at
// most half full after it grows, a probe or two. Unlike a Go map keyed by
// address it holds no pointer, so the garbage collector never scans it.
// A look-up and insertion of each of 10,000 new addresses, from empty,
// took 86 ns against 222 ns with a map and list (microbenchmark), in 0.80
// against 1.26 MB.
type ptrStates struct {
	n    int // entries used in keys/vals while big is nil
	keys [inlineN]unsafe.Pointer
	vals [inlineN]*state
	big  *denseStates
}

// denseStates holds the entries once there are more than inlineN.
type denseStates struct {
	// slots is the table: 1 + a position in list, 0 for an empty slot; a
	// slot whose position is a hole is a tombstone, reused by the next
	// insertion that passes it. Its length is a power of two, at most
	// three quarters used.
	slots []int32
	shift uint8 // 64 - log2(len(slots)): the hash bits kept
	used  int   // slots not empty: entries and tombstones
	live  int   // entries that are not holes
	list  []ptrState
	holes int
	walks int // walks under way: holes are not squeezed out meanwhile
}

type ptrState struct {
	p  unsafe.Pointer
	st *state
}

// home is p's first slot (fibHome mixes the low bits, zero by alignment,
// in with the rest).
func (d *denseStates) home(p unsafe.Pointer) int { return fibHome(uint64(uintptr(p)), d.shift) }

// find returns p's position in list, or -1.
func (d *denseStates) find(p unsafe.Pointer) int {
	mask := len(d.slots) - 1
	for i := d.home(p); ; i = (i + 1) & mask {
		v := d.slots[i]
		if v == 0 {
			return -1
		}
		if d.list[v-1].p == p {
			return int(v - 1)
		}
	}
}

// place enters position pos of p, which the table does not hold, in the
// first empty slot or tombstone on p's probe sequence.
func (d *denseStates) place(p unsafe.Pointer, pos int) {
	mask := len(d.slots) - 1
	for i := d.home(p); ; i = (i + 1) & mask {
		v := d.slots[i]
		if v == 0 {
			d.slots[i] = int32(pos + 1)
			d.used++
			return
		}
		if d.list[v-1].p == nil {
			d.slots[i] = int32(pos + 1)
			return
		}
	}
}

// rehash builds the table again for n entries, at most half full: the
// live entries only, so tombstones go.
func (d *denseStates) rehash(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if len(d.slots) == size {
		clear(d.slots)
	} else {
		d.slots = make([]int32, size)
	}
	d.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	d.used = 0
	for i, e := range d.list {
		if e.p != nil {
			d.place(e.p, i)
		}
	}
}

func (s *ptrStates) get(p unsafe.Pointer) (*state, bool) {
	if d := s.big; d != nil {
		if i := d.find(p); i >= 0 {
			return d.list[i].st, true
		}
		return nil, false
	}
	for i := 0; i < s.n; i++ {
		if s.keys[i] == p {
			return s.vals[i], true
		}
	}
	return nil, false
}

func (s *ptrStates) set(p unsafe.Pointer, st *state) {
	if d := s.big; d != nil {
		d.set(p, st)
		return
	}
	for i := 0; i < s.n; i++ {
		if s.keys[i] == p {
			s.vals[i] = st
			return
		}
	}
	s.add(p, st)
}

// add is set for an address known not to be held (the caller looked it
// up): no look-up of its own.
func (s *ptrStates) add(p unsafe.Pointer, st *state) {
	if d := s.big; d != nil {
		d.add(p, st)
		return
	}
	if s.n < inlineN {
		s.keys[s.n], s.vals[s.n] = p, st
		s.n++
		return
	}
	s.spill(2 * inlineN)
	s.big.add(p, st)
}

// spill moves the inline entries to a dense list with room for n.
func (s *ptrStates) spill(n int) {
	d := &denseStates{list: make([]ptrState, 0, n)}
	d.rehash(n)
	for i := 0; i < s.n; i++ {
		d.add(s.keys[i], s.vals[i])
	}
	s.clearInline()
	s.big = d
}

func (d *denseStates) set(p unsafe.Pointer, st *state) {
	if i := d.find(p); i >= 0 {
		d.list[i].st = st
		return
	}
	d.add(p, st)
}

func (d *denseStates) add(p unsafe.Pointer, st *state) {
	if d.holes > len(d.list)/2 && d.walks == 0 {
		d.squeeze()
	}
	// Growing by four rather than two: a session adding objects one by
	// one (100 in a loop) rebuilds the table and copies the list half as
	// often, and each rebuild and copy of pointers costs write barriers
	// while the collector runs.
	if 4*(d.used+1) > 3*len(d.slots) {
		d.rehash(2 * (d.live + 1))
	}
	if len(d.list) == cap(d.list) {
		d.list = slices.Grow(d.list, 3*len(d.list))
	}
	d.list = append(d.list, ptrState{p, st})
	d.place(p, len(d.list)-1)
	d.live++
}

func (s *ptrStates) delete(p unsafe.Pointer) {
	if d := s.big; d != nil {
		if i := d.find(p); i >= 0 {
			d.list[i] = ptrState{} // its slot is now a tombstone
			d.holes++
			d.live--
		}
		return
	}
	for i := 0; i < s.n; i++ {
		if s.keys[i] == p {
			last := s.n - 1
			s.keys[i], s.vals[i] = s.keys[last], s.vals[last]
			s.keys[last], s.vals[last] = nil, nil
			s.n--
			return
		}
	}
}

// squeeze takes the holes out of the list, moving each entry after one,
// and builds the table again for the positions that moved.
func (d *denseStates) squeeze() {
	j := 0
	for _, e := range d.list {
		if e.p == nil {
			continue
		}
		d.list[j] = e
		j++
	}
	clear(d.list[j:])
	d.list, d.holes = d.list[:j], 0
	d.rehash(max(j, len(d.slots)/2))
}

func (s *ptrStates) len() int {
	if s.big != nil {
		return s.big.live
	}
	return s.n
}

// each calls yield for every entry until it returns false; the body may
// delete the entry it is given, and entries it adds may or may not be
// visited, as with a map.
func (s *ptrStates) each(yield func(unsafe.Pointer, *state) bool) bool {
	d := s.big
	if d == nil {
		// copies: the body may delete, which moves entries
		n, keys, vals := s.n, s.keys, s.vals
		for i := 0; i < n; i++ {
			if !yield(keys[i], vals[i]) {
				return false
			}
		}
		return true
	}
	d.walks++
	defer func() { d.walks-- }()
	for i := 0; i < len(d.list); i++ { // the body may append
		if e := d.list[i]; e.p != nil && !yield(e.p, e.st) {
			return false
		}
	}
	return true
}

func (s *ptrStates) clearInline() {
	s.keys, s.vals, s.n = [inlineN]unsafe.Pointer{}, [inlineN]*state{}, 0
}

// reset empties it, keeping the dense list's memory for reuse.
func (s *ptrStates) reset() {
	s.clearInline()
	if d := s.big; d != nil {
		clear(d.slots)
		clear(d.list)
		d.list, d.holes, d.used, d.live = d.list[:0], 0, 0, 0 // a walk under way stops
	}
}

// reserve makes room for n more entries in one allocation each, so that a
// large cascade or load does not grow them step by step.
func (s *ptrStates) reserve(n int) {
	if s.big == nil {
		if s.n+n > inlineN {
			s.spill(s.n + n)
		}
		return
	}
	d := s.big
	if n < d.live {
		return // growth will be amortized anyway
	}
	if 4*(d.used+n) > 3*len(d.slots) {
		d.rehash(d.live + n)
	}
	d.list = slices.Grow(d.list, n)
}
