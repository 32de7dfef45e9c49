package orm_test

// Scenarios ported from SQLAlchemy's test/orm/test_unitofwork.py and
// test/orm/test_unitofworkv2.py: what a flush writes for each relationship
// shape, in which order, and what the objects hold afterwards.
// SQLAlchemy's assert_sql_execution checks of exact statements become
// checks of the rows, the objects and, where the scenario is about it, the
// statement kinds and counts.
//
// Skipped, with the reason:
//   - HistoryTest, LoadersUsingCommittedTest, NoAttrEventInFlushTest: the
//     attribute history and event APIs.
//   - UnicodeTest, UnicodeSchemaTest: Go strings are UTF-8; identifiers
//     are the dialect layer's (quoted everywhere).
//   - BinaryHistTest: history of bytes values.
//   - ClauseAttributesTest, test_update_to_sql_expr: SQL expressions as
//     attribute values.
//   - ColumnPropertyTest, SaveTest.test_synonym / test_deferred /
//     test_inherits / test_multi_table_selectable, InheritingRowSwitchTest:
//     column_property, synonyms, deferred columns, inheritance, mapping
//     selectables.
//   - SaveTest.test_lazyattr_commit: lazy loading.
//   - ManyToManyTest.test_scalar: a scalar (uselist=False) many-to-many;
//     Strata's many-to-many is a List.
//   - BatchDeleteIgnoresRowcountTest, BasicStaleChecksTest.*_broken_multi_
//     rowcount: drivers without reliable row counts.
//   - PartialNullPKTest: a primary key with a NULL part (Strata's key
//     columns are NOT NULL).
//   - NoRowInsertedTest, EnsurePKSortableTest, EnsureCacheTest,
//     ORMOnlyPrimaryKeyTest: mapper internals (Python sorting, cache keys,
//     keys the table does not have).
//   - TypeWoBoolTest, NullEvaluatingTest: Python types whose truth value or
//     None-evaluation is custom.
//   - EagerDefaultsSettingTest: the eager_defaults setting; Strata always
//     reads server values back (EagerDefaultsTest is ported).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

type SuUser struct {
	ID        int64               `db:"id,pk"`
	Name      string              `db:"name"`
	Addresses orm.List[SuAddress] `rel:""`
	Profile   orm.Ref[SuProfile]  `rel:""`
}

type SuAddress struct {
	ID     int64           `db:"id,pk"`
	UserID *int64          `db:"user_id,fk:su_user.id"`
	Email  string          `db:"email"`
	User   orm.Ref[SuUser] `rel:"backref:Addresses"`
}

// one-to-one (uselist=False), the key on the profile; not unique, as in
// SQLAlchemy's fixture (the unique variant is a gap:
// TestUowReplaceOneToOneUnderUniqueKey)
type SuProfile struct {
	ID     int64           `db:"id,pk"`
	UserID *int64          `db:"user_id,fk:su_user.id"`
	Bio    string          `db:"bio"`
	User   orm.Ref[SuUser] `rel:"backref:Profile"`
}

// two references to one table (test_double_relationship)
type SuPerson struct {
	ID     int64            `db:"id,pk"`
	Name   string           `db:"name"`
	HomeID *int64           `db:"home_id,fk:su_place.id"`
	WorkID *int64           `db:"work_id,fk:su_place.id"`
	Home   orm.Ref[SuPlace] `rel:"via:home_id"`
	Work   orm.Ref[SuPlace] `rel:"via:work_id"`
}

type SuPlace struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

// many-to-many with an extra column in the secondary table (SaveTest3)
type SuItem struct {
	ID       int64               `db:"id,pk"`
	Name     string              `db:"name"`
	Keywords orm.List[SuKeyword] `rel:"secondary:su_item_keyword,order_by:Name"`
}

type SuKeyword struct {
	ID    int64            `db:"id,pk"`
	Name  string           `db:"name,size:50,unique"`
	Items orm.List[SuItem] `rel:"secondary:su_item_keyword,backref:Keywords"`
}

type SuItemKeyword struct {
	ItemID    int64 `db:"item_id,pk,noautoincrement,fk:su_item.id"`
	KeywordID int64 `db:"keyword_id,pk,noautoincrement,fk:su_keyword.id"`
	Weight    int32 `db:"weight,default:7"`
}

// association object (test_association)
type SuOrder struct {
	ID    int64                 `db:"id,pk"`
	Name  string                `db:"name"`
	Lines orm.List[SuOrderLine] `rel:"cascade:all+delete-orphan"`
}

type SuOrderLine struct {
	OrderID   int64              `db:"order_id,pk,noautoincrement,fk:su_order.id"`
	KeywordID int64              `db:"keyword_id,pk,noautoincrement,fk:su_keyword.id"`
	Qty       int32              `db:"qty"`
	Order     orm.Ref[SuOrder]   `rel:"backref:Lines"`
	Keyword   orm.Ref[SuKeyword] `rel:""`
}

// self-referential (SingleCycleTest)
type SuNode struct {
	ID       int64            `db:"id,pk"`
	ParentID *int64           `db:"parent_id,fk:su_node.id"`
	Data     string           `db:"data"`
	Parent   orm.Ref[SuNode]  `rel:"via:parent_id,backref:Children"`
	Children orm.List[SuNode] `rel:"via:parent_id"`
}

// self-referential many-to-many (SingleCycleM2MTest)
type SuGraphNode struct {
	ID       int64                 `db:"id,pk"`
	Data     string                `db:"data"`
	Children orm.List[SuGraphNode] `rel:"secondary:su_graph_edge,via:parent_id,order_by:Data"`
}

type SuGraphEdge struct {
	ParentID int64 `db:"parent_id,pk,noautoincrement,fk:su_graph_node.id"`
	ChildID  int64 `db:"child_id,pk,noautoincrement,fk:su_graph_node.id"`
}

// passive deletes with ON DELETE CASCADE (PassiveDeletesTest)
type SuMyTable struct {
	ID       int64               `db:"id,pk"`
	Data     string              `db:"data"`
	Children orm.List[SuMyOther] `rel:"cascade:all,passive_deletes"`
}

type SuMyOther struct {
	ID       int64  `db:"id,pk"`
	ParentID int64  `db:"parent_id,fk:su_my_table.id,ondelete:cascade"`
	Data     string `db:"data"`
}

// passive_deletes:all without a database cascade (ExtraPassiveDeletesTest)
type SuKeep struct {
	ID       int64               `db:"id,pk"`
	Children orm.List[SuKeepKid] `rel:"passive_deletes:all"`
}

type SuKeepKid struct {
	ID       int64 `db:"id,pk"`
	ParentID int64 `db:"parent_id,fk:su_keep.id"`
}

// a primary key that is also a foreign key (ForeignPKTest)
type SuPeople struct {
	Person string                 `db:"person,pk,size:40"`
	First  string                 `db:"firstname"`
	Sites  orm.List[SuPeopleSite] `rel:""`
}

