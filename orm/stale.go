package orm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
)

// Stale rows: naming exactly the rows a batch found gone or changed.

// staleBatch is a multi-row UPDATE or DELETE that matched fewer rows than
// it named. Which row is stale is found after the flush is rolled back
// (the batch's own writes would hide it), and reported as a
// *StaleDataError.
type staleBatch struct {
	op   string
	m    *Mapper
	rows []updateRow
}

func newStaleBatch(op string, m *Mapper, rows []updateRow) error {
	if len(rows) == 1 {
		return staleRows(op, m.Table.Name, [][]any{keyValues(m, rows[0].st.ptr)})
	}
	return &staleBatch{op: op, m: m, rows: rows}
}

func (e *staleBatch) Error() string {
	return fmt.Sprintf("orm: stale data: %s of %d rows of %s matched fewer rows", e.op, len(e.rows), e.m.Table.Name)
}

func (e *staleBatch) Is(target error) bool { return target == ErrStaleData }

// resolveStale names the rows of the batch that are gone or whose version
// moved, read after the rollback; if the rows look fine again (a
// concurrent change), it names them all, marked unresolved.
func (s *Session) resolveStale(ctx context.Context, ex engine.Executor, e *staleBatch) error {
	m := e.m
	var keys [][]any
	for _, r := range e.rows {
		keys = append(keys, keyValues(m, r.st.ptr))
	}
	all := staleRows(e.op, m.Table.Name, keys)
	all.Unresolved = true
	tr := tref(m.Table)
	cols := slices.Clone(m.PK)
	if m.Version != nil {
		cols = append(cols, m.Version)
	}
	states := make([]*state, len(e.rows))
	for i, r := range e.rows {
		states[i] = r.st
	}
	rs, err := engine.QueryStmt(ctx, ex, expr.Select(columnsOf(tr, cols)...).From(tr).Where(keyWhere(tr, m, states, nil)))
	if err != nil {
		return errors.Join(all, err)
	}
	defer rs.Close()
	found := make(map[any]any, len(e.rows))
	k := make([]any, len(m.PK))
	for rs.Next() {
		vals, err := scanFields(rs, cols)
		if err != nil {
			return errors.Join(all, err)
		}
		for i := range m.PK {
			k[i] = vals[i].Elem().Interface()
		}
		var ver any
		if m.Version != nil {
			ver = vals[len(m.PK)].Elem().Interface()
		}
		found[keyFrom(k)] = ver
	}
	if err := rs.Err(); err != nil {
		return errors.Join(all, err)
	}
	var stale [][]any
	for _, r := range e.rows {
		ver, ok := found[keyOf(m, r.st.ptr)]
		if !ok || (m.Version != nil && ver != r.old) {
			stale = append(stale, keyValues(m, r.st.ptr))
		}
	}
	if stale != nil {
		return staleRows(e.op, m.Table.Name, stale)
	}
	return all
}
