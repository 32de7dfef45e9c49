package orm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// UpdateByKey writes an object's row by its key in one UPDATE, checking
// and incrementing the version; a missing row or another version is
// stale data, and the object is left as it was.
func TestUpdateByKeyWritesOneRowWithoutLoading(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		ns := seed(t, ctx, f, 2)

		s := f.New()
		defer s.Close(ctx)
		// what a handler received: the whole object, version included
		n := *ns[0]
		n.Title, n.Body, n.Stars = "renamed", "new body", 4
		rec.take("")
		if err := orm.UpdateByKey(ctx, s, &n); err != nil {
			t.Fatal(err)
		}
		if c, all := rec.take(""); c != 1 || len(all) != 1 {
			t.Fatalf("statements: %v, want one UPDATE", all)
		}
		if n.Version != 2 || s.Status(&n) != orm.Transient {
			t.Fatalf("after UpdateByKey: version %d, %s", n.Version, s.Status(&n))
		}
		// only the named fields
		only := n
		only.Title, only.Body = "title only", "not written"
		if err := orm.UpdateByKey(ctx, s, &only, "Title"); err != nil {
			t.Fatal(err)
		}
		check := f.New()
		defer check.Close(ctx)
		got, err := orm.Get[Note](ctx, check, n.ID)
		if err != nil || got.Title != "title only" || got.Body != "new body" || got.Stars != 4 || got.Version != 3 {
			t.Fatalf("row: %+v %v", got, err)
		}
		// a stale version: nothing written, the object as it was
		stale := n // version 2, the row has 3
		stale.Body = "lost update"
		err = orm.UpdateByKey(ctx, s, &stale)
		var se *orm.StaleDataError
		if !errors.As(err, &se) || stale.Version != 2 {
			t.Fatalf("stale version: %v, version %d", err, stale.Version)
		}
		// a missing row is never inserted
		gone := Note{ID: ns[1].ID + 1000, Title: "ghost", Version: 1}
		if err := orm.UpdateByKey(ctx, s, &gone); !errors.As(err, &se) {
			t.Fatalf("missing row: %v", err)
		}
		if c, err := orm.Select[Note](check).Count(ctx); err != nil || c != 2 {
			t.Fatalf("%d rows (%v)", c, err)
		}
		// the session's own object for the row: refused
		held, _ := orm.Get[Note](ctx, s, ns[1].ID)
		other := *held
		if err := orm.UpdateByKey(ctx, s, &other); err == nil {
			t.Fatal("UpdateByKey over a held object's row: no error")
		}
		// in an open transaction it rolls back with it
		tx := f.New()
		defer tx.Close(ctx)
		if err := tx.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		again, _ := orm.Get[Note](ctx, check, n.ID)
		upd := *again
		upd.Title = "rolled back"
		if err := orm.UpdateByKey(ctx, tx, &upd); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		fresh := f.New()
		defer fresh.Close(ctx)
		if got, _ := orm.Get[Note](ctx, fresh, n.ID); got.Title != "title only" {
			t.Fatalf("after rollback: %q", got.Title)
		}
	})
}
