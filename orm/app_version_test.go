package orm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// AppDoc's version is the application's: a revision tag it sets itself.
type AppDoc struct {
	ID   int64  `db:"id,pk"`
	Body string `db:"body"`
	Rev  string `db:"rev,version:app,size:40"`
}

// With version:app the UPDATE matches the version loaded and writes the
// one the program set; Strata never computes one.
func TestApplicationManagedVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[AppDoc](reg) })
		s := f.New()
		defer s.Close(ctx)
		d := &AppDoc{Body: "a", Rev: "r1"}
		must(t, s.Add(d))
		must(t, s.Commit(ctx))
		if d.Rev != "r1" {
			t.Fatalf("insert changed the application's version to %q", d.Rev)
		}
		d.Body, d.Rev = "b", "r2"
		rec.take("")
		must(t, s.Commit(ctx))
		got, err := orm.Get[AppDoc](ctx, f.New(), d.ID)
		must(t, err)
		if got.Rev != "r2" || got.Body != "b" {
			t.Fatalf("row after the update: %+v", got)
		}
		// someone else moves the version: our next UPDATE is stale
		other := f.New()
		theirs, err := orm.Get[AppDoc](ctx, other, d.ID)
		must(t, err)
		theirs.Rev, theirs.Body = "x", "theirs"
		must(t, other.Commit(ctx))
		must(t, other.Close(ctx))
		d.Body, d.Rev = "c", "r3"
		var se *orm.StaleDataError
		if err := s.Commit(ctx); !errors.As(err, &se) {
			t.Fatalf("update over a moved application version: %v, want a StaleDataError", err)
		}
		if d.Rev != "r3" {
			t.Fatalf("a failed flush changed the program's version to %q", d.Rev)
		}
		// delete matches the loaded version too
		s2 := f.New()
		defer s2.Close(ctx)
		cur, err := orm.Get[AppDoc](ctx, s2, d.ID)
		must(t, err)
		must(t, s2.Delete(cur))
		must(t, s2.Commit(ctx))
		if countRows(t, f, "app_doc") != 0 {
			t.Fatalf("the delete matched no row")
		}
	})
}
