package orm_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

type docPrefs struct {
	Theme string `json:"theme"`
	Sizes []int  `json:"sizes,omitempty"`
}

type Doc struct {
	ID    int64          `db:"id,pk"`
	Name  string         `db:"name,size:40"`
	Meta  map[string]any `db:"meta"` // a map is a JSON object without a tag
	Tags  []string       `db:"tags,type:json"`
	Prefs docPrefs       `db:"prefs,type:json"`
	Opt   *docPrefs      `db:"opt,type:json"`
}

func openDocs(t *testing.T, tg testdb.Target) (*orm.Factory, *recorder) {
	return openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Doc](reg) })
}

// Maps, slices and structs declared JSON are written and read back whole,
// nil as NULL, in one flush of several rows and one at a time.
func TestJSONFieldsRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openDocs(t, tg)
		s := f.New()
		defer s.Close(ctx)
		full := &Doc{Name: "full",
			Meta:  map[string]any{"n": 1.5, "nested": map[string]any{"ok": true, "list": []any{"a", 2.0}}, "quote": `it's "q"`},
			Tags:  []string{"x", "y, z", "ünï"},
			Prefs: docPrefs{Theme: "dark", Sizes: []int{1, 2}},
			Opt:   &docPrefs{Theme: "light"}}
		empty := &Doc{Name: "empty", Meta: map[string]any{}, Tags: []string{}}
		null := &Doc{Name: "null"}
		for _, d := range []*Doc{full, empty, null} {
			if err := s.Add(d); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		r := f.New()
		defer r.Close(ctx)
		for _, want := range []*Doc{full, empty, null} {
			got, err := orm.Get[Doc](ctx, r, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("read back %s:\n got %#v\nwant %#v", want.Name, got, want)
			}
		}
		// nil map, slice and pointer are SQL NULL, not JSON null
		docs := expr.T("doc")
		n, err := orm.Select[Doc](r).Where(expr.IsNull(docs.C("meta")), expr.IsNull(docs.C("tags")), expr.IsNull(docs.C("opt"))).Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("rows with NULL documents: %d %v", n, err)
		}
	})
}

// Changing a map, slice or struct in place is a change the flush writes;
// loading and committing without a change writes nothing, even where the
// program's value and the loaded one differ only in Go (1 and 1.0).
func TestJSONFieldsChangeTrackedByValue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openDocs(t, tg)
		s := f.New()
		d := &Doc{Name: "d", Meta: map[string]any{"keep": "v", "drop": 1.0}, Tags: []string{"a"}}
		s.Add(d)
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close(ctx)

		s = f.New()
		defer s.Close(ctx)
		got, err := orm.Get[Doc](ctx, s, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.Meta["drop"] = 1 // an int where the load gave float64: the same document
		rec.take("")
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if n, all := rec.take("UPDATE"); n != 0 {
			t.Fatalf("an unchanged document was written: %v", all)
		}
		got.Meta["new"] = map[string]any{"deep": true}
		delete(got.Meta, "drop")
		got.Tags[0] = "b"
		got.Tags = append(got.Tags, "c")
		got.Prefs.Sizes = append(got.Prefs.Sizes, 7)
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n, all := rec.take("UPDATE"); n != 1 {
			t.Fatalf("in-place changes made %d UPDATEs: %v", n, all)
		}
		r := f.New()
		defer r.Close(ctx)
		back, err := orm.Get[Doc](ctx, r, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"keep": "v", "new": map[string]any{"deep": true}}
		if !reflect.DeepEqual(back.Meta, want) || !reflect.DeepEqual(back.Tags, []string{"b", "c"}) ||
			!reflect.DeepEqual(back.Prefs.Sizes, []int{7}) {
			t.Fatalf("after in-place changes: %+v", back)
		}
		// a document given to UpdateWhere is marshalled like a field
		q := orm.UpdateWhere[Doc](r)
		if _, err := q.Set("Meta", map[string]any{"set": "by UpdateWhere"}).Where(expr.Eq(q.C("ID"), d.ID)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Meta, map[string]any{"set": "by UpdateWhere"}) {
			t.Fatalf("held object after UpdateWhere: %v", back.Meta)
		}
	})
}

// A field whose Go type no database could carry is refused at
// registration, with the struct and the field named.
func TestUnbindableFieldsRefusedAtRegistration(t *testing.T) {
	type mapAsText struct {
		ID   int64          `db:"id,pk"`
		Meta map[string]any `db:"meta,type:text"`
	}
	type structNoTag struct {
		ID    int64    `db:"id,pk"`
		Prefs docPrefs `db:"prefs"`
	}
	type chanJSON struct {
		ID int64    `db:"id,pk"`
		C  chan int `db:"c,type:json"`
	}
	type funcInJSON struct {
		ID int64 `db:"id,pk"`
		P  struct {
			F func() `json:"f"`
		} `db:"p,type:json"`
	}
	type sliceOfStructs struct {
		ID    int64      `db:"id,pk"`
		Items []docPrefs `db:"items"`
	}
	for _, c := range []struct {
		typ   reflect.Type
		field string
	}{
		{reflect.TypeFor[mapAsText](), "Meta"},
		{reflect.TypeFor[structNoTag](), "Prefs"},
		{reflect.TypeFor[chanJSON](), "C"},
		{reflect.TypeFor[funcInJSON](), "P"},
		{reflect.TypeFor[sliceOfStructs](), "Items"},
	} {
		_, err := orm.NewRegistry().Register(c.typ)
		var me *orm.ModelError
		if !errors.As(err, &me) || me.Field != c.field || !strings.Contains(err.Error(), c.typ.Name()) {
			t.Errorf("%s: %v, want a ModelError on field %s", c.typ.Name(), err, c.field)
		}
	}
}
