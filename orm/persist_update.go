package orm

import (
	"context"
	"reflect"
	"slices"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
)

// UPDATEs: changed rows of one table grouped by the columns they write,
// one keyed multi-row statement per group and chunk, versions checked
// and bumped, server-onupdate values read back.

// updateRow is one object's UPDATE: the fields it writes (the version,
// if any, last, with its new value) and the version the row must hold.
type updateRow struct {
	st     *state
	set    []*Field
	old    any   // the version loaded; nil without a version column
	oldKey []any // the key the row holds, when the UPDATE changes it
}

// nextVersion is the version after cur (Strata's counters).
func nextVersion(cur reflect.Value) reflect.Value {
	next := reflect.New(cur.Type()).Elem()
	if cur.CanInt() {
		next.SetInt(cur.Int() + 1)
	} else {
		next.SetUint(cur.Uint() + 1)
	}
	return next
}

// prepareUpdates applies onupdate rules and version bumps to the objects
// that changed and lists what each UPDATE writes.
func prepareUpdates(list []*state, force map[*state][]*Field, u *undo) ([]updateRow, error) {
	var out []updateRow
	for _, st := range list {
		m := st.m
		var set []*Field
		for _, f := range m.Fields {
			if (f != m.Version || m.appVersion) && f.changed(st.ptr, st.snap) || slices.Contains(force[st], f) {
				set = append(set, f)
			}
		}
		if len(set) == 0 {
			continue // a hook put it back as it was
		}
		for _, f := range m.Fields {
			if f.OnUpdate != nil && !slices.Contains(set, f) {
				u.set(f, st.ptr, reflect.ValueOf(f.OnUpdate()).Convert(f.Type))
				set = append(set, f)
			}
		}
		r := updateRow{st: st, set: set, oldKey: oldKey(st)}
		if v := m.Version; v != nil && m.appVersion {
			// The application's version: the row must hold the value
			// loaded; the new one (if the program set one) is in set.
			r.old = v.rv(st.snap).Interface()
		} else if v != nil {
			// The version is Strata's: the row must still hold the version
			// loaded, and gets the next one, whatever the field was set to.
			old := v.rv(st.snap)
			r.old = old.Interface()
			u.set(v, st.ptr, nextVersion(old))
			r.set = append(r.set, v)
		}
		out = append(out, r)
	}
	return out, nil
}

// keyedUpdate starts a keyed multi-row UPDATE ([expr.UpdateRows]) of m's
// table by primary key, setting set and matching match; each row gives the
// key values, then set's, then match's.
func keyedUpdate(m *Mapper, set, match []*Field) *expr.UpdateRowsStmt {
	var types []schema.Type
	for _, fs := range [][]*Field{m.PK, set, match} {
		for _, f := range fs {
			types = append(types, f.Column.Type)
		}
	}
	return expr.UpdateRows(tref(m.Table), columnNames(m.PK), columnNames(set), columnNames(match), types)
}

// columnNames returns the fields' column names.
func columnNames(fs []*Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Column.Name
	}
	return out
}

// selectBack reads columns the database filled into objects whose keys are
// known: one SELECT per call.
// selectBackStmt builds the SELECT of selectBack; nil when there is
// nothing to read.
func selectBackStmt(m *Mapper, fields []*Field, rows []*state) (stmt expr.Statement, cols, rest []*Field) {
	for _, f := range fields {
		if !f.Column.AutoIncrement {
			rest = append(rest, f)
		}
	}
	if len(rest) == 0 {
		return nil, nil, nil
	}
	tr := tref(m.Table)
	cols = append(slices.Clone(m.PK), rest...)
	return expr.Select(columnsOf(tr, cols)...).From(tr).Where(keyWhere(tr, m, rows, nil)), cols, rest
}

func selectBack(ctx context.Context, ex engine.Executor, m *Mapper, fields []*Field, rows []*state, u *undo) error {
	stmt, cols, rest := selectBackStmt(m, fields, rows)
	if stmt == nil {
		return nil
	}
	rs, err := engine.QueryStmt(ctx, ex, stmt)
	if err != nil {
		return err
	}
	defer rs.Close()
	byKey := make(map[any]*state, len(rows))
	for _, st := range rows {
		byKey[keyOf(m, st.ptr)] = st
	}
	n := 0
	k := make([]any, len(m.PK))
	for rs.Next() {
		vals, err := scanFields(rs, cols)
		if err != nil {
			return err
		}
		for i := range m.PK {
			k[i] = vals[i].Elem().Interface()
		}
		st := byKey[keyFrom(k)]
		if st == nil {
			continue
		}
		n++
		for i, f := range rest {
			u.set(f, st.ptr, vals[len(m.PK)+i].Elem())
		}
	}
	if err := rs.Err(); err != nil {
		return err
	}
	if n != len(rows) {
		return &StaleDataError{Op: "SELECT", Table: m.Table.Name}
	}
	return nil
}

// returnsOnUpdate is what a dialect needs for server-onupdate values to
// come back from the UPDATE itself: SQLite has UPDATE ... RETURNING, but
// the values its (AFTER) triggers write are not in it.
const returnsOnUpdate = dialect.UpdateReturning | dialect.ReturningSeesTriggers

