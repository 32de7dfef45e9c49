package orm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// recorder is a slog handler keeping the SQL of every logged statement.
type recorder struct {
	mu   sync.Mutex
	stmt []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "sql" {
			r.mu.Lock()
			r.stmt = append(r.stmt, a.Value.String())
			r.mu.Unlock()
		}
		return true
	})
	return nil
}

// count returns how many recorded statements start with prefix, and
// forgets them all.
func (r *recorder) take(prefix string) (n int, all []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.stmt {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	all, r.stmt = r.stmt, nil
	return n, all
}

type Note struct {
	ID      int64     `db:"id,pk"`
	Title   string    `db:"title,size:100,unique"`
	Body    string    `db:"body"`
	Pinned  bool      `db:"pinned,default:true"`
	Stars   int32     `db:"stars"`
	Created time.Time `db:"created,default:now"`
	Version int32     `db:"version,version"`
}

// openModels opens the target with a statement recorder, registers the
// models, creates their tables (dropped when the test ends) and returns a
// session factory; the recorder starts empty.
func openModels(t *testing.T, tg testdb.Target, register func(reg *orm.Registry), opts ...orm.FactoryOption) (*orm.Factory, *recorder) {
	t.Helper()
	ctx := context.Background()
	rec := &recorder{}
	db, err := engine.Open(ctx, tg.Dialect, tg.DSN, engine.WithLogger(slog.New(rec), slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := orm.NewRegistry()
	register(reg)
	if err := reg.Check(); err != nil {
		t.Fatal(err)
	}
	if err := engine.CreateAll(ctx, db, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.DropAll(ctx, db, reg.MetaData()) })
	rec.take("")
	return orm.NewFactory(db, reg, opts...), rec
}

func setup(t *testing.T, tg testdb.Target) (*orm.Factory, *recorder) {
	t.Helper()
	return openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Note](reg) })
}

func TestSessionInsertFetchesGeneratedValues(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		notes := make([]*Note, 1000)
		for i := range notes {
			notes[i] = &Note{Title: fmt.Sprintf("n%04d", i)}
			if i%2 == 1 {
				notes[i].Stars = 5
			}
			if err := s.Add(notes[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		inserts, all := rec.take("INSERT")
		if inserts != 1 {
			t.Errorf("%d INSERT statements for 1000 objects of one shape, want 1", inserts)
		}
		// PostgreSQL: one array parameter per column, whatever the rows
		if tg.Name == "postgres" && !strings.Contains(strings.Join(all, "\n"), "unnest($1::") {
			t.Errorf("PostgreSQL batch insert without unnest: %q", all)
		}
		for i, n := range notes {
			if n.ID != int64(i+1) || !n.Pinned || n.Created.IsZero() {
				t.Fatalf("note %d after flush: id=%d pinned=%v created=%v", i, n.ID, n.Pinned, n.Created)
			}
			if s.Status(n) != orm.Persistent {
				t.Fatalf("status %s", s.Status(n))
			}
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// identity map: the same pointer, without a query
		got, err := orm.Get[Note](ctx, s, int64(7))
		if err != nil || got != notes[6] {
			t.Fatalf("Get returned %p (%v), want the added object %p", got, err, notes[6])
		}
		if n, _ := rec.take("SELECT"); n != 0 {
			t.Errorf("Get of a tracked object ran %d SELECTs", n)
		}
		// a new session loads its own copy
		s2 := f.New()
		defer s2.Close(ctx)
		a, err := orm.Get[Note](ctx, s2, int64(7))
		if err != nil || a == notes[6] || a.Title != "n0006" || !a.Pinned {
			t.Fatalf("second session: %+v %v", a, err)
		}
		b, _ := orm.Get[Note](ctx, s2, int64(7))
		if a != b {
			t.Fatal("two Gets in one session returned two objects")
		}
		if _, err := orm.Get[Note](ctx, s2, int64(99999)); !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("missing row: %v", err)
		}
	})
}

func TestSessionUpdatesOnlyChangedColumnsZeroValuesIncluded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		n := &Note{Title: "a", Body: "text", Stars: 3}
		s.Add(n)
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		rec.take("")
		n.Pinned, n.Stars, n.Body = false, 0, "" // zero values are values
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		updates, all := rec.take("UPDATE")
		if updates != 1 {
			t.Fatalf("%d UPDATEs: %q", updates, all)
		}
		var upd string
		for _, q := range all {
			if strings.HasPrefix(q, "UPDATE") {
				upd = q
			}
		}
		for _, col := range []string{"body", "pinned", "stars", "version"} {
			if !strings.Contains(upd, col) {
				t.Errorf("UPDATE lacks %s: %s", col, upd)
			}
		}
		if strings.Contains(upd, "title") || strings.Contains(upd, "created") {
			t.Errorf("UPDATE writes unchanged columns: %s", upd)
		}
		if n.Version != 2 {
			t.Errorf("version %d after one update, want 2 (1 at insert)", n.Version)
		}
		// nothing changed: nothing written
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if u, _ := rec.take("UPDATE"); u != 0 {
			t.Errorf("an unchanged object was updated")
		}
		fresh := f.New()
		defer fresh.Close(ctx)
		got, err := orm.Get[Note](ctx, fresh, n.ID)
		if err != nil || got.Pinned || got.Stars != 0 || got.Body != "" || got.Version != 2 {
			t.Fatalf("stored %+v %v", got, err)
		}
	})
}

