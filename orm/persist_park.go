package orm

import (
	"context"
	"fmt"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
)

// Parking: renumbering an ordering column under a unique constraint in
// two phases.

// parkSteps plans the first phase of renumbering an ordering column that a
// unique constraint covers (UNIQUE(parent_id, position)): rows whose
// position changes first move to distinct negative positions, in one
// statement, so that no intermediate state of the real UPDATEs can collide
// with a position another row still holds. (SQLAlchemy cannot do this
// reorder at all under such a constraint.) Positions are assumed to be
// non-negative.
//
// Rows deleted by the same flush still hold their positions until the
// DELETEs, which come last: they are parked too.
func parkSteps(updates, deletes []*state) []action {
	var out []action
	temp := 0 // parking positions handed out in this flush
	for _, group := range groupByMapper(updates) {
		out = append(out, parkMapper(group, deletes, &temp)...)
	}
	return out
}

func parkMapper(rows, deletes []*state, temp *int) []action {
	m := rows[0].m
	var out []action
	for _, f := range m.uniqueOrdering {
		var park []*state
		for _, st := range rows {
			if st.snap != nil && f.changed(st.ptr, st.snap) {
				park = append(park, st)
			}
		}
		if len(park) == 0 {
			continue
		}
		for _, st := range deletes {
			if st.m == m {
				park = append(park, st)
			}
		}
		vals := make([]int, len(park))
		for i := range park {
			*temp++
			vals[i] = -*temp
		}
		out = append(out, &parkPositions{cost: cost{n: 1}, m: m, f: f, rows: park, vals: vals})
	}
	return out
}

// parkPositions moves ordering positions under a unique constraint to
// distinct negative values, before the real ones are written.
type parkPositions struct {
	cost
	m    *Mapper
	f    *Field
	rows []*state
	vals []int
}

func (a *parkPositions) String() string {
	return fmt.Sprintf("park %s of %s.%s", rowsWord(len(a.rows)), a.m.Table.Name, a.f.Column.Name)
}

func (a *parkPositions) stmt() expr.Statement {
	m := a.m
	if len(a.rows) == 1 {
		tr := tref(m.Table)
		up := expr.Update(tr).Set(a.f.Column.Name, a.vals[0])
		for _, k := range m.PK {
			up.Where(expr.Eq(tr.C(k.Column.Name), k.valueAt(a.rows[0].ptr)))
		}
		return up
	}
	stmt := keyedUpdate(m, []*Field{a.f}, nil)
	for i, st := range a.rows {
		stmt.Row(append(keyValues(m, st.ptr), a.vals[i])...)
	}
	return stmt
}

func (a *parkPositions) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	return buildAll(d, a.stmt())
}

func (a *parkPositions) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	_, err := engine.ExecStmt(ctx, ex, a.stmt())
	return err
}
