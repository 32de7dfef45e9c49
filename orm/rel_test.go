package orm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// The relationship suite: each kind, each cascade on and off, nulling,
// refusals, moves, self-referential subtrees, select-in loading.

// Team -> Member: one-to-many over a nullable key, default cascade
// (save-update, merge): deleting a team sets its members' team_id to NULL.
type Team struct {
	ID      int64              `db:"id,pk"`
	Name    string             `db:"name"`
	Members orm.List[Member]   `rel:"order_by:Name"`
	Lead    orm.Ref[TeamLead]  `rel:"cascade:all+delete-orphan"`
	Tags    orm.List[TeamTag]  `rel:"cascade:none"`
	Expired orm.List[TeamNote] `rel:"cascade:all+expunge"`
}

type Member struct {
	ID     int64         `db:"id,pk"`
	TeamID *int64        `db:"team_id,fk:team.id"`
	Name   string        `db:"name"`
	Team   orm.Ref[Team] `rel:"backref:Members"`
}

// TeamLead is the other side of a one-to-one (the key is in its table).
type TeamLead struct {
	ID     int64         `db:"id,pk"`
	TeamID int64         `db:"team_id,fk:team.id,unique"`
	Name   string        `db:"name"`
	Team   orm.Ref[Team] `rel:"backref:Lead"`
}

type TeamTag struct {
	ID     int64  `db:"id,pk"`
	TeamID int64  `db:"team_id,fk:team.id"`
	Tag    string `db:"tag"`
}

type TeamNote struct {
	ID     int64  `db:"id,pk"`
	TeamID int64  `db:"team_id,fk:team.id"`
	Text   string `db:"text"`
}

// Author -> Book over a NOT NULL key without a delete cascade.
type Author struct {
	ID    int64          `db:"id,pk"`
	Name  string         `db:"name"`
	Books orm.List[Book] `rel:""`
}

type Book struct {
	ID       int64           `db:"id,pk"`
	AuthorID int64           `db:"author_id,fk:author.id"`
	Title    string          `db:"title"`
	Author   orm.Ref[Author] `rel:"backref:Books"`
}

// Node is a self-referential tree.
type Node struct {
	ID       int64          `db:"id,pk"`
	ParentID *int64         `db:"parent_id,fk:node.id"`
	Name     string         `db:"name"`
	Parent   orm.Ref[Node]  `rel:"via:parent_id,backref:Children"`
	Children orm.List[Node] `rel:"via:parent_id,cascade:all+delete-orphan"`
}

