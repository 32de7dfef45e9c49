package orm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// seed commits n notes titled t000.., stars = i % 5.
func seed(t *testing.T, ctx context.Context, f *orm.Factory, n int) []*Note {
	t.Helper()
	s := f.New()
	defer s.Close(ctx)
	var ns []*Note
	for i := range n {
		x := &Note{Title: fmt.Sprintf("t%03d", i), Stars: int32(i % 5), Body: "b"}
		ns = append(ns, x)
		if err := s.Add(x); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestQueryThroughIdentityMap(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		seed(t, ctx, f, 20)
		s := f.New()
		defer s.Close(ctx)
		rec.take("")

		q := orm.Select[Note](s)
		all, err := q.Where(expr.Eq(q.C("Stars"), 3)).OrderBy(expr.Asc(q.C("title"))).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 || all[0].Title != "t003" || all[3].Title != "t018" {
			t.Fatalf("stars=3: %d rows, first %+v", len(all), all[0])
		}
		if n, stmts := rec.take(""); n != 1 {
			t.Errorf("one query ran %d statements %q (no transaction for reads)", n, stmts)
		}
		// the same rows again: the same pointers, and a local change kept
		all[0].Body = "changed here"
		again, err := orm.Select[Note](s).FilterBy("title", "t003").One(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again != all[0] {
			t.Fatal("a second load returned a second object")
		}
		// autoflush: the query flushed the change before running
		if n, _ := rec.take("UPDATE"); n != 1 {
			t.Errorf("autoflush ran %d UPDATEs, want 1", n)
		}
		if again.Body != "changed here" {
			t.Fatalf("the change was lost: %q", again.Body)
		}
		byGet, err := orm.Get[Note](ctx, s, again.ID)
		if err != nil || byGet != again {
			t.Fatalf("Get after Select: %p %p %v", byGet, again, err)
		}

		// First, One, errors
		first, err := orm.Select[Note](s).OrderBy(expr.Desc(expr.C("title"))).First(ctx)
		if err != nil || first.Title != "t019" {
			t.Fatalf("First: %+v %v", first, err)
		}
		if _, err := orm.Select[Note](s).FilterBy("Title", "nope").First(ctx); !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("First of nothing: %v", err)
		}
		if _, err := orm.Select[Note](s).FilterBy("Stars", 1).One(ctx); !errors.Is(err, orm.ErrMultipleRows) {
			t.Fatalf("One of many: %v", err)
		}
		if _, err := orm.Select[Note](s).FilterBy("Nope", 1).All(ctx); err == nil {
			t.Fatal("unknown field accepted")
		}

		// Count and Exists honour where, limit and offset
		cq := orm.Select[Note](s)
		n, err := cq.Where(expr.Ge(cq.C("stars"), 3)).Count(ctx)
		if err != nil || n != 8 {
			t.Fatalf("Count: %d %v", n, err)
		}
		n, err = orm.Select[Note](s).OrderBy(expr.Asc(expr.C("id"))).Limit(5).Offset(17).Count(ctx)
		if err != nil || n != 3 {
			t.Fatalf("Count with limit/offset: %d %v", n, err)
		}
		ok, err := orm.Select[Note](s).FilterBy("Title", "t010").Exists(ctx)
		if err != nil || !ok {
			t.Fatalf("Exists: %v %v", ok, err)
		}
		ok, err = orm.Select[Note](s).FilterBy("Title", "zzz").Exists(ctx)
		if err != nil || ok {
			t.Fatalf("Exists of nothing: %v %v", ok, err)
		}

		// a pending object is flushed before the query, so it is found
		p := &Note{Title: "pending"}
		s.Add(p)
		got, err := orm.Select[Note](s).FilterBy("title", "pending").One(ctx)
		if err != nil || got != p || p.ID == 0 {
			t.Fatalf("autoflush of a pending object: %v %p %p", err, got, p)
		}
		// a deleted object is flushed too: its row no longer comes back
		s.Delete(p)
		if ok, _ := orm.Select[Note](s).FilterBy("title", "pending").Exists(ctx); ok {
			t.Fatal("deleted object still found")
		}
	})
}

