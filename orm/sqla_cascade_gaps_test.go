//go:build uowgaps

package orm_test

// SQLAlchemy test_cascade.py scenarios that fail on Strata today. Each test
// says what SQLAlchemy does, what Strata does now, and the semantic it
// needs. Run with: go test -tags uowgaps ./orm/

import (
	"context"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// M2OCascadeDeleteOrphanTestOne.test_cascade_on_deleted and
// M2OCascadeDeleteNoOrphanTest.test_cascade_delete with the references not
// loaded (SQLAlchemy loads them lazily during the flush).
//
// SQLAlchemy: deleting the head of a many-to-one chain with delete cascades
// deletes every level, loading what it needs.
// Strata today: the first level is found, the second fails: "orm: deleting
// a ScPref cascades to ScPref.Theme, which is not loaded and not keyed by
// the parent's primary key: load it first" (the same for ScBody.Tail).
// Needs: a delete cascade through an unloaded many-to-one reads the target
// keys from the foreign-key column of the rows being deleted (read level by
// level like one-to-many), at every level.
func TestCascadeDeleteThroughUnloadedManyToOneChain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSc)
		t.Run("delete-orphan chain", func(t *testing.T) {
			s0 := f.New()
			a := &ScAccount{Name: "a", Pref: orm.RefTo(&ScPref{Data: "p", Theme: orm.RefTo(&ScTheme{Data: "t"})})}
			must(t, s0.Add(a))
			must(t, s0.Commit(ctx))
			must(t, s0.Close(ctx))
			s := f.New()
			defer s.Close(ctx)
			got, err := orm.Get[ScAccount](ctx, s, a.ID)
			must(t, err)
			must(t, s.Delete(got))
			must(t, s.Commit(ctx))
			wantStatus(t, s, orm.Detached, got)
			wantCounts(t, f, "sc_account", 0, "sc_pref", 0, "sc_theme", 0)
		})
		t.Run("delete chain", func(t *testing.T) {
			s0 := f.New()
			h := &ScHead{Data: "h", Body: orm.RefTo(&ScBody{Data: "b", Tail: orm.RefTo(&ScTail{Data: "t"})})}
			must(t, s0.Add(h))
			must(t, s0.Commit(ctx))
			must(t, s0.Close(ctx))
			s := f.New()
			defer s.Close(ctx)
			got, err := orm.Get[ScHead](ctx, s, h.ID)
			must(t, err)
			must(t, s.Delete(got))
			must(t, s.Commit(ctx))
			wantCounts(t, f, "sc_head", 0, "sc_body", 0, "sc_tail", 0)
		})
	})
}
