package orm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestIntTableAgreesWithAMap runs random sets, deletes, reserves and
// resets on an intTable and a Go map side by side: keys from a small
// range (so that they come back after a delete and tombstones pile up),
// negative keys and the extremes.
func TestIntTableAgreesWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	var tb intTable
	model := map[int64]*state{}
	keys := []int64{0, -1, math.MinInt64, math.MaxInt64}
	for i := range int64(1500) {
		keys = append(keys, i*7-3000)
	}
	check := func(step int) {
		t.Helper()
		if tb.len() != len(model) {
			t.Fatalf("step %d: len %d, want %d", step, tb.len(), len(model))
		}
		for _, k := range keys {
			if got, want := tb.get(k), model[k]; got != want {
				t.Fatalf("step %d: get(%d) = %p, want %p", step, k, got, want)
			}
		}
		var walked, want []*state
		for st := range tb.all {
			walked = append(walked, st)
		}
		for _, st := range model {
			want = append(want, st)
		}
		order := func(a, b *state) int { return int(a.checked) - int(b.checked) }
		slices.SortFunc(walked, order)
		slices.SortFunc(want, order)
		if !slices.Equal(walked, want) {
			t.Fatalf("step %d: all yields %d states, want the %d held", step, len(walked), len(want))
		}
		if tb.slots != nil && 4*tb.used > 3*len(tb.slots) {
			t.Fatalf("step %d: %d of %d slots used", step, tb.used, len(tb.slots))
		}
	}
	made := uint32(0)
	for step := range 6000 {
		k := keys[rng.IntN(len(keys))]
		switch r := rng.IntN(100); {
		case r < 50:
			made++
			st := &state{checked: made} // checked numbers the states for the walk's comparison
			tb.set(k, st)
			model[k] = st
		case r < 90:
			tb.delete(k)
			delete(model, k)
		case r < 97:
			n := rng.IntN(300)
			before := len(tb.slots)
			tb.reserve(n)
			if (tb.used+n)*4 > len(tb.slots)*3 {
				t.Fatalf("step %d: reserve(%d) left %d of %d slots used (had %d)", step, n, tb.used, len(tb.slots), before)
			}
		case r < 98:
			tb.reset()
			clear(model)
		default:
			check(step)
		}
	}
	check(-1)
	var nilTable *intTable
	if nilTable.get(1) != nil || nilTable.len() != 0 {
		t.Error("a nil table is not empty")
	}
	nilTable.delete(1)
	for range nilTable.all {
		t.Error("a nil table yields a state")
	}
}

// TestIntTableReserveAvoidsResizes checks that the rows of a load,
// reserved first, go in without the table being rebuilt.
func TestIntTableReserveAvoidsResizes(t *testing.T) {
	var tb intTable
	tb.reserve(10_000)
	slots := &tb.slots[0]
	for i := range int64(10_000) {
		tb.set(i+1, &state{})
	}
	if &tb.slots[0] != slots {
		t.Error("the table was rebuilt while the reserved entries went in")
	}
	st := &state{}
	if n := testing.AllocsPerRun(10, func() {
		var tb intTable
		tb.reserve(1000)
		for i := range int64(1000) {
			tb.set(i, st)
		}
	}); n != 1 {
		t.Errorf("1,000 reserved sets took %v allocations, want 1", n)
	}
}

// TestIntNumsAgreesWithAMap adds and looks up keys in an intNums and a Go
// map side by side, from a table sized for a few keys that grows many
// times.
func TestIntNumsAgreesWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	tb := newIntNums(2)
	model := map[int64]int32{}
	keys := []int64{0, -1, math.MinInt64, math.MaxInt64}
	for i := range int64(3000) {
		keys = append(keys, i*5-4000)
	}
	for step := range 8000 {
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(2) == 0 {
			next := int32(len(model))
			got, isNew := tb.add(k, next)
			want, had := model[k]
			if !had {
				model[k], want = next, next
			}
			if got != want || isNew == had {
				t.Fatalf("step %d: add(%d) = %d, %v; want %d, %v", step, k, got, isNew, want, !had)
			}
			continue
		}
		got, ok := tb.get(k)
		want, had := model[k]
		if got != want || ok != had {
			t.Fatalf("step %d: get(%d) = %d, %v; want %d, %v", step, k, got, ok, want, had)
		}
	}
	if tb.n != len(model) || 4*tb.n > 3*len(tb.slots) {
		t.Fatalf("%d keys in %d slots, want %d at most three quarters full", tb.n, len(tb.slots), len(model))
	}
}

// TestIntHomeKeepsRunsTogetherAndSpreadsPatterns checks the integer
// tables' hash: four consecutive keys from a multiple of four have four
// consecutive homes (one cache line of slots), and keys that share their
// low bits (multiples of 4, 64, 1024 and 2^32) still spread over the
// table, so that no lookup probes far.
func TestIntHomeKeepsRunsTogetherAndSpreadsPatterns(t *testing.T) {
	const shift = 64 - 14 // 16,384 slots
	for _, k := range []int64{0, 4, 1 << 20, -8, 4 * 12345} {
		h := intHome(k, shift)
		for d := range int64(4) {
			if got := intHome(k+d, shift); got != h+int(d) {
				t.Errorf("intHome(%d) = %d, want %d (after intHome(%d) = %d)", k+d, got, h+int(d), k, h)
			}
		}
	}
	for _, stride := range []int64{1, 4, 64, 1024, 1 << 32} {
		var tb intTable
		tb.reserve(10_000)
		longest := 0
		for i := range int64(10_000) {
			k := (i + 1) * stride
			probes := 0
			for j := tb.home(k); tb.slots[j].st != nil; j = (j + 1) & (len(tb.slots) - 1) {
				probes++
			}
			longest = max(longest, probes)
			tb.set(k, &state{})
		}
		if longest > 64 {
			t.Errorf("keys %d apart: an insertion probed %d slots", stride, longest)
		}
	}
}
