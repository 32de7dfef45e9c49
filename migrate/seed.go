package migrate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
)

// seeder inserts rows for a data round trip ([RoundTripOptions]).
type seeder struct {
	m    *Migrator
	rows map[string][]map[string]any
	n    int // rows generated so far: keeps generated keys and values apart
}

// prepare readies the database for a step running ops on schema now: it
// empties every table when a step operation is destructive (a NOT NULL
// column without a default fails on rows, a drop loses them by design)
// and returns nil; otherwise it inserts a row into every table and returns
// the row counts, which the step must keep.
func (s *seeder) prepare(ctx context.Context, now *schema.MetaData, ops []Op) (map[string]int, error) {
	creates, err := Plan(schema.NewMetaData(), now, PlanOptions{})
	if err != nil {
		return nil, err
	}
	var order []*schema.Table // parents first
	for _, op := range creates {
		if ct, ok := op.(CreateTable); ok {
			order = append(order, now.Table(ct.Table.Key()))
		}
	}
	if slices.ContainsFunc(ops, func(op Op) bool { return Destructive(op) != "" }) {
		for i := len(order) - 1; i >= 0; i-- {
			if _, err := engine.ExecStmt(ctx, s.m.db, expr.Delete(tableRef(order[i])).All()); err != nil {
				return nil, fmt.Errorf("empty table %s: %w", order[i].Name, err)
			}
		}
		return nil, nil
	}
	for _, t := range order {
		if err := s.insert(ctx, t); err != nil {
			return nil, err
		}
	}
	counts := map[string]int{}
	for _, t := range order {
		n, err := s.count(ctx, t)
		if err != nil {
			return nil, err
		}
		counts[t.Key()] = n
	}
	return counts, nil
}

// check compares the row counts after a step with those before it.
func (s *seeder) check(ctx context.Context, when string, before map[string]int) error {
	if before == nil {
		return nil
	}
	live, err := s.m.Inspect(ctx)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(before) {
		t := live.Table(name)
		if t == nil {
			continue // dropped by the step (then it was destructive, or renamed)
		}
		n, err := s.count(ctx, t)
		if err != nil {
			return err
		}
		if n < before[name] {
			return fmt.Errorf("migrate: round trip: %s lost rows of table %s: %d before, %d after", when, name, before[name], n)
		}
	}
	return nil
}

func (s *seeder) count(ctx context.Context, t *schema.Table) (int, error) {
	var n int
	err := engine.QueryRowStmt(ctx, s.m.db, expr.Select(expr.CountAll()).From(tableRef(t))).Scan(&n)
	return n, err
}

// tableRef refers to t, qualified by its schema.
func tableRef(t *schema.Table) *expr.TableRef { return expr.T(t.Name).InSchema(t.Schema) }

// insert adds the given rows of t, or one generated row.
func (s *seeder) insert(ctx context.Context, t *schema.Table) error {
	if given, ok := s.rows[t.Key()]; ok {
		for _, row := range given {
			cols := sortedKeys(row)
			vals := make([]any, len(cols))
			for i, c := range cols {
				vals[i] = row[c]
			}
			if _, err := engine.ExecStmt(ctx, s.m.db, expr.Insert(tableRef(t)).Columns(cols...).Values(vals...)); err != nil {
				return fmt.Errorf("insert the given row into %s: %w", t.Name, err)
			}
		}
		return nil
	}
	s.n++
	var cols []string
	var vals []any
	fkCol := map[string]bool{}
	for _, f := range t.ForeignKeys {
		if slices.ContainsFunc(f.Columns, func(c string) bool { return !t.Column(c).Nullable }) {
			ref, err := s.reference(ctx, f)
			if err != nil {
				return fmt.Errorf("seed table %s: %w", t.Name, err)
			}
			cols = append(cols, f.Columns...)
			vals = append(vals, ref...)
		}
		for _, c := range f.Columns {
			fkCol[c] = true
		}
	}
	for _, c := range t.Columns {
		if c.AutoIncrement || fkCol[c.Name] || (c.Default != nil && !c.Nullable) {
			continue
		}
		v, ok := s.value(c)
		if !ok {
			if c.Nullable {
				continue
			}
			return fmt.Errorf("seed table %s: no value to generate for column %s of type %s; give rows for it (RoundTripOptions.Rows)", t.Name, c.Name, c.Type)
		}
		cols = append(cols, c.Name)
		vals = append(vals, v)
	}
	if len(cols) == 0 {
		return nil // every column has a default: nothing generated is needed
	}
	if _, err := engine.ExecStmt(ctx, s.m.db, expr.Insert(tableRef(t)).Columns(cols...).Values(vals...)); err != nil {
		return fmt.Errorf("seed table %s with a generated row: %w; give rows for it (RoundTripOptions.Rows)", t.Name, err)
	}
	return nil
}

