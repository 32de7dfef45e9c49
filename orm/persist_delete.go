package orm

import (
	"context"
	"reflect"
	"slices"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
)

// DELETEs, and the order of everything after the inserts.

// restSteps plans the flush's UPDATEs and DELETEs.
func (s *Session) restSteps(d dialect.Dialect, rp *relPlan, deletes []*state, ups []updateRow) ([]action, error) {
	out := pairSteps(rp)
	parks := parkKeys(ups)
	for i := 0; i < len(ups); {
		j := i
		for j < len(ups) && ups[j].st.m == ups[i].st.m {
			j++
		}
		if a := parks[ups[i].st.m]; a != nil {
			out = append(out, a)
		}
		out = append(out, rp.beforeUpdate[ups[i].st.m]...)
		out = append(out, updateSteps(d, ups[i:j])...)
		out = append(out, rp.afterUpdate[ups[i].st.m]...)
		i = j
	}
	// post_update keys after every row's own UPDATE: they check the
	// version that UPDATE left
	out = append(out, postSteps(rp)...)
	out = append(out, preNullSteps(rp)...)
	for _, group := range groupByMapper(deletes) {
		levels, err := selfLevels(group[0].m, group, nil)
		if err != nil {
			return nil, err
		}
		if levels == nil {
			out = append(out, deleteSteps(d, group, s.f.cfg.idempotentDeletes)...)
		}
		for i := len(levels) - 1; i >= 0; i-- { // children first
			out = append(out, deleteSteps(d, levels[i], s.f.cfg.idempotentDeletes)...)
		}
	}
	return out, nil
}

// keyWhere is the condition matching the rows' keys (and, with versions,
// their loaded versions): pk IN (...) for a single key column, else an OR
// of ANDs.
func keyWhere(tr *expr.TableRef, m *Mapper, rows []*state, versions []any) expr.Expr {
	if versions == nil {
		return keysIn(tr, columnNames(m.PK), m.PK, rows)
	}
	ors := make([]expr.Expr, len(rows))
	for i, st := range rows {
		var ands []expr.Expr
		for _, f := range m.PK {
			ands = append(ands, expr.Eq(tr.C(f.Column.Name), f.valueAt(st.ptr)))
		}
		ands = append(ands, expr.Eq(tr.C(m.Version.Column.Name), versions[i]))
		ors[i] = expr.And(ands...)
	}
	if len(ors) == 1 {
		return ors[0]
	}
	return expr.Or(ors...)
}

// keysIn matches the rows of tr whose columns cols hold, for one of objs,
// the values of fields (its key, or the parent columns a foreign key
// references): cols IN (...) for one column (= ANY($1) on PostgreSQL),
// an OR of ANDs for several. Pointer fields are followed; objects whose
// single field is NULL match nothing.
func keysIn(tr *expr.TableRef, cols []string, fields []*Field, objs []*state) expr.Expr {
	if len(cols) == 1 {
		t := fields[0].Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		vals := reflect.MakeSlice(reflect.SliceOf(t), 0, len(objs))
		for _, st := range objs {
			v := fields[0].rv(st.ptr)
			if v.Kind() == reflect.Pointer {
				if v.IsNil() {
					continue
				}
				v = v.Elem()
			}
			vals = reflect.Append(vals, v)
		}
		return expr.In(tr.C(cols[0]), vals.Interface())
	}
	ors := make([]expr.Expr, len(objs))
	for i, st := range objs {
		ands := make([]expr.Expr, len(cols))
		for j, c := range cols {
			ands[j] = expr.Eq(tr.C(c), fields[j].valueAt(st.ptr))
		}
		ors[i] = expr.And(ands...)
	}
	if len(ors) == 1 {
		return ors[0]
	}
	return expr.Or(ors...)
}

// deleteSteps plans the DELETEs of one mapper's rows: one
// DELETE ... WHERE pk IN (...) (= ANY on PostgreSQL) per chunk, or an OR
// of key-and-version matches when a version must be checked or the key is
// composite. Fewer rows deleted than asked is stale data.
func deleteSteps(d dialect.Dialect, group []*state, idempotent bool) []action {
	m := group[0].m
	per := maxBatchRows
	if !(len(m.PK) == 1 && m.Version == nil) {
		width := len(m.PK)
		if m.Version != nil {
			width++
		}
		per = min(per, d.MaxParams()/width)
	}
	var out []action
	for _, chunk := range expr.Chunk(group, per) {
		out = append(out, &deleteRows{cost: cost{n: 1, check: len(chunk) > 1}, m: m, rows: chunk, idempotent: idempotent})
	}
	return out
}

// deleteStmt builds the DELETE of rows, matching their loaded versions.
func deleteStmt(m *Mapper, rows []*state) (expr.Statement, []any) {
	tr := tref(m.Table)
	var versions []any
	if v := m.Version; v != nil {
		versions = make([]any, len(rows))
		for i, st := range rows {
			src := st.snap // the version loaded, whatever the field holds now
			if src == nil {
				src = st.ptr
			}
			versions[i] = v.valueAt(src)
		}
	}
	// the row is matched by the key it holds (the snapshot), whatever the
	// key fields were changed to before the delete
	committed := rows
	for i, st := range rows {
		if st.snap != nil && oldKey(st) != nil {
			if &committed[0] == &rows[0] {
				committed = slices.Clone(rows)
			}
			committed[i] = &state{m: st.m, ptr: st.snap}
		}
	}
	return expr.Delete(tr).Where(keyWhere(tr, m, committed, versions)), versions
}

func deleteChunk(ctx context.Context, ex engine.Executor, m *Mapper, rows []*state, idempotent bool) error {
	stmt, versions := deleteStmt(m, rows)
	res, err := engine.ExecStmt(ctx, ex, stmt)
	if err != nil {
		return err
	}
	if res.RowsAffected != int64(len(rows)) && idempotent {
		// Rows already gone are fine; a row still there was not deleted
		// because its version moved: that is stale data all the same.
		if versions == nil {
			return nil
		}
		return stillThere(ctx, ex, m, rows)
	}
	if res.RowsAffected != int64(len(rows)) {
		urs := make([]updateRow, len(rows))
		for i, st := range rows {
			urs[i] = updateRow{st: st}
			if versions != nil {
				urs[i].old = versions[i]
			}
		}
		return newStaleBatch("DELETE", m, urs)
	}
	return nil
}

// stillThere reports the rows of a versioned DELETE that still exist (their
// version moved) as stale data, read in the same transaction.
func stillThere(ctx context.Context, ex engine.Executor, m *Mapper, rows []*state) error {
	tr := tref(m.Table)
	rs, err := engine.QueryStmt(ctx, ex, expr.Select(columnsOf(tr, m.PK)...).From(tr).Where(keyWhere(tr, m, rows, nil)))
	if err != nil {
		return err
	}
	defer rs.Close()
	var stale [][]any
	for rs.Next() {
		vals, err := scanFields(rs, m.PK)
		if err != nil {
			return err
		}
		k := make([]any, len(vals))
		for i, v := range vals {
			k[i] = v.Elem().Interface()
		}
		stale = append(stale, k)
	}
	if err := rs.Err(); err != nil {
		return err
	}
	if stale != nil {
		return staleRows("DELETE", m.Table.Name, stale)
	}
	return nil
}
