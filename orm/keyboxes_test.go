package orm

import (
	"reflect"
	"testing"
)

// TestKeyBoxesMakeTheValuesGoWouldBox boxes keys of every integer type
// keyBoxes takes and compares them with Go's own boxes of the same
// values: equal as values, the same map key, the same dynamic type and
// value through reflection; and boxing a thousand keys allocates a few
// chunks, not a thousand boxes.
func TestKeyBoxesMakeTheValuesGoWouldBox(t *testing.T) {
	vals := []int64{0, 1, -1, 255, 256, 1000, -129, 127, -128, 32767, -32768, 1<<31 - 1, -1 << 31, 1 << 40, -1 << 62}
	cases := []struct {
		typ  reflect.Type
		fits func(int64) bool
	}{
		{reflect.TypeFor[int64](), func(int64) bool { return true }},
		{reflect.TypeFor[int](), func(int64) bool { return true }},
		{reflect.TypeFor[int32](), func(v int64) bool { return v == int64(int32(v)) }},
		{reflect.TypeFor[int16](), func(v int64) bool { return v == int64(int16(v)) }},
		{reflect.TypeFor[int8](), func(v int64) bool { return v == int64(int8(v)) }},
	}
	for _, c := range cases {
		b := newKeyBoxes(&Field{Type: c.typ})
		seen := map[any]int64{}
		for _, v := range vals {
			if !c.fits(v) {
				continue
			}
			got := b.box(v)
			want := reflect.ValueOf(v).Convert(c.typ).Interface()
			if got != want || reflect.TypeOf(got) != c.typ || reflect.ValueOf(got).Int() != v {
				t.Fatalf("%s: box(%d) = %#v (%T), want %#v", c.typ, v, got, got, want)
			}
			seen[got] = v
			if seen[want] != v {
				t.Fatalf("%s: Go's box of %d does not find the map entry of ours", c.typ, v)
			}
			if _, ok := intKey(&Mapper{intPK: true}, got); !ok {
				t.Fatalf("%s: intKey does not read box(%d)", c.typ, v)
			}
		}
	}
	b := newKeyBoxes(&Field{Type: reflect.TypeFor[int64]()})
	if n := testing.AllocsPerRun(5, func() {
		for v := range int64(1000) {
			_ = b.box(v + 1000)
		}
	}); n > 6 {
		t.Errorf("boxing 1,000 keys made %v allocations, want a few chunks", n)
	}
}
