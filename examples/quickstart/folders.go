package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
)

// Folder holds items in an order of its own. Its Items are the links,
// kept in order by their Position; a link dropped from the list is
// deleted (delete-orphan), and so are the links of a deleted folder.
type Folder struct {
	ID    int64                `db:"id,pk"`
	Name  string               `db:"name,size:80"`
	Items orm.List[FolderItem] `rel:"cascade:all+delete-orphan,ordering:Position"`
}

// FolderItem puts one item in one folder, at a position the Folder's list
// maintains (0..n-1, UNIQUE per folder: see registerFolders).
type FolderItem struct {
	ID       int64           `db:"id,pk"`
	FolderID int64           `db:"folder_id,fk:folder.id,ondelete:cascade"`
	ItemID   int64           `db:"item_id,fk:item.id,ondelete:cascade,unique"` // an item is in one folder
	Position int32           `db:"position"`
	Folder   orm.Ref[Folder] `rel:"backref:Items"`
	Item     orm.Ref[Item]   `rel:"cascade:all+delete-orphan,single_parent"` // the link owns its item
}

// Item is a thing in a folder. Deleting it leaves its link to the
// database's ON DELETE CASCADE (passive_deletes): no load, no extra SQL.
type Item struct {
	ID   int64               `db:"id,pk"`
	Name string              `db:"name,size:80"`
	Link orm.Ref[FolderItem] `rel:"passive_deletes"`
}

// registerFolders maps the three models. The unique (folder_id, position)
// constraint is the one a naive reorder breaks: moving the last item to
// the front must not write position 0 while another row still has it.
func registerFolders() (*orm.Registry, error) {
	reg := orm.NewRegistry()
	orm.MustRegister[Folder](reg)
	orm.MustRegister[FolderItem](reg, orm.Unique("uq_folder_item_position", "folder_id", "position"))
	orm.MustRegister[Item](reg)
	return reg, reg.Check() // relationships are resolved here, or at the first session
}

// folderNames returns "name: a b c" for a folder whose items are loaded,
// checking on the way that every position equals its index.
func folderNames(fo *Folder) (string, error) {
	links, err := fo.Items.All()
	if err != nil {
		return "", err
	}
	names := make([]string, len(links))
	for i, l := range links {
		it, err := l.Item.Get()
		if err != nil {
			return "", err
		}
		if l.Position != int32(i) {
			return "", fmt.Errorf("%s: %s at position %d, index %d", fo.Name, it.Name, l.Position, i)
		}
		names[i] = it.Name
	}
	return fmt.Sprintf("%s: %s", fo.Name, strings.Join(names, " ")), nil
}

