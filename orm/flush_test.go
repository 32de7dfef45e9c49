package orm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// commitNotes adds n notes titled prefix0..prefixN-1 and commits them.
func commitNotes(t *testing.T, s *orm.Session, prefix string, n int) []*Note {
	t.Helper()
	var out []*Note
	for i := range n {
		x := &Note{Title: fmt.Sprintf("%s%d", prefix, i)}
		if err := s.Add(x); err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	if err := s.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out
}

func countRows(t *testing.T, f *orm.Factory, table string) int {
	t.Helper()
	var n int
	if err := f.DB().QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFlushGroupsUpdatesByColumnSet(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		notes := commitNotes(t, s, "n", 300)
		rec.take("")
		// 200 rows change stars (one column set), 100 change body and stars
		// (another): two UPDATE statements whatever the number of rows.
		for i, n := range notes {
			n.Stars = int32(i + 1)
			if i >= 200 {
				n.Body = fmt.Sprint("body ", i)
			}
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		_, all := rec.take("")
		updates := 0
		for _, q := range all {
			if strings.Contains(q, "UPDATE") {
				updates++
			}
		}
		if updates != 2 {
			t.Errorf("%d UPDATE statements for 300 rows in two column sets, want 2", updates)
		}
		check := f.New()
		defer check.Close(ctx)
		got, err := orm.Select[Note](check).OrderBy(expr.Asc(expr.C("id"))).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range got {
			wantBody := ""
			if i >= 200 {
				wantBody = fmt.Sprint("body ", i)
			}
			if n.Stars != int32(i+1) || n.Body != wantBody || n.Version != 2 || n.Title != notes[i].Title {
				t.Fatalf("row %d after grouped update: %+v", i, *n)
			}
			if notes[i].Version != 2 {
				t.Fatalf("object %d version %d, want 2", i, notes[i].Version)
			}
		}
	})
}

// A batch of UPDATEs or DELETEs in which one row was deleted or changed
// by someone else fails with a StaleDataError naming that row, and writes
// nothing.
func TestFlushStaleRowInBatch(t *testing.T) {
	for _, op := range []string{"update", "delete"} {
		for _, how := range []string{"deleted", "version moved"} {
			t.Run(op+" "+how, func(t *testing.T) {
				testdb.Each(t, func(t *testing.T, tg testdb.Target) {
					ctx := context.Background()
					f, _ := setup(t, tg)
					s := f.New()
					defer s.Close(ctx)
					notes := commitNotes(t, s, "n", 5)
					victim := notes[3]
					other := f.New()
					defer other.Close(ctx)
					theirs, err := orm.Get[Note](ctx, other, victim.ID)
					if err != nil {
						t.Fatal(err)
					}
					if how == "deleted" {
						other.Delete(theirs)
					} else {
						theirs.Body = "theirs"
					}
					if err := other.Commit(ctx); err != nil {
						t.Fatal(err)
					}
					for _, n := range notes {
						if op == "update" {
							n.Stars = 7
						} else {
							s.Delete(n)
						}
					}
					err = s.Flush(ctx)
					var stale *orm.StaleDataError
					if !errors.As(err, &stale) || !errors.Is(err, orm.ErrStaleData) {
						t.Fatalf("flush: %v, want a StaleDataError", err)
					}
					if stale.Op != strings.ToUpper(op) || len(stale.Key) != 1 || stale.Key[0] != victim.ID {
						t.Fatalf("stale error names %s %v, want %s of key %d", stale.Op, stale.Key, strings.ToUpper(op), victim.ID)
					}
					for _, n := range notes {
						if n.Version != 1 {
							t.Fatalf("version of %d moved to %d by a failed flush", n.ID, n.Version)
						}
					}
					check := f.New()
					defer check.Close(ctx)
					for _, n := range notes {
						got, err := orm.Get[Note](ctx, check, n.ID)
						if n == victim && how == "deleted" {
							continue
						}
						if err != nil || got.Stars != 0 {
							t.Fatalf("row %d after the failed flush: %+v %v", n.ID, got, err)
						}
					}
				})
			})
		}
	}
}

// A flush whose third statement violates a constraint leaves no row of
// the first two, restores the objects and leaves the session usable.
func TestFlushFailsAtThirdStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		notes := commitNotes(t, s, "n", 2)
		a, b := notes[0], notes[1]
		rec.take("")
		fresh := &Note{Title: "fresh"}
		s.Add(fresh)      // statement 1: INSERT
		a.Stars = 5       // statement 2: UPDATE of stars
		b.Title = "fresh" // statement 3: UPDATE of title, a duplicate
		err := s.Flush(ctx)
		if !errors.Is(err, sqlerr.ErrIntegrity) {
			t.Fatalf("flush: %v, want an integrity error", err)
		}
		_, all := rec.take("")
		var writes []string
		for _, q := range all {
			if strings.Contains(q, "INSERT") || strings.Contains(q, "UPDATE") {
				writes = append(writes, q)
			}
		}
		if len(writes) != 3 || !strings.Contains(writes[2], "title") {
			t.Fatalf("writes of the failed flush: %q, want INSERT, UPDATE, UPDATE of title", writes)
		}
		if fresh.ID != 0 || s.Status(fresh) != orm.Pending || a.Version != 1 || b.Version != 1 {
			t.Fatalf("objects after the failed flush: fresh %+v (%s), a %+v, b %+v", *fresh, s.Status(fresh), *a, *b)
		}
		if n := countRows(t, f, "note"); n != 2 {
			t.Fatalf("%d rows after the failed flush, want 2", n)
		}
		b.Title = "b"
		if err := s.Commit(ctx); err != nil {
			t.Fatalf("commit after fixing: %v", err)
		}
		if fresh.ID == 0 || a.Version != 2 || b.Version != 2 || countRows(t, f, "note") != 3 {
			t.Fatalf("after the retried commit: fresh %+v a %+v b %+v", *fresh, *a, *b)
		}
	})
}

