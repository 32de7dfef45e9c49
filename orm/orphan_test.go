package orm_test

import (
	"context"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// A delete cascade reaches the parent's current children only: a child
// taken out of the List before the parent's delete is an orphan (its key
// set to NULL without delete-orphan), not a member.
func TestDeleteCascadeSkipsChildrenRemovedBefore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerMoves)
		s := f.New()
		defer s.Close(ctx)
		kept, gone := &MvOrder{Name: "kept"}, &MvOrder{Name: "gone"}
		u := &MvUser{Name: "u", Orders: orm.ListOf(kept, gone)}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		must(t, u.Orders.Remove(kept))
		must(t, s.Delete(u))
		must(t, s.Commit(ctx))
		if s.Status(kept) != orm.Persistent || kept.UserID != nil {
			t.Fatalf("removed order: %s, user_id %v; want persistent with NULL", s.Status(kept), kept.UserID)
		}
		got, err := orm.Get[MvOrder](ctx, f.New(), kept.ID)
		if err != nil || got.UserID != nil {
			t.Fatalf("removed order's row: %+v %v; want it kept with user_id NULL", got, err)
		}
		if _, err := orm.Get[MvOrder](ctx, f.New(), gone.ID); err == nil {
			t.Fatalf("the order still in the list survived its user's delete")
		}
	})
}

// Drawer leaves its socks' keys to the database entirely.
type Drawer struct {
	ID    int64          `db:"id,pk"`
	Socks orm.List[Sock] `rel:"passive_deletes:all"`
}

type Sock struct {
	ID       int64  `db:"id,pk"`
	DrawerID *int64 `db:"drawer_id,fk:drawer.id,ondelete:set null"`
}

// With passive_deletes:all the ORM never writes a child's key for its
// parent: a child taken out of the List keeps its key (only the database
// acts, on the parent's delete).
func TestPassiveDeletesAllLeavesRemovedChildAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[Drawer](reg)
			orm.MustRegister[Sock](reg)
		})
		s := f.New()
		defer s.Close(ctx)
		sock := &Sock{}
		d := &Drawer{Socks: orm.ListOf(sock)}
		must(t, s.Add(d))
		must(t, s.Commit(ctx))
		rec.take("")
		must(t, d.Socks.Remove(sock))
		must(t, s.Commit(ctx))
		if n, all := rec.take("UPDATE"); n != 0 {
			t.Fatalf("taking a sock out wrote %q", all)
		}
		got, err := orm.Get[Sock](ctx, f.New(), sock.ID)
		if err != nil || got.DrawerID == nil || *got.DrawerID != d.ID {
			t.Fatalf("sock row %+v %v, want its drawer key kept", got, err)
		}
		// the database's ON DELETE SET NULL is what clears it
		must(t, s.Delete(d))
		must(t, s.Commit(ctx))
		got, err = orm.Get[Sock](ctx, f.New(), sock.ID)
		if err != nil || got.DrawerID != nil {
			t.Fatalf("sock row after the drawer's delete %+v %v, want drawer_id NULL", got, err)
		}
	})
}

// A flush that fails after a delete cascade reached children leaves them
// as they were: persistent, not deleted, in the session.
func TestFailedFlushRestoresCascadedDeletes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerMoves)
		s := f.New()
		defer s.Close(ctx)
		o1, o2 := &MvOrder{Name: "o1"}, &MvOrder{Name: "o2"}
		u := &MvUser{Name: "u", Orders: orm.ListOf(o1, o2)}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		// someone else deletes the user's row: our cascade marks the orders
		// deleted, then a DELETE finds nothing and the flush fails
		other := f.New()
		gone, err := orm.Get[MvUser](ctx, other, u.ID)
		must(t, err)
		orders, err := orm.Select[MvOrder](other).All(ctx)
		must(t, err)
		for _, o := range orders {
			must(t, other.Delete(o))
		}
		must(t, other.Delete(gone))
		must(t, other.Commit(ctx))
		must(t, other.Close(ctx))
		must(t, s.Delete(u))
		if err := s.Commit(ctx); err == nil {
			t.Fatalf("the delete of a gone row succeeded")
		}
		if s.Status(o1) != orm.Persistent || s.Status(o2) != orm.Persistent || s.Status(u) != orm.Deleted {
			t.Fatalf("after the failed flush: orders %s %s, user %s; want persistent, persistent, deleted (as the program left them)",
				s.Status(o1), s.Status(o2), s.Status(u))
		}
	})
}
