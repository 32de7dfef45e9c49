package orm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// A Commit of one new object, in a session holding nothing else, sends
// its INSERT alone (autocommitted: no BEGIN, no COMMIT; the key and the
// server defaults come back in it on all three databases), and the object
// ends as any flush leaves it: client default, version, key and server
// defaults set, persistent, in the identity map, its changes tracked. A
// failed INSERT leaves it exactly as it was, pending, and the error says
// the flush was rolled back.
func TestCommitOfOneNewObjectSendsItsInsertAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[Note](reg, orm.Default("Body", func() any { return "draft" }))
		})
		s := f.New()
		defer s.Close(ctx)
		n := &Note{Title: "first"}
		must(t, s.Add(n))
		must(t, s.Commit(ctx))
		_, all := rec.take("")
		if !sameVerbs(all, []string{"INSERT"}) {
			t.Errorf("statements of the commit: %q, want the INSERT alone", all)
		}
		if n.ID == 0 || n.Body != "draft" || n.Version != 1 || !n.Pinned || n.Created.IsZero() {
			t.Fatalf("object after the commit: %+v", n)
		}
		if st := s.Status(n); st != orm.Persistent {
			t.Fatalf("status after the commit: %s", st)
		}
		got, err := orm.Get[Note](ctx, s, n.ID)
		if err != nil || got != n {
			t.Fatalf("Get after the commit: %p, %v; want the object %p", got, err, n)
		}
		if k, _ := rec.take("SELECT"); k != 0 {
			t.Errorf("Get of the committed object ran %d SELECTs", k)
		}
		n.Stars = 3
		must(t, s.Commit(ctx))
		if k, _ := rec.take("UPDATE"); k != 1 || n.Version != 2 {
			t.Errorf("a change after the commit: %d UPDATEs, version %d; want 1 and 2", k, n.Version)
		}

		// the same title again: the unique constraint refuses the row
		s2 := f.New()
		defer s2.Close(ctx)
		dup := &Note{Title: "first", Stars: 1}
		must(t, s2.Add(dup))
		err = s2.Commit(ctx)
		var ie *sqlerr.IntegrityError
		if !errors.As(err, &ie) || ie.Kind != sqlerr.Unique || !strings.Contains(err.Error(), "flush rolled back, session unchanged") {
			t.Fatalf("commit of a duplicate: %v, want a unique violation whose flush was rolled back", err)
		}
		if *dup != (Note{Title: "first", Stars: 1}) {
			t.Fatalf("a failed commit changed the object: %+v", dup)
		}
		if st := s2.Status(dup); st != orm.Pending {
			t.Fatalf("status after a failed commit: %s, want pending", st)
		}
		dup.Title = "second"
		must(t, s2.Commit(ctx))
		if dup.ID == 0 || dup.ID == n.ID || dup.Body != "draft" || dup.Version != 1 {
			t.Fatalf("the object committed again: %+v", dup)
		}
		if c := countRows(t, f, "note"); c != 2 {
			t.Fatalf("%d rows, want 2", c)
		}
	})
}

// sameVerbs reports whether the statements begin with the words in want,
// in order.
func sameVerbs(stmts, want []string) bool {
	if len(stmts) != len(want) {
		return false
	}
	for i, q := range stmts {
		if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), want[i]) {
			return false
		}
	}
	return true
}
