package orm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// Countries are keyed by their code; cities and districts reference it
// ON UPDATE CASCADE (the database moves them), a district's own key
// includes the country's.
type NkCountry struct {
	Code   string           `db:"code,pk,size:8"`
	Name   string           `db:"name"`
	Cities orm.List[NkCity] `rel:"cascade:all"`
}

type NkCity struct {
	ID      int64  `db:"id,pk"`
	Country string `db:"country,size:8,fk:nk_country.code,onupdate:cascade"`
	Name    string `db:"name"`
}

type NkDistrict struct {
	Country string `db:"country,pk,size:8,fk:nk_country.code,onupdate:cascade"`
	Code    string `db:"code,pk,size:8"`
	Name    string `db:"name"`
}

// Users are keyed by name; addresses and group memberships reference it
// without ON UPDATE CASCADE: the ORM moves them.
type NkUser struct {
	Name      string            `db:"name,pk,size:20"`
	Addresses orm.List[NkAddr]  `rel:"cascade:all"`
	Groups    orm.List[NkGroup] `rel:"secondary:nk_member"`
}

type NkAddr struct {
	ID   int64  `db:"id,pk"`
	User string `db:"user_name,size:20"`
	City string `db:"city"`
}

type NkGroup struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

type NkMember struct {
	User  string `db:"user_name,pk,size:20"`
	Group int64  `db:"group_id,pk,noautoincrement,fk:nk_group.id"`
}

func registerNaturalKeys(deferrable bool) func(*orm.Registry) {
	return func(reg *orm.Registry) {
		orm.MustRegister[NkCountry](reg)
		orm.MustRegister[NkCity](reg)
		orm.MustRegister[NkDistrict](reg)
		orm.MustRegister[NkUser](reg)
		orm.MustRegister[NkGroup](reg)
		// the foreign keys to nk_user: DEFERRABLE where the database has it
		orm.MustRegister[NkAddr](reg, orm.ForeignKey(schema.ForeignKey{Columns: []string{"user_name"},
			RefTable: "nk_user", RefColumns: []string{"name"}, Deferrable: deferrable}))
		orm.MustRegister[NkMember](reg, orm.ForeignKey(schema.ForeignKey{Columns: []string{"user_name"},
			RefTable: "nk_user", RefColumns: []string{"name"}, Deferrable: deferrable}))
	}
}

// Changing a primary key updates the row in place, re-keys the identity
// map, and with ON UPDATE CASCADE leaves the referencing rows to the
// database: one statement, the held objects brought up to date.
func TestPrimaryKeyChangeWithOnUpdateCascade(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		deferrable := tg.Dialect.Features().Has(dialect.DeferrableConstraints)
		f, rec := openModels(t, tg, registerNaturalKeys(deferrable))
		s := f.New()
		defer s.Close(ctx)
		c1, c2 := &NkCity{Name: "Brussels"}, &NkCity{Name: "Paris"}
		eu := &NkCountry{Code: "eu", Name: "Europe", Cities: orm.ListOf(c1, c2)}
		d1 := &NkDistrict{Country: "eu", Code: "d1", Name: "one"}
		must(t, s.Add(eu))
		must(t, s.Add(d1))
		must(t, s.Commit(ctx))

		eu.Code = "ue"
		rec.take("")
		must(t, s.Commit(ctx))
		if n, all := rec.take("UPDATE"); n != 1 {
			t.Fatalf("a key change under ON UPDATE CASCADE sent %d UPDATEs: %q", n, all)
		}
		if c1.Country != "ue" || c2.Country != "ue" || d1.Country != "ue" {
			t.Fatalf("held objects: cities %q %q, district %q; want ue", c1.Country, c2.Country, d1.Country)
		}
		if got, err := orm.Get[NkCountry](ctx, s, "ue"); err != nil || got != eu {
			t.Fatalf("Get by the new key: %p %v, want the object", got, err)
		}
		if _, err := orm.Get[NkCountry](ctx, s, "eu"); !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("Get by the old key: %v, want not found", err)
		}
		if got, err := orm.Get[NkDistrict](ctx, s, "ue", "d1"); err != nil || got != d1 {
			t.Fatalf("the district, whose key includes the country's, by its new key: %p %v", got, err)
		}
		// nothing left to write, and the database agrees
		rec.take("")
		must(t, s.Commit(ctx))
		if _, all := rec.take(""); len(all) != 0 {
			t.Fatalf("a second commit sent %q", all)
		}
		fresh := f.New()
		defer fresh.Close(ctx)
		cities, err := orm.Select[NkCity](fresh).All(ctx)
		must(t, err)
		for _, c := range cities {
			if c.Country != "ue" {
				t.Fatalf("city row %+v", c)
			}
		}
		// a change of the district's own key part moves only it
		d1.Code = "d9"
		must(t, s.Commit(ctx))
		if got, err := orm.Get[NkDistrict](ctx, fresh, "ue", "d9"); err != nil || got.Name != "one" {
			t.Fatalf("district row after its key change: %+v %v", got, err)
		}
	})
}

