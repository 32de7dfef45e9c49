package orm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// Recipe owns its steps through a secondary table: single_parent makes a
// delete cascade and delete-orphan across a many-to-many safe.
type Recipe struct {
	ID    int64           `db:"id,pk"`
	Name  string          `db:"name"`
	Steps orm.List[RStep] `rel:"secondary:recipe_step,cascade:all+delete-orphan,single_parent"`
}

type RStep struct {
	ID   int64  `db:"id,pk"`
	Text string `db:"text"`
}

type RecipeStep struct {
	RecipeID int64 `db:"recipe_id,pk,noautoincrement,fk:recipe.id"`
	StepID   int64 `db:"step_id,pk,noautoincrement,fk:r_step.id"`
}

func registerSingleParents(reg *orm.Registry) {
	registerMoves(reg)
	orm.MustRegister[Recipe](reg)
	orm.MustRegister[RStep](reg)
	orm.MustRegister[RecipeStep](reg)
}

func TestManyToManyCascadesWithSingleParent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSingleParents)
		newRecipe := func(name string, steps ...string) *Recipe {
			r := &Recipe{Name: name}
			for _, x := range steps {
				must(t, r.Steps.Append(&RStep{Text: x}))
			}
			s := f.New()
			defer s.Close(ctx)
			must(t, s.Add(r))
			must(t, s.Commit(ctx))
			return r
		}
		counts := func() (steps, pairs int) {
			return countRows(t, f, "r_step"), countRows(t, f, "recipe_step")
		}
		t.Run("delete with the list loaded", func(t *testing.T) {
			r := newRecipe("loaded", "a", "b")
			s := f.New()
			defer s.Close(ctx)
			got, err := orm.Get[Recipe](ctx, s, r.ID)
			must(t, err)
			must(t, orm.Load(ctx, s, got, "Steps"))
			st0, p0 := counts()
			must(t, s.Delete(got))
			must(t, s.Commit(ctx))
			if st, p := counts(); st != st0-2 || p != p0-2 {
				t.Fatalf("after the delete: %d steps, %d pairs; want %d, %d", st, p, st0-2, p0-2)
			}
		})
		t.Run("delete with the list not loaded", func(t *testing.T) {
			r := newRecipe("unloaded", "a", "b", "c")
			s := f.New()
			defer s.Close(ctx)
			got, err := orm.Get[Recipe](ctx, s, r.ID)
			must(t, err)
			st0, p0 := counts()
			must(t, s.Delete(got))
			must(t, s.Commit(ctx))
			if st, p := counts(); st != st0-3 || p != p0-3 {
				t.Fatalf("after the delete: %d steps, %d pairs; want %d, %d", st, p, st0-3, p0-3)
			}
		})
		t.Run("a step taken out is an orphan", func(t *testing.T) {
			r := newRecipe("orphan", "a", "b")
			s := f.New()
			defer s.Close(ctx)
			got, err := orm.Get[Recipe](ctx, s, r.ID)
			must(t, err)
			must(t, orm.Load(ctx, s, got, "Steps"))
			steps, _ := got.Steps.All()
			st0, p0 := counts()
			must(t, got.Steps.Remove(steps[0]))
			must(t, s.Commit(ctx))
			if st, p := counts(); st != st0-1 || p != p0-1 {
				t.Fatalf("after the removal: %d steps, %d pairs; want %d, %d", st, p, st0-1, p0-1)
			}
			if s.Status(steps[1]) != orm.Persistent {
				t.Fatalf("the step kept is %s", s.Status(steps[1]))
			}
		})
		t.Run("a step in two recipes is refused", func(t *testing.T) {
			a := newRecipe("a", "shared")
			s := f.New()
			defer s.Close(ctx)
			got, err := orm.Get[Recipe](ctx, s, a.ID)
			must(t, err)
			must(t, orm.Load(ctx, s, got, "Steps"))
			steps, _ := got.Steps.All()
			b := &Recipe{Name: "b", Steps: orm.ListOf(steps[0])}
			must(t, s.Add(b))
			st0, p0 := counts()
			r0 := countRows(t, f, "recipe")
			err = s.Commit(ctx)
			var sp *orm.SingleParentError
			if !errors.As(err, &sp) {
				t.Fatalf("commit: %v, want a SingleParentError", err)
			}
			if st, p := counts(); st != st0 || p != p0 || countRows(t, f, "recipe") != r0 {
				t.Fatalf("a refused flush wrote: %d steps, %d pairs", st, p)
			}
		})
	})
}

// A one-to-one whose reference side is single_parent: a second object
// referencing the same target is refused, at Set when bound and at the
// flush otherwise, and nothing is written.
func TestSingleParentOneToOneRefusesSecondHolder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSingleParents)
		s := f.New()
		defer s.Close(ctx)
		desk, other := &MvDesk{Name: "desk"}, &MvDesk{Name: "other"}
		lamp := &MvLamp{Name: "first"}
		must(t, desk.Lamp.Set(lamp))
		must(t, s.Add(desk))
		must(t, s.Add(other))
		must(t, s.Commit(ctx))

		// unbound: found at the flush
		second := &MvLamp{Name: "second", Desk: orm.RefTo(desk)}
		must(t, s.Add(second))
		var sp *orm.SingleParentError
		if err := s.Commit(ctx); !errors.As(err, &sp) {
			t.Fatalf("commit of a second lamp on one desk: %v, want a SingleParentError", err)
		}
		if n := countRows(t, f, "mv_lamp"); n != 1 {
			t.Fatalf("%d lamps after the refused commit", n)
		}
		must(t, s.Expunge(second))

		// bound: refused by Set, nothing changed in memory
		third := &MvLamp{Name: "third", Desk: orm.RefTo(other)}
		must(t, s.Add(third))
		if err := third.Desk.Set(desk); !errors.As(err, &sp) {
			t.Fatalf("Set of a held desk: %v, want a SingleParentError", err)
		}
		if d, _ := third.Desk.Get(); d != other {
			t.Fatalf("a refused Set changed the reference")
		}
		if l, _ := desk.Lamp.Get(); l != lamp {
			t.Fatalf("a refused Set took the lamp from its desk")
		}
		must(t, s.Commit(ctx))
		if third.DeskID != other.ID || lamp.DeskID != desk.ID {
			t.Fatalf("keys after the commit: third %d (want %d), first %d (want %d)", third.DeskID, other.ID, lamp.DeskID, desk.ID)
		}
	})
}