func setupRel(t *testing.T, tg testdb.Target) (*orm.Factory, *recorder) {
	t.Helper()
	return openModels(t, tg, func(reg *orm.Registry) {
		orm.MustRegister[Team](reg)
		orm.MustRegister[Member](reg)
		orm.MustRegister[TeamLead](reg)
		orm.MustRegister[TeamTag](reg)
		orm.MustRegister[TeamNote](reg)
		orm.MustRegister[Author](reg)
		orm.MustRegister[Book](reg)
		orm.MustRegister[Node](reg)
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRelationships(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()

		t.Run("many-to-one and one-to-many", func(t *testing.T) {
			f, _ := setupRel(t, tg)
			s := f.New()
			defer s.Close(ctx)
			red := &Team{Name: "red"}
			ann := &Member{Name: "ann", Team: orm.RefTo(red)}
			must(t, s.Add(ann)) // save-update: the team comes along
			if s.Status(red) != orm.Pending {
				t.Fatalf("team not cascaded: %s", s.Status(red))
			}
			if ms, _ := red.Members.All(); len(ms) != 1 || ms[0] != ann {
				t.Fatalf("the team's list did not follow: %v", ms)
			}
			bob := &Member{Name: "bob"}
			must(t, red.Members.Append(bob))
			if got, _ := bob.Team.Get(); got != red {
				t.Fatal("appending did not set the back reference")
			}
			must(t, s.Commit(ctx))
			if ann.TeamID == nil || *ann.TeamID != red.ID || bob.TeamID == nil || *bob.TeamID != red.ID {
				t.Fatalf("keys: ann %v bob %v team %d", ann.TeamID, bob.TeamID, red.ID)
			}
			// moving a child by its reference: both loaded lists follow
			blue := &Team{Name: "blue"}
			must(t, s.Add(blue))
			must(t, bob.Team.Set(blue))
			if n, _ := red.Members.Len(); n != 1 {
				t.Fatalf("red still has %d members", n)
			}
			if ms, _ := blue.Members.All(); len(ms) != 1 || ms[0] != bob {
				t.Fatalf("blue members %v", ms)
			}
			must(t, s.Commit(ctx))
			if *bob.TeamID != blue.ID {
				t.Fatalf("bob's key %d, want blue %d", *bob.TeamID, blue.ID)
			}
			check := f.New()
			defer check.Close(ctx)
			teams, err := orm.Select[Team](check).With("Members").All(ctx)
			must(t, err)
			var got []string
			for _, tm := range teams {
				ms, _ := tm.Members.All()
				for _, m := range ms {
					if back, _ := m.Team.Get(); back != tm {
						t.Fatalf("loaded member's Team is %v", back)
					}
					got = append(got, tm.Name+":"+m.Name)
				}
			}
			if strings.Join(got, " ") != "red:ann blue:bob" {
				t.Fatalf("loaded %v", got)
			}
		})

		t.Run("not loaded is an error", func(t *testing.T) {
			f, rec := setupRel(t, tg)
			s := f.New()
			defer s.Close(ctx)
			tm := &Team{Name: "t", Members: orm.ListOf(&Member{Name: "m"})}
			must(t, s.Add(tm))
			must(t, s.Commit(ctx))
			other := f.New()
			defer other.Close(ctx)
			got, err := orm.Get[Team](ctx, other, tm.ID)
			must(t, err)
			rec.take("")
			if _, err := got.Members.All(); !errors.Is(err, orm.ErrNotLoaded) {
				t.Fatalf("All: %v", err)
			}
			if err := got.Members.Append(&Member{}); !errors.Is(err, orm.ErrNotLoaded) {
				t.Fatalf("Append: %v", err)
			}
			if err := got.Members.Set(nil); !errors.Is(err, orm.ErrNotLoaded) {
				t.Fatalf("Set: %v", err)
			}
			if _, err := got.Lead.Get(); !errors.Is(err, orm.ErrNotLoaded) {
				t.Fatalf("Ref.Get: %v", err)
			}
			// replacing an unloaded one-to-one whose old value would be orphaned
			if err := got.Lead.Set(&TeamLead{}); !errors.Is(err, orm.ErrNotLoaded) {
				t.Fatalf("Ref.Set: %v", err)
			}
			var nle *orm.NotLoadedError
			_, err = got.Members.All()
			if !errors.As(err, &nle) || nle.Struct != "Team" || nle.Field != "Members" {
				t.Fatalf("error names %+v", nle)
			}
			if _, all := rec.take(""); len(all) != 0 {
				t.Fatalf("touching unloaded relationships ran %q", all)
			}
			// and a flush does not take the unloaded list for an empty one
			must(t, other.Commit(ctx))
			if n := countRows(t, f, "member"); n != 1 {
				t.Fatalf("%d members", n)
			}
		})

		t.Run("delete without cascade nulls the key", func(t *testing.T) {
			f, _ := setupRel(t, tg)
			s := f.New()
			defer s.Close(ctx)
			a := &Team{Name: "a", Members: orm.ListOf(&Member{Name: "1"}, &Member{Name: "2"})}
			b := &Team{Name: "b", Members: orm.ListOf(&Member{Name: "3"})}
			must(t, s.Add(a))
			must(t, s.Add(b))
			must(t, s.Commit(ctx))
			ms, _ := a.Members.All()
			// loaded children: their key is set to NULL in the objects too
			must(t, s.Delete(a))
			must(t, s.Commit(ctx))
			for _, m := range ms {
				if m.TeamID != nil || s.Status(m) != orm.Persistent {
					t.Fatalf("member after its team's delete: %v %s", m.TeamID, s.Status(m))
				}
			}
			// unloaded children: read and set to NULL by the flush
			s2 := f.New()
			defer s2.Close(ctx)
			bb, err := orm.Get[Team](ctx, s2, b.ID)
			must(t, err)
			must(t, s2.Delete(bb))
			must(t, s2.Commit(ctx))
			var orphans int
			must(t, f.DB().QueryRow(ctx, "SELECT COUNT(*) FROM member WHERE team_id IS NULL").Scan(&orphans))
			if orphans != 3 || countRows(t, f, "team") != 0 {
				t.Fatalf("%d members without a team, %d teams", orphans, countRows(t, f, "team"))
			}
		})

		t.Run("NOT NULL key refused before any SQL", func(t *testing.T) {
			f, rec := setupRel(t, tg)
			s := f.New()
			defer s.Close(ctx)
			au := &Author{Name: "a", Books: orm.ListOf(&Book{Title: "x"}, &Book{Title: "y"})}
			must(t, s.Add(au))
			must(t, s.Commit(ctx))
			rec.take("")
			must(t, s.Delete(au))
			err := s.Flush(ctx)
			if err == nil || !strings.Contains(err.Error(), "NOT NULL") {
				t.Fatalf("delete of an author with books: %v", err)
			}
			if _, all := rec.take(""); len(all) != 0 {
				t.Fatalf("the refused flush sent %q", all)
			}
			must(t, s.Add(au)) // undo the delete
			books, _ := au.Books.All()
			must(t, au.Books.Remove(books[0]))
			if err := s.Flush(ctx); err == nil || !strings.Contains(err.Error(), "NOT NULL") {
				t.Fatalf("removal of a book: %v", err)
			}
			// moving it to another author is fine
			other := &Author{Name: "b"}
			must(t, s.Add(other))
			must(t, other.Books.Append(books[0]))
			must(t, s.Commit(ctx))
			if books[0].AuthorID != other.ID || countRows(t, f, "book") != 2 {
				t.Fatalf("moved book: author %d, want %d", books[0].AuthorID, other.ID)
			}
		})

		t.Run("one-to-one with delete-orphan on replacement", func(t *testing.T) {
			f, _ := setupRel(t, tg)
			s := f.New()
			defer s.Close(ctx)
			tm := &Team{Name: "t", Lead: orm.RefTo(&TeamLead{Name: "first"})}
			must(t, s.Add(tm))
			must(t, s.Commit(ctx))
			s2 := f.New()
			defer s2.Close(ctx)
			got, err := orm.Get[Team](ctx, s2, tm.ID)
			must(t, err)
			must(t, orm.Load(ctx, s2, got, "Lead"))
			old, _ := got.Lead.Get()
			if old == nil || old.Name != "first" {
				t.Fatalf("loaded lead %v", old)
			}
			must(t, got.Lead.Set(&TeamLead{Name: "second"}))
			must(t, s2.Commit(ctx))
			if s2.Status(old) != orm.Detached || countRows(t, f, "team_lead") != 1 {
				t.Fatalf("old lead %s, %d leads", s2.Status(old), countRows(t, f, "team_lead"))
			}
			nl, _ := got.Lead.Get()
			if nl.TeamID != got.ID || nl.ID == 0 {
				t.Fatalf("new lead %+v", *nl)
			}
		})

		t.Run("delete cascade on and off, and save-update off", func(t *testing.T) {
			f, _ := setupRel(t, tg)
			s := f.New()
			defer s.Close(ctx)
			tm := &Team{Name: "t", Lead: orm.RefTo(&TeamLead{Name: "l"}), Expired: orm.ListOf(&TeamNote{Text: "n"})}
			must(t, s.Add(tm))
			must(t, s.Commit(ctx))
			// cascade:none: a tag appended is not added by the team
			tag := &TeamTag{Tag: "x"}
			must(t, tm.Tags.Append(tag))
			if err := s.Flush(ctx); err == nil || !strings.Contains(err.Error(), "not in the session") {
				t.Fatalf("flush with a non-cascaded child: %v", err)
			}
			must(t, s.Add(tag))
			must(t, s.Commit(ctx))
			if tag.TeamID != tm.ID {
				t.Fatalf("tag key %d", tag.TeamID)
			}
			// delete cascades to the lead and the notes (loaded), but not
			// to the tags: their NOT NULL key makes it an error
			must(t, s.Delete(tm))
			if err := s.Flush(ctx); err == nil {
				t.Fatal("delete of a team with tags and no cascade to them")
			}
			must(t, s.Delete(tag))
			must(t, s.Commit(ctx))
			for _, tbl := range []string{"team", "team_lead", "team_note", "team_tag"} {
				if n := countRows(t, f, tbl); n != 0 {
					t.Fatalf("%d rows left in %s", n, tbl)
				}
			}
		})

		t.Run("expunge cascade", func(t *testing.T) {
			f, _ := setupRel(t, tg)
			s := f.New()
			defer s.Close(ctx)
			note := &TeamNote{Text: "n"}
			m := &Member{Name: "m"}
			tm := &Team{Name: "t", Expired: orm.ListOf(note), Members: orm.ListOf(m)}
			must(t, s.Add(tm))
			must(t, s.Commit(ctx))
			must(t, s.Expunge(tm))
			if s.Status(note) != orm.Detached || s.Status(m) != orm.Persistent {
				t.Fatalf("after expunge: note %s, member %s", s.Status(note), s.Status(m))
			}
		})

		t.Run("single parent", func(t *testing.T) {
			f, _ := setupFolders(t, tg)
			s := f.New()
			defer s.Close(ctx)
			it := &Item{Name: "shared"}
			f1 := &Folder{Name: "1", Items: orm.ListOf(&FolderItem{Item: orm.RefTo(it)})}
			f2 := &Folder{Name: "2", Items: orm.ListOf(&FolderItem{Item: orm.RefTo(it)})}
			must(t, s.Add(f1))
			must(t, s.Add(f2))
			err := s.Flush(ctx)
			var spe *orm.SingleParentError
			if !errors.As(err, &spe) || spe.Object != it {
				t.Fatalf("an item in two links: %v", err)
			}
		})

		t.Run("self-referential subtree delete", func(t *testing.T) {
			f, _ := setupRel(t, tg)
			s := f.New()
			defer s.Close(ctx)
			// root -> a -> a1 -> a11, root -> b
			a11 := &Node{Name: "a11"}
			a1 := &Node{Name: "a1", Children: orm.ListOf(a11)}
			a := &Node{Name: "a", Children: orm.ListOf(a1)}
			b := &Node{Name: "b"}
			root := &Node{Name: "root", Children: orm.ListOf(a, b)}
			must(t, s.Add(root))
			must(t, s.Commit(ctx))
			if a11.ParentID == nil || *a11.ParentID != a1.ID || *a.ParentID != root.ID {
				t.Fatalf("tree keys: %v %v", a11.ParentID, a.ParentID)
			}
			s2 := f.New()
			defer s2.Close(ctx)
			ga, err := orm.Get[Node](ctx, s2, a.ID)
			must(t, err)
			must(t, s2.Delete(ga))
			must(t, s2.Commit(ctx))
			var names []string
			rows, err := orm.Select[Node](f.New()).All(ctx)
			must(t, err)
			for _, n := range rows {
				names = append(names, n.Name)
			}
			if fmt.Sprint(names) != "[root b]" {
				t.Fatalf("left after deleting a's subtree: %v", names)
			}
		})

		t.Run("select-in loading in bounded queries", func(t *testing.T) {
			f, rec := setupRel(t, tg)
			s := f.New()
			defer s.Close(ctx)
			const parents, kids = 1000, 10
			for i := range parents {
				tm := &Team{Name: fmt.Sprintf("t%04d", i)}
				for j := range kids {
					tm.Members.Append(&Member{Name: fmt.Sprintf("m%02d", j)})
				}
				must(t, s.Add(tm))
			}
			must(t, s.Commit(ctx))
			s2 := f.New()
			defer s2.Close(ctx)
			rec.take("")
			teams, err := orm.Select[Team](s2).With("Members").All(ctx)
			must(t, err)
			selects, _ := rec.take("SELECT")
			if selects > 3 {
				t.Fatalf("%d SELECTs to load %d teams with their members, want at most 3", selects, parents)
			}
			total := 0
			for _, tm := range teams {
				ms, err := tm.Members.All()
				must(t, err)
				for j, m := range ms {
					if m.Name != fmt.Sprintf("m%02d", j) || *m.TeamID != tm.ID {
						t.Fatalf("team %s member %d: %s", tm.Name, j, m.Name)
					}
				}
				total += len(ms)
			}
			if len(teams) != parents || total != parents*kids {
				t.Fatalf("%d teams, %d members", len(teams), total)
			}
		})
	})
}

// Post <-> Tag, many-to-many through post_tag.
type Post struct {
	ID    int64         `db:"id,pk"`
	Title string        `db:"title"`
	Tags  orm.List[Tag] `rel:"secondary:post_tag,order_by:Name"`
}

type Tag struct {
	ID    int64          `db:"id,pk"`
	Name  string         `db:"name,unique"`
	Posts orm.List[Post] `rel:"secondary:post_tag,backref:Tags"`
}

// PostTag is the secondary table; it is registered for its schema only.
type PostTag struct {
	PostID int64 `db:"post_id,pk,noautoincrement,fk:post.id"`
	TagID  int64 `db:"tag_id,pk,noautoincrement,fk:tag.id"`
}

func TestManyToMany(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[Post](reg)
			orm.MustRegister[Tag](reg)
			orm.MustRegister[PostTag](reg)
		})
		db := f.DB()

		s := f.New()
		defer s.Close(ctx)
		golang, sql, db2 := &Tag{Name: "go"}, &Tag{Name: "sql"}, &Tag{Name: "db"}
		p1 := &Post{Title: "p1", Tags: orm.ListOf(golang, sql)}
		p2 := &Post{Title: "p2", Tags: orm.ListOf(sql, db2)}
		must(t, s.Add(p1))
		must(t, s.Add(p2))
		if ps, _ := sql.Posts.All(); len(ps) != 2 {
			t.Fatalf("the tag's side did not follow: %d posts", len(ps))
		}
		must(t, s.Commit(ctx))
		if n := countRowsDB(t, db, "post_tag"); n != 4 {
			t.Fatalf("%d pairs after insert", n)
		}
		// appending from the other side writes one pair, once
		must(t, db2.Posts.Append(p1))
		if ts, _ := p1.Tags.All(); len(ts) != 3 {
			t.Fatalf("p1 has %d tags in memory", len(ts))
		}
		must(t, s.Commit(ctx))
		if n := countRowsDB(t, db, "post_tag"); n != 5 {
			t.Fatalf("%d pairs after append", n)
		}

		// load in a new session: one query per side and level
		s2 := f.New()
		defer s2.Close(ctx)
		rec.take("")
		posts, err := orm.Select[Post](s2).OrderBy(expr.Asc(expr.C("title"))).With("Tags.Posts").All(ctx)
		must(t, err)
		if n, _ := rec.take("SELECT"); n != 3 {
			t.Fatalf("%d SELECTs for posts, their tags and the tags' posts", n)
		}
		var got []string
		for _, p := range posts {
			ts, err := p.Tags.All()
			must(t, err)
			for _, tg := range ts {
				ps, err := tg.Posts.All()
				must(t, err)
				got = append(got, fmt.Sprintf("%s:%s(%d)", p.Title, tg.Name, len(ps)))
			}
		}
		if strings.Join(got, " ") != "p1:db(2) p1:go(1) p1:sql(2) p2:db(2) p2:sql(2)" {
			t.Fatalf("loaded %v", got)
		}
		// remove a pair; delete a post whose tags are loaded; the tag stays
		lp1, lp2 := posts[0], posts[1]
		ts, _ := lp1.Tags.All()
		must(t, lp1.Tags.Remove(ts[1])) // go
		must(t, s2.Delete(lp2))
		must(t, s2.Commit(ctx))
		if n := countRowsDB(t, db, "post_tag"); n != 2 {
			t.Fatalf("%d pairs after removal and delete, want 2", n)
		}
		if n := countRowsDB(t, db, "tag"); n != 3 {
			t.Fatalf("%d tags", n)
		}
		// a post deleted with its tags never loaded: its pairs go first
		s3 := f.New()
		defer s3.Close(ctx)
		gp1, err := orm.Get[Post](ctx, s3, p1.ID)
		must(t, err)
		must(t, s3.Delete(gp1))
		must(t, s3.Commit(ctx))
		if n := countRowsDB(t, db, "post_tag"); n != 0 || countRowsDB(t, db, "post") != 0 {
			t.Fatalf("%d pairs, %d posts left", n, countRowsDB(t, db, "post"))
		}
	})
}