type SuPeopleSite struct {
	Person string `db:"person,pk,size:40,fk:su_people.person"`
	Site   string `db:"site"`
}

// defaults (DefaultTest, EagerDefaultsTest, BooleanColTest)
type SuDefaults struct {
	ID      int64     `db:"id,pk"`
	Hoho    string    `db:"hoho,size:20,default:'im the default'"`
	Counter int64     `db:"counter,default:7"`
	Flag    bool      `db:"flag"`
	Stamp   time.Time `db:"stamp,default:now"`
	Foober  string    `db:"foober"`
	Touched int64     `db:"touched"`
}

// RowswitchAccountingTest fixture: a one-to-one child, all+delete-orphan.
type SuAcParent struct {
	ID    int64              `db:"id,pk,noautoincrement"`
	Data  int32              `db:"data"`
	Child orm.Ref[SuAcChild] `rel:"cascade:all+delete-orphan"`
}

type SuAcChild struct {
	ID       int64               `db:"id,pk"`
	ParentID *int64              `db:"parent_id,fk:su_ac_parent.id"`
	Parent   orm.Ref[SuAcParent] `rel:"backref:Child"`
}

func registerSu(reg *orm.Registry) {
	orm.MustRegister[SuUser](reg)
	orm.MustRegister[SuAddress](reg)
	orm.MustRegister[SuProfile](reg)
	orm.MustRegister[SuPerson](reg)
	orm.MustRegister[SuPlace](reg)
	orm.MustRegister[SuItem](reg)
	orm.MustRegister[SuKeyword](reg)
	orm.MustRegister[SuItemKeyword](reg)
	orm.MustRegister[SuOrder](reg)
	orm.MustRegister[SuOrderLine](reg)
	orm.MustRegister[SuNode](reg)
	orm.MustRegister[SuGraphNode](reg)
	orm.MustRegister[SuGraphEdge](reg)
	orm.MustRegister[SuMyTable](reg)
	orm.MustRegister[SuMyOther](reg)
	orm.MustRegister[SuKeep](reg)
	orm.MustRegister[SuKeepKid](reg)
	orm.MustRegister[SuPeople](reg)
	orm.MustRegister[SuPeopleSite](reg)
	orm.MustRegister[SuAcParent](reg)
	orm.MustRegister[SuAcChild](reg)
	var n int64
	orm.MustRegister[SuDefaults](reg, orm.OnUpdate("Touched", func() any { n++; return n }))
}

// stmtKinds counts the recorded statements by their first word.
func stmtKinds(all []string) map[string]int {
	out := map[string]int{}
	for _, q := range all {
		w, _, _ := strings.Cut(q, " ")
		out[w]++
	}
	return out
}

// SaveTest.test_basic, PKTest.test_manual_pk, test_dont_update_blanks: an
// insert fills the key, an Update writes only what changed, a flush with
// no change writes nothing, a key given by the program is written.
func TestUowSaveBasicAndManualKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		u := &SuUser{Name: "savetester"}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		if u.ID == 0 {
			t.Fatal("no key after insert")
		}
		got, err := orm.Get[SuUser](ctx, s, u.ID)
		must(t, err)
		if got != u {
			t.Fatal("identity map")
		}
		u.Name = "modifiedname"
		rec.take("")
		must(t, s.Commit(ctx))
		if n, all := rec.take("UPDATE"); n != 1 || !strings.Contains(strings.Join(all, " "), "name") {
			t.Fatalf("update of the name: %q", all)
		}
		must(t, s.Commit(ctx))
		if _, all := rec.take(""); len(all) != 0 {
			t.Fatalf("a flush with nothing changed sent %q", all)
		}
		s2 := f.New()
		defer s2.Close(ctx)
		g2, err := orm.Get[SuUser](ctx, s2, u.ID)
		must(t, err)
		if g2.Name != "modifiedname" {
			t.Fatalf("loaded %q", g2.Name)
		}
		// PKTest.test_manual_pk
		m := &SuUser{ID: 1000, Name: "manual"}
		must(t, s2.Add(m))
		must(t, s2.Commit(ctx))
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_user WHERE id = 1000 AND name = 'manual'"); n != 1 {
			t.Fatal("the given key was not written")
		}
		wantStatus(t, s2, orm.Persistent, m)
	})
}

// SaveTest.test_batch_mode, BatchInsertsTest, TryToFoolInsertManyValuesTest:
// many new rows go out in one INSERT, and the values read back (keys and
// server defaults) land in the right objects.
func TestUowBatchInsertMatchesReturnedRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		var ds []*SuDefaults
		for i := 0; i < 120; i++ {
			d := &SuDefaults{Foober: fmt.Sprintf("row %03d", i)}
			if i%3 == 0 {
				d.Hoho = fmt.Sprintf("given %03d", i)
			}
			ds = append(ds, d)
			must(t, s.Add(d))
		}
		rec.take("")
		must(t, s.Commit(ctx))
		if n, all := rec.take("INSERT"); n > 2 {
			t.Fatalf("%d INSERTs for 120 rows of two column sets: %q", n, all[:3])
		}
		s2 := f.New()
		defer s2.Close(ctx)
		for i, d := range ds {
			got, err := orm.Get[SuDefaults](ctx, s2, d.ID)
			must(t, err)
			if got.Foober != d.Foober || got.Hoho != d.Hoho || d.Counter != 7 || d.Stamp.IsZero() {
				t.Fatalf("row %d: object %+v, row %+v", i, d, got)
			}
			if i%3 != 0 && d.Hoho != "im the default" {
				t.Fatalf("row %d did not read the server default back: %q", i, d.Hoho)
			}
		}
	})
}

// DefaultTest.test_insert / test_update, EagerDefaultsTest, BooleanColTest:
// server defaults are in the object after the INSERT, an onupdate rule
// runs on each UPDATE, false and zero are written as values.
func TestUowDefaultsAndZeroValues(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		d := &SuDefaults{Foober: "a", Flag: true}
		must(t, s.Add(d))
		must(t, s.Commit(ctx))
		if d.Hoho != "im the default" || d.Counter != 7 || d.Stamp.IsZero() || d.Touched != 0 {
			t.Fatalf("after insert %+v", d)
		}
		d.Foober = "b"
		d.Flag = false
		must(t, s.Commit(ctx))
		if d.Touched == 0 {
			t.Fatal("the onupdate rule did not run")
		}
		first := d.Touched
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_defaults WHERE NOT flag"); n != 1 {
			t.Fatal("false was not written")
		}
		d.Counter = 0 // a zero is a value
		must(t, s.Commit(ctx))
		if n := sqlaCount(t, f, "SELECT counter FROM su_defaults WHERE id = "+itoa(d.ID)); n != 0 {
			t.Fatalf("counter %d in the row, want 0", n)
		}
		if d.Touched == first {
			t.Fatal("the onupdate rule did not run again")
		}
	})
}

