package orm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// Ordered items in folders: Folder -> FolderItem (carries the position) -> Item, an item in
// one folder. Deleting a folder deletes its links and
// their items; deleting an item deletes its link (the database's ON DELETE
// CASCADE, passively) but not the folder; deleting a link deletes its item.

type Folder struct {
	ID    int64                `db:"id,pk"`
	Name  string               `db:"name"`
	Items orm.List[FolderItem] `rel:"cascade:all+delete-orphan,ordering:Position"`
}

type FolderItem struct {
	ID       int64           `db:"id,pk"`
	FolderID int64           `db:"folder_id,fk:folder.id,ondelete:cascade"`
	ItemID   int64           `db:"item_id,fk:item.id,ondelete:cascade,unique"`
	Position int32           `db:"position"`
	Folder   orm.Ref[Folder] `rel:"backref:Items"`
	Item     orm.Ref[Item]   `rel:"cascade:all+delete-orphan,single_parent"`
}

type Item struct {
	ID   int64               `db:"id,pk"`
	Name string              `db:"name"`
	Link orm.Ref[FolderItem] `rel:"passive_deletes"`
}

// folderPositionUnique is the constraint SQLAlchemy cannot reorder under.
var folderPositionUnique = orm.Unique("uq_folder_item_position", "folder_id", "position")

func setupFolders(t *testing.T, tg testdb.Target, opts ...orm.ModelOption) (*orm.Factory, *recorder) {
	t.Helper()
	return openModels(t, tg, func(reg *orm.Registry) {
		orm.MustRegister[Folder](reg)
		orm.MustRegister[FolderItem](reg, opts...)
		orm.MustRegister[Item](reg)
	})
}

