package orm_test

// Scenarios ported from SQLAlchemy's test/orm/test_naturalpks.py: natural
// (application-given) primary keys, foreign keys to them and to unique
// non-key columns. SQLAlchemy's passive_updates=True (the database's ON
// UPDATE CASCADE does the work) is a foreign key declared with
// onupdate:cascade; passive_updates=False is a foreign key without it (the
// ORM must update the children).
//
// Changing a primary key is not supported by Strata yet: those scenarios
// are in sqla_naturalpk_gaps_test.go (build tag uowgaps).
//
// Skipped, with the reason:
//   - test_update_to_sql_expr / test_update_to_self_sql_expr: assigning a SQL
//     expression to an attribute; Strata fields hold Go values.
//   - test_load_after_expire / test_flush_new_pk_after_expire: expiry; Strata
//     never expires objects.
//   - test_manytoone_deferred_relationship_expr: deferred relationship
//     expressions of Query.
//   - TransientExceptionTesst: mapper internals (identity of a transient
//     object used in a query criterion).
//   - JoinedInheritanceTest, JoinedInheritancePKOnFKTest: inheritance.
//   - UnsortablePKTest: Python-specific sorting of enum key values.
//   - *_uselist variants: uselist=False is a Ref in Strata; covered by the
//     one-to-one scenarios.

import (
	"context"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// Natural keys, ON UPDATE CASCADE in the database (passive updates).
type SnUser struct {
	Username  string               `db:"username,pk,size:50"`
	Fullname  string               `db:"fullname"`
	Addresses orm.List[SnAddress]  `rel:""`
	Items     orm.List[SnItem]     `rel:"secondary:sn_user_item"`
	Profile   orm.Ref[SnProfile]   `rel:"cascade:all+delete-orphan"`
	Children  orm.List[SnUserNote] `rel:"cascade:all+delete-orphan"`
}

type SnAddress struct {
	Email    string          `db:"email,pk,size:50"`
	Username *string         `db:"username,size:50,fk:sn_user.username,onupdate:cascade"`
	User     orm.Ref[SnUser] `rel:"backref:Addresses"`
}

type SnItem struct {
	Itemname string `db:"itemname,pk,size:50"`
	Descr    string `db:"descr"`
}

type SnUserItem struct {
	Username string `db:"username,pk,size:50,fk:sn_user.username,onupdate:cascade"`
	Itemname string `db:"itemname,pk,size:50,fk:sn_item.itemname,onupdate:cascade"`
}

// one-to-one on a natural key
type SnProfile struct {
	ID       int64           `db:"id,pk"`
	Username string          `db:"username,size:50,unique,fk:sn_user.username,onupdate:cascade"`
	Bio      string          `db:"bio"`
	User     orm.Ref[SnUser] `rel:"backref:Profile"`
}

// the foreign key is part of the child's primary key (CascadeToFKPKTest)
type SnUserNote struct {
	Username string          `db:"username,pk,size:50,fk:sn_user.username,onupdate:cascade"`
	Seq      int32           `db:"seq,pk,noautoincrement"`
	Text     string          `db:"text"`
	User     orm.Ref[SnUser] `rel:"backref:Children"`
}

// A foreign key to a unique column that is not the primary key
// (NonPKCascadeTest), passive and not.
type SnMember struct {
	ID     int64             `db:"id,pk"`
	Handle string            `db:"handle,size:50,unique"`
	Posts  orm.List[SnPost]  `rel:""`
	Badges orm.List[SnBadge] `rel:""`
}

type SnPost struct {
	ID     int64             `db:"id,pk"`
	Handle *string           `db:"handle,size:50,fk:sn_member.handle,onupdate:cascade"`
	Title  string            `db:"title"`
	Member orm.Ref[SnMember] `rel:"backref:Posts"`
}

type SnBadge struct {
	ID     int64             `db:"id,pk"`
	Handle *string           `db:"handle,size:50,fk:sn_member.handle"`
	Name   string            `db:"name"`
	Member orm.Ref[SnMember] `rel:"backref:Badges"`
}

// Composite natural key (ReversePKsTest).
type SnDoc struct {
	Code   int32  `db:"code,pk,noautoincrement"`
	Status int32  `db:"status,pk,noautoincrement"`
	Name   string `db:"name"`
}

// Self-referential on a natural key (SelfReferentialTest).
type SnNode struct {
	Name       string           `db:"name,pk,size:50"`
	ParentName *string          `db:"parent_name,size:50,fk:sn_node.name,onupdate:cascade"`
	Parent     orm.Ref[SnNode]  `rel:"via:parent_name,backref:Children"`
	Children   orm.List[SnNode] `rel:"via:parent_name"`
}

func registerSn(reg *orm.Registry) {
	orm.MustRegister[SnUser](reg)
	orm.MustRegister[SnAddress](reg)
	orm.MustRegister[SnItem](reg)
	orm.MustRegister[SnUserItem](reg)
	orm.MustRegister[SnProfile](reg)
	orm.MustRegister[SnUserNote](reg)
	orm.MustRegister[SnMember](reg)
	orm.MustRegister[SnPost](reg)
	orm.MustRegister[SnBadge](reg)
	orm.MustRegister[SnDoc](reg)
	orm.MustRegister[SnNode](reg)
}

func strp(s string) *string { return &s }

// NaturalPKTest.test_entity (insert and identity part): a natural key is
// written as given and is the identity.
func TestNaturalKeyIsTheIdentity(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSn)
		s := f.New()
		defer s.Close(ctx)
		u := &SnUser{Username: "jack", Fullname: "jack"}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Persistent, u)
		got, err := orm.Get[SnUser](ctx, s, "jack")
		must(t, err)
		if got != u {
			t.Fatal("Get by the natural key is not the added object")
		}
		s2 := f.New()
		defer s2.Close(ctx)
		got2, err := orm.Get[SnUser](ctx, s2, "jack")
		must(t, err)
		if got2 == nil || got2.Fullname != "jack" {
			t.Fatalf("loaded %+v", got2)
		}
		// a second object with the same natural key is refused, nothing lost
		must(t, s2.Add(&SnUser{Username: "jack", Fullname: "other"}))
		if err := s2.Commit(ctx); err == nil {
			t.Fatal("a duplicate natural key was committed")
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM sn_user WHERE fullname = 'jack'"); n != 1 {
			t.Fatalf("%d users named jack", n)
		}
	})
}

