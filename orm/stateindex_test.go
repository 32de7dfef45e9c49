package orm

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

type indexedThing struct {
	ID   int64
	Name string
}

// newSlab makes a slab of n objects with their states, as a loader does.
func newSlab(n int) (unsafe.Pointer, uintptr, []state) {
	objs := make([]indexedThing, n)
	return unsafe.Pointer(&objs[0]), unsafe.Sizeof(indexedThing{}), make([]state, n)
}

func slabObj(base unsafe.Pointer, size uintptr, i int) unsafe.Pointer {
	return unsafe.Add(base, uintptr(i)*size)
}

func collect(x *stateIndex) map[unsafe.Pointer]*state {
	got := map[unsafe.Pointer]*state{}
	for p, st := range x.all() {
		if _, dup := got[p]; dup {
			panic("visited twice")
		}
		got[p] = st
	}
	return got
}

func TestStateIndexFindsSlabObjectsByBitAndOthersByMap(t *testing.T) {
	var x stateIndex
	base, size, sts := newSlab(40)
	x.attach(base, size, sts)
	other := unsafe.Pointer(new(indexedThing))
	otherSt := &state{}

	for i := 0; i < 40; i += 2 {
		p := slabObj(base, size, i)
		sts[i].ptr = p
		x.set(p, &sts[i])
	}
	x.set(other, otherSt)
	if x.len() != 21 || x.m.len() != 1 {
		t.Fatalf("len %d (map %d), want 21 with 1 in the map", x.len(), x.m.len())
	}
	for i := 0; i < 40; i++ {
		st, ok := x.get(slabObj(base, size, i))
		if want := i%2 == 0; ok != want || (ok && st != &sts[i]) {
			t.Fatalf("slot %d: got %p %v, want present=%v", i, st, ok, want)
		}
	}
	if st, _ := x.get(other); st != otherSt {
		t.Fatal("object outside the slab not found")
	}
	// an address inside an object is no object
	if _, ok := x.get(unsafe.Add(base, 8)); ok {
		t.Fatal("a field's address found as an object")
	}
	if got := collect(&x); len(got) != 21 {
		t.Fatalf("iteration visited %d, want 21", len(got))
	}

	// deleting while iterating, as Close does
	for p, st := range x.all() {
		if st != otherSt {
			x.delete(p)
		}
	}
	if x.len() != 1 || x.live != 0 {
		t.Fatalf("after deleting the slab's objects: len %d live %d", x.len(), x.live)
	}

	// a slab object given a state of its own (made anew after an expunge)
	// goes to the map, and back to its slot when its slot state returns
	p := slabObj(base, size, 3)
	fresh := &state{ptr: p}
	x.set(p, fresh)
	if st, _ := x.get(p); st != fresh || x.live != 0 {
		t.Fatal("a new state for a slab object was not kept in the map")
	}
	x.set(p, &sts[3])
	if st, _ := x.get(p); st != &sts[3] || x.m.len() != 1 {
		t.Fatalf("slot state not restored: map has %d", x.m.len())
	}
}

func TestStateIndexSlabsRegisteredDuringIterationAreNotVisitedTwice(t *testing.T) {
	var x stateIndex
	var slabs []unsafe.Pointer
	var all [][]state
	add := func() {
		base, size, sts := newSlab(slabIndexMin)
		x.attach(base, size, sts)
		for i := range sts {
			sts[i].ptr = slabObj(base, size, i)
			x.set(sts[i].ptr, &sts[i])
		}
		slabs = append(slabs, base)
		all = append(all, sts)
	}
	for range 4 {
		add()
	}
	seen := map[unsafe.Pointer]int{}
	n := 0
	for p := range x.all() {
		seen[p]++
		if n++; n%5 == 0 {
			add() // sorted anywhere among the others
		}
	}
	for p, c := range seen {
		if c != 1 {
			t.Fatalf("%p visited %d times", p, c)
		}
	}
	if len(seen) < 4*slabIndexMin {
		t.Fatalf("visited %d, want at least the %d present at the start", len(seen), 4*slabIndexMin)
	}
	if x.len() != len(slabs)*slabIndexMin {
		t.Fatalf("len %d, want %d", x.len(), len(slabs)*slabIndexMin)
	}
}