// reference reads the referenced columns of one row of f's table.
func (s *seeder) reference(ctx context.Context, f *schema.ForeignKey) ([]any, error) {
	ref := expr.T(f.RefTable).InSchema(f.RefSchema)
	cols := make([]expr.Expr, len(f.RefColumns))
	for i, c := range f.RefColumns {
		cols[i] = ref.C(c)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	order := make([]expr.Order, len(cols))
	for i, c := range cols {
		order[i] = expr.Desc(c)
	}
	// the newest row: the one seeded for this step, so that keys made of
	// foreign keys differ from step to step
	if err := engine.QueryRowStmt(ctx, s.m.db, expr.Select(cols...).From(ref).OrderBy(order...).Limit(1)).Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("no row of %s to reference for foreign key %s: %w", f.RefTable, f.Name, err)
	}
	return vals, nil
}

// value generates a value for c that every portable type of its kind
// holds; false for kinds it cannot make up (custom types).
func (s *seeder) value(c *schema.Column) (any, bool) {
	n := s.n
	str := func(max int) string {
		v := fmt.Sprintf("s%d", n)
		if max > 0 && len(v) > max {
			v = v[len(v)-max:]
		}
		return v
	}
	switch c.Type.Kind {
	case schema.KindSmallInt, schema.KindInteger, schema.KindBigInt:
		return int64(1000 + n), true
	case schema.KindNumeric:
		return int64(n % 10), true
	case schema.KindFloat, schema.KindDouble:
		return float64(n) + 0.5, true
	case schema.KindBoolean:
		return n%2 == 0, true
	case schema.KindText:
		return str(0), true
	case schema.KindVarchar, schema.KindChar:
		v := str(c.Type.Length)
		if c.Type.Kind == schema.KindChar && c.Type.Length > len(v) {
			v += strings.Repeat("x", c.Type.Length-len(v))
		}
		return v, true
	case schema.KindDate:
		return time.Date(2024, 1, 1+n%28, 0, 0, 0, 0, time.UTC), true
	case schema.KindTimestamp, schema.KindTimestampTZ:
		return time.Date(2024, 1, 1, 12, 0, n%60, 0, time.UTC), true
	case schema.KindTime:
		return fmt.Sprintf("12:00:%02d", n%60), true
	case schema.KindUUID:
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n), true
	case schema.KindJSON:
		return fmt.Sprintf(`{"n": %d}`, n), true
	case schema.KindBytes:
		return []byte{byte(n), 1, 2}, true
	case schema.KindArray:
		// Two elements, one of them with a quote and a comma: an array
		// whose elements survive every step.
		var slice any
		switch c.Type.Elem().Kind {
		case schema.KindText:
			slice = []string{str(0), `a "b", c`}
		case schema.KindBigInt:
			slice = []int64{int64(n), -1}
		case schema.KindInteger:
			slice = []int32{int32(n), -1}
		case schema.KindDouble:
			slice = []float64{float64(n) + 0.5, -1}
		case schema.KindBoolean:
			slice = []bool{n%2 == 0, true}
		case schema.KindUUID:
			slice = [][16]byte{{15: byte(n)}, {0: 0x40}}
		default:
			return nil, false
		}
		return dialect.Array{Slice: slice}, true
	case schema.KindEnum:
		if len(c.Type.Values) > 0 {
			return c.Type.Values[0], true
		}
	}
	return nil, false
}
