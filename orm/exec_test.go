package orm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// A statement run through the session shares its transaction with the unit
// of work: it sees the pending objects (flushed first), and a rollback
// undoes both.
func TestSessionExecSharesTheUnitOfWorksTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		notes := expr.T("note")

		s := f.New()
		defer s.Close(ctx)
		a := &Note{Title: "a", Stars: 1}
		if err := s.Add(a); err != nil {
			t.Fatal(err)
		}
		// the UPDATE sees a: it was flushed before the statement
		res, err := s.Exec(ctx, expr.Update(notes).Set("stars", 5).Where(expr.Eq(notes.C("title"), "a")))
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsAffected != 1 {
			t.Fatalf("UPDATE matched %d rows, want the pending note", res.RowsAffected)
		}
		if _, err := s.Exec(ctx, expr.Insert(notes).Columns("title", "body", "stars", "version").Values("b", "", 2, 1)); err != nil {
			t.Fatal(err)
		}
		// a SELECT through the session reads inside the same transaction
		var n int64
		if err := s.QueryRow(ctx, expr.Select(expr.CountAll()).From(notes)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("the session's transaction sees %d notes, want 2", n)
		}
		other := f.New()
		defer other.Close(ctx)
		if c, err := orm.Select[Note](other).Count(ctx); err != nil || c != 0 {
			t.Fatalf("another session sees %d notes (%v) before the commit", c, err)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if c, err := orm.Select[Note](other).Count(ctx); err != nil || c != 0 {
			t.Fatalf("after the rollback %d notes (%v): the statements did not share the transaction", c, err)
		}

		// committed together
		s2 := f.New()
		defer s2.Close(ctx)
		s2.Add(&Note{Title: "c", Stars: 1})
		if _, err := s2.Exec(ctx, expr.Update(notes).Set("stars", 7).Where(expr.Eq(notes.C("title"), "c"))); err != nil {
			t.Fatal(err)
		}
		if err := s2.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := orm.Select[Note](other).FilterBy("Title", "c").One(ctx)
		if err != nil || got.Stars != 7 {
			t.Fatalf("after commit: %+v %v", got, err)
		}

		// RETURNING through Query
		rs, err := s2.Query(ctx, expr.Select(notes.C("title")).From(notes).OrderBy(expr.Asc(notes.C("title"))))
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for rs.Next() {
			var title string
			if err := rs.Scan(&title); err != nil {
				t.Fatal(err)
			}
			titles = append(titles, title)
		}
		if err := rs.Close(); err != nil {
			t.Fatal(err)
		}
		if len(titles) != 1 || titles[0] != "c" {
			t.Fatalf("titles %v", titles)
		}
	})
}

// A read-only session refuses a write statement before sending it, and
// still runs SELECTs.
func TestReadOnlySessionRefusesExec(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		notes := expr.T("note")
		s := f.NewReadOnly()
		defer s.Close(ctx)
		rec.take("")
		_, err := s.Exec(ctx, expr.Delete(notes).All())
		if !errors.Is(err, sqlerr.ErrReadOnly) {
			t.Fatalf("Exec of a DELETE on a read-only session: %v", err)
		}
		if n, all := rec.take(""); n != 0 {
			t.Fatalf("SQL sent: %v", all)
		}
		var n int64
		if err := s.QueryRow(ctx, expr.Select(expr.CountAll()).From(notes)).Scan(&n); err != nil || n != 0 {
			t.Fatalf("SELECT on a read-only session: %d %v", n, err)
		}
	})
}
