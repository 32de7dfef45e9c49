package orm

import (
	"slices"
	"unsafe"
)

// ptrStates is the part of the state index that is not in slabs: the
// objects the program added, rows of small queries, states made anew. It
// keeps its first few entries inline (a session holding a handful of
// objects allocates nothing for it); beyond inlineN it moves them to a
// dense list, found by a Go map from address to position.
//
// The list is what makes a flush's walks cheap: a flush walks every object
// the session holds several times, and a walk over a slice of pointers
// costs a tenth of a walk over a Go map of 10,000 entries (measured in
// the FlushGraph benchmark's session). Entries let go leave a hole, skipped
// by walks and squeezed out when holes are half the list and no walk is
// under way. Walks go in the order entries were made.
type ptrStates struct {
	n    int // entries used in keys/vals while big is nil
	keys [inlineN]unsafe.Pointer
	vals [inlineN]*state
	big  *denseStates
}

// denseStates holds the entries once there are more than inlineN.
type denseStates struct {
	at    map[unsafe.Pointer]int32 // position in list
	list  []ptrState               // p nil: a hole
	holes int
	walks int // walks under way: holes are not squeezed out meanwhile
}

type ptrState struct {
	p  unsafe.Pointer
	st *state
}

func (s *ptrStates) get(p unsafe.Pointer) (*state, bool) {
	if d := s.big; d != nil {
		if i, ok := d.at[p]; ok {
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
// up): one map operation fewer.
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
	d := &denseStates{at: make(map[unsafe.Pointer]int32, n), list: make([]ptrState, 0, n)}
	for i := 0; i < s.n; i++ {
		d.add(s.keys[i], s.vals[i])
	}
	s.clearInline()
	s.big = d
}

func (d *denseStates) set(p unsafe.Pointer, st *state) {
	if i, ok := d.at[p]; ok {
		d.list[i].st = st
		return
	}
	d.add(p, st)
}

func (d *denseStates) add(p unsafe.Pointer, st *state) {
	if d.holes > len(d.list)/2 && d.walks == 0 {
		d.squeeze()
	}
	d.at[p] = int32(len(d.list))
	d.list = append(d.list, ptrState{p, st})
}

func (s *ptrStates) delete(p unsafe.Pointer) {
	if d := s.big; d != nil {
		if i, ok := d.at[p]; ok {
			delete(d.at, p)
			d.list[i] = ptrState{}
			d.holes++
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

// squeeze takes the holes out of the list, moving each entry after one.
func (d *denseStates) squeeze() {
	j := 0
	for _, e := range d.list {
		if e.p == nil {
			continue
		}
		if d.list[j] != e {
			d.list[j] = e
			d.at[e.p] = int32(j)
		}
		j++
	}
	clear(d.list[j:])
	d.list, d.holes = d.list[:j], 0
}

func (s *ptrStates) len() int {
	if s.big != nil {
		return len(s.big.at)
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
		clear(d.at)
		clear(d.list)
		d.list, d.holes = d.list[:0], 0 // a walk under way stops
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
	if n < len(d.at) {
		return // growth will be amortized anyway
	}
	at := make(map[unsafe.Pointer]int32, len(d.at)+n)
	for p, i := range d.at {
		at[p] = i
	}
	d.at = at
	d.list = slices.Grow(d.list, n)
}