// OneToManyTest.test_one_to_many_1 / _2: appending and removing children
// of a persistent parent sets and clears their key; replacing the list.
func TestUowOneToManyAppendRemoveReplace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		a1, a2 := &SuAddress{Email: "one"}, &SuAddress{Email: "two"}
		u := &SuUser{Name: "one2manytester", Addresses: orm.ListOf(a1, a2)}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		if i64(a1.UserID) != u.ID || i64(a2.UserID) != u.ID {
			t.Fatal("keys not set")
		}
		a2.Email = "changed"
		a3 := &SuAddress{Email: "three"}
		must(t, u.Addresses.Remove(a1))
		must(t, u.Addresses.Append(a3))
		must(t, s.Commit(ctx))
		if a1.UserID != nil || i64(a3.UserID) != u.ID {
			t.Fatalf("a1 %v a3 %v", a1.UserID, a3.UserID)
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_address WHERE user_id = "+itoa(u.ID)); n != 2 {
			t.Fatalf("%d addresses of the user", n)
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_address WHERE email = 'changed'"); n != 1 {
			t.Fatal("a2's change not written")
		}
		// _2: replace with a new list
		a4 := &SuAddress{Email: "four"}
		must(t, u.Addresses.Set([]*SuAddress{a4}))
		must(t, s.Commit(ctx))
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_address WHERE user_id = "+itoa(u.ID)); n != 1 {
			t.Fatalf("%d addresses after the replace", n)
		}
		if a2.UserID != nil || a3.UserID != nil {
			t.Fatal("replaced addresses keep the key")
		}
		wantStatus(t, s, orm.Persistent, a1, a2, a3, a4)
	})
}

// OneToManyTest.test_child_move / test_child_move_2: a child moves from one
// parent to another (both persistent, or the new one pending) in one flush.
func TestUowOneToManyChildMove(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		a := &SuAddress{Email: "a"}
		u1 := &SuUser{Name: "u1", Addresses: orm.ListOf(a)}
		u2 := &SuUser{Name: "u2"}
		must(t, s.Add(u1))
		must(t, s.Add(u2))
		must(t, s.Commit(ctx))
		must(t, u1.Addresses.Remove(a))
		must(t, u2.Addresses.Append(a))
		must(t, s.Commit(ctx))
		if i64(a.UserID) != u2.ID {
			t.Fatalf("a belongs to %d, want u2 %d", i64(a.UserID), u2.ID)
		}
		// _2: to a new parent, without removing it first
		u3 := &SuUser{Name: "u3"}
		must(t, s.Add(u3))
		must(t, u3.Addresses.Append(a))
		must(t, s.Commit(ctx))
		if i64(a.UserID) != u3.ID {
			t.Fatalf("a belongs to %d, want u3 %d", i64(a.UserID), u3.ID)
		}
		if n, _ := u2.Addresses.Len(); n != 0 {
			t.Fatal("u2 still lists the moved address")
		}
		s2 := f.New()
		defer s2.Close(ctx)
		g3, err := orm.Get[SuUser](ctx, s2, u3.ID)
		must(t, err)
		must(t, orm.Load(ctx, s2, g3, "Addresses"))
		if as, _ := g3.Addresses.All(); len(as) != 1 || as[0].Email != "a" {
			t.Fatalf("u3 loaded with %v", as)
		}
	})
}

// OneToManyTest.test_o2m_delete_parent, RudimentaryFlushTest
// .test_one_to_many_delete_parent: deleting a parent without a delete
// cascade sets its children's key to NULL (loaded, and not).
func TestUowDeleteParentNullsChildren(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		a := &SuAddress{Email: "a"}
		u := &SuUser{Name: "u", Addresses: orm.ListOf(a)}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		must(t, s.Delete(u))
		must(t, s.Commit(ctx))
		if a.UserID != nil {
			t.Fatal("loaded child keeps the key")
		}
		wantStatus(t, s, orm.Persistent, a)
		wantStatus(t, s, orm.Detached, u)
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_address WHERE user_id IS NULL"); n != 1 {
			t.Fatal("the child's row keeps the key")
		}
	})
}

// OneToManyTest.test_one_to_one, ManyToOneTest.test_m2o_one_to_one: a
// one-to-one (key on the profile) set, replaced (the old one's key set to
// NULL), and set from the profile's side.
func TestUowOneToOne(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		p1 := &SuProfile{Bio: "p1"}
		u := &SuUser{Name: "u", Profile: orm.RefTo(p1)}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		if i64(p1.UserID) != u.ID {
			t.Fatal("profile key not set")
		}
		p2 := &SuProfile{Bio: "p2"}
		must(t, u.Profile.Set(p2))
		must(t, s.Commit(ctx))
		if p1.UserID != nil || i64(p2.UserID) != u.ID {
			t.Fatalf("p1 %v p2 %v", p1.UserID, p2.UserID)
		}
		// from the other side
		u2 := &SuUser{Name: "u2"}
		must(t, s.Add(u2))
		must(t, p1.User.Set(u2))
		if got, _ := u2.Profile.Get(); got != p1 {
			t.Fatal("the user's side did not follow")
		}
		must(t, s.Commit(ctx))
		if i64(p1.UserID) != u2.ID {
			t.Fatal("p1 not given to u2")
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_profile WHERE user_id IS NOT NULL"); n != 2 {
			t.Fatalf("%d profiles held", n)
		}
	})
}

// OneToManyTest.test_double_relationship: two references to the same
// table through different keys.
func TestUowTwoReferencesToOneTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		home, work := &SuPlace{Name: "home"}, &SuPlace{Name: "work"}
		p := &SuPerson{Name: "p", Home: orm.RefTo(home), Work: orm.RefTo(work)}
		must(t, s.Add(p))
		must(t, s.Commit(ctx))
		if i64(p.HomeID) != home.ID || i64(p.WorkID) != work.ID || home.ID == work.ID {
			t.Fatalf("home %d/%d work %d/%d", i64(p.HomeID), home.ID, i64(p.WorkID), work.ID)
		}
		must(t, p.Work.Set(home))
		must(t, s.Commit(ctx))
		s2 := f.New()
		defer s2.Close(ctx)
		g, err := orm.Get[SuPerson](ctx, s2, p.ID)
		must(t, err)
		must(t, orm.Load(ctx, s2, g, "Home", "Work"))
		h, _ := g.Home.Get()
		w, _ := g.Work.Get()
		if h == nil || h != w || h.Name != "home" {
			t.Fatalf("loaded home %v work %v", h, w)
		}
	})
}

