package orm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

type Rating struct {
	ID      int64          `db:"id,pk"`
	StepID  string         `db:"step_id,size:36,unique"`
	Value   int32          `db:"value"`
	Comment string         `db:"comment"`
	Meta    map[string]any `db:"meta"`
	Created time.Time      `db:"created,default:now"`
	Version int32          `db:"version,version"`
}

func openRatings(t *testing.T, tg testdb.Target) (*orm.Factory, *recorder) {
	return openModels(t, tg, func(reg *orm.Registry) {
		orm.MustRegister[Rating](reg, orm.Check("rating_value", "value BETWEEN -1 AND 1"))
	})
}

// The first upsert inserts: the generated key, the server default and
// the first version come back, and the object is persistent.
func TestUpsertInsertsANewRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openRatings(t, tg)
		s := f.New()
		defer s.Close(ctx)
		r := &Rating{StepID: "s1", Value: 1, Meta: map[string]any{"by": "ann"}}
		got, err := orm.Upsert(ctx, s, r, orm.OnConflict("StepID").DoUpdate("Value", "Comment"))
		if err != nil {
			t.Fatal(err)
		}
		if got != r || r.ID == 0 || r.Version != 1 || r.Created.IsZero() || s.Status(r) != orm.Persistent {
			t.Fatalf("after the inserting upsert: %+v (same object %v, %s)", r, got == r, s.Status(r))
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check := f.New()
		defer check.Close(ctx)
		back, err := orm.Get[Rating](ctx, check, r.ID)
		if err != nil || back.StepID != "s1" || back.Meta["by"] != "ann" {
			t.Fatalf("read back: %+v %v", back, err)
		}
	})
}

// On a conflict the existing row is updated in the chosen fields only:
// same key, created kept, version incremented; the session keeps one
// object for the row.
func TestUpsertUpdatesTheConflictingRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openRatings(t, tg)
		s := f.New()
		defer s.Close(ctx)
		first := &Rating{StepID: "s1", Value: 1, Comment: "good", Meta: map[string]any{"keep": true}}
		if err := s.Add(first); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		created := first.Created

		// another request, another session
		s2 := f.New()
		defer s2.Close(ctx)
		late := &Rating{StepID: "s1", Value: -1, Comment: "changed my mind", Meta: map[string]any{"lost": true}}
		got, err := orm.Upsert(ctx, s2, late, orm.OnConflict("step_id").DoUpdate("Value", "Comment"))
		if err != nil {
			t.Fatal(err)
		}
		if got != late || late.ID != first.ID || late.Value != -1 || late.Comment != "changed my mind" ||
			late.Version != 2 || !late.Created.Equal(created) || late.Meta["keep"] != true || late.Meta["lost"] != nil {
			t.Fatalf("after the updating upsert: %+v (first %+v)", late, first)
		}
		if err := s2.Commit(ctx); err != nil {
			t.Fatal(err)
		}

		// the session holding the row's object: that object is brought up
		// to date and returned; the argument stays transient
		held, err := orm.Get[Rating](ctx, s2, first.ID)
		if err != nil || held != late {
			t.Fatalf("Get after the upsert: %p %v, want the upserted object %p", held, err, late)
		}
		again := &Rating{StepID: "s1", Value: 0, Comment: "neutral"}
		got, err = orm.Upsert(ctx, s2, again, orm.OnConflict("StepID").DoUpdateAll())
		if err != nil {
			t.Fatal(err)
		}
		if got != held || held.Value != 0 || held.Comment != "neutral" || held.Version != 3 ||
			held.Meta != nil || !held.Created.Equal(created) {
			t.Fatalf("held object after DoUpdateAll: %+v", held)
		}
		if s2.Status(again) != orm.Transient || again.ID != held.ID || again.Version != 3 {
			t.Fatalf("the argument: %+v %s", again, s2.Status(again))
		}
		if err := s2.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := orm.Select[Rating](s2).Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("%d rows (%v), want 1", n, err)
		}
	})
}