func countRowsDB(t *testing.T, db *engine.DB, table string) int {
	t.Helper()
	var n int
	must(t, db.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n))
	return n
}

// Document <-> DocVersion: a row cycle. A document points at its current
// version, every version at its document.
type Document struct {
	ID        int64                `db:"id,pk"`
	Title     string               `db:"title"`
	CurrentID *int64               `db:"current_id,fk:doc_version.id"`
	Current   orm.Ref[DocVersion]  `rel:"via:current_id,post_update"`
	Versions  orm.List[DocVersion] `rel:"cascade:all+delete-orphan"`
}

type DocVersion struct {
	ID         int64             `db:"id,pk"`
	DocumentID int64             `db:"document_id,fk:document.id"`
	Body       string            `db:"body"`
	Document   orm.Ref[Document] `rel:"backref:Versions"`
}

func TestPostUpdateCycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[Document](reg)
			orm.MustRegister[DocVersion](reg)
		})
		db := f.DB()
		s := f.New()
		defer s.Close(ctx)

		v1 := &DocVersion{Body: "first"}
		doc := &Document{Title: "d", Versions: orm.ListOf(v1), Current: orm.RefTo(v1)}
		must(t, s.Add(doc))
		rec.take("")
		must(t, s.Commit(ctx))
		_, all := rec.take("")
		if doc.CurrentID == nil || *doc.CurrentID != v1.ID || v1.DocumentID != doc.ID {
			t.Fatalf("after insert: current %v, version's document %d (%q)", doc.CurrentID, v1.DocumentID, all)
		}
		// both rows inserted, then the pointer set by an UPDATE
		if len(all) < 3 || !strings.HasPrefix(all[len(all)-2], "UPDATE") {
			t.Fatalf("insert of a row cycle sent %q", all)
		}
		// a new current version
		v2 := &DocVersion{Body: "second"}
		must(t, doc.Versions.Append(v2))
		must(t, doc.Current.Set(v2))
		must(t, s.Commit(ctx))
		if *doc.CurrentID != v2.ID {
			t.Fatalf("current %d, want %d", *doc.CurrentID, v2.ID)
		}
		check := f.New()
		defer check.Close(ctx)
		got, err := orm.Get[Document](ctx, check, doc.ID)
		must(t, err)
		must(t, orm.Load(ctx, check, got, "Current", "Versions"))
		cur, _ := got.Current.Get()
		if cur == nil || cur.Body != "second" {
			t.Fatalf("loaded current %v", cur)
		}
		// nothing left to write
		rec.take("")
		must(t, s.Commit(ctx))
		if _, all := rec.take(""); len(all) != 0 {
			t.Fatalf("a flush with nothing changed sent %q", all)
		}
		// delete: the pointer is cleared first, then versions, then the document
		must(t, check.Delete(got))
		must(t, check.Commit(ctx))
		if countRowsDB(t, db, "document")+countRowsDB(t, db, "doc_version") != 0 {
			t.Fatal("rows left after deleting the document")
		}
	})
}