// NaturalPKTest._test_onetomany / _test_manytoone / _test_manytomany (the
// insert part): children take the parent's natural key, through a List, a
// Ref, a secondary table and a key that is part of the child's key.
func TestNaturalKeyFlowsToChildren(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSn)
		s := f.New()
		defer s.Close(ctx)
		a1, a2 := &SnAddress{Email: "jack1"}, &SnAddress{Email: "jack2"}
		i1, i2 := &SnItem{Itemname: "item1"}, &SnItem{Itemname: "item2"}
		n1 := &SnUserNote{Seq: 1, Text: "n1"}
		p := &SnProfile{Bio: "b"}
		u := &SnUser{Username: "jack", Fullname: "jack",
			Addresses: orm.ListOf(a1, a2), Items: orm.ListOf(i1, i2),
			Children: orm.ListOf(n1), Profile: orm.RefTo(p)}
		a3 := &SnAddress{Email: "jack3"}
		must(t, s.Add(u))
		must(t, s.Add(a3))
		must(t, a3.User.Set(u)) // many-to-one side
		must(t, s.Commit(ctx))
		wantStatus(t, s, orm.Persistent, u, a1, a2, a3, i1, i2, n1, p)
		for _, a := range []*SnAddress{a1, a2, a3} {
			if a.Username == nil || *a.Username != "jack" {
				t.Fatalf("address %s key %v", a.Email, a.Username)
			}
		}
		if n1.Username != "jack" || p.Username != "jack" {
			t.Fatalf("note key %q, profile key %q", n1.Username, p.Username)
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM sn_address WHERE username = 'jack'"); n != 3 {
			t.Fatalf("%d addresses of jack", n)
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM sn_user_item WHERE username = 'jack'"); n != 2 {
			t.Fatalf("%d item pairs of jack", n)
		}
		// read back through every relationship
		s2 := f.New()
		defer s2.Close(ctx)
		got, err := orm.Get[SnUser](ctx, s2, "jack")
		must(t, err)
		must(t, orm.Load(ctx, s2, got, "Addresses", "Items", "Children", "Profile"))
		as, _ := got.Addresses.All()
		is, _ := got.Items.All()
		ns, _ := got.Children.All()
		pr, _ := got.Profile.Get()
		if len(as) != 3 || len(is) != 2 || len(ns) != 1 || pr == nil || pr.Bio != "b" {
			t.Fatalf("loaded %d addresses, %d items, %d notes, profile %v", len(as), len(is), len(ns), pr)
		}
		gn, err := orm.Get[SnUserNote](ctx, s2, "jack", int32(1))
		must(t, err)
		if gn != ns[0] {
			t.Fatal("Get by the composite key is not the loaded note")
		}
	})
}

// NaturalPKTest._test_onetomany, the last part: emptying the collection and
// changing nothing else sets the children's natural foreign key to NULL.
func TestNaturalKeyChildrenRemovedAreNulled(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSn)
		s := f.New()
		defer s.Close(ctx)
		a1, a2 := &SnAddress{Email: "jack1"}, &SnAddress{Email: "jack2"}
		u := &SnUser{Username: "jack", Fullname: "jack", Addresses: orm.ListOf(a1, a2)}
		must(t, s.Add(u))
		must(t, s.Commit(ctx))
		must(t, u.Addresses.Set(nil))
		must(t, s.Commit(ctx))
		if a1.Username != nil || a2.Username != nil {
			t.Fatal("removed addresses still hold the key")
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM sn_address WHERE username IS NULL"); n != 2 {
			t.Fatalf("%d addresses without a user", n)
		}
		wantStatus(t, s, orm.Persistent, a1, a2, u)
	})
}
