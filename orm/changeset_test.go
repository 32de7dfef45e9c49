package orm_test

import (
	"context"
	"slices"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// A flush hook sees each object's changed fields and old values, and the
// flush honours the change set: an update the hook skips is not written
// now, and stays tracked for the next flush.
func TestFlushHookChangeSetIsHonoured(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		type seen struct {
			changed []string
			old     any
		}
		var log []seen
		skipTitle := "skip me"
		hook := func(next orm.FlushFunc) orm.FlushFunc {
			return func(ctx context.Context, cs *orm.ChangeSet) error {
				for _, o := range cs.Updates() {
					n := o.(*Note)
					old, _ := cs.Old(n, "Body")
					log = append(log, seen{changed: cs.Changed(n), old: old})
					if n.Title == skipTitle {
						if err := cs.Skip(n); err != nil {
							return err
						}
					}
				}
				for _, o := range cs.Inserts() {
					if _, ok := cs.Old(o, "Body"); ok {
						t.Errorf("Old of a new object answered")
					}
				}
				return next(ctx, cs)
			}
		}
		f, _ := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Note](reg) }, orm.WithFlushHook(hook))
		s := f.New()
		defer s.Close(ctx)
		a, b := &Note{Title: "a", Body: "a0"}, &Note{Title: skipTitle, Body: "b0"}
		must(t, s.Add(a))
		must(t, s.Add(b))
		must(t, s.Commit(ctx))
		a.Body, b.Body = "a1", "b1"
		must(t, s.Commit(ctx))
		if len(log) != 2 || !slices.Equal(log[0].changed, []string{"Body"}) || (log[0].old != "a0" && log[1].old != "a0") {
			t.Fatalf("hook saw %+v, want Body changed with old values a0 and b0", log)
		}
		row := func(id int64) *Note {
			n, err := orm.Get[Note](ctx, f.New(), id)
			must(t, err)
			return n
		}
		if row(a.ID).Body != "a1" || row(b.ID).Body != "b0" {
			t.Fatalf("rows after a flush skipping b: a %q, b %q", row(a.ID).Body, row(b.ID).Body)
		}
		if b.Version != 1 || b.Body != "b1" {
			t.Fatalf("the skipped object: version %d body %q; want its change kept, not written", b.Version, b.Body)
		}
		// the next flush without the hook's veto writes it
		skipTitle = ""
		must(t, s.Commit(ctx))
		if row(b.ID).Body != "b1" {
			t.Fatalf("the skipped change was not written by the next flush")
		}
		if err := (&orm.ChangeSet{}).Skip(a); err == nil {
			t.Fatalf("Skip of an object outside the change set succeeded")
		}
	})
}
