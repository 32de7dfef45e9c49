package migrate

import (
	"context"
	"slices"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/schema"
)

// inEffect reports whether operation k of ops (rendered from the schema
// before) has already taken effect in the database: every table the
// operation changes is, as Inspect reads it, the table as planned after
// the operation (normalized for the dialect, column order ignored), and
// every table it removes is gone. Raw SQL and Go steps have no declared
// effect to look for: they report false, and the runner records them in
// the same transaction as their effect instead.
//
// This is what lets a run that lost its connection after a DDL statement
// committed (MariaDB commits each DDL statement by itself) and before the
// version table recorded it resume without "table already exists".
func (s *session) inEffect(ctx context.Context, before *schema.MetaData, ops []Op, k int) (bool, error) {
	ops = foldForeignKeys(s.m.db.Dialect(), ops)
	if k < 0 || k >= len(ops) {
		return false, nil
	}
	switch ops[k].(type) {
	case RawSQL, GoStep:
		return false, nil
	}
	pre, err := ApplyAll(before, ops[:k])
	if err != nil {
		return false, err
	}
	post, err := ApplyAll(pre, ops[k:k+1])
	if err != nil {
		return false, err
	}
	touched := changedTables(pre, post)
	if len(touched) == 0 {
		return false, nil
	}
	schemas := append(pre.Schemas(), post.Schemas()...)
	live, err := engine.Inspect(ctx, s.conn, dialect.InspectOptions{Tables: touched, Schemas: schemas})
	if err != nil {
		return false, err
	}
	norm := s.m.db.Dialect().Normalize
	for _, name := range touched {
		want, got := post.Table(name), live.Table(name)
		switch {
		case want == nil && got == nil:
			continue
		case want == nil || got == nil:
			return false, nil
		}
		ops, err := diffTable(columnsSorted(got.Clone()), columnsSorted(norm(want.Clone())))
		if err != nil || len(ops) > 0 {
			return false, err
		}
	}
	return true, nil
}

// changedTables names the tables that differ between a and b, or exist
// in only one of them.
func changedTables(a, b *schema.MetaData) []string {
	var out []string
	for _, t := range a.Tables() {
		o := b.Table(t.Key())
		if o == nil {
			out = append(out, t.Key())
			continue
		}
		if ops, err := diffTable(t, o); err != nil || len(ops) > 0 {
			out = append(out, t.Key())
		}
	}
	for _, t := range b.Tables() {
		if a.Table(t.Key()) == nil {
			out = append(out, t.Key())
		}
	}
	slices.Sort(out)
	return out
}

func columnsSorted(t *schema.Table) *schema.Table {
	slices.SortFunc(t.Columns, func(a, b *schema.Column) int { return strings.Compare(a.Name, b.Name) })
	return t
}