func TestJoinedEagerLoading(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setupRel(t, tg)
		s := f.New()
		defer s.Close(ctx)
		red := &Team{Name: "red", Members: orm.ListOf(&Member{Name: "a"}, &Member{Name: "b"}), Lead: orm.RefTo(&TeamLead{Name: "boss"})}
		must(t, s.Add(red))
		must(t, s.Add(&Member{Name: "loner"}))
		must(t, s.Add(&Team{Name: "empty"}))
		must(t, s.Commit(ctx))

		s2 := f.New()
		defer s2.Close(ctx)
		rec.take("")
		mq := orm.Select[Member](s2)
		ms, err := mq.OrderBy(expr.Asc(mq.C("Name"))).WithJoined("Team").All(ctx)
		must(t, err)
		if n, all := rec.take(""); n != 1 || !strings.Contains(all[0], "LEFT JOIN") {
			t.Fatalf("joined loading sent %q", all)
		}
		if len(ms) != 3 {
			t.Fatalf("%d members", len(ms))
		}
		ta, _ := ms[0].Team.Get()
		tb, _ := ms[1].Team.Get()
		tl, err := ms[2].Team.Get()
		if err != nil || ta == nil || ta != tb || ta.Name != "red" || tl != nil {
			t.Fatalf("teams: %v %v %v (%v)", ta, tb, tl, err)
		}
		// the joined team is the session's object: Get needs no query
		if got, _ := orm.Get[Team](ctx, s2, ta.ID); got != ta {
			t.Fatal("joined object not in the identity map")
		}
		// one-to-one from the side without the key
		tq := orm.Select[Team](s2)
		teams, err := tq.OrderBy(expr.Asc(tq.C("Name"))).WithJoined("Lead").All(ctx)
		must(t, err)
		le, _ := teams[0].Lead.Get() // empty
		lr, _ := teams[1].Lead.Get() // red
		if le != nil || lr == nil || lr.Name != "boss" {
			t.Fatalf("leads: %v %v", le, lr)
		}
		// a collection cannot be joined
		if _, err := orm.Select[Team](s2).WithJoined("Members").All(ctx); err == nil {
			t.Fatal("joined a collection")
		}
		// nothing looks changed after joined loading
		rec.take("")
		must(t, s2.Commit(ctx))
		if _, all := rec.take(""); len(all) != 0 {
			t.Fatalf("commit after loading sent %q", all)
		}
	})
}