// folderSample makes two folders of two items each: counts (2, 4, 4).
func folderSample(t *testing.T, f *orm.Factory) (folders []int64, items []int64) {
	t.Helper()
	ctx := context.Background()
	s := f.New()
	defer s.Close(ctx)
	var fs []*Folder
	for i := range 2 {
		fo := &Folder{Name: fmt.Sprint("folder", i)}
		for j := range 2 {
			if err := fo.Items.Append(&FolderItem{Item: orm.RefTo(&Item{Name: fmt.Sprintf("item%d.%d", i, j)})}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Add(fo); err != nil {
			t.Fatal(err)
		}
		fs = append(fs, fo)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, fo := range fs {
		folders = append(folders, fo.ID)
		links, err := fo.Items.All()
		if err != nil {
			t.Fatal(err)
		}
		for j, l := range links {
			it, _ := l.Item.Get()
			if l.FolderID != fo.ID || l.ItemID != it.ID || l.Position != int32(j) || it.ID == 0 {
				t.Fatalf("link after insert: %+v item %+v", *l, *it)
			}
			items = append(items, it.ID)
		}
	}
	folderCounts(t, f, [3]int{2, 4, 4})
	return folders, items
}

func folderCounts(t *testing.T, f *orm.Factory, want [3]int) {
	t.Helper()
	got := [3]int{countRows(t, f, "folder"), countRows(t, f, "folder_item"), countRows(t, f, "item")}
	if got != want {
		t.Fatalf("(folders, links, items) = %v, want %v", got, want)
	}
}

func TestOrderedFolderItemsCascadeAndRenumber(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()

		t.Run("delete folder", func(t *testing.T) {
			f, rec := setupFolders(t, tg, folderPositionUnique)
			folders, _ := folderSample(t, f)
			s := f.New()
			defer s.Close(ctx)
			fo, err := orm.Get[Folder](ctx, s, folders[0])
			if err != nil {
				t.Fatal(err)
			}
			// the links were never loaded: reading them is an error, not an empty list
			if _, err := fo.Items.All(); !errors.Is(err, orm.ErrNotLoaded) {
				t.Fatalf("unloaded Items: %v", err)
			}
			rec.take("")
			if err := s.Delete(fo); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			_, all := rec.take("")
			t.Logf("delete folder: %q", all)
			folderCounts(t, f, [3]int{1, 2, 2})
		})

		t.Run("delete item", func(t *testing.T) {
			f, rec := setupFolders(t, tg, folderPositionUnique)
			_, items := folderSample(t, f)
			s := f.New()
			defer s.Close(ctx)
			it, err := orm.Get[Item](ctx, s, items[1])
			if err != nil {
				t.Fatal(err)
			}
			rec.take("")
			s.Delete(it)
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			// passive: the database's ON DELETE CASCADE removes the link;
			// the flush sends the item's DELETE and nothing else
			_, all := rec.take("")
			if len(all) != 1 || !strings.HasPrefix(all[0], "DELETE") {
				t.Fatalf("passive delete of an item sent %q, want one DELETE", all)
			}
			folderCounts(t, f, [3]int{2, 3, 3})
		})

		t.Run("delete link", func(t *testing.T) {
			f, _ := setupFolders(t, tg, folderPositionUnique)
			folders, _ := folderSample(t, f)
			s := f.New()
			defer s.Close(ctx)
			fo, err := orm.Get[Folder](ctx, s, folders[1])
			if err != nil {
				t.Fatal(err)
			}
			if err := orm.Load(ctx, s, fo, "Items"); err != nil {
				t.Fatal(err)
			}
			links, _ := fo.Items.All()
			if len(links) != 2 {
				t.Fatalf("%d links", len(links))
			}
			s.Delete(links[0])
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			folderCounts(t, f, [3]int{2, 3, 3})
		})

		t.Run("remove from folder", func(t *testing.T) {
			f, _ := setupFolders(t, tg, folderPositionUnique)
			folders, _ := folderSample(t, f)
			s := f.New()
			defer s.Close(ctx)
			fo, err := orm.Get[Folder](ctx, s, folders[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := orm.Load(ctx, s, fo, "Items.Item"); err != nil {
				t.Fatal(err)
			}
			if err := fo.Items.RemoveAt(0); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			// delete-orphan: the link goes, and its item with it; the other
			// link moves up to position 0
			folderCounts(t, f, [3]int{2, 3, 3})
			links, _ := fo.Items.All()
			if len(links) != 1 || links[0].Position != 0 {
				t.Fatalf("after removal: %d links, position %d", len(links), links[0].Position)
			}
		})

		t.Run("reorder under unique position", func(t *testing.T) {
			f, rec := setupFolders(t, tg, folderPositionUnique)
			s := f.New()
			defer s.Close(ctx)
			fo := &Folder{Name: "f"}
			for i := range 5 {
				fo.Items.Append(&FolderItem{Item: orm.RefTo(&Item{Name: fmt.Sprint("i", i)})})
			}
			s.Add(fo)
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			names := func(fo *Folder) string {
				ls, err := fo.Items.All()
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for i, l := range ls {
					it, _ := l.Item.Get()
					if l.Position != int32(i) {
						t.Errorf("%s at position %d, index %d", it.Name, l.Position, i)
					}
					out = append(out, it.Name)
				}
				return strings.Join(out, " ")
			}
			reload := func() string {
				c := f.New()
				defer c.Close(ctx)
				got, err := orm.Select[Folder](c).With("Items.Item").One(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return names(got)
			}
			steps := []struct {
				do   func() error
				want string
			}{
				{func() error { return fo.Items.Move(4, 0) }, "i4 i0 i1 i2 i3"}, // last to first: every row shifts
				{func() error { return fo.Items.Move(0, 4) }, "i0 i1 i2 i3 i4"},
				{func() error { // swap the ends
					if err := fo.Items.Move(0, 4); err != nil {
						return err
					}
					return fo.Items.Move(3, 0)
				}, "i4 i1 i2 i3 i0"},
				{func() error { // a new item at the front, one removed from the middle
					if err := fo.Items.Insert(0, &FolderItem{Item: orm.RefTo(&Item{Name: "new"})}); err != nil {
						return err
					}
					return fo.Items.RemoveAt(3)
				}, "new i4 i1 i3 i0"},
			}
			for i, st := range steps {
				if err := st.do(); err != nil {
					t.Fatal(err)
				}
				rec.take("")
				if err := s.Commit(ctx); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				_, all := rec.take("")
				if got := names(fo); got != st.want {
					t.Fatalf("step %d in memory: %s, want %s", i, got, st.want)
				}
				if got := reload(); got != st.want {
					t.Fatalf("step %d from the database: %s, want %s (sent %q)", i, got, st.want, all)
				}
			}
			folderCounts(t, f, [3]int{1, 5, 5})
		})

		t.Run("move between folders", func(t *testing.T) {
			f, _ := setupFolders(t, tg, folderPositionUnique)
			folders, items := folderSample(t, f)
			s := f.New()
			defer s.Close(ctx)
			fs, err := orm.Select[Folder](s).With("Items.Item").All(ctx)
			if err != nil || len(fs) != 2 {
				t.Fatalf("folders: %v %v", fs, err)
			}
			from, to := fs[0], fs[1]
			links, _ := from.Items.All()
			moving := links[1]
			if err := to.Items.Insert(0, moving); err != nil {
				t.Fatal(err)
			}
			// both sides follow in memory
			if got, _ := moving.Folder.Get(); got != to {
				t.Fatalf("moving.Folder = %v, want the new folder", got)
			}
			if n, _ := from.Items.Len(); n != 1 {
				t.Fatalf("old folder still has %d links", n)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			folderCounts(t, f, [3]int{2, 4, 4})
			check := f.New()
			defer check.Close(ctx)
			got, err := orm.Select[Folder](check).With("Items.Item").All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names [][]string
			for _, fo := range got {
				ls, _ := fo.Items.All()
				var row []string
				for i, l := range ls {
					it, _ := l.Item.Get()
					if l.Position != int32(i) {
						t.Errorf("folder %d link %d at position %d", fo.ID, i, l.Position)
					}
					row = append(row, it.Name)
				}
				names = append(names, row)
			}
			if fmt.Sprint(names) != "[[item0.0] [item0.1 item1.0 item1.1]]" {
				t.Fatalf("after the move: %v (folders %v, items %v)", names, folders, items)
			}
		})
	})
}