// ManyToOneTest.test_many_to_one_1/2/3, RudimentaryFlushTest
// .test_many_to_one_save / _delete_target / _del_attr: set, replace,
// clear a many-to-one; delete its target after clearing.
func TestUowManyToOne(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		u1 := &SuUser{Name: "u1"}
		a := &SuAddress{Email: "a", User: orm.RefTo(u1)}
		must(t, s.Add(a))
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Persistent, u1)
		if i64(a.UserID) != u1.ID {
			t.Fatal("key not set")
		}
		u2 := &SuUser{Name: "u2"}
		must(t, a.User.Set(u2))
		wantStatus(t, s, orm.Pending, u2)
		must(t, s.Commit(ctx))
		if i64(a.UserID) != u2.ID {
			t.Fatal("key not replaced")
		}
		must(t, a.User.Set(nil))
		must(t, s.Commit(ctx))
		if a.UserID != nil {
			t.Fatal("key not cleared")
		}
		must(t, s.Delete(u2))
		must(t, s.Commit(ctx))
		wantCounts(t, f, "su_user", 1, "su_address", 1)
		// many-to-one delete of the child only: the parent stays
		// (test_many_to_one_delete_childonly_unloaded)
		must(t, a.User.Set(u1))
		must(t, s.Commit(ctx))
		s2 := f.New()
		defer s2.Close(ctx)
		ga, err := orm.Get[SuAddress](ctx, s2, a.ID)
		must(t, err)
		must(t, s2.Delete(ga))
		must(t, s2.Commit(ctx))
		wantCounts(t, f, "su_user", 1, "su_address", 0)
	})
}

// ManyToManyTest.test_many_to_many / _remove / _update, SaveTest3
// .test_manytomany_xtracol_delete, RudimentaryFlushTest.test_many_to_many:
// pairs written once, removed, kept across an update of the item, and
// removed with the item; the secondary table's extra column takes its
// default.
func TestUowManyToMany(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		blue, red, big := &SuKeyword{Name: "blue"}, &SuKeyword{Name: "red"}, &SuKeyword{Name: "big"}
		i1 := &SuItem{Name: "mm_item1", Keywords: orm.ListOf(blue, big)}
		i2 := &SuItem{Name: "mm_item2", Keywords: orm.ListOf(red, big)}
		must(t, s.Add(i1))
		must(t, s.Add(i2))
		must(t, s.Commit(ctx))
		wantCounts(t, f, "su_item_keyword", 4)
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_item_keyword WHERE weight = 7"); n != 4 {
			t.Fatal("the extra column did not take its default")
		}
		if is, _ := big.Items.All(); len(is) != 2 {
			t.Fatalf("big lists %d items", len(is))
		}
		// _remove and _update
		must(t, i1.Keywords.Remove(big))
		i2.Name = "mm_item2 renamed"
		must(t, s.Commit(ctx))
		wantCounts(t, f, "su_item_keyword", 3)
		s2 := f.New()
		defer s2.Close(ctx)
		items, err := orm.Select[SuItem](s2).With("Keywords").All(ctx)
		must(t, err)
		var got []string
		for _, it := range items {
			ks, _ := it.Keywords.All()
			for _, k := range ks {
				got = append(got, it.Name+":"+k.Name)
			}
		}
		if g := strings.Join(got, " "); g != "mm_item1:blue mm_item2 renamed:big mm_item2 renamed:red" {
			t.Fatalf("loaded %s", g)
		}
		// xtracol_delete: deleting an item removes its pairs, keywords stay
		must(t, s.Delete(i2))
		must(t, s.Commit(ctx))
		wantCounts(t, f, "su_item_keyword", 1, "su_keyword", 3, "su_item", 1)
	})
}

// ManyToManyTest.test_association: an association object carrying a
// column, keyed by both parents; removing one deletes its row.
func TestUowAssociationObject(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		k1, k2 := &SuKeyword{Name: "k1"}, &SuKeyword{Name: "k2"}
		l1 := &SuOrderLine{Qty: 1, Keyword: orm.RefTo(k1)}
		l2 := &SuOrderLine{Qty: 2, Keyword: orm.RefTo(k2)}
		o := &SuOrder{Name: "o", Lines: orm.ListOf(l1, l2)}
		must(t, s.Add(o))
		must(t, s.Commit(ctx))
		if l1.OrderID != o.ID || l1.KeywordID != k1.ID || l2.KeywordID != k2.ID {
			t.Fatalf("line keys %+v %+v", l1, l2)
		}
		got, err := orm.Get[SuOrderLine](ctx, s, o.ID, k2.ID)
		must(t, err)
		if got != l2 {
			t.Fatal("Get by the composite key")
		}
		must(t, o.Lines.Remove(l1))
		l2.Qty = 5
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Detached, l1)
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_order_line WHERE qty = 5"); n != 1 || countRows(t, f, "su_order_line") != 1 {
			t.Fatal("association rows after the change")
		}
		wantCounts(t, f, "su_keyword", 2)
	})
}

// ForeignPKTest.test_basic: a child whose primary key is its foreign key
// gets it from the parent.
func TestUowForeignKeyIsPrimaryKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		ps := &SuPeopleSite{Site: "some site"}
		p := &SuPeople{Person: "im the key", First: "asdf", Sites: orm.ListOf(ps)}
		must(t, s.Add(p))
		must(t, s.Commit(ctx))
		if ps.Person != "im the key" {
			t.Fatalf("site's key %q", ps.Person)
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_people_site WHERE person = 'im the key'"); n != 1 {
			t.Fatal("site row")
		}
		got, err := orm.Get[SuPeopleSite](ctx, s, "im the key")
		must(t, err)
		if got != ps {
			t.Fatal("Get by the foreign primary key")
		}
	})
}

// PassiveDeletesTest.test_basic: with passive_deletes and ON DELETE
// CASCADE, deleting a parent whose children are not loaded sends one
// DELETE; the database removes the children. With the children loaded,
// they are deleted too and become detached.
func TestUowPassiveDeletesLeaveUnloadedToDatabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerSu)
		s0 := f.New()
		mt := &SuMyTable{Data: "mt1", Children: orm.ListOf(&SuMyOther{Data: "1"}, &SuMyOther{Data: "2"})}
		mt2 := &SuMyTable{Data: "mt2", Children: orm.ListOf(&SuMyOther{Data: "3"})}
		must(t, s0.Add(mt))
		must(t, s0.Add(mt2))
		must(t, s0.Commit(ctx))
		must(t, s0.Close(ctx))
		s := f.New()
		defer s.Close(ctx)
		g, err := orm.Get[SuMyTable](ctx, s, mt.ID)
		must(t, err)
		rec.take("")
		must(t, s.Delete(g))
		must(t, s.Commit(ctx))
		k := stmtKinds(func() []string { _, a := rec.take(""); return a }())
		if k["SELECT"] != 0 || k["DELETE"] != 1 {
			t.Fatalf("statements %v, want one DELETE and no SELECT", k)
		}
		wantCounts(t, f, "su_my_table", 1, "su_my_other", 1)
		// loaded children are deleted with it (cascade all)
		g2, err := orm.Get[SuMyTable](ctx, s, mt2.ID)
		must(t, err)
		must(t, orm.Load(ctx, s, g2, "Children"))
		kids, _ := g2.Children.All()
		must(t, s.Delete(g2))
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Detached, kids[0], g2)
		wantCounts(t, f, "su_my_table", 0, "su_my_other", 0)
	})
}

