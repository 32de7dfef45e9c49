package orm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/strata-go/strata/orm"
)

type RcParent struct {
	ID   int64               `db:"id,pk"`
	Kids orm.List[RcKid]     `rel:"cascade:all"`
	Bad  orm.List[RcOrphans] `rel:"cascade:all+delete-orphan"`
}

type RcKid struct {
	ID       int64             `db:"id,pk"`
	ParentID *int64            `db:"parent_id,fk:rc_parent.id"`
	Parent   orm.Ref[RcParent] `rel:"backref:Kids"`
}

type RcOrphans struct {
	ID       int64  `db:"id,pk"`
	ParentID *int64 `db:"parent_id,fk:rc_parent.id"`
}

// Invalid relationship options fail at registration (or Check), naming
// the struct and the field, before any session exists.
func TestInvalidRelationshipsFailAtRegistration(t *testing.T) {
	type UnknownCascades struct {
		ID   int64           `db:"id,pk"`
		Kids orm.List[RcKid] `rel:"cascade:save-update+bogus+delete+nonsense"`
	}
	type PassiveAllWithDelete struct {
		ID   int64           `db:"id,pk"`
		Kids orm.List[RcKid] `rel:"cascade:all,passive_deletes:all"`
	}
	type RelFK struct {
		ID   int64           `db:"id,pk"`
		Kids orm.List[RcKid] `rel:"fk:parent_id"`
	}
	type OrphanRef struct {
		ID       int64             `db:"id,pk"`
		ParentID *int64            `db:"parent_id,fk:rc_parent.id"`
		Parent   orm.Ref[RcParent] `rel:"cascade:all+delete-orphan"`
	}
	cases := []struct {
		name     string
		register func(*orm.Registry) error
		field    string
		want     []string
	}{
		{"every unknown cascade listed", func(r *orm.Registry) error {
			_, err := orm.Register[UnknownCascades](r)
			return err
		}, "Kids", []string{`"bogus"`, `"nonsense"`}},
		{"passive_deletes:all with a delete cascade", func(r *orm.Registry) error {
			_, err := orm.Register[PassiveAllWithDelete](r)
			return err
		}, "Kids", []string{"passive_deletes:all", "cascade delete"}},
		{"fk: in a rel tag", func(r *orm.Registry) error {
			_, err := orm.Register[RelFK](r)
			return err
		}, "Kids", []string{"via:parent_id"}},
		{"delete-orphan on a reference to a parent without single_parent", func(r *orm.Registry) error {
			orm.MustRegister[RcParent](r)
			orm.MustRegister[RcKid](r)
			orm.MustRegister[RcOrphans](r)
			if _, err := orm.Register[OrphanRef](r); err != nil {
				return err
			}
			return r.Check()
		}, "Parent", []string{"single_parent"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.register(orm.NewRegistry())
			var me *orm.ModelError
			if !errors.As(err, &me) || me.Field != c.field || !errors.Is(err, orm.ErrInvalidModel) {
				t.Fatalf("got %v, want a *ModelError naming field %s", err, c.field)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %s", err, w)
				}
			}
		})
	}
}