// Without ON UPDATE CASCADE the ORM moves every referencing row, loaded
// or not, association rows included, with the checks deferred to COMMIT;
// where the database cannot defer them (MariaDB) the change is refused
// before any SQL.
func TestPrimaryKeyChangeMovesReferencingRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		deferrable := tg.Dialect.Features().Has(dialect.DeferrableConstraints)
		f, rec := openModels(t, tg, registerNaturalKeys(deferrable))
		s := f.New()
		defer s.Close(ctx)
		g := &NkGroup{Name: "admins"}
		ann := &NkUser{Name: "ann", Addresses: orm.ListOf(&NkAddr{City: "Ghent"}), Groups: orm.ListOf(g)}
		must(t, s.Add(ann))
		must(t, s.Commit(ctx))
		// an address the session does not hold
		other := f.New()
		must(t, other.Add(&NkAddr{User: "ann", City: "Bruges"}))
		must(t, other.Commit(ctx))
		must(t, other.Close(ctx))

		ann.Name = "anne"
		rec.take("")
		err := s.Commit(ctx)
		if _, ok := tg.Dialect.(dialect.ForeignKeyDeferrer); !ok {
			if err == nil || !strings.Contains(err.Error(), "ON UPDATE CASCADE") {
				t.Fatalf("key change without a way to defer: %v, want a refusal naming ON UPDATE CASCADE", err)
			}
			if _, all := rec.take(""); len(all) != 0 {
				t.Fatalf("a refused key change sent %q", all)
			}
			if ann.Name != "anne" || s.Status(ann) != orm.Persistent {
				t.Fatalf("the refused flush changed the object: %+v %s", ann, s.Status(ann))
			}
			return
		}
		must(t, err)
		addrs, _ := ann.Addresses.All()
		if addrs[0].User != "anne" {
			t.Fatalf("held address %+v", addrs[0])
		}
		fresh := f.New()
		defer fresh.Close(ctx)
		all, err := orm.Select[NkAddr](fresh).All(ctx)
		must(t, err)
		for _, a := range all {
			if a.User != "anne" {
				t.Fatalf("address row %+v, want it moved to anne", a)
			}
		}
		u, err := orm.Get[NkUser](ctx, fresh, "anne")
		must(t, err)
		must(t, orm.Load(ctx, fresh, u, "Groups"))
		if gs, _ := u.Groups.All(); len(gs) != 1 || gs[0].ID != g.ID {
			t.Fatalf("groups after the rename: %v", gs)
		}
		if countRows(t, f, "nk_user") != 1 {
			t.Fatalf("%d users", countRows(t, f, "nk_user"))
		}
	})
}

// Two rows swapping their composite keys in one flush: both move through
// temporary keys, in the flush and inside a savepoint rolled back.
func TestSwapCompositeKeysInOneFlush(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Pair](reg) })
		s := f.New()
		defer s.Close(ctx)
		p1 := &Pair{A: "x", B: "1", Val: "first"}
		p2 := &Pair{A: "y", B: "2", Val: "second"}
		must(t, s.Add(p1))
		must(t, s.Add(p2))
		must(t, s.Commit(ctx))
		swap := func() { p1.A, p1.B, p2.A, p2.B = p2.A, p2.B, p1.A, p1.B }

		// inside a savepoint rolled back: keys, rows and identities as before
		must(t, s.Begin(ctx))
		n, err := s.BeginNested(ctx)
		must(t, err)
		swap()
		must(t, s.Flush(ctx))
		if got, err := orm.Get[Pair](ctx, s, "y", "2"); err != nil || got != p1 {
			t.Fatalf("inside the savepoint, (y,2) is %p %v, want p1", got, err)
		}
		must(t, n.Rollback(ctx))
		if p1.A != "x" || p2.A != "y" {
			t.Fatalf("after the savepoint's rollback: p1 %s/%s, p2 %s/%s", p1.A, p1.B, p2.A, p2.B)
		}
		if got, err := orm.Get[Pair](ctx, s, "x", "1"); err != nil || got != p1 {
			t.Fatalf("after the rollback, (x,1) is %p %v, want p1", got, err)
		}
		must(t, s.Commit(ctx))

		// for good
		swap()
		must(t, s.Commit(ctx))
		fresh := f.New()
		defer fresh.Close(ctx)
		got1, err := orm.Get[Pair](ctx, fresh, "y", "2")
		must(t, err)
		got2, err := orm.Get[Pair](ctx, fresh, "x", "1")
		must(t, err)
		if got1.Val != "first" || got2.Val != "second" {
			t.Fatalf("after the swap: (y,2) holds %q, (x,1) holds %q", got1.Val, got2.Val)
		}
		if g, _ := orm.Get[Pair](ctx, s, "y", "2"); g != p1 {
			t.Fatalf("the session's identity for (y,2) is not p1")
		}
	})
}