// ExtraPassiveDeletesTest.test_extra_passive / test_dont_emit /
// PassiveDeletesTest.test_backwards_pd: passive_deletes:all touches no
// child, loaded or not, so without a database cascade the delete fails on
// the foreign key and nothing is lost; passive_deletes on the reference
// side is refused at registration.
func TestUowPassiveDeletesAllTouchesNoChild(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		k := &SuKeepKid{}
		p := &SuKeep{Children: orm.ListOf(k)}
		must(t, s.Add(p))
		must(t, s.Commit(ctx))
		rec.take("")
		must(t, s.Delete(p))
		err := s.Commit(ctx)
		if err == nil {
			t.Fatal("deleting a parent with a child and no database cascade succeeded")
		}
		_, all := rec.take("")
		for _, q := range all {
			if strings.Contains(q, "su_keep_kid") {
				t.Fatalf("passive_deletes:all touched the child: %q", q)
			}
		}
		wantCounts(t, f, "su_keep", 1, "su_keep_kid", 1)
		if k.ParentID != p.ID {
			t.Fatal("the child's key changed")
		}
		// backwards passive_deletes
		type SuBwParent struct {
			ID int64 `db:"id,pk"`
		}
		type SuBwChild struct {
			ID       int64               `db:"id,pk"`
			ParentID int64               `db:"parent_id,fk:su_bw_parent.id"`
			Parent   orm.Ref[SuBwParent] `rel:"passive_deletes"`
		}
		reg := orm.NewRegistry()
		orm.MustRegister[SuBwParent](reg)
		orm.MustRegister[SuBwChild](reg)
		if err := reg.Check(); !errors.Is(err, orm.ErrInvalidModel) {
			t.Fatalf("passive_deletes on the reference side: %v", err)
		}
	})
}

// SingleCycleTest: a self-referential table: a tree saved parents first
// (one_to_many_save / many_to_one_save / bidirectional_multilevel_save),
// children moved between parents (bidirectional_mutations_one), a parent
// deleted with its children's keys set to NULL (one_to_many_delete_parent,
// many_to_one_set_null_unloaded), and everything deleted
// (one_to_many_delete_all, delete_unloaded_m2o).
func TestUowSelfReferentialSingleCycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		n1 := &SuNode{Data: "n1"}
		n2, n3 := &SuNode{Data: "n2"}, &SuNode{Data: "n3"}
		n4 := &SuNode{Data: "n4", Parent: orm.RefTo(n3)} // many-to-one side
		must(t, n1.Children.Append(n2, n3))
		must(t, s.Add(n1))
		must(t, s.Add(n4))
		must(t, s.Commit(ctx))
		if i64(n2.ParentID) != n1.ID || i64(n3.ParentID) != n1.ID || i64(n4.ParentID) != n3.ID {
			t.Fatal("tree keys")
		}
		if cs, _ := n3.Children.All(); len(cs) != 1 || cs[0] != n4 {
			t.Fatal("n3's children did not follow n4's reference")
		}
		// bidirectional_mutations_one: n4 moves under n2
		must(t, n2.Children.Append(n4))
		must(t, s.Commit(ctx))
		if i64(n4.ParentID) != n2.ID {
			t.Fatal("n4 did not move")
		}
		if n, _ := n3.Children.Len(); n != 0 {
			t.Fatal("n3 still lists n4")
		}
		// delete_parent: n2's child n4 keeps its row, key NULL
		must(t, n1.Children.Remove(n2))
		must(t, s.Delete(n2))
		must(t, s.Commit(ctx))
		if n4.ParentID != nil {
			t.Fatal("n4 keeps its deleted parent's key")
		}
		// set_null_unloaded: a new session deletes n1 without its children loaded
		s2 := f.New()
		defer s2.Close(ctx)
		g1, err := orm.Get[SuNode](ctx, s2, n1.ID)
		must(t, err)
		must(t, s2.Delete(g1))
		must(t, s2.Commit(ctx))
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_node WHERE parent_id IS NULL"); n != 2 || countRows(t, f, "su_node") != 2 {
			t.Fatalf("%d roots of %d nodes", n, countRows(t, f, "su_node"))
		}
	})
}

// SingleCycleM2MTest.test_many_to_many_one: a self-referential
// many-to-many; pairs written, and removed with a node.
func TestUowSelfReferentialManyToMany(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		n1, n2, n3, n4, n5 := &SuGraphNode{Data: "n1"}, &SuGraphNode{Data: "n2"}, &SuGraphNode{Data: "n3"}, &SuGraphNode{Data: "n4"}, &SuGraphNode{Data: "n5"}
		must(t, n1.Children.Append(n2, n3, n4))
		must(t, n2.Children.Append(n4, n5))
		must(t, n5.Children.Append(n1)) // a cycle of pairs, not of rows
		must(t, s.Add(n1))
		must(t, s.Commit(ctx))
		wantCounts(t, f, "su_graph_node", 5, "su_graph_edge", 6)
		s2 := f.New()
		defer s2.Close(ctx)
		g, err := orm.Get[SuGraphNode](ctx, s2, n2.ID)
		must(t, err)
		must(t, orm.Load(ctx, s2, g, "Children.Children"))
		cs, _ := g.Children.All()
		if len(cs) != 2 || cs[0].Data != "n4" || cs[1].Data != "n5" {
			t.Fatalf("n2's children %v", cs)
		}
		gcs, _ := cs[1].Children.All()
		if len(gcs) != 1 || gcs[0].ID != n1.ID {
			t.Fatal("n5's children")
		}
		must(t, n1.Children.Remove(n3))
		must(t, s.Commit(ctx))
		wantCounts(t, f, "su_graph_edge", 5)
	})
}

// BasicStaleChecksTest.test_update_single_missing and test_delete_twice:
// an UPDATE or a DELETE of a row someone else deleted is a
// StaleDataError by default (SQLAlchemy raises for the UPDATE and only
// warns for an unversioned DELETE; Strata's default for both is the
// error; the opt-in is TestUowIdempotentDeleteOptIn).
func TestUowWriteOfGoneRowIsStale(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		u1, u2 := &SuUser{Name: "u1"}, &SuUser{Name: "u2"}
		must(t, s.Add(u1))
		must(t, s.Add(u2))
		must(t, s.Commit(ctx))
		_, err := f.DB().Exec(ctx, "DELETE FROM su_user")
		must(t, err)
		u1.Name = "changed"
		var sde *orm.StaleDataError
		if err := s.Commit(ctx); !errors.As(err, &sde) || sde.Op != "UPDATE" {
			t.Fatalf("update of a gone row: %v", err)
		}
		wantCounts(t, f, "su_user", 0)
		wantStatus(t, s, orm.Persistent, u1)
		u1.Name = "u1"
		must(t, s.Delete(u2))
		if err := s.Commit(ctx); !errors.As(err, &sde) || sde.Op != "DELETE" {
			t.Fatalf("delete of a gone row: %v", err)
		}
		wantCounts(t, f, "su_user", 0)
	})
}

