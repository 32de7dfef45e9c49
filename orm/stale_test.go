package orm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// A Commit whose whole flush is one multi-row UPDATE or DELETE checks the
// rows it matched. When some are stale it must write nothing (it may not
// run alone in autocommit) and name exactly the stale rows.
func TestStaleRowsInOneStatementCommitWriteNothing(t *testing.T) {
	for _, op := range []string{"update", "delete"} {
		t.Run(op, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, tg testdb.Target) {
				ctx := context.Background()
				f, _ := setup(t, tg)
				s := f.New()
				defer s.Close(ctx)
				notes := commitNotes(t, s, "n", 4)
				// Someone else deletes the second and updates the fourth.
				other := f.New()
				gone, err := orm.Get[Note](ctx, other, notes[1].ID)
				must(t, err)
				moved, err := orm.Get[Note](ctx, other, notes[3].ID)
				must(t, err)
				must(t, other.Delete(gone))
				moved.Body = "theirs"
				must(t, other.Commit(ctx))
				must(t, other.Close(ctx))

				for _, n := range notes {
					if op == "update" {
						n.Stars = 9
					} else {
						must(t, s.Delete(n))
					}
				}
				err = s.Commit(ctx)
				var se *orm.StaleDataError
				if !errors.As(err, &se) || se.Op != strings.ToUpper(op) {
					t.Fatalf("commit: %v, want a StaleDataError of %s", err, strings.ToUpper(op))
				}
				want := [][]any{{notes[1].ID}, {notes[3].ID}}
				if se.Unresolved || !slices.EqualFunc(se.Keys, want, slices.Equal) || !slices.Equal(se.Key, want[0]) {
					t.Fatalf("stale error names %v (key %v, unresolved %v), want exactly %v", se.Keys, se.Key, se.Unresolved, want)
				}
				// Nothing was written: the current rows are as they were.
				fresh := f.New()
				defer fresh.Close(ctx)
				for _, i := range []int{0, 2} {
					got, err := orm.Get[Note](ctx, fresh, notes[i].ID)
					if err != nil {
						t.Fatalf("row %d after the failed commit: %v (a stale batch wrote its other rows)", notes[i].ID, err)
					}
					if got.Stars != 0 || got.Version != 1 {
						t.Fatalf("row %d after the failed commit: stars %d version %d, want 0 and 1", got.ID, got.Stars, got.Version)
					}
				}
			})
		})
	}
}

// Deleting a row someone else deleted first is stale data by default, and
// succeeds with IdempotentDeletes; a versioned row whose version moved is
// stale either way.
func TestDeleteOfAGoneRow(t *testing.T) {
	for _, idem := range []bool{false, true} {
		name := "default"
		var opts []orm.FactoryOption
		if idem {
			name, opts = "idempotent", []orm.FactoryOption{orm.IdempotentDeletes()}
		}
		t.Run(name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, tg testdb.Target) {
				ctx := context.Background()
				f, _ := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Note](reg) }, opts...)
				s := f.New()
				defer s.Close(ctx)
				notes := commitNotes(t, s, "n", 3)
				other := f.New()
				gone, err := orm.Get[Note](ctx, other, notes[0].ID)
				must(t, err)
				must(t, other.Delete(gone))
				must(t, other.Commit(ctx))
				must(t, other.Close(ctx))
				// one gone row, one current row
				must(t, s.Delete(notes[0]))
				must(t, s.Delete(notes[1]))
				err = s.Commit(ctx)
				var se *orm.StaleDataError
				if !idem {
					if !errors.As(err, &se) || se.Op != "DELETE" || len(se.Keys) != 1 || se.Key[0] != notes[0].ID {
						t.Fatalf("delete of a gone row: %v, want a StaleDataError naming %d", err, notes[0].ID)
					}
					if countRows(t, f, "note") != 2 {
						t.Fatalf("a stale delete wrote")
					}
					return
				}
				if err != nil {
					t.Fatalf("idempotent delete of a gone row: %v", err)
				}
				if countRows(t, f, "note") != 1 || s.Status(notes[0]) != orm.Detached || s.Status(notes[1]) != orm.Detached {
					t.Fatalf("after the idempotent delete: %d rows, statuses %s %s", countRows(t, f, "note"), s.Status(notes[0]), s.Status(notes[1]))
				}
				// a row whose version moved is stale data all the same
				other = f.New()
				moved, err := orm.Get[Note](ctx, other, notes[2].ID)
				must(t, err)
				moved.Body = "theirs"
				must(t, other.Commit(ctx))
				must(t, other.Close(ctx))
				must(t, s.Delete(notes[2]))
				if err := s.Commit(ctx); !errors.As(err, &se) || se.Key[0] != notes[2].ID {
					t.Fatalf("idempotent delete of a row whose version moved: %v, want a StaleDataError", err)
				}
				if countRows(t, f, "note") != 1 {
					t.Fatalf("the moved row was deleted")
				}
			})
		})
	}
}

// A failed flush says what it left: nothing written, safe to retry.
func TestFailedFlushSaysNothingWritten(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		notes := commitNotes(t, s, "n", 2)
		// a unique violation inside the flush's transaction
		must(t, s.Add(&Note{Title: "n0"}))
		notes[1].Stars = 3
		err := s.Commit(ctx)
		if !errors.Is(err, sqlerr.ErrNothingWritten) || sqlerr.OutcomeOf(err) != sqlerr.NothingWritten {
			t.Fatalf("failed flush: %v (outcome %s), want nothing written", err, sqlerr.OutcomeOf(err))
		}
		var ie *sqlerr.IntegrityError
		if !errors.As(err, &ie) {
			t.Fatalf("the cause is lost: %v", err)
		}
		// a stale single-row update alone in autocommit
		s2 := f.New()
		defer s2.Close(ctx)
		mine, err := orm.Get[Note](ctx, s2, notes[0].ID)
		must(t, err)
		other := f.New()
		theirs, err := orm.Get[Note](ctx, other, notes[0].ID)
		must(t, err)
		theirs.Body = "theirs"
		must(t, other.Commit(ctx))
		must(t, other.Close(ctx))
		mine.Body = "mine"
		err = s2.Commit(ctx)
		if !errors.Is(err, orm.ErrStaleData) || sqlerr.OutcomeOf(err) != sqlerr.NothingWritten {
			t.Fatalf("stale update: %v (outcome %s)", err, sqlerr.OutcomeOf(err))
		}
	})
}
