package orm

import (
	"math/bits"
	"unsafe"
)

// linkTable is the parent each child's foreign key gets in one flush (the
// relationship planner's claims), by child and foreign key: the entries
// in the order they were claimed, found through an open-addressing table
// of positions in them, as ptrStates' (see denseStates). A flush of 10,000
// new children claims 10,000 links and looks each up three or four times;
// a Go map keyed by the 16-byte fkSlot spent about a tenth of
// FlushGraph's client CPU hashing and probing. Entries are never removed
// during a flush.
type linkTable struct {
	keys  []fkSlot // in claim order
	links []link   // links[i] is the link of keys[i]
	slots []int32  // 1 + a position in keys, 0 for an empty slot; a power of two long, at most half full
	shift uint8    // 64 - log2(len(slots))
}

// home is k's first slot: the child's address and the field's, mixed.
func (t *linkTable) home(k fkSlot) int {
	x := uint64(uintptr(k.child)) ^ bits.RotateLeft64(uint64(uintptr(unsafe.Pointer(k.fk))), 32)
	return fibHome(x, t.shift)
}

// len is the number of links.
func (t *linkTable) len() int { return len(t.keys) }

// find returns k's position, or -1.
func (t *linkTable) find(k fkSlot) int {
	if len(t.slots) == 0 {
		return -1
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		v := t.slots[i]
		if v == 0 {
			return -1
		}
		if t.keys[v-1] == k {
			return int(v - 1)
		}
	}
}

// get returns k's link.
func (t *linkTable) get(k fkSlot) (link, bool) {
	if i := t.find(k); i >= 0 {
		return t.links[i], true
	}
	return link{}, false
}

// put sets k's link, appending k if it has none.
func (t *linkTable) put(k fkSlot, l link) {
	if i := t.find(k); i >= 0 {
		t.links[i] = l
		return
	}
	t.add(k, l)
}

// add appends k, which the table does not hold (the caller looked).
func (t *linkTable) add(k fkSlot, l link) {
	if 2*(len(t.keys)+1) > len(t.slots) {
		t.rehash(2 * (len(t.keys) + 1))
	}
	t.keys = append(t.keys, k)
	t.links = append(t.links, l)
	t.place(k, len(t.keys)-1)
}

func (t *linkTable) place(k fkSlot, pos int) {
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		if t.slots[i] == 0 {
			t.slots[i] = int32(pos + 1)
			return
		}
	}
}

// rehash builds the table again with room for n entries at most half full.
func (t *linkTable) rehash(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if len(t.slots) >= size {
		clear(t.slots)
	} else {
		t.slots = make([]int32, size)
	}
	t.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	for i, k := range t.keys {
		t.place(k, i)
	}
}

// reserve makes room for n links in one allocation each.
func (t *linkTable) reserve(n int) {
	if cap(t.keys) < n {
		keys := make([]fkSlot, len(t.keys), n)
		copy(keys, t.keys)
		links := make([]link, len(t.links), n)
		copy(links, t.links)
		t.keys, t.links = keys, links
	}
	if 2*n > len(t.slots) {
		t.rehash(n)
	}
}

// reset empties the table, keeping its memory unless it grew past a very
// large flush (a pooled planner would hold it until the collector drops
// the pool).
func (t *linkTable) reset() {
	if cap(t.keys) > 1<<16 {
		*t = linkTable{}
		return
	}
	clear(t.keys)
	clear(t.links)
	t.keys, t.links = t.keys[:0], t.links[:0]
	clear(t.slots)
}
