package orm_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// One model per integer type a key may have: a load boxes each kind of
// key its own way (see the loader's keyBoxes).
type IkWide struct {
	ID   int64  `db:"id,pk,noautoincrement"`
	Name string `db:"name"`
}

type IkInt struct {
	ID   int    `db:"id,pk,noautoincrement"`
	Name string `db:"name"`
}

type IkInt32 struct {
	ID   int32  `db:"id,pk,noautoincrement"`
	Name string `db:"name"`
}

type IkInt16 struct {
	ID   int16  `db:"id,pk,noautoincrement"`
	Name string `db:"name"`
}

type IkInt8 struct {
	ID   int8   `db:"id,pk,noautoincrement"`
	Name string `db:"name"`
}

// IkNamed's key is of a named integer type: its identity keys are boxed
// by Go, not by the loader.
type IkCode int64

type IkNamed struct {
	ID   IkCode `db:"id,pk,noautoincrement"`
	Name string `db:"name"`
}

// checkIntKeys seeds rows keyed keys of one model, then proves that loads
// keep one object per row whatever way the identity map holds the keys:
// objects the session held before the load (few: the inline map; more:
// the integer table) come back in place of the rows, with their
// unflushed changes; an object deleted in the session is left out; Get
// finds every loaded object by its key without SQL; a second load
// returns the same objects; a change to a loaded object is written to
// its own row.
func checkIntKeys[T any](t *testing.T, ctx context.Context, f *orm.Factory, rec *recorder, keys []int64,
	newObj func(k int64, name string) *T, key func(*T) int64, name func(*T) *string) {
	t.Helper()
	objs := make([]*T, len(keys))
	for i, k := range keys {
		objs[i] = newObj(k, fmt.Sprintf("row %d", k))
	}
	seed := f.New()
	defer seed.Close(ctx)
	if _, err := orm.InsertMany(ctx, seed, objs); err != nil {
		t.Fatal(err)
	}
	if err := seed.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, held := range []int{2, 40} { // under and over the inline map's size
		checkIntKeysHeld(t, ctx, f, rec, keys, held, key, name)
	}
	s := f.New()
	defer s.Close(ctx)
	all, err := orm.Select[T](s).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k := keys[len(keys)/2]
	for _, o := range all {
		if key(o) == k {
			*name(o) = "written"
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	check := f.New()
	defer check.Close(ctx)
	for _, k2 := range []int64{k, keys[0], keys[len(keys)-1]} {
		o, err := orm.Get[T](ctx, check, k2)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("row %d", k2)
		if k2 == k {
			want = "written"
		}
		if *name(o) != want {
			t.Fatalf("row %d holds %q, want %q", k2, *name(o), want)
		}
	}
}

// checkIntKeysHeld is one round of checkIntKeys, its session holding held
// objects before the load.
func checkIntKeysHeld[T any](t *testing.T, ctx context.Context, f *orm.Factory, rec *recorder, keys []int64, held int,
	key func(*T) int64, name func(*T) *string) {
	t.Helper()
	s := f.New()
	defer s.Close(ctx) // also on failure: no transaction is left holding locks
	got := map[int64]*T{}
	for _, k := range keys[:held] {
		o, err := orm.Get[T](ctx, s, k)
		if err != nil {
			t.Fatal(err)
		}
		*name(o) = "changed in the session"
		got[k] = o
	}
	gone, err := orm.Get[T](ctx, s, keys[held])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(gone); err != nil {
		t.Fatal(err)
	}
	q := orm.Select[T](s)
	all, err := q.OrderBy(expr.Asc(q.C("ID"))).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(keys)-1 {
		t.Fatalf("held %d: loaded %d objects, want %d (one deleted)", held, len(all), len(keys)-1)
	}
	for _, o := range all {
		k := key(o)
		if k == keys[held] {
			t.Fatalf("held %d: the object deleted in the session was loaded", held)
		}
		if h, ok := got[k]; ok {
			if o != h || *name(o) != "changed in the session" {
				t.Fatalf("held %d: key %d: the load returned %p %q, not the held object", held, k, o, *name(o))
			}
			continue
		}
		if *name(o) != fmt.Sprintf("row %d", k) {
			t.Fatalf("held %d: key %d: name %q", held, k, *name(o))
		}
		got[k] = o
	}
	rec.take("")
	for _, k := range keys {
		if k == keys[held] {
			continue
		}
		o, err := orm.Get[T](ctx, s, k)
		if err != nil || o != got[k] {
			t.Fatalf("held %d: Get(%d) = %p, %v; want the loaded object %p", held, k, o, err, got[k])
		}
	}
	if n, sent := rec.take("SELECT"); n != 0 {
		t.Fatalf("held %d: Get of loaded objects sent SQL: %v", held, sent)
	}
	again, err := orm.Select[T](s).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range again {
		if o != got[key(o)] {
			t.Fatalf("held %d: a second load returned a new object for key %d", held, key(o))
		}
	}
	last := got[keys[len(keys)-1]]
	*name(last) = "changed after the load"
	if err := s.Rollback(ctx); err != nil { // nothing of the above is kept
		t.Fatal(err)
	}
}

// TestLoadedIntegerKeysKeepOneObjectPerRow runs checkIntKeys for keys of
// every integer type, with values beyond 255 (which Go boxes with an
// allocation) where the type has them, negative ones, and the type's
// extremes.
func TestLoadedIntegerKeysKeepOneObjectPerRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[IkWide](reg)
			orm.MustRegister[IkInt](reg)
			orm.MustRegister[IkInt32](reg)
			orm.MustRegister[IkInt16](reg)
			orm.MustRegister[IkInt8](reg)
			orm.MustRegister[IkNamed](reg)
		})
		spread := func(lo, hi, step int64) []int64 {
			var ks []int64
			for k := lo; k <= hi-step; k += step {
				ks = append(ks, k)
			}
			return append(ks, hi)
		}
		wide := append(spread(-300, 300, 3), 1<<40, -1<<40, 1<<62)
		t.Run("int64", func(t *testing.T) {
			checkIntKeys(t, ctx, f, rec, wide,
				func(k int64, n string) *IkWide { return &IkWide{ID: k, Name: n} },
				func(o *IkWide) int64 { return o.ID }, func(o *IkWide) *string { return &o.Name })
		})
		t.Run("int", func(t *testing.T) {
			checkIntKeys(t, ctx, f, rec, wide,
				func(k int64, n string) *IkInt { return &IkInt{ID: int(k), Name: n} },
				func(o *IkInt) int64 { return int64(o.ID) }, func(o *IkInt) *string { return &o.Name })
		})
		t.Run("int32", func(t *testing.T) {
			checkIntKeys(t, ctx, f, rec, append(spread(-400, 400, 4), 1<<31-1, -1<<31),
				func(k int64, n string) *IkInt32 { return &IkInt32{ID: int32(k), Name: n} },
				func(o *IkInt32) int64 { return int64(o.ID) }, func(o *IkInt32) *string { return &o.Name })
		})
		t.Run("int16", func(t *testing.T) {
			checkIntKeys(t, ctx, f, rec, append(spread(-500, 500, 5), 1<<15-1, -1<<15),
				func(k int64, n string) *IkInt16 { return &IkInt16{ID: int16(k), Name: n} },
				func(o *IkInt16) int64 { return int64(o.ID) }, func(o *IkInt16) *string { return &o.Name })
		})
		t.Run("int8", func(t *testing.T) {
			checkIntKeys(t, ctx, f, rec, spread(-128, 127, 1),
				func(k int64, n string) *IkInt8 { return &IkInt8{ID: int8(k), Name: n} },
				func(o *IkInt8) int64 { return int64(o.ID) }, func(o *IkInt8) *string { return &o.Name })
		})
		t.Run("named", func(t *testing.T) {
			checkIntKeys(t, ctx, f, rec, wide,
				func(k int64, n string) *IkNamed { return &IkNamed{ID: IkCode(k), Name: n} },
				func(o *IkNamed) int64 { return int64(o.ID) }, func(o *IkNamed) *string { return &o.Name })
		})
	})
}
