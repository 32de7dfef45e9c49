package orm_test

import (
	"context"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// Moving a child to another parent, in every relationship shape: one-to-
// many and one-to-one, with and without a back reference, with delete
// and delete-orphan cascades, single_parent on the reference side, over
// nullable and NOT NULL keys. The child always ends with the new
// parent's key: never deleted with the old parent, never nulled.

// one-to-many, cascade delete, nullable key, no back reference
type MvUser struct {
	ID     int64             `db:"id,pk"`
	Name   string            `db:"name"`
	Orders orm.List[MvOrder] `rel:"cascade:all"`
}
type MvOrder struct {
	ID     int64  `db:"id,pk"`
	UserID *int64 `db:"user_id,fk:mv_user.id"`
	Name   string `db:"name"`
}

// one-to-many with a back reference, delete-orphan, NOT NULL key
type MvFolder struct {
	ID    int64            `db:"id,pk"`
	Name  string           `db:"name"`
	Items orm.List[MvItem] `rel:"cascade:all+delete-orphan"`
}
type MvItem struct {
	ID       int64             `db:"id,pk"`
	FolderID int64             `db:"folder_id,fk:mv_folder.id"`
	Name     string            `db:"name"`
	Folder   orm.Ref[MvFolder] `rel:"backref:Items"`
}

// one-to-many with a back reference, cascade delete, NOT NULL key
type MvShop struct {
	ID    int64             `db:"id,pk"`
	Name  string            `db:"name"`
	Staff orm.List[MvClerk] `rel:"cascade:all"`
}
type MvClerk struct {
	ID     int64           `db:"id,pk"`
	ShopID int64           `db:"shop_id,fk:mv_shop.id"`
	Name   string          `db:"name"`
	Shop   orm.Ref[MvShop] `rel:"backref:Staff"`
}

// one-to-one (the key on the child), cascade delete, nullable, no back
// reference
type MvCar struct {
	ID     int64             `db:"id,pk"`
	Name   string            `db:"name"`
	Engine orm.Ref[MvEngine] `rel:"cascade:all"`
}
type MvEngine struct {
	ID    int64  `db:"id,pk"`
	CarID *int64 `db:"car_id,fk:mv_car.id,unique"`
	Name  string `db:"name"`
}

// one-to-one with a single_parent back reference, delete-orphan, NOT NULL
type MvDesk struct {
	ID   int64           `db:"id,pk"`
	Name string          `db:"name"`
	Lamp orm.Ref[MvLamp] `rel:"cascade:all+delete-orphan"`
}
type MvLamp struct {
	ID     int64           `db:"id,pk"`
	DeskID int64           `db:"desk_id,fk:mv_desk.id,unique"`
	Name   string          `db:"name"`
	Desk   orm.Ref[MvDesk] `rel:"backref:Lamp,single_parent"`
}

func registerMoves(reg *orm.Registry) {
	orm.MustRegister[MvUser](reg)
	orm.MustRegister[MvOrder](reg)
	orm.MustRegister[MvFolder](reg)
	orm.MustRegister[MvItem](reg)
	orm.MustRegister[MvShop](reg)
	orm.MustRegister[MvClerk](reg)
	orm.MustRegister[MvCar](reg)
	orm.MustRegister[MvEngine](reg)
	orm.MustRegister[MvDesk](reg)
	orm.MustRegister[MvLamp](reg)
}

// moveShape drives one parent/child pair of types.
type moveShape[P, C any] struct {
	name     string
	rel      string // the parent's relationship field
	parent   func(name string) *P
	child    func(name string) *C
	attach   func(p *P, c *C) error
	detach   func(p *P, c *C) error
	parentID func(p *P) int64
	childFK  func(c *C) int64 // 0 for NULL
	childID  func(c *C) int64
}

func TestMoveChildToAnotherParent(t *testing.T) {
	deref := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	runMoves(t, moveShape[MvUser, MvOrder]{
		name: "one-to-many/no-backref/delete/nullable", rel: "Orders",
		parent:   func(n string) *MvUser { return &MvUser{Name: n} },
		child:    func(n string) *MvOrder { return &MvOrder{Name: n} },
		attach:   func(p *MvUser, c *MvOrder) error { return p.Orders.Append(c) },
		detach:   func(p *MvUser, c *MvOrder) error { return p.Orders.Remove(c) },
		parentID: func(p *MvUser) int64 { return p.ID },
		childFK:  func(c *MvOrder) int64 { return deref(c.UserID) },
		childID:  func(c *MvOrder) int64 { return c.ID },
	})
	runMoves(t, moveShape[MvFolder, MvItem]{
		name: "one-to-many/backref/delete-orphan/not-null", rel: "Items",
		parent:   func(n string) *MvFolder { return &MvFolder{Name: n} },
		child:    func(n string) *MvItem { return &MvItem{Name: n} },
		attach:   func(p *MvFolder, c *MvItem) error { return p.Items.Append(c) },
		detach:   func(p *MvFolder, c *MvItem) error { return p.Items.Remove(c) },
		parentID: func(p *MvFolder) int64 { return p.ID },
		childFK:  func(c *MvItem) int64 { return c.FolderID },
		childID:  func(c *MvItem) int64 { return c.ID },
	})
	runMoves(t, moveShape[MvShop, MvClerk]{
		name: "one-to-many/backref/delete/not-null/by-reference", rel: "Staff",
		parent:   func(n string) *MvShop { return &MvShop{Name: n} },
		child:    func(n string) *MvClerk { return &MvClerk{Name: n} },
		attach:   func(p *MvShop, c *MvClerk) error { return c.Shop.Set(p) }, // through the back reference
		detach:   func(p *MvShop, c *MvClerk) error { return p.Staff.Remove(c) },
		parentID: func(p *MvShop) int64 { return p.ID },
		childFK:  func(c *MvClerk) int64 { return c.ShopID },
		childID:  func(c *MvClerk) int64 { return c.ID },
	})
	runMoves(t, moveShape[MvCar, MvEngine]{
		name: "one-to-one/no-backref/delete/nullable", rel: "Engine",
		parent:   func(n string) *MvCar { return &MvCar{Name: n} },
		child:    func(n string) *MvEngine { return &MvEngine{Name: n} },
		attach:   func(p *MvCar, c *MvEngine) error { return p.Engine.Set(c) },
		detach:   func(p *MvCar, c *MvEngine) error { return p.Engine.Set(nil) },
		parentID: func(p *MvCar) int64 { return p.ID },
		childFK:  func(c *MvEngine) int64 { return deref(c.CarID) },
		childID:  func(c *MvEngine) int64 { return c.ID },
	})
	runMoves(t, moveShape[MvDesk, MvLamp]{
		name: "one-to-one/single-parent-backref/delete-orphan/not-null", rel: "Lamp",
		parent:   func(n string) *MvDesk { return &MvDesk{Name: n} },
		child:    func(n string) *MvLamp { return &MvLamp{Name: n} },
		attach:   func(p *MvDesk, c *MvLamp) error { return p.Lamp.Set(c) },
		detach:   func(p *MvDesk, c *MvLamp) error { return p.Lamp.Set(nil) },
		parentID: func(p *MvDesk) int64 { return p.ID },
		childFK:  func(c *MvLamp) int64 { return c.DeskID },
		childID:  func(c *MvLamp) int64 { return c.ID },
	})
	runMoves(t, moveShape[MvDesk, MvLamp]{
		name: "one-to-one/single-parent-backref/delete-orphan/not-null/by-reference", rel: "Lamp",
		parent:   func(n string) *MvDesk { return &MvDesk{Name: n} },
		child:    func(n string) *MvLamp { return &MvLamp{Name: n} },
		attach:   func(p *MvDesk, c *MvLamp) error { return c.Desk.Set(p) }, // through the back reference
		detach:   func(p *MvDesk, c *MvLamp) error { return p.Lamp.Set(nil) },
		parentID: func(p *MvDesk) int64 { return p.ID },
		childFK:  func(c *MvLamp) int64 { return c.DeskID },
		childID:  func(c *MvLamp) int64 { return c.ID },
	})
}

func runMoves[P, C any](t *testing.T, sh moveShape[P, C]) {
	t.Run(sh.name, func(t *testing.T) {
		testdb.Each(t, func(t *testing.T, tg testdb.Target) {
			ctx := context.Background()
			f, _ := openModels(t, tg, registerMoves)
			// start: a committed old parent holding the child, and a
			// committed other parent; each case reads them in a new session
			start := func(t *testing.T) (s *orm.Session, old, other *P, c *C) {
				s0 := f.New()
				o, x, ch := sh.parent("old"), sh.parent("other"), sh.child("c")
				must(t, sh.attach(o, ch))
				must(t, s0.Add(o))
				must(t, s0.Add(x))
				must(t, s0.Add(ch))
				must(t, s0.Commit(ctx))
				must(t, s0.Close(ctx))
				s = f.New()
				t.Cleanup(func() { s.Close(ctx) })
				var err error
				old, err = orm.Get[P](ctx, s, sh.parentID(o))
				must(t, err)
				other, err = orm.Get[P](ctx, s, sh.parentID(x))
				must(t, err)
				must(t, orm.Load(ctx, s, []*P{old, other}, sh.rel))
				c, err = orm.Get[C](ctx, s, sh.childID(ch))
				must(t, err)
				return s, old, other, c
			}
			check := func(t *testing.T, s *orm.Session, c *C, want *P) {
				t.Helper()
				if sh.childFK(c) != sh.parentID(want) || s.Status(c) != orm.Persistent {
					t.Fatalf("child after the move: key %d (%s), want %d (persistent)", sh.childFK(c), s.Status(c), sh.parentID(want))
				}
				got, err := orm.Get[C](ctx, f.New(), sh.childID(c))
				if err != nil {
					t.Fatalf("child row after the move: %v (deleted with its old parent?)", err)
				}
				if sh.childFK(got) != sh.parentID(want) {
					t.Fatalf("child row after the move has key %d, want %d", sh.childFK(got), sh.parentID(want))
				}
				// the session agrees with itself: another flush has nothing to fix
				must(t, s.Commit(ctx))
			}
			t.Run("to a new parent", func(t *testing.T) {
				s, old, _, c := start(t)
				p := sh.parent("new")
				must(t, sh.attach(p, c))
				must(t, s.Add(p))
				must(t, s.Commit(ctx))
				check(t, s, c, p)
				// deleting the old parent now leaves the moved child alone
				must(t, s.Delete(old))
				must(t, s.Commit(ctx))
				check(t, s, c, p)
			})
			t.Run("to an existing parent", func(t *testing.T) {
				s, _, other, c := start(t)
				must(t, sh.attach(other, c))
				must(t, s.Commit(ctx))
				check(t, s, c, other)
			})
			t.Run("from a deleted parent to a new one", func(t *testing.T) {
				s, old, _, c := start(t)
				p := sh.parent("new")
				must(t, sh.attach(p, c))
				must(t, s.Add(p))
				must(t, s.Delete(old))
				must(t, s.Commit(ctx))
				check(t, s, c, p)
			})
			t.Run("removed, old parent deleted, re-added to a new one", func(t *testing.T) {
				s, old, _, c := start(t)
				must(t, sh.detach(old, c))
				must(t, s.Delete(old))
				p := sh.parent("new")
				must(t, sh.attach(p, c))
				must(t, s.Add(p))
				if st := s.Status(c); st != orm.Persistent {
					t.Fatalf("status of the re-added child %s", st)
				}
				must(t, s.Commit(ctx))
				check(t, s, c, p)
			})
		})
	})
}
