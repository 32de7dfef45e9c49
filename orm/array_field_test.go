package orm_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/schema"
)

type Tagged struct {
	ID     int64       `db:"id,pk"`
	Tags   []string    `db:"tags"`
	Nums   []int64     `db:"nums"`
	Small  []int32     `db:"small"`
	Scores []float64   `db:"scores"`
	Flags  []bool      `db:"flags"`
	Refs   []uuid.UUID `db:"refs"`
	Must   []string    `db:"must,notnull"`
}

func openTagged(t *testing.T, tg testdb.Target) (*orm.Factory, *recorder) {
	return openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Tagged](reg) })
}

// Slices of strings, integers, floats, booleans and UUIDs map to array
// columns and come back whole on every database: nil as NULL (or, in a
// NOT NULL column, as the empty array), empty as empty.
func TestArrayFieldsRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openTagged(t, tg)
		m := f.Registry().Mapper(reflect.TypeFor[Tagged]())
		if got := m.FieldByName("Refs").Column.Type; !got.Equal(schema.Array(schema.UUID())) {
			t.Fatalf("[]uuid.UUID maps to %s", got)
		}
		s := f.New()
		defer s.Close(ctx)
		full := &Tagged{
			Tags:   []string{"a", `quo"te`, "com,ma", "{brace}", "ünï", ""},
			Nums:   []int64{-1, 0, 1 << 53},
			Small:  []int32{7},
			Scores: []float64{0.5, -2.25},
			Flags:  []bool{true, false},
			Refs:   []uuid.UUID{uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")},
			Must:   []string{"x"},
		}
		empty := &Tagged{Tags: []string{}, Nums: []int64{}, Small: []int32{}, Scores: []float64{}, Flags: []bool{}, Refs: []uuid.UUID{}, Must: []string{}}
		null := &Tagged{}
		for _, x := range []*Tagged{full, empty, null} {
			s.Add(x)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		r := f.New()
		defer r.Close(ctx)
		for i, want := range []*Tagged{full, empty, null} {
			got, err := orm.Get[Tagged](ctx, r, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if i == 2 {
				want = &Tagged{ID: want.ID, Must: []string{}}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("row %d read back:\n got %#v\nwant %#v", i, got, want)
			}
		}
		// in place: a changed element is an UPDATE of that column
		got, _ := orm.Get[Tagged](ctx, r, full.ID)
		got.Tags[0] = "changed"
		got.Nums = append(got.Nums, 99)
		if err := r.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		c := f.New()
		defer c.Close(ctx)
		back, _ := orm.Get[Tagged](ctx, c, full.ID)
		if back.Tags[0] != "changed" || len(back.Nums) != 4 || back.Nums[3] != 99 {
			t.Fatalf("after in-place changes: %+v", back)
		}
		// queried with the array operators, on the model's own fields
		n, err := orm.Select[Tagged](c).Where(expr.IsNull(expr.T("tagged").C("tags"))).Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("NULL arrays: %d %v", n, err)
		}
		q := orm.Select[Tagged](c)
		hits, err := q.Where(expr.ArrayHas(q.C("Tags"), "com,ma"), expr.ArrayOverlaps(q.C("Nums"), []int64{5, 99}),
			expr.ArrayHas(q.C("Refs"), full.Refs[0])).All(ctx)
		if err != nil || len(hits) != 1 || hits[0].ID != full.ID {
			t.Fatalf("array operators: %v %v", hits, err)
		}
	})
}

// A slice whose elements no array column holds is refused at
// registration, with the field named; a tag can make it JSON.
func TestArrayFieldOfUnsupportedElementsRefused(t *testing.T) {
	type ints struct {
		ID int64 `db:"id,pk"`
		Ns []int `db:"ns"`
	}
	type mismatch struct {
		ID int64    `db:"id,pk"`
		Ns []string `db:"ns,type:bigint[]"`
	}
	type asJSON struct {
		ID int64 `db:"id,pk"`
		Ns []int `db:"ns,type:json"`
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[ints](), reflect.TypeFor[mismatch]()} {
		_, err := orm.NewRegistry().Register(typ)
		var me *orm.ModelError
		if !errors.As(err, &me) || me.Field != "Ns" {
			t.Errorf("%s: %v, want a ModelError on Ns", typ.Name(), err)
		}
	}
	if _, err := orm.NewRegistry().Register(reflect.TypeFor[asJSON]()); err != nil {
		t.Errorf("[]int declared json: %v", err)
	}
}