func TestSessionStaleData(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		a, b := &Note{Title: "a"}, &Note{Title: "b"}
		s.Add(a)
		s.Add(b)
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// Someone else deletes a and updates b.
		other := f.New()
		oa, _ := orm.Get[Note](ctx, other, a.ID)
		ob, _ := orm.Get[Note](ctx, other, b.ID)
		other.Delete(oa)
		ob.Body = "theirs"
		if err := other.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		other.Close(ctx)

		a.Body = "late update" // never an insert
		err := s.Commit(ctx)
		var se *orm.StaleDataError
		if !errors.As(err, &se) || se.Op != "UPDATE" || !errors.Is(err, orm.ErrStaleData) {
			t.Fatalf("update of a deleted row: %v", err)
		}
		if a.Version != 1 {
			t.Errorf("failed flush left version %d, want 1", a.Version)
		}
		s.Expunge(a)
		b.Body = "mine" // b's version moved under us
		if err := s.Commit(ctx); !errors.As(err, &se) {
			t.Fatalf("update with an old version: %v", err)
		}
		s.Expunge(b)
		// the failed flushes wrote nothing: one row left, with their body
		check := f.New()
		defer check.Close(ctx)
		got, err := orm.Get[Note](ctx, check, b.ID)
		if err != nil || got.Body != "theirs" {
			t.Fatalf("b = %+v %v", got, err)
		}
		if _, err := orm.Get[Note](ctx, check, a.ID); !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("a came back: %v", err)
		}
	})
}

func TestSessionFailedFlushLeavesNothingAndSessionUsable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		x, y, z := &Note{Title: "x"}, &Note{Title: "y", Stars: 1}, &Note{Title: "x", Stars: 2}
		for _, n := range []*Note{x, y, z} {
			s.Add(n)
		}
		err := s.Flush(ctx)
		if !errors.Is(err, sqlerr.ErrIntegrity) {
			t.Fatalf("duplicate title: %v", err)
		}
		for _, n := range []*Note{x, y, z} {
			if n.ID != 0 || n.Created != (time.Time{}) || s.Status(n) != orm.Pending {
				t.Fatalf("after a failed flush: %+v status %s", n, s.Status(n))
			}
		}
		z.Title = "z"
		if err := s.Commit(ctx); err != nil {
			t.Fatalf("commit after fixing: %v", err)
		}
		check := f.New()
		defer check.Close(ctx)
		for _, n := range []*Note{x, y, z} {
			got, err := orm.Get[Note](ctx, check, n.ID)
			if err != nil || got.Title != n.Title {
				t.Fatalf("%+v: %v", got, err)
			}
		}
	})
}

func TestSessionDeleteBatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		var ns []*Note
		for i := range 50 {
			n := &Note{Title: fmt.Sprint(i)}
			ns = append(ns, n)
			s.Add(n)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		rec.take("")
		for _, n := range ns[:40] {
			s.Delete(n)
			if s.Status(n) != orm.Deleted {
				t.Fatal("not marked deleted")
			}
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// Note has a version column: one DELETE matches every key with
		// its version.
		if d, _ := rec.take("DELETE"); d != 1 {
			t.Fatalf("%d DELETEs for 40 rows, want 1", d)
		}
		if _, err := orm.Get[Note](ctx, s, ns[0].ID); !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("deleted note: %v", err)
		}
	})
}