// A Commit with no open transaction whose flush is a single statement
// sends just that statement: it is atomic on its own.
func TestCommitOfOneStatementNeedsNoTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		n := &Note{Title: "one"}
		s.Add(n)
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if _, all := rec.take(""); len(all) != 1 || !strings.HasPrefix(all[0], "INSERT") {
			t.Fatalf("commit of one insert sent %q", all)
		}
		n.Stars = 3
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if _, all := rec.take(""); len(all) != 1 || !strings.HasPrefix(all[0], "UPDATE") || n.Version != 2 {
			t.Fatalf("commit of one update sent %q (version %d)", all, n.Version)
		}
		// failing alone: nothing written, the object restored, the session usable
		dup := &Note{Title: "one"}
		s.Add(dup)
		if err := s.Commit(ctx); !errors.Is(err, sqlerr.ErrIntegrity) {
			t.Fatalf("duplicate: %v", err)
		}
		if dup.ID != 0 || s.Status(dup) != orm.Pending {
			t.Fatalf("after the failed commit: %+v %s", *dup, s.Status(dup))
		}
		dup.Title = "two"
		if err := s.Commit(ctx); err != nil || dup.ID == 0 {
			t.Fatalf("retry: %v %+v", err, *dup)
		}
		// two statements: a transaction
		rec.take("")
		n.Stars, dup.Body = 4, "x"
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if _, all := rec.take(""); len(all) != 4 || all[0] != "BEGIN" || all[3] != "COMMIT" {
			t.Fatalf("commit of two updates sent %q", all)
		}
	})
}

// Category is a self-referential tree with keys chosen by the client.
type Category struct {
	ID       int64  `db:"id,pk,noautoincrement"`
	ParentID *int64 `db:"parent_id,fk:category.id"`
	Name     string `db:"name"`
}

func setupTree(t *testing.T, tg testdb.Target) (*orm.Factory, *recorder) {
	t.Helper()
	return openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Category](reg) })
}

func ptr[T any](v T) *T { return &v }

