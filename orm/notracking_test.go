package orm_test

import (
	"context"
	"testing"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// A NoTracking query returns plain copies: the session does not hold them,
// does not return its own objects in their place, and writes nothing when
// they change.
func TestNoTrackingQueryReturnsUntrackedCopies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		ns := seed(t, ctx, f, 300) // more than one slab
		s := f.New()
		defer s.Close(ctx)
		held, err := orm.Get[Note](ctx, s, ns[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		q := orm.Select[Note](s).NoTracking()
		all, err := q.OrderBy(expr.Asc(q.C("ID"))).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 300 {
			t.Fatalf("%d rows", len(all))
		}
		for i, n := range all {
			if n.ID != ns[i].ID || n.Title != ns[i].Title || n.Version != 1 || n.Created.IsZero() {
				t.Fatalf("row %d: %+v, want %+v", i, n, ns[i])
			}
			if st := s.Status(n); st != orm.Transient {
				t.Fatalf("row %d is %s in the session", i, st)
			}
		}
		if all[0] == held {
			t.Fatal("the held object was returned in place of a copy")
		}
		for _, n := range all {
			n.Title += " changed"
		}
		rec.take("")
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n, sent := rec.take("UPDATE"); n != 0 {
			t.Fatalf("changes to untracked copies were written: %v", sent)
		}
		// the identity map still gives the tracked object, once
		if again, _ := orm.Get[Note](ctx, s, ns[0].ID); again != held {
			t.Fatal("Get after a NoTracking query: not the held object")
		}
		one, err := orm.Select[Note](s).NoTracking().FilterBy("Title", ns[5].Title).One(ctx)
		if err != nil || one.ID != ns[5].ID {
			t.Fatalf("One: %+v %v", one, err)
		}
		if _, err := orm.Select[Note](s).NoTracking().With("Nothing").All(ctx); err == nil {
			t.Fatal("NoTracking with With: no error")
		}
	})
}