// DoNothing keeps the existing row, and the object receives its values.
func TestUpsertDoNothingReadsTheExistingRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openRatings(t, tg)
		s := f.New()
		defer s.Close(ctx)
		first := &Rating{StepID: "s1", Value: 1, Comment: "first"}
		if _, err := orm.Upsert(ctx, s, first, orm.OnConflict("StepID").DoNothing()); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s2 := f.New()
		defer s2.Close(ctx)
		second := &Rating{StepID: "s1", Value: -1, Comment: "second"}
		got, err := orm.Upsert(ctx, s2, second, orm.OnConflict("StepID").DoNothing())
		if err != nil {
			t.Fatal(err)
		}
		if got != second || second.ID != first.ID || second.Comment != "first" || second.Value != 1 || second.Version != 1 {
			t.Fatalf("DoNothing on a conflict: %+v", second)
		}
		// the object is tracked: a change is an ordinary versioned UPDATE
		second.Comment = "edited"
		if err := s2.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if second.Version != 2 {
			t.Fatalf("version after an edit: %d", second.Version)
		}
	})
}

// A target that is no unique key, or an update of the key, is refused
// before any SQL.
func TestUpsertRefusesTargetsThatAreNoUniqueKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openRatings(t, tg)
		s := f.New()
		defer s.Close(ctx)
		for name, c := range map[string]orm.Conflict{
			"not unique":       orm.OnConflict("Value").DoUpdate("Comment"),
			"part of no key":   orm.OnConflict("StepID", "Value").DoNothing(),
			"unknown field":    orm.OnConflict("Nope").DoNothing(),
			"no action":        orm.OnConflict("StepID"),
			"updates the key":  orm.OnConflict("StepID").DoUpdate("ID"),
			"generated target": orm.OnConflict("ID").DoNothing(),
		} {
			rec.take("")
			r := &Rating{StepID: "x", Value: 1}
			if _, err := orm.Upsert(ctx, s, r, c); err == nil {
				t.Errorf("%s: no error", name)
			}
			if n, all := rec.take(""); n != 0 {
				t.Errorf("%s: SQL sent: %v", name, all)
			}
			if s.Status(r) != orm.Transient || r.Version != 0 {
				t.Errorf("%s: the object changed: %+v %s", name, r, s.Status(r))
			}
		}
		persistent := &Rating{StepID: "p", Value: 1}
		s.Add(persistent)
		if _, err := orm.Upsert(ctx, s, persistent, orm.OnConflict("StepID").DoNothing()); err == nil {
			t.Error("Upsert of an object the session holds: no error")
		}
	})
}

// A failed upsert rolls back to a savepoint: the transaction's earlier
// work survives, the object is unchanged, and the error says nothing was
// written.
func TestFailedUpsertLeavesTheTransactionsWork(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openRatings(t, tg)
		s := f.New()
		defer s.Close(ctx)
		kept := &Rating{StepID: "kept", Value: 1}
		s.Add(kept)
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		bad := &Rating{StepID: "bad", Value: 5} // violates the CHECK
		_, err := orm.Upsert(ctx, s, bad, orm.OnConflict("StepID").DoUpdate("Value"))
		if err == nil {
			t.Fatal("the CHECK violation passed")
		}
		if sqlerr.OutcomeOf(err) != sqlerr.NothingWritten || !errors.Is(err, sqlerr.ErrIntegrity) {
			t.Fatalf("error %v: outcome %v", err, sqlerr.OutcomeOf(err))
		}
		if bad.ID != 0 || bad.Version != 0 || !bad.Created.IsZero() || s.Status(bad) != orm.Transient {
			t.Fatalf("the failed object changed: %+v %s", bad, s.Status(bad))
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check := f.New()
		defer check.Close(ctx)
		if n, err := orm.Select[Rating](check).Count(ctx); err != nil || n != 1 {
			t.Fatalf("%d rows (%v), want the flushed one", n, err)
		}
	})
}
