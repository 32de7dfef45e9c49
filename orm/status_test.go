package orm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

func TestStatusErrAnswersAsStatus(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		s := f.New()
		n, never := &Note{Title: "a"}, &Note{Title: "b"}
		must(t, s.Add(n))
		check := func(obj any, want orm.Status) {
			t.Helper()
			got, err := s.StatusErr(obj)
			if err != nil || got != want || s.Status(obj) != want {
				t.Fatalf("StatusErr %v, %v; Status %v; want %v", got, err, s.Status(obj), want)
			}
		}
		check(n, orm.Pending)
		check(never, orm.Transient)
		must(t, s.Commit(ctx))
		check(n, orm.Persistent)
		must(t, s.Delete(n))
		check(n, orm.Deleted)
		must(t, s.Commit(ctx))
		check(n, orm.Detached)
		must(t, s.Close(ctx))
		check(n, orm.Detached) // a closed session still answers
	})
}

// What a held object reaches through save-update is pending at once, for
// StatusErr as for Status.
func TestStatusErrSeesCascadePending(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerMoves)
		s := f.New()
		defer s.Close(ctx)
		folder := &MvFolder{Name: "f"}
		must(t, s.Add(folder))
		must(t, s.Commit(ctx))
		item := &MvItem{Name: "i"}
		must(t, folder.Items.Append(item))
		if st, err := s.StatusErr(item); st != orm.Pending || err != nil {
			t.Fatalf("StatusErr of an item appended to a held folder: %v, %v; want pending", st, err)
		}
	})
}

func TestStatusErrReportsWhatStatusCannot(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		var s *orm.Session
		var inHook error
		hook := func(next orm.FlushFunc) orm.FlushFunc {
			return func(ctx context.Context, cs *orm.ChangeSet) error {
				st, err := s.StatusErr(cs.Inserts()[0])
				if st != orm.Transient || s.Status(cs.Inserts()[0]) != orm.Transient {
					t.Errorf("status during the flush %v", st)
				}
				inHook = err
				return next(ctx, cs)
			}
		}
		f, _ := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Note](reg) }, orm.WithFlushHook(hook))
		s = f.New()
		defer s.Close(ctx)
		n := &Note{Title: "a"}
		must(t, s.Add(n))
		must(t, s.Flush(ctx))
		wantConcurrentUse(t, inHook, "Status", "Flush")

		type unmapped struct{ ID int64 }
		for _, obj := range []any{*n, (*Note)(nil), nil, 7, &unmapped{}} {
			st, err := s.StatusErr(obj)
			if err == nil || st != orm.Transient || s.Status(obj) != orm.Transient {
				t.Errorf("StatusErr(%#v) = %v, %v; want Transient and an error (Status: Transient)", obj, st, err)
			}
		}
		if _, err := s.StatusErr(&unmapped{}); !errors.Is(err, orm.ErrNotMapped) {
			t.Errorf("unregistered type: %v, want ErrNotMapped", err)
		}
	})
}
