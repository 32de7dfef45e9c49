//go:build uowgaps

package orm_test

// SQLAlchemy test_cycles.py scenarios that fail on Strata today.

import (
	"context"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// PostUpdateBatchingTest.test_one.
//
// SQLAlchemy: the three post_update references of one row are set by one
// UPDATE (SET c1_id, c2_id, c3_id), and cleared by one UPDATE before the
// row is deleted.
// Strata today: one UPDATE per reference: "3 UPDATEs for three
// post_update references of one row, want 1" (UPDATE scy_hub SET c1_id
// ..., then c2_id, then c3_id).
// Needs: the post_update step groups the columns of one row into one
// UPDATE (and rows with the same column set into one batch), on insert and
// on delete.
func TestCyclePostUpdatesOfOneRowBatched(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerScy)
		s := f.New()
		defer s.Close(ctx)
		c1, c2, c3 := &ScyC1{}, &ScyC2{}, &ScyC3{}
		h := &ScyHub{C1s: orm.ListOf(c1), C2s: orm.ListOf(c2), C3s: orm.ListOf(c3)}
		must(t, h.C1.Set(c1))
		must(t, h.C2.Set(c2))
		must(t, h.C3.Set(c3))
		must(t, s.Add(h))
		rec.take("")
		must(t, s.Commit(ctx))
		if n, all := rec.take("UPDATE"); n != 1 {
			t.Fatalf("%d UPDATEs for three post_update references of one row, want 1: %q", n, all)
		}
		if i64(h.C1ID) != c1.ID || i64(h.C2ID) != c2.ID || i64(h.C3ID) != c3.ID {
			t.Fatal("references not set")
		}
		must(t, s.Delete(h))
		must(t, s.Commit(ctx))
		if n, all := rec.take("UPDATE"); n != 1 {
			t.Fatalf("%d UPDATEs clearing the references before the delete, want 1: %q", n, all)
		}
		wantCounts(t, f, "scy_hub", 0, "scy_c1", 0, "scy_c2", 0, "scy_c3", 0)
	})
}