// folderTour is relationships on the same kind of database: folders
// holding ordered items, created, loaded, reordered, moved between and
// deleted, with every statement printed.
func folderTour(ctx context.Context, w io.Writer, path string) error {
	sqlOut := &sqlPrinter{w: w}
	db, err := engine.Open(ctx, sqlitedialect.New(), "file:"+path, engine.WithLogger(slog.New(sqlOut), slog.LevelDebug))
	if err != nil {
		return err
	}
	defer db.Close()
	reg, err := registerFolders()
	if err != nil {
		return err
	}
	if err := engine.CreateAll(ctx, db, reg.MetaData()); err != nil {
		return err
	}
	f := orm.NewFactory(db, reg)
	step := func(format string, args ...any) { fmt.Fprintf(w, "\n# "+format+"\n", args...) }

	// printFolders reads every folder with its links and their items from
	// a fresh session: With loads the two levels with one query each.
	printFolders := func() error {
		c := f.New()
		defer c.Close(ctx)
		q := orm.Select[Folder](c)
		all, err := q.OrderBy(expr.Asc(q.C("ID"))).With("Items.Item").All(ctx)
		if err != nil {
			return err
		}
		for _, fo := range all {
			line, err := folderNames(fo)
			if err != nil {
				return err
			}
			fmt.Fprintln(w, line)
		}
		return nil
	}
	// counts prints the rows of the three tables (not part of the SQL shown).
	counts := func(when string) error {
		on := sqlOut.on.Swap(false)
		defer sqlOut.on.Store(on)
		var n [3]int
		for i, t := range []string{"folder", "folder_item", "item"} {
			if err := engine.QueryRowStmt(ctx, db, expr.Select(expr.CountAll()).From(expr.T(t))).Scan(&n[i]); err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "rows %s: folder %d, folder_item %d, item %d\n", when, n[0], n[1], n[2])
		return nil
	}
	sqlOut.on.Store(true)

	step("two folders, their items appended to Items: one Commit inserts the whole graph\n" +
		"# parents first, their keys flowing into the children's foreign keys; positions are the indexes")
	s := f.New()
	defer s.Close(ctx)
	docs, photos := &Folder{Name: "docs"}, &Folder{Name: "photos"}
	for _, name := range []string{"readme", "guide", "faq", "changelog"} {
		if err := docs.Items.Append(&FolderItem{Item: orm.RefTo(&Item{Name: name})}); err != nil {
			return err
		}
	}
	for _, name := range []string{"beach", "city"} {
		if err := photos.Items.Append(&FolderItem{Item: orm.RefTo(&Item{Name: name})}); err != nil {
			return err
		}
	}
	for _, fo := range []*Folder{docs, photos} {
		if err := s.Add(fo); err != nil { // cascades to the links, and from them to the items
			return err
		}
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	for _, fo := range []*Folder{docs, photos} {
		links, err := fo.Items.All()
		if err != nil {
			return err
		}
		for _, l := range links {
			it, err := l.Item.Get()
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "folder %d %-6s link %d: folder_id=%d item_id=%d position=%d (item %d %q)\n",
				fo.ID, fo.Name, l.ID, l.FolderID, l.ItemID, l.Position, it.ID, it.Name)
		}
	}
	if err := s.Close(ctx); err != nil {
		return err
	}

	step("a new session: Get folder %d; its Items were not loaded, and reading them says so", docs.ID)
	s = f.New()
	defer s.Close(ctx)
	fo, err := orm.Get[Folder](ctx, s, docs.ID)
	if err != nil {
		return err
	}
	_, err = fo.Items.All()
	if !errors.Is(err, orm.ErrNotLoaded) {
		return fmt.Errorf("unloaded Items: want orm.ErrNotLoaded, got %v", err)
	}
	fmt.Fprintf(w, "error: %v\n", err)

	step("orm.Load(ctx, s, folder, \"Items.Item\"): one select-in query per level, links in position order")
	if err := orm.Load(ctx, s, fo, "Items.Item"); err != nil {
		return err
	}
	line, err := folderNames(fo)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, line)

	step("Move the last item to the front and Commit: every position shifts, under UNIQUE(folder_id, position)\n" +
		"# the moved rows are parked at free positions first, then given their final ones")
	n, err := fo.Items.Len()
	if err != nil {
		return err
	}
	if err := fo.Items.Move(n-1, 0); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintln(w, "read back by a fresh session with Select[Folder](c).With(\"Items.Item\"):")
	if err := printFolders(); err != nil {
		return err
	}

	step("move %q into the other folder, second place: Insert takes it out of the old list (a move, not a delete)", "guide")
	other, err := orm.Get[Folder](ctx, s, photos.ID)
	if err != nil {
		return err
	}
	if err := orm.Load(ctx, s, other, "Items.Item"); err != nil {
		return err
	}
	links, err := fo.Items.All()
	if err != nil {
		return err
	}
	var guide *FolderItem
	for _, l := range links {
		if it, _ := l.Item.Get(); it != nil && it.Name == "guide" {
			guide = l
		}
	}
	if guide == nil {
		return errors.New("no guide in docs")
	}
	if err := other.Items.Insert(1, guide); err != nil {
		return err
	}
	back, err := guide.Folder.Get()
	if err != nil {
		return err
	}
	left, err := fo.Items.Len()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "in memory, before the commit: the link's Folder is %s, docs holds %d links\n", back.Name, left)
	if err := s.Commit(ctx); err != nil {
		return err
	}
	it, err := guide.Item.Get()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "the same link %d (item %d) is now folder_id=%d position=%d, %s\n", guide.ID, it.ID, guide.FolderID, guide.Position, s.Status(guide))
	if err := printFolders(); err != nil {
		return err
	}
	if err := s.Close(ctx); err != nil {
		return err
	}

	step("delete folder %d from a fresh session: its links and their items go with it, in one transaction", docs.ID)
	if err := counts("before"); err != nil {
		return err
	}
	s = f.New()
	defer s.Close(ctx)
	gone, err := orm.Get[Folder](ctx, s, docs.ID)
	if err != nil {
		return err
	}
	if err := s.Delete(gone); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	if err := counts("after"); err != nil {
		return err
	}
	if err := printFolders(); err != nil {
		return err
	}
	sqlOut.on.Store(false)
	return engine.DropAll(ctx, db, reg.MetaData())
}
