package orm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// Pair has a composite key of two strings: ("a","bc") and ("ab","c") are
// two rows.
type Pair struct {
	A       string    `db:"a,pk,size:10"`
	B       string    `db:"b,pk,size:10"`
	Val     string    `db:"val,size:20"`
	Created time.Time `db:"created,default:now"` // read back after INSERT, matched by key
	Version int32     `db:"version,version"`
}

func TestCompositeStringKeysAreDistinctIdentities(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Pair](reg) })
		s := f.New()
		defer s.Close(ctx)
		p1 := &Pair{A: "a", B: "bc", Val: "first"}
		p2 := &Pair{A: "ab", B: "c", Val: "second"}
		p3 := &Pair{A: "1", B: "23", Val: "third"}
		p4 := &Pair{A: "12", B: "3", Val: "fourth"}
		for _, p := range []*Pair{p1, p2, p3, p4} {
			if err := s.Add(p); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		for _, p := range []*Pair{p1, p2, p3, p4} {
			if p.Created.IsZero() {
				t.Errorf("%s/%s: server default not read back into its own object", p.A, p.B)
			}
			got, err := orm.Get[Pair](ctx, s, p.A, p.B)
			if err != nil || got != p {
				t.Fatalf("Get(%q, %q) = %+v, want the object added with that key (%+v)", p.A, p.B, got, p)
			}
		}
		// A change to each object is written to its own row: none is
		// displaced from the identity map.
		p1.Val, p2.Val, p3.Val, p4.Val = "first'", "second'", "third'", "fourth'"
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		fresh := f.New()
		defer fresh.Close(ctx)
		for _, p := range []*Pair{p1, p2, p3, p4} {
			got, err := orm.Get[Pair](ctx, fresh, p.A, p.B)
			if err != nil {
				t.Fatal(err)
			}
			if got.Val != p.Val || got.Version != 2 {
				t.Errorf("row (%q, %q) holds %q version %d, want %q version 2", p.A, p.B, got.Val, got.Version, p.Val)
			}
		}
		// Deleting two of them deletes exactly those rows.
		if err := s.Delete(p1); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(p4); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := orm.Select[Pair](f.New()).Count(ctx)
		if err != nil || n != 2 {
			t.Fatalf("%d rows left (%v), want 2", n, err)
		}
	})
}

func TestRegisterRefusesKeysGoCannotCompare(t *testing.T) {
	type PtrKey struct {
		ID *int64 `db:"id,pk"`
	}
	type SliceKey struct {
		ID   []byte `db:"id,pk"`
		Name string `db:"name"`
	}
	for name, reg := range map[string]func(*orm.Registry) error{
		"pointer": func(r *orm.Registry) error { _, err := orm.Register[PtrKey](r); return err },
		"slice":   func(r *orm.Registry) error { _, err := orm.Register[SliceKey](r); return err },
	} {
		err := reg(orm.NewRegistry())
		var me *orm.ModelError
		if !errors.As(err, &me) || me.Field != "ID" {
			t.Errorf("%s key: Register returned %v, want a *ModelError naming field ID", name, err)
		}
	}
}
