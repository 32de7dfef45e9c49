package orm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// Gauge has a column of every kind a keyed multi-row UPDATE carries as an
// array parameter on PostgreSQL, nullable ones as pointers.
type Gauge struct {
	ID      int64      `db:"id,pk"`
	Name    string     `db:"name,size:40"`
	Note    *string    `db:"note"`
	Level   int16      `db:"level"`
	Count   *int32     `db:"count"`
	Ratio   float64    `db:"ratio"`
	Weight  *float32   `db:"weight"`
	On      bool       `db:"is_on"`
	Maybe   *bool      `db:"maybe"`
	At      time.Time  `db:"at"`
	Seen    *time.Time `db:"seen"`
	Version int64      `db:"version,version"`
}

// Objects whose same columns changed are written by one UPDATE: on
// PostgreSQL from one array parameter per column (unnest), elsewhere from
// a VALUES list. Every kind of column comes out as the objects hold it,
// NULLs written and replaced, each row's version matched and moved on.
func TestGroupedUpdateWritesEveryColumnKindFromArrays(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Gauge](reg) })
		s := f.New()
		defer s.Close(ctx)
		at := time.Date(2026, 12, 3, 10, 11, 12, 0, time.UTC)
		ptr := func(v string) *string { return &v }
		gs := make([]*Gauge, 5)
		for i := range gs {
			g := &Gauge{Name: fmt.Sprint("g", i), Level: int16(i), Ratio: float64(i) / 8, On: i%3 == 0, At: at}
			if i%2 == 0 {
				n, w, b, seen := int32(i), float32(i)/2, true, at.Add(time.Hour)
				g.Note, g.Count, g.Weight, g.Maybe, g.Seen = ptr("was set"), &n, &w, &b, &seen
			}
			gs[i] = g
			s.Add(g)
		}
		must(t, s.Commit(ctx))

		for i, g := range gs {
			g.Name = fmt.Sprint("gauge ", i, " renamed ünï")
			g.Level = -int16(i) - 1
			g.Ratio = -g.Ratio - 0.5
			g.On = !g.On
			g.At = at.Add(time.Duration(i+1) * 24 * time.Hour)
			if g.Note == nil { // NULLs replaced, values set to NULL
				n, w, b, seen := int32(-i), float32(-i)/4, false, at.Add(-time.Duration(i)*time.Minute)
				g.Note, g.Count, g.Weight, g.Maybe, g.Seen = ptr(fmt.Sprint("now ", i)), &n, &w, &b, &seen
			} else {
				g.Note, g.Count, g.Weight, g.Maybe, g.Seen = nil, nil, nil, nil, nil
			}
		}
		plan, err := s.Explain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var update string
		for _, p := range plan {
			if strings.HasPrefix(p.Action, "update 5 rows of gauge") {
				update = p.Statements[0].SQL
			}
		}
		if update == "" || strings.Contains(update, "unnest(") != (tg.Name == "postgres") {
			t.Fatalf("%s: the grouped UPDATE: %q\n%s", tg.Name, update, orm.FormatPlan(plan))
		}
		rec.take("")
		must(t, s.Commit(ctx))
		_, sent := rec.take("")
		updates := 0
		for _, q := range sent {
			if strings.Contains(q, "UPDATE ") {
				updates++
			}
		}
		if updates != 1 {
			t.Fatalf("%s: %d UPDATEs, want 1: %v", tg.Name, updates, sent)
		}

		check := f.New()
		defer check.Close(ctx)
		for _, g := range gs {
			if g.Version != 2 {
				t.Fatalf("version %d after the second commit, want 2", g.Version)
			}
			back, err := orm.Get[Gauge](ctx, check, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := gaugeText(back), gaugeText(g); got != want {
				t.Errorf("%s: row\n %s\nwant\n %s", tg.Name, got, want)
			}
		}
	})
}

// gaugeText shows a Gauge's values, pointers followed and times in UTC.
func gaugeText(g *Gauge) string {
	show := func(v any) string {
		switch p := v.(type) {
		case *string:
			if p != nil {
				return *p
			}
		case *int32:
			if p != nil {
				return fmt.Sprint(*p)
			}
		case *float32:
			if p != nil {
				return fmt.Sprint(*p)
			}
		case *bool:
			if p != nil {
				return fmt.Sprint(*p)
			}
		case *time.Time:
			if p != nil {
				return p.UTC().String()
			}
		}
		return "NULL"
	}
	return fmt.Sprintf("%d %q %s %d %s %v %s %v %s %s %s v%d", g.ID, g.Name, show(g.Note), g.Level, show(g.Count), g.Ratio,
		show(g.Weight), g.On, show(g.Maybe), g.At.UTC(), show(g.Seen), g.Version)
}
