package orm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// A read-only session reads and refuses to write before any SQL; with a
// router its reads go to the replica.
func TestReadOnlySessionRefusesWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		w := f.New()
		defer w.Close(ctx)
		notes := commitNotes(t, w, "n", 2)
		ro := f.NewReadOnly()
		defer ro.Close(ctx)
		got, err := orm.Get[Note](ctx, ro, notes[0].ID)
		must(t, err)
		got.Body = "changed"
		must(t, ro.Add(&Note{Title: "new"}))
		rec.take("")
		err = ro.Commit(ctx)
		var re *sqlerr.ReadOnlyError
		if !errors.As(err, &re) || !errors.Is(err, sqlerr.ErrReadOnly) {
			t.Fatalf("commit of a read-only session: %v, want a ReadOnlyError", err)
		}
		if _, all := rec.take(""); len(all) != 0 {
			t.Fatalf("the refused flush sent %q", all)
		}
		// reads go on
		if n, err := orm.Select[Note](ro).Count(ctx); err != nil || n != 2 {
			t.Fatalf("count in the read-only session: %d %v", n, err)
		}
	})
}

// With a router, a read-only session reads from the replica, and after a
// write session commits, read-your-writes makes the row visible to it.
func TestRoutedSessionsReadYourWrites(t *testing.T) {
	ptg, rtg := testdb.PGReplica(t)
	ctx := context.Background()
	primary, err := engine.Open(ctx, ptg.Dialect, ptg.DSN)
	must(t, err)
	defer primary.Close()
	replica, err := engine.Open(ctx, rtg.Dialect, rtg.DSN)
	must(t, err)
	defer replica.Close()
	r, err := engine.NewRouter(primary, []*engine.DB{replica}, engine.WithReadYourWrites(engine.RYW{WaitReplay: 5 * time.Second}))
	must(t, err)
	reg := orm.NewRegistry()
	orm.MustRegister[Note](reg)
	must(t, engine.CreateAll(ctx, primary, reg.MetaData()))
	f := orm.NewFactory(primary, reg, orm.WithRouter(r))
	for i := range 20 {
		w := f.New()
		n := &Note{Title: "n" + strings.Repeat("x", i)}
		must(t, w.Add(n))
		must(t, w.Commit(ctx))
		must(t, w.Close(ctx))
		ro := f.NewReadOnly()
		got, err := orm.Get[Note](ctx, ro, n.ID)
		if err != nil || got.Title != n.Title {
			t.Fatalf("read %d after the commit: %+v %v (read-your-writes missed it)", i, got, err)
		}
		must(t, ro.Close(ctx))
	}
}
