// Package schematest compares schemas in tests, for the layers below
// migrate (schema, dialects, engine) that check what introspection reads
// back. It has no rules of its own: differences come from the one schema
// differ, [migrate.Plan], as the operations that would turn got into
// want, plus the order of columns, which a migration never changes but
// introspection must keep.
package schematest

import (
	"fmt"
	"slices"

	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// Diff describes how got differs from want, one line per difference; it
// is empty when they are equal.
func Diff(want, got *schema.MetaData) []string {
	var out []string
	for _, t := range want.Tables() {
		if g := got.Table(t.Name); g != nil {
			out = append(out, columnOrder(t, g)...)
		}
	}
	ops, err := migrate.Plan(got, want, migrate.PlanOptions{})
	if err != nil {
		return append(out, "cannot compare: "+err.Error())
	}
	for _, op := range ops {
		out = append(out, op.String())
	}
	return out
}

// DiffTable is [Diff] for one table (foreign keys may name tables that
// are not there).
func DiffTable(want, got *schema.Table) []string {
	w, g := schema.NewMetaData(), schema.NewMetaData()
	if err := w.Add(want.Clone()); err != nil {
		return []string{"cannot compare: " + err.Error()}
	}
	gt := got.Clone()
	gt.Name = want.Name
	if err := g.Add(gt); err != nil {
		return []string{"cannot compare: " + err.Error()}
	}
	return Diff(w, g)
}

func columnOrder(want, got *schema.Table) []string {
	names := func(t *schema.Table) []string {
		out := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			out[i] = c.Name
		}
		return out
	}
	if wn, gn := names(want), names(got); !slices.Equal(wn, gn) {
		return []string{fmt.Sprintf("table %q: columns %q, got %q", want.Name, wn, gn)}
	}
	return nil
}