func serverOnUpdateFields(m *Mapper) []*Field {
	var out []*Field
	for _, f := range m.Fields {
		if f.ServerOnUpdate {
			out = append(out, f)
		}
	}
	return out
}

// updateSteps plans the UPDATEs of one mapper's changed objects: rows
// writing the same columns share one keyed multi-row UPDATE per chunk (a
// single row gets a plain UPDATE), and where the dialect cannot return
// server-onupdate values, one SELECT reads them back for the whole table.
func updateSteps(d dialect.Dialect, rows []updateRow) []action {
	m := rows[0].st.m
	ret := serverOnUpdateFields(m)
	var groups [][]updateRow
	for _, r := range rows {
		if r.oldKey != nil {
			groups = append(groups, []updateRow{r}) // alone: matched by its old key
			continue
		}
		found := false
		for i, g := range groups {
			if g[0].oldKey == nil && slices.Equal(g[0].set, r.set) {
				groups[i] = append(g, r)
				found = true
				break
			}
		}
		if !found {
			groups = append(groups, []updateRow{r})
		}
	}
	returning := len(ret) > 0 && d.Features().Has(returnsOnUpdate)
	var out []action
	for _, g := range groups {
		if len(g) == 1 {
			out = append(out, &updateRows{cost: cost{n: 1}, rows: g, ret: ret, returning: returning})
			continue
		}
		width := len(m.PK) + len(g[0].set)
		cols := append(slices.Clip(m.PK), g[0].set...)
		if m.Version != nil {
			width++
			cols = append(cols, m.Version)
		}
		per := min(maxBatchRows, d.MaxParams()/width)
		arrays := d.Features().Has(dialect.ArrayParams) && arraySafe(cols)
		if arrays {
			per = maxArrayRows
		}
		for _, chunk := range expr.Chunk(g, per) {
			out = append(out, &updateRows{cost: cost{n: 1, check: len(chunk) > 1}, rows: chunk, ret: ret, returning: returning,
				arrays: arrays && len(chunk) > 1})
		}
	}
	if len(ret) > 0 && !returning {
		states := make([]*state, len(rows))
		for i, r := range rows {
			states[i] = r.st
		}
		for _, chunk := range expr.Chunk(states, maxBatchRows) {
			out = append(out, &readBack{cost: cost{n: 1}, m: m, fields: ret, rows: chunk})
		}
	}
	return out
}

// updateOneCommand builds the UPDATE of one row, returning ret.
func updateOneCommand(d dialect.Dialect, r updateRow, ret []*Field) (command, error) {
	st, m := r.st, r.st.m
	setMask, ok1 := m.maskOf(r.set)
	retMask, ok2 := m.maskOf(ret)
	if !ok1 || !ok2 {
		q, args, err := expr.Build(d, updateOneStmt(r, ret))
		return command{sql: q, args: args}, err
	}
	args := make([]any, 0, len(r.set)+len(m.PK)+1)
	for _, f := range r.set {
		args = append(args, f.valueAt(st.ptr))
	}
	if r.oldKey != nil {
		args = append(args, r.oldKey...)
	} else {
		for _, f := range m.PK {
			args = append(args, f.valueAt(st.ptr))
		}
	}
	if m.Version != nil {
		args = append(args, r.old)
	}
	k := stmtKey{dialect: d.Name(), kind: stmtUpdate, cols: setMask, ret: retMask, version: m.Version != nil}
	q, ok := m.lookupSQL(k)
	if !ok {
		var err error
		q, err = m.cachedSQL(d, k, args, func() expr.Statement { return updateOneStmt(r, ret) })
		if err != nil {
			return command{}, err
		}
	}
	return command{sql: q, args: args}, nil
}

// updateOneStmt builds the UPDATE of one row by its key (and version).
func updateOneStmt(r updateRow, ret []*Field) expr.Statement {
	st, m := r.st, r.st.m
	tr := tref(m.Table)
	up := expr.Update(tr)
	for _, f := range r.set {
		up.Set(f.Column.Name, f.valueAt(st.ptr))
	}
	for i, f := range m.PK {
		if r.oldKey != nil {
			up.Where(expr.Eq(tr.C(f.Column.Name), r.oldKey[i]))
		} else {
			up.Where(expr.Eq(tr.C(f.Column.Name), f.valueAt(st.ptr)))
		}
	}
	if m.Version != nil {
		up.Where(expr.Eq(tr.C(m.Version.Column.Name), r.old))
	}
	if len(ret) > 0 {
		up.Returning(columnsOf(nil, ret)...)
	}
	return up
}

func updateOne(ctx context.Context, ex engine.Executor, r updateRow, ret []*Field, returning bool, u *undo) error {
	st, m := r.st, r.st.m
	if !returning {
		ret = nil
	}
	c, err := updateOneCommand(ex.Dialect(), r, ret)
	if err != nil {
		return err
	}
	q, args := c.sql, c.args
	stale := func() error { return staleRows("UPDATE", m.Table.Name, [][]any{keyValues(m, st.ptr)}) }
	if len(ret) == 0 {
		res, err := ex.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if res.RowsAffected != 1 {
			return stale()
		}
		return nil
	}
	rs, err := ex.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	if !rs.Next() {
		if err := rs.Err(); err != nil {
			return err
		}
		return stale()
	}
	vals, err := scanFields(rs, ret)
	if err != nil {
		return err
	}
	for i, f := range ret {
		u.set(f, st.ptr, vals[i].Elem())
	}
	return rs.Close()
}