func TestQueryIterationAndJoins(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		seed(t, ctx, f, 50)
		s := f.New()
		defer s.Close(ctx)

		var seen int
		err := orm.Select[Note](s).OrderBy(expr.Asc(expr.C("id"))).Each(ctx, func(n *Note) error {
			seen++
			if s.Status(n) != orm.Transient {
				// Status is refused while the scan holds the session
				return errors.New("session usable inside Each")
			}
			return nil
		})
		if err != nil || seen != 50 {
			t.Fatalf("Each: %d %v", seen, err)
		}
		// using the session inside Each is a typed error
		err = orm.Select[Note](s).Each(ctx, func(n *Note) error {
			_, err := orm.Get[Note](ctx, s, n.ID)
			return err
		})
		var cu *orm.ConcurrentUseError
		if !errors.As(err, &cu) || cu.Op != "Get" || cu.Running != "Query" {
			t.Fatalf("Get inside Each: %v", err)
		}
		// Iter stops early and closes the rows; the session is free after
		seen = 0
		for n, err := range orm.Select[Note](s).OrderBy(expr.Asc(expr.C("id"))).Iter(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			seen++
			if n.Title == "t009" {
				break
			}
		}
		if seen != 10 {
			t.Fatalf("Iter saw %d before break", seen)
		}
		if _, err := orm.Select[Note](s).Count(ctx); err != nil {
			t.Fatalf("session after Iter break: %v", err)
		}

		// a self-join: notes whose stars equal those of t002, other than it
		q := orm.Select[Note](s)
		other := expr.T("note").As("o")
		list, err := q.Join(other, expr.And(expr.Eq(other.C("stars"), q.C("stars")), expr.Eq(other.C("title"), "t002"))).
			Where(expr.Ne(q.C("title"), "t002")).OrderBy(expr.Asc(q.C("id"))).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 9 || list[0].Title != "t007" {
			t.Fatalf("join: %d rows, first %+v", len(list), list[0])
		}
		// FOR UPDATE begins the transaction
		locked, err := orm.Select[Note](s).FilterBy("title", "t001").ForUpdate().One(ctx)
		if err != nil || locked.Stars != 1 {
			t.Fatalf("for update: %+v %v", locked, err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// Summary is an unregistered result type for RawQuery.
type Summary struct {
	Stars int32 `db:"stars"`
	Count int64 `db:"n"`
}

func TestRawQuery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		seed(t, ctx, f, 10)
		s := f.New()
		defer s.Close(ctx)
		tracked, err := orm.Get[Note](ctx, s, int64(4))
		if err != nil {
			t.Fatal(err)
		}
		ns, err := orm.RawQuery[Note](ctx, s, `SELECT * FROM note WHERE stars >= ? ORDER BY id`, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 4 || ns[0] != tracked || s.Status(ns[1]) != orm.Persistent {
			t.Fatalf("raw into a model: %d rows, first %p want %p", len(ns), ns[0], tracked)
		}
		if _, err := orm.RawQuery[Note](ctx, s, `SELECT id, title FROM note`); err == nil {
			t.Fatal("partial row of a model accepted")
		}
		sums, err := orm.RawQuery[Summary](ctx, s, `SELECT stars, COUNT(*) AS n FROM note GROUP BY stars ORDER BY stars`)
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != 5 || sums[3].Stars != 3 || sums[3].Count != 2 {
			t.Fatalf("raw into a result struct: %+v", sums)
		}
		if _, err := orm.RawQuery[Summary](ctx, s, `SELECT stars, title FROM note`); err == nil {
			t.Fatal("a column without a field was accepted")
		}
	})
}

func TestMergeRefreshDetached(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		ns := seed(t, ctx, f, 3)

		// Objects of a closed session are detached, and keep their values.
		old := f.New()
		n0, _ := orm.Get[Note](ctx, old, ns[0].ID)
		old.Close(ctx)
		if old.Status(n0) != orm.Detached {
			t.Fatalf("after Close: %s", old.Status(n0))
		}

		// Merge copies a detached object's state onto the session's object.
		n0.Body = "edited while detached"
		n0.Stars = 0 // it was 0 already: not a change
		s := f.New()
		defer s.Close(ctx)
		rec.take("")
		m, err := orm.Merge(ctx, s, n0)
		if err != nil {
			t.Fatal(err)
		}
		if m == n0 || m.Body != "edited while detached" || s.Status(m) != orm.Persistent || s.Status(n0) != orm.Transient {
			t.Fatalf("merged: %+v (status %s)", m, s.Status(m))
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		_, stmts := rec.take("")
		if !containsPrefix(stmts, `UPDATE`) {
			t.Fatalf("merge wrote nothing: %q", stmts)
		}
		// Merge of an object with no key (or no row) makes a pending copy.
		fresh := &Note{Title: "merged new"}
		mf, err := orm.Merge(ctx, s, fresh)
		if err != nil || mf == fresh || s.Status(mf) != orm.Pending {
			t.Fatalf("merge of a new object: %v %s", err, s.Status(mf))
		}
		// Merge of a stale version is refused (the row is at 2 since the merge).
		n0.Version = 1
		if _, err := orm.Merge(ctx, s, n0); !errors.Is(err, orm.ErrStaleData) {
			t.Fatalf("merge of a stale version: %v", err)
		}

		// Expunge detaches; Add takes it back with its changes tracked.
		n1, _ := orm.Get[Note](ctx, s, ns[1].ID)
		if err := s.Expunge(n1); err != nil || s.Status(n1) != orm.Detached {
			t.Fatalf("expunge: %v %s", err, s.Status(n1))
		}
		n1.Stars = 4
		if err := s.Add(n1); err != nil || s.Status(n1) != orm.Persistent {
			t.Fatalf("re-add: %v %s", err, s.Status(n1))
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}

		// Refresh discards local changes and reads what another session wrote.
		other := f.New()
		o1, _ := orm.Get[Note](ctx, other, ns[1].ID)
		o1.Title = "renamed elsewhere"
		if err := other.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		other.Close(ctx)
		n1.Body = "local, discarded"
		if err := s.Refresh(ctx, n1); err != nil {
			t.Fatal(err)
		}
		if n1.Title != "renamed elsewhere" || n1.Body != "b" || n1.Stars != 4 {
			t.Fatalf("refreshed: %+v", n1)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// committed deletes and rollbacks detach
		s.Delete(n1)
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if s.Status(n1) != orm.Detached {
			t.Fatalf("deleted and committed: %s", s.Status(n1))
		}
		if err := s.Add(n1); err == nil {
			t.Fatal("Add of an object whose row was deleted must ask for Merge")
		}
		n2, _ := orm.Get[Note](ctx, s, ns[2].ID)
		n2.Stars = 3
		s.Flush(ctx)
		s.Rollback(ctx)
		if s.Status(n2) != orm.Detached {
			t.Fatalf("after rollback: %s", s.Status(n2))
		}
		again, _ := orm.Get[Note](ctx, s, ns[2].ID)
		if again == n2 || again.Stars != 2 {
			t.Fatalf("after rollback the row holds %+v", again)
		}
	})
}

func containsPrefix(list []string, p string) bool {
	for _, s := range list {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}