// RudimentaryFlushTest.test_natural_ordering: rows of one table are
// inserted in the order they were added.
func TestUowInsertsInAddOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		var us []*SuUser
		for _, n := range []string{"c", "a", "d", "b"} {
			u := &SuUser{Name: n}
			us = append(us, u)
			must(t, s.Add(u))
		}
		must(t, s.Commit(ctx))
		for i := 1; i < len(us); i++ {
			if us[i].ID <= us[i-1].ID {
				t.Fatalf("ids %d, %d out of add order", us[i-1].ID, us[i].ID)
			}
		}
		got, err := orm.RawQuery[SuUser](ctx, s, "SELECT id, name FROM su_user ORDER BY id")
		must(t, err)
		var names []string
		for _, u := range got {
			names = append(names, u.Name)
		}
		if strings.Join(names, "") != "cadb" {
			t.Fatalf("rows in id order: %v", names)
		}
	})
}

// RowswitchAccountingTest.test_switch_on_update.
//
// SQLAlchemy: merging a detached Parent(id=1) with a new one-to-one Child
// over a persistent Parent(id=1) whose Child is another: the old child is
// an orphan (deleted), the new one inserted, the session consistent; done
// twice.
// Strata does the same: Merge cascading through a one-to-one with
// delete-orphan replaces the child (the old one deleted at the flush).
func TestUowMergeReplacesOneToOneChild(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s0 := f.New()
		must(t, s0.Add(&SuAcParent{ID: 1, Child: orm.RefTo(&SuAcChild{})}))
		must(t, s0.Commit(ctx))
		must(t, s0.Close(ctx))
		s := f.New()
		defer s.Close(ctx)
		for i := 0; i < 2; i++ {
			p, err := orm.Merge(ctx, s, &SuAcParent{ID: 1, Child: orm.RefTo(&SuAcChild{})})
			must(t, err)
			must(t, s.Flush(ctx))
			c, err := p.Child.Get()
			must(t, err)
			if c == nil || s.Status(c) != orm.Persistent {
				t.Fatalf("round %d: merged child %v", i, c)
			}
			if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_ac_child WHERE parent_id = 1"); n != 1 || countRows(t, f, "su_ac_child") != 1 {
				t.Fatalf("round %d: %d children", i, countRows(t, f, "su_ac_child"))
			}
		}
		must(t, s.Commit(ctx))
	})
}

// RowSwitchTest fixture: T5 -> T6 one-to-many all+delete-orphan, T5 <-> T7
// many-to-many, keys given by the program.
type SuT5 struct {
	ID   int64          `db:"id,pk,noautoincrement"`
	Data string         `db:"data"`
	T6s  orm.List[SuT6] `rel:"cascade:all+delete-orphan"`
	T7s  orm.List[SuT7] `rel:"secondary:su_t5t7"`
}

type SuT6 struct {
	ID   int64         `db:"id,pk,noautoincrement"`
	Data string        `db:"data"`
	T5ID *int64        `db:"t5id,fk:su_t5.id"`
	T5   orm.Ref[SuT5] `rel:"backref:T6s"`
}

type SuT7 struct {
	ID   int64  `db:"id,pk,noautoincrement"`
	Data string `db:"data"`
}

type SuT5t7 struct {
	T5ID int64 `db:"t5id,pk,noautoincrement,fk:su_t5.id"`
	T7ID int64 `db:"t7id,pk,noautoincrement,fk:su_t7.id"`
}

// RowswitchM2OTest fixture: A -> B all+delete-orphan, B -> C many-to-one.
type SuRA struct {
	ID int64          `db:"id,pk,noautoincrement"`
	Bs orm.List[SuRB] `rel:"cascade:all+delete-orphan"`
}

type SuRB struct {
	ID  int64         `db:"id,pk,noautoincrement"`
	AID *int64        `db:"a_id,fk:su_ra.id"`
	CID *int64        `db:"c_id,fk:su_rc.id"`
	C   orm.Ref[SuRC] `rel:"via:c_id"`
}

type SuRC struct {
	ID int64 `db:"id,pk,noautoincrement"`
}

// A one-to-one under a unique key, default cascade (the old one is nulled).
type SuSeat struct {
	ID     int64             `db:"id,pk"`
	Ticket orm.Ref[SuTicket] `rel:""`
}

type SuTicket struct {
	ID     int64  `db:"id,pk"`
	SeatID *int64 `db:"seat_id,fk:su_seat.id,unique"`
	Code   string `db:"code"`
}

// SuLog: rows deleted by a factory with IdempotentDeletes.
type SuLog struct {
	ID   int64  `db:"id,pk"`
	Text string `db:"text"`
}

func registerSuAll(reg *orm.Registry) {
	registerSu(reg)
	orm.MustRegister[SuT5](reg)
	orm.MustRegister[SuT6](reg)
	orm.MustRegister[SuT7](reg)
	orm.MustRegister[SuT5t7](reg)
	orm.MustRegister[SuRA](reg)
	orm.MustRegister[SuRB](reg)
	orm.MustRegister[SuRC](reg)
	orm.MustRegister[SuSeat](reg)
	orm.MustRegister[SuTicket](reg)
	orm.MustRegister[SuLog](reg)
}

// RowSwitchTest.test_onetomany.
//
// SQLAlchemy: T5(id=1) with T6s 1 and 2 committed; the T5 deleted and a new
// T5(id=1) with T6 3 added in one flush: the t5 row is UPDATEd (data
// changes), T6s 1 and 2 are deleted (orphans of the deleted object), T6 3
// inserted; no DELETE of t5, no key violation.
// Strata does this: row switch: a Deleted and a Pending object of one key in one
// flush are one UPDATE of the row; the new object persistent, the old one
// detached; the old one's delete-orphan children deleted, the new one's
// inserted.
func TestUowRowSwitchOneToMany(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerSuAll)
		s := f.New()
		defer s.Close(ctx)
		o5 := &SuT5{ID: 1, Data: "some t5", T6s: orm.ListOf(&SuT6{ID: 1, Data: "some t6"}, &SuT6{ID: 2, Data: "some other t6"})}
		must(t, s.Add(o5))
		must(t, s.Commit(ctx))
		must(t, s.Delete(o5))
		n5 := &SuT5{ID: 1, Data: "some other t5", T6s: orm.ListOf(&SuT6{ID: 3, Data: "third t6"})}
		must(t, s.Add(n5))
		rec.take("")
		must(t, s.Commit(ctx))
		_, all := rec.take("")
		for _, q := range all {
			if len(q) > 6 && q[:6] == "DELETE" && containsAny(q, "su_t5\"", "su_t5`") {
				t.Fatalf("the row switch deleted the t5 row: %q", q)
			}
		}
		wantStatus(t, s, orm.Persistent, n5)
		wantStatus(t, s, orm.Detached, o5)
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_t5 WHERE id = 1 AND data = 'some other t5'"); n != 1 {
			t.Fatal("the t5 row was not switched")
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_t6 WHERE id = 3 AND t5id = 1"); n != 1 || countRows(t, f, "su_t6") != 1 {
			t.Fatalf("t6 rows: %d", countRows(t, f, "su_t6"))
		}
	})
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		for i := 0; i+len(x) <= len(s); i++ {
			if s[i:i+len(x)] == x {
				return true
			}
		}
	}
	return false
}