// updateManyStmt builds the keyed multi-row UPDATE of rows writing the
// same columns; with RETURNING (where the dialect has it) it returns the
// keys and back's fields.
func updateManyStmt(d dialect.Dialect, rows []updateRow, ret []*Field, returning, arrays bool) (stmt expr.Statement, back []*Field) {
	m := rows[0].st.m
	set := rows[0].set
	var match []*Field
	if m.Version != nil {
		match = []*Field{m.Version}
	}
	if d.Features().Has(dialect.UpdateReturning) {
		back = slices.Clone(m.PK)
		if returning {
			back = append(back, ret...)
		}
	}
	if arrays {
		return updateArraysStmt(m, rows, set, match, back), back
	}
	u := keyedUpdate(m, set, match)
	for _, r := range rows {
		vals := make([]any, 0, len(m.PK)+len(set)+len(match))
		for _, f := range m.PK {
			vals = append(vals, f.valueAt(r.st.ptr))
		}
		for _, f := range set {
			vals = append(vals, f.valueAt(r.st.ptr))
		}
		if m.Version != nil {
			vals = append(vals, r.old)
		}
		u.Row(vals...)
	}
	if back != nil {
		u.Returning(columnsOf(tref(m.Table), back)...)
	}
	return u, back
}

// updateArraysStmt is updateManyStmt's UPDATE with each column's values as
// one array parameter (see [expr.UpdateArrays]): the keys and new values
// read from the objects, the versions matched from the rows' old ones.
func updateArraysStmt(m *Mapper, rows []updateRow, set, match []*Field, back []*Field) *expr.UpdateArraysStmt {
	states := make([]*state, len(rows))
	for i, r := range rows {
		states[i] = r.st
	}
	var types []schema.Type
	var arrays []any
	for _, fs := range [][]*Field{m.PK, set} {
		for _, f := range fs {
			types = append(types, f.Column.Type)
			arrays = append(arrays, columnArray(f, states))
		}
	}
	for _, f := range match {
		old := reflect.MakeSlice(reflect.SliceOf(f.Type), len(rows), len(rows))
		for i, r := range rows {
			if r.old != nil {
				old.Index(i).Set(reflect.ValueOf(r.old))
			}
		}
		types = append(types, f.Column.Type)
		arrays = append(arrays, old.Interface())
	}
	u := expr.UpdateArrays(tref(m.Table), columnNames(m.PK), columnNames(set), columnNames(match), types, arrays)
	if back != nil {
		u.Returning(columnsOf(tref(m.Table), back)...)
	}
	return u
}

// updateMany sends one keyed multi-row UPDATE for rows writing the same
// columns: from arrays ([expr.UpdateArrays]) where every column can travel
// as one, else from a VALUES list ([expr.UpdateRows]). Where the dialect
// has UPDATE ... RETURNING the keys come back (with server-onupdate
// values), naming exactly the rows that matched nothing; elsewhere the
// count of matched rows is checked and a shortfall resolved after the
// rollback.
func updateMany(ctx context.Context, ex engine.Executor, rows []updateRow, ret []*Field, returning, arrays bool, u *undo) error {
	m := rows[0].st.m
	stmt, back := updateManyStmt(ex.Dialect(), rows, ret, returning, arrays)
	if back == nil {
		res, err := engine.ExecStmt(ctx, ex, stmt)
		if err != nil {
			return err
		}
		if res.RowsAffected != int64(len(rows)) {
			return newStaleBatch("UPDATE", m, rows)
		}
		return nil
	}
	rs, err := engine.QueryStmt(ctx, ex, stmt)
	if err != nil {
		return err
	}
	defer rs.Close()
	byKey := make(map[any]*state, len(rows))
	for _, r := range rows {
		byKey[r.st.key] = r.st
	}
	seen := make(map[*state]bool, len(rows))
	probe := reflect.New(m.Type).UnsafePointer()
	for rs.Next() {
		vals, err := scanFields(rs, back)
		if err != nil {
			return err
		}
		for i, f := range m.PK {
			f.rv(probe).Set(vals[i].Elem())
		}
		st := byKey[keyOf(m, probe)]
		if st == nil {
			continue
		}
		seen[st] = true
		for i, f := range back[len(m.PK):] {
			u.set(f, st.ptr, vals[len(m.PK)+i].Elem())
		}
	}
	if err := rs.Err(); err != nil {
		return err
	}
	var stale [][]any
	for _, r := range rows {
		if !seen[r.st] {
			stale = append(stale, keyValues(m, r.st.ptr))
		}
	}
	if stale != nil {
		return staleRows("UPDATE", m.Table.Name, stale)
	}
	return rs.Close()
}