func TestMergeCascade(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setupRel(t, tg)
		s := f.New()
		defer s.Close(ctx)
		a, b := &Member{Name: "a"}, &Member{Name: "b"}
		tm := &Team{Name: "t", Members: orm.ListOf(a, b)}
		must(t, s.Add(tm))
		must(t, s.Commit(ctx))

		// a detached graph, as decoded from a request: the team renamed, a
		// renamed, b gone, c new
		in := &Team{ID: tm.ID, Name: "renamed", Members: orm.ListOf(
			&Member{ID: a.ID, TeamID: a.TeamID, Name: "a2"},
			&Member{Name: "c"},
		)}
		s2 := f.New()
		defer s2.Close(ctx)
		got, err := orm.Merge(ctx, s2, in)
		must(t, err)
		if got == in || got.Name != "renamed" {
			t.Fatalf("merged team %+v", got)
		}
		ms, err := got.Members.All()
		must(t, err)
		inMembers, _ := in.Members.All()
		if len(ms) != 2 || ms[0].Name != "a2" || ms[0] == inMembers[0] || ms[0].ID != a.ID {
			t.Fatalf("merged members %+v %+v", ms[0], ms[1])
		}
		must(t, s2.Commit(ctx))
		check := f.New()
		defer check.Close(ctx)
		all, err := orm.Select[Member](check).OrderBy(expr.Asc(expr.C("name"))).All(ctx)
		must(t, err)
		var rows []string
		for _, m := range all {
			team := "none"
			if m.TeamID != nil && *m.TeamID == tm.ID {
				team = "t"
			}
			rows = append(rows, m.Name+"@"+team)
		}
		if strings.Join(rows, " ") != "a2@t b@none c@t" {
			t.Fatalf("after merging the graph: %v", rows)
		}
		// merging never inserts a keyed row that is gone
		_, err = orm.Merge(ctx, f.New(), &Team{ID: tm.ID + 100, Members: orm.ListOf(&Member{Name: "x"})})
		if !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("merge of a missing team: %v", err)
		}
	})
}