// RowSwitchTest.test_manytomany.
//
// SQLAlchemy: T5(id=1) with T7s 1 and 2; the T5 deleted and a new T5(id=1)
// holding T7 1 and a new T7 3 added: the t5 row updated, its association
// rows become (1,1), (1,3).
// Strata does this: row switch, with the many-to-many pairs of the deleted object
// replaced by the new object's.
func TestUowRowSwitchManyToMany(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSuAll)
		s := f.New()
		defer s.Close(ctx)
		t71, t72 := &SuT7{ID: 1, Data: "t7 1"}, &SuT7{ID: 2, Data: "t7 2"}
		o5 := &SuT5{ID: 1, Data: "some t5", T7s: orm.ListOf(t71, t72)}
		must(t, s.Add(o5))
		must(t, s.Commit(ctx))
		must(t, s.Delete(o5))
		n5 := &SuT5{ID: 1, Data: "some other t5", T7s: orm.ListOf(t71, &SuT7{ID: 3, Data: "t7 3"})}
		must(t, s.Add(n5))
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Persistent, n5, t71, t72)
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_t5t7 WHERE t5id = 1 AND t7id IN (1, 3)"); n != 2 || countRows(t, f, "su_t5t7") != 2 {
			t.Fatalf("pairs: %d", countRows(t, f, "su_t5t7"))
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_t5 WHERE data = 'some other t5'"); n != 1 {
			t.Fatal("the t5 row was not switched")
		}
	})
}

// RowSwitchTest.test_manytoone.
//
// SQLAlchemy: T6(id=1) referencing T5 1; the T6 deleted and a new T6(id=1)
// referencing a new T5 2 added: the t6 row updated to point at 2.
// Strata does this: row switch of a child whose many-to-one changes.
func TestUowRowSwitchManyToOne(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSuAll)
		s := f.New()
		defer s.Close(ctx)
		o6 := &SuT6{ID: 1, Data: "some t6", T5: orm.RefTo(&SuT5{ID: 1, Data: "some t5"})}
		must(t, s.Add(o6))
		must(t, s.Commit(ctx))
		must(t, s.Delete(o6))
		n6 := &SuT6{ID: 1, Data: "some other t6", T5: orm.RefTo(&SuT5{ID: 2, Data: "some other t5"})}
		must(t, s.Add(n6))
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Persistent, n6)
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_t6 WHERE id = 1 AND t5id = 2 AND data = 'some other t6'"); n != 1 || countRows(t, f, "su_t6") != 1 {
			t.Fatal("the t6 row was not switched")
		}
		wantCounts(t, f, "su_t5", 2)
	})
}

// RowswitchM2OTest.test_set_none_replaces_m2o / test_set_none_w_get_replaces_m2o.
//
// SQLAlchemy: A's list of Bs replaced by a new B with the same key and no
// C: the delete-orphan of the old B and the insert of the new one become
// an UPDATE, and c_id is written NULL.
// Strata does this: row switch through a delete-orphan collection; the new object's
// fields (including NULLs) written in full.
func TestUowRowSwitchReplacesDeleteOrphanChild(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSuAll)
		s := f.New()
		defer s.Close(ctx)
		a := &SuRA{ID: 1, Bs: orm.ListOf(&SuRB{ID: 1, C: orm.RefTo(&SuRC{ID: 1})})}
		must(t, s.Add(a))
		must(t, s.Commit(ctx))
		nb := &SuRB{ID: 1}
		must(t, a.Bs.Set([]*SuRB{nb}))
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Persistent, nb)
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_rb WHERE id = 1 AND a_id = 1 AND c_id IS NULL"); n != 1 {
			t.Fatal("the b row was not switched to c_id NULL")
		}
		wantCounts(t, f, "su_rc", 1)
	})
}

// SingleCycleTest.test_cycle_rowswitch.
//
// SQLAlchemy: n1 with child n2; n2 deleted and a new n3 given n2's key and
// appended to n1 in one flush: an UPDATE of the row.
// Strata does this: row switch on a self-referential table.
func TestUowRowSwitchSelfReferential(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSuAll)
		s := f.New()
		defer s.Close(ctx)
		n2 := &SuNode{Data: "n2"}
		n1 := &SuNode{Data: "n1", Children: orm.ListOf(n2)}
		must(t, s.Add(n1))
		must(t, s.Commit(ctx))
		must(t, s.Delete(n2))
		n3 := &SuNode{ID: n2.ID, Data: "n3"}
		must(t, n1.Children.Append(n3))
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Persistent, n3)
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_node WHERE id = "+itoa(n2.ID)+" AND data = 'n3' AND parent_id = "+itoa(n1.ID)); n != 1 {
			t.Fatal("the row was not switched")
		}
	})
}

// BasicStaleChecksTest.test_delete_multi_missing_allow (confirm_deleted_rows
// =False).
//
// SQLAlchemy: with confirm_deleted_rows=False, deleting objects whose rows
// are already gone is not checked: the flush succeeds, the objects are
// detached.
// Strata does this: an opt-in idempotent delete for a model (here proposed as a
// ConfirmDeletedRows() bool method; a Register option would do), the
// default staying an error; documented.
func TestUowIdempotentDeleteOptIn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSuAll, orm.IdempotentDeletes())
		s := f.New()
		defer s.Close(ctx)
		l1, l2 := &SuLog{Text: "a"}, &SuLog{Text: "b"}
		must(t, s.Add(l1))
		must(t, s.Add(l2))
		must(t, s.Commit(ctx))
		_, err := f.DB().Exec(ctx, "DELETE FROM su_log WHERE text = 'a'")
		must(t, err)
		must(t, s.Delete(l1))
		must(t, s.Delete(l2))
		if err := s.Commit(ctx); err != nil {
			t.Fatalf("idempotent delete of a gone row: %v", err)
		}
		wantStatus(t, s, orm.Detached, l1, l2)
		wantCounts(t, f, "su_log", 0)
		if _, err := orm.Get[SuLog](ctx, s, l2.ID); !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("Get of the deleted row: %v", err)
		}
	})
}

// RudimentaryFlushTest.test_one_to_many_delete_all: a user and all its
// addresses deleted explicitly (no delete cascade): the addresses are
// deleted, never nulled first, then the user.
func TestUowDeleteParentAndChildrenTogether(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		a1, a2 := &SuAddress{Email: "a1"}, &SuAddress{Email: "a2"}
		u := &SuUser{Name: "u1", Addresses: orm.ListOf(a1, a2)}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		must(t, s.Delete(u))
		must(t, s.Delete(a1))
		must(t, s.Delete(a2))
		rec.take("")
		must(t, s.Commit(ctx))
		_, all := rec.take("")
		k := stmtKinds(all)
		if k["UPDATE"] != 0 || k["DELETE"] != 2 {
			t.Fatalf("statements %v, want two DELETEs and no UPDATE: %q", k, all)
		}
		wantStatus(t, s, orm.Detached, u, a1, a2)
		wantCounts(t, f, "su_user", 0, "su_address", 0)
	})
}

