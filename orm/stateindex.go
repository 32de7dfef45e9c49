package orm

import (
	"cmp"
	"iter"
	"math/bits"
	"slices"
	"unsafe"
)

// stateIndex is the session's set of objects, by address: Add, Delete,
// Status and the relationship code find an object's state through it,
// and the flush walks it.
//
// Most objects of a large session come from queries, whose loader
// allocates objects, snapshots and states in slabs (arrays side by side).
// A slab of slabIndexMin objects or more is registered whole: its objects
// are then marked by one bit each instead of a map entry each, and found
// by a binary search over the slabs and an index into the slab. Other
// objects (added by the program, rows of small queries, states made anew
// after an Expunge) are in a ptrStates: a dense list walked in order,
// found through a map. An eager load of 10,000 children writes no map
// entry for them.
type stateIndex struct {
	m ptrStates // objects not in a slab
	*slabSet
	// removed counts the objects let go (and each reset): what a flush
	// verified about the session's membership holds while it stands
	removed uint64
}

// slabSet is the slabs attached; nil until the first (it is kept out of
// the Session struct, which every request allocates).
type slabSet struct {
	slabs  []*stateSlab // sorted by address
	live   int          // live slots over every slab
	walks  int          // iterations under way: slabs are not removed meanwhile
	sparse int          // slabs emptied of live slots (removed when many)
	last   *stateSlab   // the slab attached last
}

// stateSlab is a loader's slab of objects with its states: slot i is the
// object at base+i*size, whose state is states[i]; bit i of live says the
// session holds it.
type stateSlab struct {
	base    unsafe.Pointer // keeps the slab alive while registered
	lo, hi  uintptr        // the objects' addresses, [lo, hi)
	size    uintptr
	states  []state
	live    []uint64
	n       int
	emptied bool // n fell to 0 (counted in sparse)
	mapped  bool // an object of the slab had its state put in the map
}

// slabIndexMin is the smallest slab registered: smaller ones (a query of a
// few rows) are cheaper in the map than as another slab to search.
const slabIndexMin = 16

// attach makes the slab's objects indexable by bit, if they are not yet.
// Nothing in it is live until set. A loader attaches a slab when it is
// about to track one of its objects, so every slab here has held a live
// object.
func (x *stateIndex) attach(base unsafe.Pointer, size uintptr, states []state) {
	if x.slabSet == nil {
		x.slabSet = &slabSet{}
	}
	if x.last != nil && x.last.base == base {
		return
	}
	lo := uintptr(base)
	i, found := x.search(lo)
	if found {
		x.last = x.slabs[i]
		return
	}
	if x.sparse > len(x.slabs)/2 && x.walks == 0 {
		x.slabs = slices.DeleteFunc(x.slabs, func(sl *stateSlab) bool { return sl.n == 0 })
		x.sparse = 0
		i, _ = x.search(lo)
	}
	sl := &stateSlab{base: base, lo: lo, hi: lo + size*uintptr(len(states)), size: size,
		states: states, live: make([]uint64, (len(states)+63)/64)}
	if x.walks > 0 {
		// an iteration holds the slice: insert into a copy, so that it
		// visits no slab twice
		x.slabs = slices.Clone(x.slabs)
	}
	x.slabs = slices.Insert(x.slabs, i, sl)
	x.last = sl
}

// search finds where the slab starting at lo is, or would be.
func (x *slabSet) search(lo uintptr) (int, bool) {
	return slices.BinarySearchFunc(x.slabs, lo, func(s *stateSlab, lo uintptr) int { return cmp.Compare(s.lo, lo) })
}