// Shelf leaves its books to the database entirely (passive_deletes:all):
// not even loaded books are touched by the flush.
type Shelf struct {
	ID    int64               `db:"id,pk"`
	Books orm.List[ShelfBook] `rel:"cascade:save-update,passive_deletes:all"`
}

type ShelfBook struct {
	ID      int64 `db:"id,pk"`
	ShelfID int64 `db:"shelf_id,fk:shelf.id,ondelete:cascade"`
}

func TestPassiveDeletesAll(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[Shelf](reg)
			orm.MustRegister[ShelfBook](reg)
		})
		db := f.DB()
		s := f.New()
		defer s.Close(ctx)
		sh := &Shelf{Books: orm.ListOf(&ShelfBook{}, &ShelfBook{})}
		must(t, s.Add(sh))
		must(t, s.Commit(ctx))
		rec.take("")
		must(t, s.Delete(sh)) // its books are loaded, and left alone
		must(t, s.Commit(ctx))
		if _, all := rec.take(""); len(all) != 1 || !strings.HasPrefix(all[0], "DELETE FROM") || !strings.Contains(all[0], "shelf\"") && !strings.Contains(all[0], "shelf`") {
			t.Fatalf("passive all sent %q, want the shelf's DELETE alone", all)
		}
		if n := countRowsDB(t, db, "shelf_book"); n != 0 {
			t.Fatalf("the database left %d books", n)
		}
	})
}

// Deleting a pending parent takes its pending cascade with it: nothing is
// written, nothing is left half-inserted.
func TestDeletePendingGraph(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setupFolders(t, tg)
		s := f.New()
		defer s.Close(ctx)
		link := &FolderItem{Item: orm.RefTo(&Item{Name: "x"})}
		fo := &Folder{Name: "draft", Items: orm.ListOf(link)}
		must(t, s.Add(fo))
		must(t, s.Delete(fo))
		if s.Status(link) != orm.Transient {
			t.Fatalf("the link is %s", s.Status(link))
		}
		rec.take("")
		must(t, s.Commit(ctx))
		if _, all := rec.take(""); len(all) != 0 {
			t.Fatalf("a deleted pending graph sent %q", all)
		}
	})
}