// RudimentaryFlushTest.test_many_to_one_delete_unloaded /
// test_many_to_one_delete_all: an address whose user is not loaded and the
// user deleted together: the address goes first.
func TestUowDeleteChildAndUnloadedParentTogether(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s0 := f.New()
		a := &SuAddress{Email: "a", User: orm.RefTo(&SuUser{Name: "u"})}
		must(t, s0.Add(a))
		must(t, s0.Commit(ctx))
		must(t, s0.Close(ctx))
		s := f.New()
		defer s.Close(ctx)
		ga, err := orm.Get[SuAddress](ctx, s, a.ID)
		must(t, err)
		gu, err := orm.Get[SuUser](ctx, s, *a.UserID)
		must(t, err)
		must(t, s.Delete(gu)) // the user first, as the program said it
		must(t, s.Delete(ga))
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Detached, ga, gu)
		wantCounts(t, f, "su_user", 0, "su_address", 0)
	})
}

// RudimentaryFlushTest.test_natural_selfref: nodes of a self-referential
// table added child first are inserted parent first.
func TestUowSelfReferentialInsertsParentsFirst(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		n1 := &SuNode{Data: "n1"}
		n2 := &SuNode{Data: "n2", Parent: orm.RefTo(n1)}
		n3 := &SuNode{Data: "n3", Parent: orm.RefTo(n2)}
		must(t, s.Add(n3)) // the deepest first: the others come by cascade
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Persistent, n1, n2, n3)
		if !(n1.ID < n2.ID && n2.ID < n3.ID) {
			t.Fatalf("ids %d %d %d: not inserted parents first", n1.ID, n2.ID, n3.ID)
		}
		if i64(n3.ParentID) != n2.ID || i64(n2.ParentID) != n1.ID || n1.ParentID != nil {
			t.Fatal("keys")
		}
	})
}

// RudimentaryFlushTest.test_o2m_flush_size / test_m2o_flush_size: a change
// to one child of a loaded graph sends one UPDATE and nothing else; adding
// a child to a loaded parent sends one INSERT.
func TestUowFlushSizeOfSmallChanges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		a1, a2 := &SuAddress{Email: "a1"}, &SuAddress{Email: "a2"}
		u := &SuUser{Name: "u", Addresses: orm.ListOf(a1, a2)}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		a2.Email = "changed"
		rec.take("")
		must(t, s.Flush(ctx))
		if _, all := rec.take(""); len(stripTx(all)) != 1 || !strings.HasPrefix(stripTx(all)[0], "UPDATE") {
			t.Fatalf("one changed address sent %q", all)
		}
		must(t, u.Addresses.Append(&SuAddress{Email: "a3"}))
		must(t, s.Flush(ctx))
		if _, all := rec.take(""); len(stripTx(all)) != 1 || !strings.HasPrefix(stripTx(all)[0], "INSERT") {
			t.Fatalf("one new address sent %q", all)
		}
		must(t, s.Commit(ctx))
	})
}

// stripTx drops transaction control statements.
func stripTx(all []string) []string {
	var out []string
	for _, q := range all {
		if q == "BEGIN" || q == "COMMIT" || q == "ROLLBACK" || strings.HasPrefix(q, "SAVEPOINT") || strings.HasPrefix(q, "RELEASE") {
			continue
		}
		out = append(out, q)
	}
	return out
}

// SingleCycleTest.test_one_to_many_delete_all / test_many_to_one_delete_all:
// every node of a self-referential tree deleted explicitly (no delete
// cascade): children before parents, no UPDATE nulling keys of rows that
// are going anyway.
func TestUowSelfReferentialDeleteAll(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, registerSu)
		s := f.New()
		defer s.Close(ctx)
		n1 := &SuNode{Data: "n1"}
		n2, n3 := &SuNode{Data: "n2"}, &SuNode{Data: "n3"}
		n4 := &SuNode{Data: "n4"}
		must(t, n1.Children.Append(n2, n3))
		must(t, n3.Children.Append(n4))
		must(t, s.Add(n1))
		must(t, s.Commit(ctx))
		for _, n := range []*SuNode{n1, n4, n2, n3} { // in no particular order
			must(t, s.Delete(n))
		}
		rec.take("")
		must(t, s.Commit(ctx))
		_, all := rec.take("")
		if k := stmtKinds(all); k["UPDATE"] != 0 {
			t.Fatalf("deleting a whole tree sent UPDATEs: %q", all)
		}
		wantStatus(t, s, orm.Detached, n1, n2, n3, n4)
		wantCounts(t, f, "su_node", 0)
	})
}

// RowswitchAccountingTest.test_switch_on_delete.
//
// SQLAlchemy: a persistent Parent(id=1) whose key is changed to 5 and then
// deleted: the DELETE matches the row by its committed key (1); the table
// is empty.
// Strata: the same; the DELETE of a Deleted object matches the key its
// row holds (the snapshot), whatever the key fields hold.
func TestUowDeleteAfterKeyChangeDeletesCommittedRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSuAll)
		s := f.New()
		defer s.Close(ctx)
		p := &SuAcParent{ID: 1, Data: 2}
		must(t, s.Add(p))
		must(t, s.Flush(ctx))
		p.ID = 5
		must(t, s.Delete(p))
		if p.ID != 5 {
			t.Fatal("Delete changed the key field")
		}
		must(t, s.Commit(ctx))
		wantCounts(t, f, "su_ac_parent", 0)
		wantStatus(t, s, orm.Detached, p)
	})
}

// OneToManyTest.test_one_to_one with a unique key on the child (SQLAlchemy
// emits a table's UPDATEs before its INSERTs in persistence.save_obj, so
// the nulling of the old child precedes the new child's INSERT).
//
// SQLAlchemy: replacing the one-to-one value nulls the old row's key and
// inserts the new row; the unique constraint is never violated.
// Strata: the same; UPDATEs that only release a unique value (null-outs of
// replaced children) run before the INSERTs that may take it.
func TestUowReplaceOneToOneUnderUniqueKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSuAll)
		s := f.New()
		defer s.Close(ctx)
		old := &SuTicket{Code: "old"}
		seat := &SuSeat{Ticket: orm.RefTo(old)}
		must(t, s.Add(seat))
		must(t, s.Commit(ctx))
		nw := &SuTicket{Code: "new"}
		must(t, seat.Ticket.Set(nw))
		must(t, s.Commit(ctx))
		if old.SeatID != nil || i64(nw.SeatID) != seat.ID {
			t.Fatalf("old %v new %v", old.SeatID, nw.SeatID)
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_ticket WHERE seat_id IS NULL AND code = 'old'"); n != 1 {
			t.Fatal("the old ticket was not released")
		}
	})
}
