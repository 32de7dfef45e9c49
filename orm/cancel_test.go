package orm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// A flush whose context is cancelled part-way writes nothing, and the
// session goes on: with a fresh context the same objects commit.
func TestCancelledFlush(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		base, _ := setup(t, tg)
		var cancel context.CancelFunc
		f := orm.NewFactory(base.DB(), base.Registry(), orm.WithFlushHook(func(next orm.FlushFunc) orm.FlushFunc {
			return func(ctx context.Context, cs *orm.ChangeSet) error {
				if cancel != nil {
					cancel() // the statements of this flush see a cancelled context
				}
				return next(ctx, cs)
			}
		}))
		s := f.New()
		defer s.Close(context.Background())
		notes := commitNotes(t, s, "n", 3)

		ctx, c := context.WithCancel(context.Background())
		cancel = c
		notes[0].Stars = 1
		added := &Note{Title: "added"}
		must(t, s.Add(added))
		err := s.Commit(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("commit with a cancelled context: %v", err)
		}
		cancel = nil
		if countRows(t, f, "note") != 3 {
			t.Fatalf("%d notes after the cancelled flush", countRows(t, f, "note"))
		}
		if added.ID != 0 || notes[0].Version != 1 {
			t.Fatalf("objects after the cancelled flush: added %d, version %d", added.ID, notes[0].Version)
		}
		if s.Status(added) != orm.Pending || s.Status(notes[0]) != orm.Persistent {
			t.Fatalf("after the cancelled flush: added %s, note %s", s.Status(added), s.Status(notes[0]))
		}
		// the same changes commit with a live context
		must(t, s.Commit(context.Background()))
		if added.ID == 0 || notes[0].Version != 2 || countRows(t, f, "note") != 4 {
			t.Fatalf("after the retry: added %d, version %d, %d notes", added.ID, notes[0].Version, countRows(t, f, "note"))
		}
	})
}
