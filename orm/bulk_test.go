package orm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

func TestUpdateStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		notes := commitNotes(t, s, "n", 4)

		// a session holding no note: one statement, committed at once
		s1 := f.New()
		defer s1.Close(ctx)
		rec.take("")
		q := orm.UpdateWhere[Note](s1)
		n, err := q.Set("Stars", 5).Where(expr.Eq(q.C("ID"), notes[0].ID)).Exec(ctx)
		if err != nil || n != 1 {
			t.Fatalf("update by key: %d %v", n, err)
		}
		if _, all := rec.take(""); len(all) != 1 || !strings.HasPrefix(all[0], "UPDATE") {
			t.Fatalf("sent %q, want one UPDATE", all)
		}
		other := f.New()
		defer other.Close(ctx)
		if got, _ := orm.Get[Note](ctx, other, notes[0].ID); got.Stars != 5 {
			t.Fatalf("another session sees stars %d", got.Stars)
		}

		// a session holding notes: they come back up to date, not dirty
		s2 := f.New()
		defer s2.Close(ctx)
		held, err := orm.Get[Note](ctx, s2, notes[1].ID)
		must(t, err)
		untouched, err := orm.Get[Note](ctx, s2, notes[3].ID)
		must(t, err)
		held.Body = "flushed first" // autoflush writes it before the UPDATE
		q2 := orm.UpdateWhere[Note](s2)
		n, err = q2.Set("Stars", 7).Where(expr.In(q2.C("ID"), []int64{notes[1].ID, notes[2].ID})).Exec(ctx)
		if err != nil || n != 2 {
			t.Fatalf("update of two: %d %v", n, err)
		}
		if held.Stars != 7 || held.Body != "flushed first" || untouched.Stars != 0 {
			t.Fatalf("held %+v, untouched %+v", *held, *untouched)
		}
		rec.take("")
		must(t, s2.Commit(ctx))
		_, all := rec.take("")
		for _, q := range all {
			if strings.HasPrefix(q, "UPDATE") {
				t.Fatalf("the refreshed object looked dirty: %q", all)
			}
		}
		if got, _ := orm.Get[Note](ctx, f.New(), notes[2].ID); got.Stars != 7 {
			t.Fatalf("row 3 stars %d", got.Stars)
		}
		// refusals
		if _, err := orm.UpdateWhere[Note](s2).Set("Stars", 1).Exec(ctx); err == nil {
			t.Fatal("an UPDATE without WHERE ran")
		}
		if _, err := orm.UpdateWhere[Note](s2).Set("Nope", 1).Where(expr.Eq(expr.C("id"), 1)).Exec(ctx); err == nil || !strings.Contains(err.Error(), "Nope") {
			t.Fatalf("unknown field: %v", err)
		}
		if _, err := orm.UpdateWhere[Note](s2).Where(expr.Eq(expr.C("id"), 1)).Exec(ctx); err == nil {
			t.Fatal("an UPDATE without SET ran")
		}
	})
}

func TestDeleteStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		notes := commitNotes(t, s, "n", 4)

		s1 := f.New()
		defer s1.Close(ctx)
		rec.take("")
		q := orm.DeleteWhere[Note](s1)
		n, err := q.Where(expr.Eq(q.C("ID"), notes[0].ID)).Exec(ctx)
		if err != nil || n != 1 {
			t.Fatalf("delete by key: %d %v", n, err)
		}
		if _, all := rec.take(""); len(all) != 1 || !strings.HasPrefix(all[0], "DELETE") {
			t.Fatalf("sent %q, want one DELETE", all)
		}
		// held objects whose rows go become detached; the others stay
		s2 := f.New()
		defer s2.Close(ctx)
		gone, err := orm.Get[Note](ctx, s2, notes[1].ID)
		must(t, err)
		kept, err := orm.Get[Note](ctx, s2, notes[2].ID)
		must(t, err)
		q2 := orm.DeleteWhere[Note](s2)
		n, err = q2.Where(expr.Eq(q2.C("Title"), gone.Title)).Exec(ctx)
		if err != nil || n != 1 {
			t.Fatalf("delete by title: %d %v", n, err)
		}
		if s2.Status(gone) != orm.Detached || s2.Status(kept) != orm.Persistent {
			t.Fatalf("after the delete: %s %s", s2.Status(gone), s2.Status(kept))
		}
		must(t, s2.Commit(ctx))
		if c := countRows(t, f, "note"); c != 2 {
			t.Fatalf("%d notes left", c)
		}
		if _, err := orm.DeleteWhere[Note](s2).Exec(ctx); err == nil {
			t.Fatal("a DELETE without WHERE ran")
		}
	})
}