// slot returns the slab holding the object at p and its index, or nil.
// The slab attached last (a load's current one) is tried first.
func (x *slabSet) slot(p unsafe.Pointer) (*stateSlab, int) {
	a := uintptr(p)
	if sl := x.last; sl != nil && a >= sl.lo && a < sl.hi {
		return sl.at(a)
	}
	lo, hi := 0, len(x.slabs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x.slabs[mid].hi <= a {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(x.slabs) || a < x.slabs[lo].lo {
		return nil, 0
	}
	return x.slabs[lo].at(a)
}

// at returns the index of the object at address a, inside the slab.
func (sl *stateSlab) at(a uintptr) (*stateSlab, int) {
	off := a - sl.lo
	if off%sl.size != 0 {
		return nil, 0 // a field inside an object, never an object itself
	}
	return sl, int(off / sl.size)
}

func (sl *stateSlab) has(i int) bool { return sl.live[i/64]&(1<<(i%64)) != 0 }

func (x *stateIndex) get(p unsafe.Pointer) (*state, bool) {
	if x.slabSet != nil && len(x.slabs) > 0 {
		if sl, i := x.slot(p); sl != nil && sl.has(i) {
			return &sl.states[i], true
		}
	}
	return x.m.get(p)
}

// set records st as the state of the object at p (its own slot's state,
// or any other, which goes in the map).
func (x *stateIndex) set(p unsafe.Pointer, st *state) {
	if !x.setSlot(p, st) {
		x.m.set(p, st)
	}
}

// add is set for an object the index does not hold (the caller just
// looked it up): one map operation fewer.
func (x *stateIndex) add(p unsafe.Pointer, st *state) {
	if verifyShortcuts {
		if _, held := x.get(p); held {
			panic("orm: stateIndex.add of an object the index holds")
		}
	}
	if !x.setSlot(p, st) {
		x.m.add(p, st)
	}
}

// setSlot marks st live when it is its slab slot's own state, and reports
// whether it did. Otherwise the slot (if any) is cleared: the map holds
// the object's state.
func (x *stateIndex) setSlot(p unsafe.Pointer, st *state) bool {
	if x.slabSet == nil || len(x.slabs) == 0 {
		return false
	}
	sl, i := x.slot(p)
	if sl == nil {
		return false
	}
	if st != &sl.states[i] {
		x.clear(sl, i)
		sl.mapped = true
		return false
	}
	if !sl.has(i) {
		sl.live[i/64] |= 1 << (i % 64)
		if sl.n == 0 && sl.emptied {
			sl.emptied = false
			x.sparse--
		}
		sl.n++
		x.live++
		if sl.mapped { // else the map cannot hold the object: nothing to delete
			x.m.delete(p)
		}
	}
	return true
}

func (x *slabSet) clear(sl *stateSlab, i int) {
	if !sl.has(i) {
		return
	}
	sl.live[i/64] &^= 1 << (i % 64)
	sl.n--
	x.live--
	if sl.n == 0 {
		sl.emptied = true
		x.sparse++
	}
}

func (x *stateIndex) delete(p unsafe.Pointer) {
	x.removed++
	if x.slabSet != nil && len(x.slabs) > 0 {
		if sl, i := x.slot(p); sl != nil && sl.has(i) {
			x.clear(sl, i)
			return
		}
	}
	x.m.delete(p)
}

func (x *stateIndex) len() int {
	if x.slabSet == nil {
		return x.m.len()
	}
	return x.m.len() + x.live
}

// all iterates over the objects and their states. The body may delete the
// entry it is given, as with a map; entries it adds may or may not be
// visited.
func (x *stateIndex) all() iter.Seq2[unsafe.Pointer, *state] {
	return func(yield func(unsafe.Pointer, *state) bool) {
		if !x.m.each(yield) {
			return
		}
		if x.slabSet == nil || x.live == 0 {
			return
		}
		x.walks++
		defer func() { x.walks-- }()
		for _, sl := range x.slabs {
			for w := range sl.live {
				for word := sl.live[w]; word != 0; word &= word - 1 {
					i := w*64 + bits.TrailingZeros64(word)
					st := &sl.states[i]
					if !yield(unsafe.Add(sl.base, uintptr(i)*sl.size), st) {
						return
					}
				}
			}
		}
	}
}

// reset empties the index.
func (x *stateIndex) reset() {
	x.removed++
	x.m.reset()
	if x.slabSet != nil {
		clear(x.slabs)
		x.slabs = x.slabs[:0]
		x.live, x.sparse, x.last = 0, 0, nil
	}
}

// reserve makes room in the map for n more objects.
func (x *stateIndex) reserve(n int) { x.m.reserve(n) }
