package orm

import "math/bits"

// intTable is one mapper's identity map of single integer keys: an
// open-addressing table with linear probing, Fibonacci hashing and
// tombstones, at most three quarters full. A load of 10,000 rows enters
// 10,000 keys and looks each up first; a Go map costs about twice as much
// per operation here, and the table is sized once for the rows read
// (reserve).
//
// Nothing may be set or deleted during all.
type intTable struct {
	slots []intSlot // a power of two long; nil until the first set
	shift uint8     // 64 - log2(len(slots))
	live  int       // entries
	used  int       // entries and tombstones
}

type intSlot struct {
	key int64
	st  *state // nil: never used; tombState: an entry deleted
}

// tombState marks a deleted slot: probes go on past it, and a set
// reuses it.
var tombState = new(state)

// fibHome is the first slot of x in a table of 2^(64-shift) slots
// (Fibonacci hashing: x times 2^64 over the golden ratio, whose high bits
// mix every bit of x, so consecutive keys and aligned addresses spread
// over the whole table). intTable and ptrStates' table use it.
func fibHome(x uint64, shift uint8) int { return int(x * 0x9E3779B97F4A7C15 >> shift) }

// home is k's first slot (intHome). Keys are grouped by four consecutive values
// (k>>2), and each group's four slots are consecutive: one cache line of
// slots. Fibonacci hashing spreads the groups; the two low bits of k pick
// the slot within its group. A load of consecutive keys (a sequence's)
// then touches a new cache line once every four keys instead of at every
// key, where plain Fibonacci hashing scatters them; keys sharing their low
// bits (multiples of four) use a quarter of the homes, and probe a few
// slots further, no more.
func (t *intTable) home(k int64) int { return intHome(k, t.shift) }

// intHome is the first slot of integer key k in a table of 2^(64-shift)
// slots (at least four).
func intHome(k int64, shift uint8) int {
	x := uint64(k)
	return fibHome(x>>2, shift+2)<<2 | int(x&3)
}

// len is the number of entries (zero for a nil table).
func (t *intTable) len() int {
	if t == nil {
		return 0
	}
	return t.live
}

// get returns the state of key k, or nil (also for a nil table).
func (t *intTable) get(k int64) *state {
	if t == nil || t.live == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.st == nil {
			return nil
		}
		if s.key == k && s.st != tombState {
			return s.st
		}
	}
}

// set enters st under key k, replacing the state k had.
func (t *intTable) set(k int64, st *state) {
	if (t.used+1)*4 > len(t.slots)*3 {
		t.resize(t.live + 1)
	}
	mask := len(t.slots) - 1
	free := -1
	for i := t.home(k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		switch {
		case s.st == nil:
			if free < 0 {
				free = i
				t.used++
			}
			t.slots[free] = intSlot{k, st}
			t.live++
			return
		case s.st == tombState:
			if free < 0 {
				free = i
			}
		case s.key == k:
			s.st = st
			return
		}
	}
}

// delete removes key k, if the table holds it.
func (t *intTable) delete(k int64) {
	if t == nil || t.live == 0 {
		return
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.st == nil {
			return
		}
		if s.key == k && s.st != tombState {
			s.st = tombState
			t.live--
			return
		}
	}
}

// intTableSize is the slots of an integer table for n entries (a power
// of two, at least 8, at most three quarters used) and its shift.
func intTableSize(n int) (size int, shift uint8) {
	size = 8
	if need := (n*4 + 2) / 3; need > size {
		size = 1 << bits.Len(uint(need-1))
	}
	return size, uint8(64 - bits.TrailingZeros(uint(size)))
}

// reserve makes room for n more entries, so that they go in without a
// resize.
func (t *intTable) reserve(n int) {
	if (t.used+n)*4 > len(t.slots)*3 {
		t.resize(t.live + n)
	}
}

// resize rebuilds the table, without its tombstones, with room for n
// entries (at least the live ones).
func (t *intTable) resize(n int) {
	size, shift := intTableSize(max(n, t.live))
	old := t.slots
	t.slots = make([]intSlot, size)
	t.shift = shift
	t.used, t.live = 0, 0
	mask := size - 1
	for _, s := range old {
		if s.st == nil || s.st == tombState {
			continue
		}
		i := t.home(s.key)
		for t.slots[i].st != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = s
		t.used++
		t.live++
	}
}

// all yields every state in the table.
func (t *intTable) all(yield func(*state) bool) {
	if t == nil {
		return
	}
	for _, s := range t.slots {
		if s.st != nil && s.st != tombState && !yield(s.st) {
			return
		}
	}
}

// reset empties the table, keeping its slots.
func (t *intTable) reset() {
	clear(t.slots)
	t.live, t.used = 0, 0
}

// intNums numbers integer keys: the keyIndex of a single integer key (a
// load's owners, found again by each child's reference). It is intTable
// without deletes, holding a number instead of a state.
type intNums struct {
	slots []intNum // a power of two long
	shift uint8
	n     int
}

type intNum struct {
	key int64
	num int32 // the key's number plus one; 0: an empty slot
}

func newIntNums(size int) *intNums {
	t := &intNums{}
	t.resize(size)
	return t
}

// get returns k's number.
func (t *intNums) get(k int64) (int32, bool) {
	mask := len(t.slots) - 1
	for i := intHome(k, t.shift); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.num == 0 {
			return 0, false
		}
		if s.key == k {
			return s.num - 1, true
		}
	}
}

// add numbers k with num unless it has a number, and returns k's number
// and whether it was new.
func (t *intNums) add(k int64, num int32) (int32, bool) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(t.n + 1)
	}
	mask := len(t.slots) - 1
	for i := intHome(k, t.shift); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.num == 0 {
			*s = intNum{k, num + 1}
			t.n++
			return num, true
		}
		if s.key == k {
			return s.num - 1, false
		}
	}
}

// resize rebuilds the table with room for n keys (at least those held).
func (t *intNums) resize(n int) {
	size, shift := intTableSize(max(n, t.n))
	old := t.slots
	t.slots = make([]intNum, size)
	t.shift = shift
	mask := size - 1
	for _, s := range old {
		if s.num == 0 {
			continue
		}
		i := intHome(s.key, t.shift)
		for t.slots[i].num != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}