// Relationship changes across savepoints and to new parents.
func TestRelationshipsAcrossSavepointsAndNewParents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setupRel(t, tg)
		s := f.New()
		defer s.Close(ctx)
		m := &Member{Name: "m"}
		old := &Team{Name: "old", Members: orm.ListOf(m)}
		must(t, s.Add(old))
		must(t, s.Commit(ctx))

		// a persistent child moved to a parent inserted by the same flush
		// gets the generated key after the INSERT
		fresh := &Team{Name: "fresh"}
		must(t, s.Add(fresh))
		must(t, m.Team.Set(fresh))
		must(t, s.Commit(ctx))
		if m.TeamID == nil || *m.TeamID != fresh.ID || fresh.ID == 0 {
			t.Fatalf("member key %v, fresh team %d", m.TeamID, fresh.ID)
		}
		if n, _ := old.Members.Len(); n != 0 {
			t.Fatalf("old team still lists %d members", n)
		}

		// a savepoint rolled back puts the lists back as they were
		must(t, s.Begin(ctx))
		sp, err := s.BeginNested(ctx)
		must(t, err)
		extra := &Member{Name: "extra"}
		must(t, fresh.Members.Append(extra))
		must(t, s.Flush(ctx))
		must(t, sp.Rollback(ctx))
		if ms, _ := fresh.Members.All(); len(ms) != 1 || ms[0] != m {
			t.Fatalf("after rolling back the savepoint: %d members", len(ms))
		}
		must(t, s.Commit(ctx))
		if c := countRows(t, f, "member"); c != 1 {
			t.Fatalf("%d members", c)
		}
	})
}

// A failed flush of a graph leaves the graph as it was: keys, positions
// and states restored, nothing written, and the next Commit succeeds.
func TestFailedGraphFlushRestores(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setupFolders(t, tg, folderPositionUnique)
		s := f.New()
		defer s.Close(ctx)
		fo := &Folder{Name: "f"}
		l1 := &FolderItem{Item: orm.RefTo(&Item{Name: "a"})}
		l2 := &FolderItem{Item: orm.RefTo(&Item{Name: "b"})}
		must(t, fo.Items.Append(l1, l2))
		must(t, s.Add(fo))
		must(t, s.Commit(ctx))
		// a second folder whose link reuses an item already linked
		// (item_id is unique): the link INSERT fails after the folder's
		// INSERT succeeded
		it1, _ := l1.Item.Get()
		bad := &Folder{Name: "bad"}
		dup := &FolderItem{ItemID: it1.ID}
		must(t, bad.Items.Append(dup))
		must(t, fo.Items.Move(1, 0))
		must(t, s.Add(bad))
		if err := s.Commit(ctx); err == nil {
			t.Fatal("a duplicate item link was accepted")
		}
		if bad.ID != 0 || dup.FolderID != 0 || s.Status(bad) != orm.Pending {
			t.Fatalf("after the failed flush: folder %d (%s), link folder_id %d", bad.ID, s.Status(bad), dup.FolderID)
		}
		if l1.Position != 0 || l2.Position != 1 {
			t.Fatalf("positions not restored: %d %d", l1.Position, l2.Position)
		}
		folderCounts(t, f, [3]int{1, 2, 2})
		// fix and go on: the move is still wanted
		must(t, bad.Items.Remove(dup))
		must(t, s.Commit(ctx))
		if l2.Position != 0 || l1.Position != 1 || bad.ID == 0 {
			t.Fatalf("after the retry: positions %d %d, folder %d", l1.Position, l2.Position, bad.ID)
		}
		folderCounts(t, f, [3]int{2, 2, 2})
	})
}

// Children appended to a List across flushes are each written once, with
// their parent's key: appends that fill the List's spare capacity (the
// snapshot of the last flush shares the array) are seen as new members,
// and a flush that fails leaves the appended child pending for the next.
func TestAppendsAcrossFlushesAreEachWrittenOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setupRel(t, tg)
		s := f.New()
		defer s.Close(ctx)
		a := &Author{Name: "a"}
		b1 := &Book{Title: "one"}
		must(t, a.Books.Append(b1))
		must(t, s.Add(a))
		must(t, s.Commit(ctx))
		b2 := &Book{Title: "two"}
		must(t, a.Books.Append(b2))
		must(t, s.Commit(ctx))
		b3 := &Book{ID: b1.ID, Title: "three"} // a key that is taken: the flush fails
		must(t, a.Books.Append(b3))
		if err := s.Commit(ctx); err == nil {
			t.Fatal("a duplicate key was committed")
		}
		if got := s.Status(b3); got != orm.Pending {
			t.Fatalf("after the failed flush the new book is %s, want pending", got)
		}
		b3.ID = 0
		b4 := &Book{Title: "four"}
		must(t, a.Books.Append(b4))
		must(t, s.Commit(ctx))
		if n := countRows(t, f, "book"); n != 4 {
			t.Fatalf("%d books written, want 4", n)
		}
		check := f.New()
		defer check.Close(ctx)
		got, err := orm.Select[Author](check).With("Books").All(ctx)
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("%d authors", len(got))
		}
		books, _ := got[0].Books.All()
		var titles []string
		for _, b := range books {
			titles = append(titles, b.Title)
		}
		slices.Sort(titles) // no order_by: the database's order
		if strings.Join(titles, ",") != "four,one,three,two" {
			t.Fatalf("the author's books: %v", titles)
		}
	})
}