func TestStateIndexDropsEmptySlabs(t *testing.T) {
	var x stateIndex
	for range 10 {
		base, size, sts := newSlab(slabIndexMin)
		x.attach(base, size, sts)
		for i := range sts {
			sts[i].ptr = slabObj(base, size, i)
			x.set(sts[i].ptr, &sts[i])
		}
		for i := range sts {
			x.delete(sts[i].ptr) // an expunge of every loaded object
		}
	}
	if len(x.slabs) > 6 {
		t.Fatalf("%d empty slabs kept registered", len(x.slabs))
	}
	x.reset()
	if x.len() != 0 || len(x.slabs) != 0 {
		t.Fatal("reset left entries")
	}
}

// looseObjects makes n objects outside any slab, with their states.
func looseObjects(n int) []*state {
	sts := make([]*state, n)
	for i := range sts {
		sts[i] = &state{ptr: unsafe.Pointer(new(indexedThing))}
	}
	return sts
}

// setLoose sets every state in x under its object's address.
func setLoose(x *stateIndex, sts []*state) {
	for _, st := range sts {
		x.set(st.ptr, st)
	}
}

// checkLoose fails unless x holds exactly want, each found by address and
// walked once.
func checkLoose(t *testing.T, x *stateIndex, want []*state) {
	t.Helper()
	got := collect(x)
	if len(got) != len(want) || x.len() != len(want) {
		t.Fatalf("walked %d, len %d, want %d", len(got), x.len(), len(want))
	}
	for _, st := range want {
		if got[st.ptr] != st {
			t.Fatalf("walk gave %p for %p, want %p", got[st.ptr], st.ptr, st)
		}
		if g, ok := x.get(st.ptr); !ok || g != st {
			t.Fatalf("get(%p) = %p, %v, want %p", st.ptr, g, ok, st)
		}
	}
}

func TestStateIndexKeepsObjectsOutsideSlabsInAddOrderAndSqueezesOutTheirHoles(t *testing.T) {
	var x stateIndex
	sts := looseObjects(200)
	setLoose(&x, sts)
	var order []*state
	for _, st := range x.all() {
		order = append(order, st)
	}
	for i := range sts {
		if order[i] != sts[i] {
			t.Fatalf("walk's entry %d is not the %dth set", i, i)
		}
	}
	// let three in four go: the holes are squeezed out by the next set,
	// and every address still finds its own state
	var kept []*state
	for i, st := range sts {
		if i%4 == 0 {
			kept = append(kept, st)
		} else {
			x.delete(st.ptr)
		}
	}
	if _, ok := x.get(sts[1].ptr); ok {
		t.Fatal("an object let go is still found")
	}
	more := looseObjects(3)
	setLoose(&x, more)
	kept = append(kept, more...)
	if d := x.m.big; d.holes != 0 || len(d.list) != len(kept) {
		t.Fatalf("list of %d with %d holes, want %d without", len(d.list), d.holes, len(kept))
	}
	checkLoose(t, &x, kept)

	// a new state for an object already held replaces the old in place
	fresh := &state{ptr: kept[0].ptr}
	x.set(fresh.ptr, fresh)
	kept[0] = fresh
	checkLoose(t, &x, kept)
}

func TestStateIndexWalkOutsideSlabsSurvivesDeletesAndAdds(t *testing.T) {
	var x stateIndex
	sts := looseObjects(64)
	setLoose(&x, sts)
	// as Close does: every entry let go during the walk, and new ones
	// set (which would squeeze the holes out but for the walk)
	seen := map[unsafe.Pointer]int{}
	var added []*state
	for p := range x.all() {
		seen[p]++
		x.delete(p)
		if len(added) < 40 {
			st := looseObjects(1)[0]
			x.set(st.ptr, st)
			added = append(added, st)
		}
	}
	for p, c := range seen {
		if c != 1 {
			t.Fatalf("%p visited %d times", p, c)
		}
	}
	if len(seen) < len(sts) {
		t.Fatalf("walk visited %d, want at least the %d present at its start", len(seen), len(sts))
	}
	// everything visited was deleted: what remains is what was added and
	// never reached
	var rest []*state
	for _, st := range added {
		if seen[st.ptr] == 0 {
			rest = append(rest, st)
		}
	}
	checkLoose(t, &x, rest)
}

func TestStateIndexReserveAndResetKeepObjectsOutsideSlabsFindable(t *testing.T) {
	var x stateIndex
	sts := looseObjects(3)
	setLoose(&x, sts)
	x.reserve(100) // from the inline entries to a list with room
	if x.m.big == nil || cap(x.m.big.list) < 103 {
		t.Fatal("reserve made no room")
	}
	more := looseObjects(100)
	setLoose(&x, more)
	x.reserve(500) // grown again: entries carried over
	checkLoose(t, &x, append(sts, more...))
	x.reset()
	checkLoose(t, &x, nil)
	again := looseObjects(10)
	setLoose(&x, again)
	checkLoose(t, &x, again)
}

