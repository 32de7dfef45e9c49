package orm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// A new object attached to a held parent through save-update is pending
// at once; taken out again before the flush (or replaced), it is never
// inserted.
func TestPendingThroughCascadeAndPendingOrphans(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerMoves)
		s := f.New()
		defer s.Close(ctx)
		folder := &MvFolder{Name: "f"}
		desk := &MvDesk{Name: "d"}
		must(t, s.Add(folder))
		must(t, s.Add(desk))
		must(t, s.Commit(ctx))

		kept, dropped := &MvItem{Name: "kept"}, &MvItem{Name: "dropped"}
		must(t, folder.Items.Append(kept, dropped))
		if st := s.Status(dropped); st != orm.Pending {
			t.Fatalf("an item appended to a held folder is %s, want pending", st)
		}
		must(t, folder.Items.Remove(dropped))
		l1, l2 := &MvLamp{Name: "first"}, &MvLamp{Name: "second"}
		must(t, desk.Lamp.Set(l1))
		must(t, desk.Lamp.Set(l2))
		must(t, s.Commit(ctx))
		if s.Status(dropped) != orm.Transient || dropped.ID != 0 || s.Status(l1) != orm.Transient || l1.ID != 0 {
			t.Fatalf("pending orphans: item %s (id %d), lamp %s (id %d); want transient, never inserted", s.Status(dropped), dropped.ID, s.Status(l1), l1.ID)
		}
		if countRows(t, f, "mv_item") != 1 || countRows(t, f, "mv_lamp") != 1 || kept.FolderID != folder.ID || l2.DeskID != desk.ID {
			t.Fatalf("rows: %d items, %d lamps", countRows(t, f, "mv_item"), countRows(t, f, "mv_lamp"))
		}
	})
}

// Objects the rules cannot place fail before any SQL, with a clear error.
func TestUnplaceablePendingObjectsFailBeforeSQL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerMoves)
		s := f.New()
		defer s.Close(ctx)
		// a delete-orphan child the program added, owned by nobody
		orphan := &MvItem{Name: "nobody's"}
		must(t, s.Add(orphan))
		rec.take("")
		err := s.Commit(ctx)
		var oe *orm.OrphanError
		if !errors.As(err, &oe) || oe.Rel != "MvFolder.Items" {
			t.Fatalf("commit of an orphan: %v, want an OrphanError naming MvFolder.Items", err)
		}
		if _, all := rec.take(""); len(all) != 0 {
			t.Fatalf("a refused flush sent %q", all)
		}
		must(t, s.Expunge(orphan))
		// a child whose NOT NULL key needs a parent with a generated key
		clerk := &MvClerk{Name: "no shop"}
		must(t, s.Add(clerk))
		err = s.Commit(ctx)
		if err == nil || !strings.Contains(err.Error(), "has no MvShop") {
			t.Fatalf("commit of a clerk without a shop: %v", err)
		}
		if _, all := rec.take(""); len(all) != 0 {
			t.Fatalf("a refused flush sent %q", all)
		}
		// placed, it goes through
		shop := &MvShop{Name: "s"}
		must(t, clerk.Shop.Set(shop))
		must(t, s.Add(shop))
		must(t, s.Commit(ctx))
		if clerk.ShopID != shop.ID || clerk.ShopID == 0 {
			t.Fatalf("clerk's key %d, want %d", clerk.ShopID, shop.ID)
		}
	})
}