// Rows of a self-referential table are inserted parents first and deleted
// children first, whatever order they were added in: MariaDB checks
// foreign keys row by row.
func TestFlushOrdersSelfReferentialRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setupTree(t, tg)
		s := f.New()
		defer s.Close(ctx)
		// added leaves first: 1 <- 2 <- 3, 1 <- 4, 5 alone
		tree := []*Category{
			{ID: 3, ParentID: ptr[int64](2), Name: "leaf"},
			{ID: 4, ParentID: ptr[int64](1), Name: "leaf2"},
			{ID: 2, ParentID: ptr[int64](1), Name: "mid"},
			{ID: 1, Name: "root"},
			{ID: 5, Name: "alone"},
		}
		for _, c := range tree {
			s.Add(c)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := rec.take("INSERT"); n != 3 {
			t.Errorf("%d INSERTs for three levels, want 3", n)
		}
		if n := countRows(t, f, "category"); n != 5 {
			t.Fatalf("%d rows", n)
		}
		for _, c := range tree {
			s.Delete(c)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := rec.take("DELETE"); n != 3 {
			t.Errorf("%d DELETEs for three levels, want 3", n)
		}
		if n := countRows(t, f, "category"); n != 0 {
			t.Fatalf("%d rows left", n)
		}
		// rows referencing each other cannot be ordered: a clear error
		a := &Category{ID: 10, ParentID: ptr[int64](11)}
		b := &Category{ID: 11, ParentID: ptr[int64](10)}
		s.Add(a)
		s.Add(b)
		if err := s.Flush(ctx); err == nil || !strings.Contains(err.Error(), "cycle") {
			t.Fatalf("cycle: %v", err)
		}
	})
}

func TestFlushHooks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		base, _ := setup(t, tg)
		var seen []string
		var inner *orm.Session
		audit := func(next orm.FlushFunc) orm.FlushFunc {
			return func(ctx context.Context, cs *orm.ChangeSet) error {
				seen = append(seen, fmt.Sprintf("before %d/%d/%d", len(cs.Inserts()), len(cs.Updates()), len(cs.Deletes())))
				// the session refuses re-entry from a hook
				if _, err := orm.Get[Note](ctx, inner, int64(1)); !errors.Is(err, orm.ErrConcurrentUse) {
					seen = append(seen, fmt.Sprint("re-entry allowed: ", err))
				}
				err := next(ctx, cs)
				for _, o := range cs.Inserts() {
					seen = append(seen, fmt.Sprintf("after id %d", o.(*Note).ID))
				}
				return err
			}
		}
		f := orm.NewFactory(base.DB(), base.Registry(),
			orm.WithFlushHook(audit),
			orm.BeforeInsert(func(ctx context.Context, n *Note) error {
				if n.Title == "forbidden" {
					return errors.New("no")
				}
				n.Body = "stamped " + n.Title
				return nil
			}),
			orm.BeforeUpdate(func(ctx context.Context, n *Note) error {
				n.Body += " (edited)"
				return nil
			}))
		s := f.New()
		inner = s
		defer s.Close(ctx)
		n := &Note{Title: "a"}
		s.Add(n)
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n.Body != "stamped a" {
			t.Fatalf("BeforeInsert: body %q", n.Body)
		}
		n.Stars = 2
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check := f.New()
		defer check.Close(ctx)
		got, err := orm.Get[Note](ctx, check, n.ID)
		if err != nil || got.Body != "stamped a (edited)" || got.Stars != 2 {
			t.Fatalf("BeforeUpdate: %+v %v", got, err)
		}
		want := []string{"before 1/0/0", fmt.Sprint("after id ", n.ID), "before 0/1/0"}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("flush hook saw %q, want %q", seen, want)
		}
		// A hook's error aborts the flush and undoes what hooks changed.
		ok, bad := &Note{Title: "ok"}, &Note{Title: "forbidden"}
		s.Add(ok)
		s.Add(bad)
		err = s.Flush(ctx)
		var he *orm.HookError
		if !errors.As(err, &he) || he.Hook != "BeforeInsert" || he.Object != bad {
			t.Fatalf("hook error: %v", err)
		}
		if ok.Body != "" || ok.ID != 0 || countRows(t, f, "note") != 1 {
			t.Fatalf("after a hook error: %+v", *ok)
		}
	})
}