// Every request allocates a Session: with the allocator's 8-byte header it
// must stay within the 1,280-byte size class (the next is 1,408).
func TestSessionStaysInItsSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(Session{}) + 8; n > 1280 {
		t.Fatalf("Session is %d bytes with its header, past the 1,280-byte size class", n)
	}
}

// The address table agrees with a Go map through a long random run of
// sets, adds, deletes (tombstones), walks that delete and add, reserves
// and resets: every address finds its state, none let go is found, the
// length is right, walks go in the order entries were made, and the
// table stays at most three quarters used.
func TestPtrStatesAgreeWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	var s ptrStates
	model := map[unsafe.Pointer]*state{}
	var made []unsafe.Pointer  // addresses in the order their entry was made
	pool := looseObjects(3000) // addresses come back after a delete
	check := func(step int) {
		t.Helper()
		if s.len() != len(model) {
			t.Fatalf("step %d: len %d, want %d", step, s.len(), len(model))
		}
		for _, st := range pool {
			got, ok := s.get(st.ptr)
			if want, held := model[st.ptr]; ok != held || got != want {
				t.Fatalf("step %d: get(%p) = %p, %v; want %p, %v", step, st.ptr, got, ok, want, held)
			}
		}
		var walked []unsafe.Pointer
		s.each(func(p unsafe.Pointer, st *state) bool {
			walked = append(walked, p)
			return true
		})
		var want []unsafe.Pointer
		for _, p := range made {
			if model[p] != nil {
				want = append(want, p)
			}
		}
		if !slices.Equal(walked, want) {
			t.Fatalf("step %d: walk of %d entries is not the %d held in the order made", step, len(walked), len(want))
		}
		if d := s.big; d != nil && 4*d.used > 3*len(d.slots) {
			t.Fatalf("step %d: table %d of %d slots used", step, d.used, len(d.slots))
		}
	}
	enter := func(st *state) {
		if _, held := model[st.ptr]; !held {
			made = slices.DeleteFunc(made, func(p unsafe.Pointer) bool { return p == st.ptr })
			made = append(made, st.ptr)
		}
		model[st.ptr] = st
	}
	for step := range 4000 {
		st := pool[rng.IntN(len(pool))]
		switch r := rng.IntN(100); {
		case r < 40: // set: a new state for a held address stays in place
			fresh := &state{ptr: st.ptr}
			s.set(fresh.ptr, fresh)
			enter(fresh)
		case r < 55: // add of an address not held
			if _, held := model[st.ptr]; !held {
				s.add(st.ptr, st)
				enter(st)
			}
		case r < 85:
			s.delete(st.ptr)
			delete(model, st.ptr)
		case r < 90: // a walk that lets entries go and makes new ones
			s.each(func(p unsafe.Pointer, _ *state) bool {
				if rng.IntN(3) == 0 {
					s.delete(p)
					delete(model, p)
				}
				if rng.IntN(4) == 0 {
					n := pool[rng.IntN(len(pool))]
					fresh := &state{ptr: n.ptr}
					s.set(fresh.ptr, fresh)
					enter(fresh)
				}
				return rng.IntN(50) != 0
			})
		case r < 95:
			s.reserve(rng.IntN(2000))
		case r < 96:
			s.reset()
			clear(model)
			made = made[:0]
		default:
			check(step)
		}
	}
	check(-1)

	// A walk keeps the holes it leaves (no squeeze): letting every entry
	// go and making a new one for each must still grow or rebuild the
	// table before its tombstones fill it.
	s.reset()
	clear(model)
	made = made[:0]
	for _, st := range pool[:1000] {
		s.set(st.ptr, st)
		enter(st)
	}
	next := 1000
	s.each(func(p unsafe.Pointer, _ *state) bool {
		s.delete(p)
		delete(model, p)
		if next < len(pool) {
			st := pool[next]
			next++
			s.set(st.ptr, st)
			enter(st)
		}
		if d := s.big; 4*d.used > 3*len(d.slots) {
			t.Fatalf("during a walk: table %d of %d slots used", d.used, len(d.slots))
		}
		return true
	})
	check(-2)
}