// commitWritesNothing commits a session in which nothing changed and
// fails if any statement was sent.
func commitWritesNothing(t *testing.T, s *orm.Session, rec *recorder) {
	t.Helper()
	rec.take("")
	must(t, s.Commit(context.Background()))
	if n, all := rec.take(""); n != 0 {
		t.Fatalf("a flush with nothing changed wrote: %v", all)
	}
}

// A deleted object held in a List with no other side (TeamTag has no Ref
// to its team) leaves that List, and its snapshot, at the flush: the next
// flush sees no removal to act on.
func TestDeletingAnObjectTakesItOutOfAOneSidedList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setupRel(t, tg)
		s := f.New()
		defer s.Close(ctx)
		t1, t2 := &TeamTag{Tag: "one"}, &TeamTag{Tag: "two"}
		team := &Team{Name: "red", Tags: orm.ListOf(t1, t2)}
		must(t, s.Add(team))
		must(t, s.Add(t1)) // cascade:none: the tags are added by hand
		must(t, s.Add(t2))
		must(t, s.Commit(ctx))
		must(t, s.Delete(t1))
		must(t, s.Commit(ctx))
		if tags, _ := team.Tags.All(); len(tags) != 1 || tags[0] != t2 {
			t.Fatalf("the team's tags after the delete: %v", tags)
		}
		commitWritesNothing(t, s, rec)
		if n := countRows(t, f, "team_tag"); n != 1 {
			t.Fatalf("%d tags left, want 1", n)
		}
	})
}

// A deleted object held in a List whose other side it never loaded (the
// tag's Posts) leaves that List too: the post's Tags no longer hold it,
// and the next flush deletes no association row a second time.
func TestDeletingAnObjectTakesItOutOfListsItsOwnSideNeverLoaded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[Post](reg)
			orm.MustRegister[Tag](reg)
			orm.MustRegister[PostTag](reg)
		})
		setup := f.New()
		defer setup.Close(ctx)
		must(t, setup.Add(&Post{Title: "p", Tags: orm.ListOf(&Tag{Name: "go"}, &Tag{Name: "sql"})}))
		must(t, setup.Commit(ctx))

		s := f.New()
		defer s.Close(ctx)
		posts, err := orm.Select[Post](s).With("Tags").All(ctx)
		must(t, err)
		tags, _ := posts[0].Tags.All()
		if len(tags) != 2 {
			t.Fatalf("%d tags loaded", len(tags))
		}
		var gone *Tag
		for _, tag := range tags {
			if tag.Name == "go" {
				gone = tag
			}
		}
		must(t, s.Delete(gone))
		must(t, s.Commit(ctx))
		left, _ := posts[0].Tags.All()
		if len(left) != 1 || left[0].Name != "sql" {
			t.Fatalf("the post's tags after the delete: %v", left)
		}
		commitWritesNothing(t, s, rec)
		if n := countRows(t, f, "post_tag"); n != 1 {
			t.Fatalf("%d association rows left, want 1", n)
		}
	})
}

// An object expunged while an unchanged List of a persistent object still
// holds it is refused at the next flush, as on the first: the flush's
// shortcut for relationships unchanged since the last flush does not
// hide it.
func TestAFlushRefusesAnExpungedObjectAnUnchangedListStillHolds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setupRel(t, tg)

		t.Run("save-update reaches it", func(t *testing.T) {
			s := f.New()
			defer s.Close(ctx)
			b := &Book{Title: "b"}
			a := &Author{Name: "a", Books: orm.ListOf(b)}
			must(t, s.Add(a))
			must(t, s.Commit(ctx))
			must(t, s.Commit(ctx)) // a flush with nothing to do vouches too
			must(t, s.Expunge(b))
			err := s.Commit(ctx)
			if err == nil || !strings.Contains(err.Error(), "detached") {
				t.Fatalf("the flush after the expunge: %v, want the detached book refused", err)
			}
		})
		t.Run("no cascade reaches it", func(t *testing.T) {
			s := f.New()
			defer s.Close(ctx)
			tag := &TeamTag{Tag: "x"}
			team := &Team{Name: "red", Tags: orm.ListOf(tag)}
			must(t, s.Add(team))
			must(t, s.Add(tag))
			must(t, s.Commit(ctx))
			must(t, s.Expunge(tag))
			err := s.Commit(ctx)
			if err == nil || !strings.Contains(err.Error(), "not in the session") {
				t.Fatalf("the flush after the expunge: %v, want the expunged tag refused", err)
			}
		})
	})
}
