package orm_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// VDoc is Document with a version column and an onupdate rule: the
// post_update of its current revision is an UPDATE like any other.
type VDoc struct {
	ID        int64          `db:"id,pk"`
	Title     string         `db:"title"`
	CurrentID *int64         `db:"current_id,fk:v_rev.id"`
	Touches   int64          `db:"touches"`
	Version   int32          `db:"version,version"`
	Current   orm.Ref[VRev]  `rel:"via:current_id,post_update"`
	Revs      orm.List[VRev] `rel:"cascade:all+delete-orphan"`
}

type VRev struct {
	ID    int64         `db:"id,pk"`
	DocID int64         `db:"doc_id,fk:v_doc.id"`
	Body  string        `db:"body"`
	Doc   orm.Ref[VDoc] `rel:"backref:Revs"`
}

func TestPostUpdateChecksVersionAndRunsOnUpdate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		var touches atomic.Int64
		f, _ := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[VDoc](reg, orm.OnUpdate("Touches", func() any { return touches.Add(1) }))
			orm.MustRegister[VRev](reg)
		})
		s := f.New()
		defer s.Close(ctx)
		r1 := &VRev{Body: "one"}
		doc := &VDoc{Title: "d", Revs: orm.ListOf(r1), Current: orm.RefTo(r1)}
		must(t, s.Add(doc))
		must(t, s.Commit(ctx))
		// inserted at version 1, then the pointer's UPDATE bumped it
		if doc.Version != 2 || doc.Touches != 1 || doc.CurrentID == nil || *doc.CurrentID != r1.ID {
			t.Fatalf("after insert: version %d touches %d current %v", doc.Version, doc.Touches, doc.CurrentID)
		}
		// a title change and a new current revision in one flush: the
		// row's own UPDATE, then the pointer's, each checking the version
		r2 := &VRev{Body: "two"}
		must(t, doc.Revs.Append(r2))
		must(t, doc.Current.Set(r2))
		doc.Title = "d2"
		must(t, s.Commit(ctx))
		got, err := orm.Get[VDoc](ctx, f.New(), doc.ID)
		must(t, err)
		if got.Version != 4 || doc.Version != 4 || got.Title != "d2" || *got.CurrentID != r2.ID || got.Touches != doc.Touches {
			t.Fatalf("after the second commit: row %+v, object version %d touches %d", got, doc.Version, doc.Touches)
		}
		// someone else changes the document: the next pointer UPDATE is stale
		other := f.New()
		theirs, err := orm.Get[VDoc](ctx, other, doc.ID)
		must(t, err)
		theirs.Title = "theirs"
		must(t, other.Commit(ctx))
		must(t, other.Close(ctx))
		r3 := &VRev{Body: "three"}
		must(t, doc.Revs.Append(r3))
		must(t, doc.Current.Set(r3))
		err = s.Commit(ctx)
		var se *orm.StaleDataError
		if !errors.As(err, &se) || se.Table != "v_doc" {
			t.Fatalf("pointer update over a concurrent change: %v, want a StaleDataError of v_doc", err)
		}
		got, err = orm.Get[VDoc](ctx, f.New(), doc.ID)
		must(t, err)
		if got.Title != "theirs" || *got.CurrentID != r2.ID || countRows(t, f, "v_rev") != 2 {
			t.Fatalf("a stale pointer update wrote: %+v, %d revisions", got, countRows(t, f, "v_rev"))
		}
	})
}
