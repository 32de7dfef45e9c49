package orm

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/expr"
)

type hotCacheRow struct {
	ID int64 `db:"id,pk"`
	A  int32
	B  string
	C  bool
	D  int64
	E  string
	F  float64
}

// A mapper's statement and INSERT shape caches answer from their first
// entries without a lock: every look-up gets its own key's entry, before
// the hot slots fill, after, and for keys that never got a slot.
func TestHotCachesAnswerEachKeyWithItsOwnEntry(t *testing.T) {
	m, err := Register[hotCacheRow](NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	// more shapes than hot slots, asked in two rounds: the first makes
	// them, the second finds them (the last ones only in the map)
	masks := []uint64{0, 1, 3, 2, 5, 1 << 6, 0b1010101}
	for round := range 2 {
		for _, mask := range masks {
			cols, fetch := m.insertShape(mask)
			var wantCols, wantFetch []*Field
			for i, f := range m.Fields {
				if mask&(1<<i) != 0 {
					wantFetch = append(wantFetch, f)
				} else {
					wantCols = append(wantCols, f)
				}
			}
			if !slices.Equal(cols, wantCols) || !slices.Equal(fetch, wantFetch) {
				t.Fatalf("round %d: insertShape(%b) = %v / %v, want %v / %v", round, mask, names(cols), names(fetch), names(wantCols), names(wantFetch))
			}
		}
	}

	d := sqlitedialect.New()
	keys := []stmtKey{
		{dialect: "sqlite", kind: stmtInsert, cols: 1},
		{dialect: "sqlite", kind: stmtInsert, cols: 1, ret: 2},
		{dialect: "sqlite", kind: stmtUpdate, cols: 1},
		{dialect: "sqlite", kind: stmtUpdate, cols: 1, version: true},
		{dialect: "postgres", kind: stmtInsert, cols: 1},
		{dialect: "sqlite", kind: stmtInsert, cols: 3},
		{dialect: "sqlite", kind: stmtInsert, cols: 7},
	}
	// each key's statement names its position, so a wrong entry shows
	sqlOf := func(i int) string {
		q, _, err := expr.Build(d, expr.Select(expr.Raw(fmt.Sprint(i))))
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	for i, k := range keys {
		if _, ok := m.lookupSQL(k); ok {
			t.Fatalf("key %d found before it was made", i)
		}
		q, err := m.cachedSQL(d, k, nil, func() expr.Statement { return expr.Select(expr.Raw(fmt.Sprint(i))) })
		if err != nil || q != sqlOf(i) {
			t.Fatalf("cachedSQL of key %d = %q, %v", i, q, err)
		}
	}
	for round := range 2 {
		for i, k := range keys {
			if q, ok := m.lookupSQL(k); !ok || q != sqlOf(i) {
				t.Fatalf("round %d: lookupSQL of key %d = %q, %v; want %q", round, i, q, ok, sqlOf(i))
			}
		}
	}
	if _, ok := m.lookupSQL(stmtKey{dialect: "sqlite", kind: stmtInsert, cols: 15}); ok {
		t.Fatal("a key never made was found")
	}
}

func names(fs []*Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// The registry's look-up by an interface's type word finds the mapper of
// a *T alone, with the object's address; every other value (T itself, a
// **T, a nil *T, an unregistered type) is left to the reflect path.
func TestMapperOfFindsPointersToRegisteredStructsOnly(t *testing.T) {
	r := NewRegistry()
	m, err := Register[hotCacheRow](r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Register[handOutRow](r); err != nil {
		t.Fatal(err)
	}
	row := &hotCacheRow{ID: 7}
	got, ptr := r.mapperOf(row)
	if got != m || ptr != unsafe.Pointer(row) {
		t.Fatalf("mapperOf(*hotCacheRow) = %v, %p; want %v, %p", got, ptr, m, row)
	}
	if got, _ := r.mapperOf(&handOutRow{}); got == nil || got == m || got.Type != reflect.TypeFor[handOutRow]() {
		t.Fatalf("mapperOf(*handOutRow) = %v", got)
	}
	var nilRow *hotCacheRow
	if _, ptr := r.mapperOf(nilRow); ptr != nil {
		t.Fatal("a nil *T has an address")
	}
	for _, v := range []any{*row, &row, nil, 7, &struct{ ID int64 }{}} {
		if got, _ := r.mapperOf(v); got != nil {
			t.Fatalf("mapperOf(%T) = %v, want nil", v, got)
		}
	}
	if got, _ := NewRegistry().mapperOf(row); got != nil {
		t.Fatal("an empty registry found a mapper")
	}
}
