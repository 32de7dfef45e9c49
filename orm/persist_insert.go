package orm

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"unsafe"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
)

// INSERTs: rows of one table grouped by the columns they leave to the
// database, one statement per group and chunk (PostgreSQL: one array
// parameter per column), the database's values read back.

// maxBatchRows caps the rows of one multi-row statement, below every
// dialect's parameter limit for reasonable widths.
const maxBatchRows = 1000

// insertSteps plans the flush's INSERTs.
func (s *Session) insertSteps(d dialect.Dialect, inserts []*state, rp *relPlan) ([]action, error) {
	if len(inserts) == 0 {
		return nil, nil
	}
	staged := stagedMinRows
	if s.f.cfg.noStaging {
		staged = math.MaxInt
	}
	if m := inserts[0].m; inserts[len(inserts)-1].m == m && !slices.ContainsFunc(inserts, func(st *state) bool { return st.m != m }) {
		// one table (inserts come ordered by table)
		levels, err := selfLevels(m, inserts, rp.levels)
		if err != nil {
			return nil, err
		}
		if levels == nil && len(inserts) == 1 && len(m.Fields) <= 64 {
			// one row: its action lives in the session (nothing keeps a
			// flush's actions after it)
			cols, fetch := m.insertShape(insertMask(m, inserts[0]))
			sc := s.scratch()
			fillInsert(&sc.ins, d, m, cols, fetch, inserts)
			sc.act[0] = &sc.ins
			return sc.act[:1:1], nil
		}
		if levels == nil {
			return insertSteps(d, inserts, staged), nil
		}
	}
	out := make([]action, 0, 4)
	for _, group := range groupByMapper(inserts) {
		levels, err := selfLevels(group[0].m, group, rp.levels)
		if err != nil {
			return nil, err
		}
		if levels == nil {
			out = append(out, insertSteps(d, group, staged)...)
		}
		for _, level := range levels {
			out = append(out, insertSteps(d, level, staged)...)
		}
	}
	return out, nil
}

// earlyDeletes splits the deletes: rows of tables that the flush also
// inserts into, that have unique constraints besides the primary key, and
// that no foreign key references can go before the inserts.
func (s *Session) earlyDeletes(p *flushPlan) (early, late []*state) {
	if len(p.inserts) == 0 || len(p.deletes) == 0 {
		return nil, p.deletes
	}
	inserted := map[*Mapper]bool{}
	for _, st := range p.inserts {
		inserted[st.m] = true
	}
	for _, st := range p.deletes {
		t := st.m.Table
		if inserted[st.m] && !s.f.refd[t.Name] && (len(t.Uniques) > 0 || hasUniqueIndex(t)) {
			early = append(early, st)
		} else {
			late = append(late, st)
		}
	}
	return early, late
}

func hasUniqueIndex(t *schema.Table) bool {
	for _, x := range t.Indexes {
		if x.Unique {
			return true
		}
	}
	return false
}

// chunks is expr.Chunk without an allocation for the common single chunk.
func chunks[T any](list []T, size int) [][]T {
	if len(list) <= size {
		return [][]T{list}
	}
	return expr.Chunk(list, size)
}

func groupByMapper(list []*state) [][]*state {
	var out [][]*state
	for i := 0; i < len(list); {
		j := i
		for j < len(list) && list[j].m == list[i].m {
			j++
		}
		out = append(out, list[i:j])
		i = j
	}
	return out
}

// selfLevels splits rows of one table by the references between them
// through the table's self-referential foreign keys: level 0 references
// no row in the list, level 1 only rows of level 0, and so on. Rows are
// inserted level by level and deleted in reverse, which is what databases
// that check foreign keys row by row (MariaDB) need. Rows referencing each
// other in a cycle are an error. Rows of one level only give nil.
func selfLevels(m *Mapper, rows []*state, extra map[*state][]*state) ([][]*state, error) {
	// (post_update keys do not order rows: see postUpdateFK)
	type ref struct{ child, parent []*Field }
	var refs []ref
	for _, fk := range m.Table.ForeignKeys {
		if fk.RefTable != m.Table.Name || postUpdateFK(m, fk.Columns) {
			continue // post_update keys are set after the inserts and cleared before the deletes
		}
		var r ref
		for i, c := range fk.Columns {
			cf, pf := m.FieldByColumn(c), m.FieldByColumn(fk.RefColumns[i])
			if cf == nil || pf == nil {
				return nil, fmt.Errorf("orm: %s: foreign key %s names a column no field maps", m.Type, fk.Name)
			}
			r.child, r.parent = append(r.child, cf), append(r.parent, pf)
		}
		refs = append(refs, r)
	}
	if (len(refs) == 0 && len(extra) == 0) || len(rows) < 2 {
		return nil, nil // one level
	}
	// a map key for the values of fields; NULL references nothing
	refKey := func(fields []*Field, ptr unsafe.Pointer) (any, bool) {
		if anyNil(fields, ptr) {
			return nil, false
		}
		return fieldsKey(fields, ptr), true
	}
	parents := make(map[*state][]*state) // child -> parents in rows
	for _, r := range refs {
		byKey := map[any]*state{}
		for _, st := range rows {
			if k, ok := refKey(r.parent, st.ptr); ok {
				byKey[k] = st
			}
		}
		for _, st := range rows {
			if k, ok := refKey(r.child, st.ptr); ok {
				if p := byKey[k]; p != nil && p != st {
					parents[st] = append(parents[st], p)
				}
			}
		}
	}
	if len(extra) > 0 {
		in := make(map[*state]bool, len(rows))
		for _, st := range rows {
			in[st] = true
		}
		for _, st := range rows {
			for _, p := range extra[st] {
				if in[p] && p != st && !slices.Contains(parents[st], p) {
					parents[st] = append(parents[st], p)
				}
			}
		}
	}
	if len(parents) == 0 {
		return nil, nil // one level
	}
	level := make(map[*state]int, len(rows))
	var out [][]*state
	left := rows
	for len(left) > 0 {
		var now, later []*state
		for _, st := range left {
			ready := true
			for _, p := range parents[st] {
				if _, done := level[p]; !done {
					ready = false
					break
				}
			}
			if ready {
				now = append(now, st)
			} else {
				later = append(later, st)
			}
		}
		if len(now) == 0 {
			return nil, fmt.Errorf("orm: %d rows of %s reference each other in a cycle; flush them in two steps (insert, then set the reference)", len(later), m.Table.Name)
		}
		for _, st := range now {
			level[st] = len(out)
		}
		out = append(out, now)
		left = later
	}
	return out, nil
}

// insertSteps plans the INSERTs of one mapper's rows. Columns whose field
// holds its zero value and that the database fills (autoincrement keys,
// server defaults) are left out and read back: with RETURNING in the same
// statement, otherwise by LastInsertID and one SELECT per chunk. Shapes
// of stagedMin rows or more reading columns back go through a staging
// table where the dialect has COPY.
func insertSteps(d dialect.Dialect, group []*state, stagedMin int) []action {
	m := group[0].m
	if len(group) == 1 && len(m.Fields) <= 64 {
		// one row, the common case: its column lists are the mapper's,
		// computed once per set of columns left to the database
		cols, fetch := m.insertShape(insertMask(m, group[0]))
		a := &insertRows{}
		fillInsert(a, d, m, cols, fetch, group)
		return []action{a}
	}
	// Rows leaving out the same columns share statements.
	type shape struct {
		cols, fetch []*Field
		rows        []*state
	}
	var shapes []*shape
	var last *shape
	fetchSig := make([]bool, len(m.Fields)) // which fields this row leaves out
	for k, st := range group {
		for i, f := range m.Fields {
			fetchSig[i] = (f.Column.AutoIncrement || f.Column.Default != nil) && isZero(f, st.ptr)
		}
		same := func(sh *shape) bool {
			j := 0
			for i, f := range m.Fields {
				in := j < len(sh.fetch) && sh.fetch[j] == f
				if in {
					j++
				}
				if in != fetchSig[i] {
					return false
				}
			}
			return true
		}
		sh := last
		if sh == nil || !same(sh) {
			sh = nil
			for _, x := range shapes {
				if same(x) {
					sh = x
					break
				}
			}
		}
		if sh == nil {
			sh = &shape{}
			if len(shapes) == 0 && len(group) > 1 {
				// usually the only shape: room for every row left
				sh.rows = make([]*state, 0, len(group)-k)
			}
			for i, f := range m.Fields {
				if fetchSig[i] {
					sh.fetch = append(sh.fetch, f)
				} else {
					sh.cols = append(sh.cols, f)
				}
			}
			shapes = append(shapes, sh)
		}
		if len(group) == 1 {
			sh.rows = group
		} else {
			sh.rows = append(sh.rows, st)
		}
		last = sh
	}
	canReturn := d.Features().Has(dialect.InsertReturning)
	var out []action
	for _, sh := range shapes {
		if len(sh.fetch) == 0 && len(sh.rows) >= copyMinRows && len(sh.cols) > 0 && d.Features().Has(dialect.CopyFrom) {
			// nothing to read back: COPY, in one stream per chunk
			for _, chunk := range chunks(sh.rows, maxCopyRows) {
				out = append(out, &insertRows{cost: cost{n: 1}, m: m, cols: sh.cols, rows: chunk, canReturn: canReturn, copy: true,
					arrays: len(chunk) > 1 && d.Features().Has(dialect.ArrayParams) && arraySafe(sh.cols)})
			}
			continue
		}
		if len(sh.fetch) > 0 && canReturn && len(sh.rows) >= stagedMin && len(sh.cols) > 0 && d.Features().Has(dialect.CopyFrom) {
			// keys to read back from many rows: COPY into a staging
			// table, then INSERT ... SELECT ... RETURNING
			arrays := d.Features().Has(dialect.ArrayParams) && arraySafe(sh.cols)
			for _, chunk := range chunks(sh.rows, maxCopyRows) {
				out = append(out, &insertRows{cost: cost{n: 2}, m: m, cols: sh.cols, fetch: sh.fetch, rows: chunk, canReturn: canReturn, staged: true, arrays: arrays})
			}
			continue
		}
		if len(sh.rows) > 1 && len(sh.cols) > 0 && d.Features().Has(dialect.ArrayParams) && arraySafe(sh.cols) {
			for _, chunk := range chunks(sh.rows, maxArrayRows) {
				out = append(out, &insertRows{cost: cost{n: 1}, m: m, cols: sh.cols, fetch: sh.fetch, rows: chunk, canReturn: canReturn, arrays: true})
			}
			continue
		}
		per := maxBatchRows
		if n := len(sh.cols); n > 0 && d.MaxParams()/n < per {
			per = d.MaxParams() / n
		}
		stmts := 1
		if len(sh.cols) == 0 && d.Features().Has(dialect.DefaultValues) {
			per = 1 // INSERT ... DEFAULT VALUES is one row
		}
		if !canReturn && len(sh.fetch) > 0 {
			per = 1 // LastInsertID is per statement
			if len(sh.fetch) > 1 || autoField(m, sh.fetch) == nil {
				stmts = 2 // and the server defaults need a SELECT
			}
		}
		for _, chunk := range chunks(sh.rows, per) {
			out = append(out, &insertRows{cost: cost{n: stmts}, m: m, cols: sh.cols, fetch: sh.fetch, rows: chunk, canReturn: canReturn})
		}
	}
	return out
}

// insertMask is the set of st's fields (bit i: m.Fields[i]) its INSERT
// leaves to the database: generated keys and server defaults it holds
// the zero value of. m has at most 64 fields (callers check), so every
// field's index is a bit.
func insertMask(m *Mapper, st *state) uint64 {
	var mask uint64
	for _, f := range m.generated {
		if isZero(f, st.ptr) {
			mask |= 1 << f.index
		}
	}
	return mask
}

// fillInsert makes a the INSERT of one row.
func fillInsert(a *insertRows, d dialect.Dialect, m *Mapper, cols, fetch []*Field, rows []*state) {
	canReturn := d.Features().Has(dialect.InsertReturning)
	stmts := 1
	if !canReturn && len(fetch) > 0 && (len(fetch) > 1 || autoField(m, fetch) == nil) {
		stmts = 2 // LastInsertID, then a SELECT of the server defaults
	}
	*a = insertRows{cost: cost{n: stmts}, m: m, cols: cols, fetch: fetch, rows: rows, canReturn: canReturn}
}

// insertShape returns the columns an INSERT writes and those it reads back
// when the fields in mask (bit i: m.Fields[i]) are left to the database.
// The lists are shared: callers never change them.
func (m *Mapper) insertShape(mask uint64) (cols, fetch []*Field) {
	if e := hotFind(&m.cache.hotShapes, func(e *shapeEntry) bool { return e.mask == mask }); e != nil {
		return e.cols, e.fetch
	}
	if sh, ok := m.cache.shapes.Load(mask); ok {
		p := sh.(*[2][]*Field)
		return p[0], p[1]
	}
	for i, f := range m.Fields {
		if mask&(1<<i) != 0 {
			fetch = append(fetch, f)
		} else {
			cols = append(cols, f)
		}
	}
	cols, fetch = slices.Clip(cols), slices.Clip(fetch)
	if _, had := m.cache.shapes.LoadOrStore(mask, &[2][]*Field{cols, fetch}); !had {
		hotPut(&m.cache.hotShapes, &shapeEntry{mask, cols, fetch})
	}
	return cols, fetch
}

// copyMinRows is the smallest batch written with COPY (when nothing comes
// back): below it an INSERT's single round trip wins over COPY's setup.
// maxCopyRows bounds one COPY stream.
const (
	copyMinRows = 32
	maxCopyRows = 100_000
)

// stagedMinRows is the smallest batch of rows reading back generated
// columns that goes through a staging table (COPY, then INSERT ...
// SELECT ... RETURNING; see engine.CopyInsertFunc) rather than one INSERT
// from arrays: below it the staging's extra round trip costs more than
// COPY saves (measured in NOTES).
const stagedMinRows = 5000

// copySQL is how a COPY is shown (Explain, logs).
func copySQL(m *Mapper, cols []*Field) string {
	name := m.Table.Name
	if m.Table.Schema != "" {
		name = m.Table.Schema + "." + name
	}
	return "COPY " + name + " (" + columnList(cols) + ") FROM STDIN"
}

// copyRows writes rows with the executor's copy protocol: their values
// bound as an INSERT's would be, nothing read back.
func copyRows(ctx context.Context, ex engine.Executor, m *Mapper, cols []*Field, rows []*state) error {
	n, err := engine.CopyFromFunc(ctx, ex, m.Table.Schema, m.Table.Name, columnNames(cols), len(rows), func(i int, row []any) error {
		for j, f := range cols {
			row[j] = f.copyArgAt(rows[i].ptr)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n != int64(len(rows)) {
		return fmt.Errorf("orm: COPY into %s wrote %d rows of %d", m.Table.Name, n, len(rows))
	}
	return nil
}

// maxArrayRows caps the rows of one array INSERT (PostgreSQL's unnest).
const maxArrayRows = 10_000

// arraySafe reports whether every field can travel as an array parameter
// of its column's type: predeclared Go types (or pointers to them, NULL as
// nil) for integer, boolean, float, string and time columns.
func arraySafe(fields []*Field) bool {
	for _, f := range fields {
		t := f.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t {
		case reflect.TypeFor[bool](), reflect.TypeFor[string](), reflect.TypeFor[int](),
			reflect.TypeFor[int16](), reflect.TypeFor[int32](), reflect.TypeFor[int64](),
			reflect.TypeFor[float32](), reflect.TypeFor[float64](), timeType:
		default:
			return false
		}
		switch f.Column.Type.Kind {
		case schema.KindSmallInt, schema.KindInteger, schema.KindBigInt, schema.KindBoolean,
			schema.KindText, schema.KindVarchar, schema.KindChar, schema.KindFloat, schema.KindDouble,
			schema.KindDate, schema.KindTimestamp, schema.KindTimestampTZ:
		default:
			return false
		}
	}
	return true
}

// insertChunk sends one INSERT of rows: a multi-row VALUES list, or with
// arrays set one array parameter per column (see [expr.InsertArrays]).
// insertCommand builds one INSERT of rows and says what comes back: the
// RETURNING fields and the generated key, if any.
func insertCommand(d dialect.Dialect, m *Mapper, cols, fetch []*Field, rows []*state, canReturn, arrays bool) (c command, ret []*Field, auto *Field, err error) {
	auto = autoField(m, fetch)
	if canReturn {
		ret = returningOf(m, fetch, auto)
	}
	colMask, ok1 := m.maskOf(cols)
	retMask, ok2 := m.maskOf(ret)
	if len(rows) == 1 && ok1 && ok2 {
		// one row: the SQL is cached per column set, only arguments are made
		args := make([]any, len(cols))
		for i, f := range cols {
			args[i] = f.valueAt(rows[0].ptr)
		}
		k := stmtKey{dialect: d.Name(), kind: stmtInsert, cols: colMask, ret: retMask}
		q, ok := m.lookupSQL(k)
		if !ok {
			q, err = m.cachedSQL(d, k, args, func() expr.Statement {
				return insertStmt(d, m, cols, ret, rows, arrays)
			})
		}
		return command{sql: q, args: args}, ret, auto, err
	}
	q, args, err := expr.Build(d, insertStmt(d, m, cols, ret, rows, arrays))
	return command{sql: q, args: args}, ret, auto, err
}

// returningOf is what an INSERT leaving fetch to the database returns:
// the fetched columns, plus the primary key to match rows with when no
// generated key (auto) does.
func returningOf(m *Mapper, fetch []*Field, auto *Field) []*Field {
	if len(fetch) == 0 || auto != nil {
		return fetch
	}
	ret := slices.Clone(fetch)
	for _, f := range m.PK {
		if !slices.Contains(ret, f) {
			ret = append(ret, f)
		}
	}
	return ret
}

// stagedRows inserts rows through the executor's staging table (see
// engine.CopyInsertFunc) and reads back fetch: their values bound as an
// INSERT's would be, the generated columns matched as for a multi-row
// INSERT.
func stagedRows(ctx context.Context, ex engine.Executor, m *Mapper, cols, fetch []*Field, rows []*state, u *undo) error {
	auto := autoField(m, fetch)
	ret := returningOf(m, fetch, auto)
	rs, err := engine.CopyInsertFunc(ctx, ex, m.Table.Schema, m.Table.Name, columnNames(cols), columnNames(ret), len(rows), func(i int, row []any) error {
		for j, f := range cols {
			row[j] = f.copyArgAt(rows[i].ptr)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer rs.Close()
	return readInserted(rs, m, ret, fetch, auto, rows, u)
}

// stagedCommands is how a staged insert is shown (Explain): the COPY
// into the staging table, then the INSERT from it. The dialect names the
// staging table and its row-number column; these are placeholders.
func stagedCommands(m *Mapper, cols, fetch []*Field, n int) []command {
	name := m.Table.Name
	if m.Table.Schema != "" {
		name = m.Table.Schema + "." + name
	}
	list := columnList(cols)
	ret := returningOf(m, fetch, autoField(m, fetch))
	return []command{
		{sql: "COPY staging(" + name + ") (ord, " + list + ") FROM STDIN", args: []any{fmt.Sprintf("%d rows", n)}},
		{sql: "INSERT INTO " + name + " (" + list + ") SELECT " + list + " FROM staging(" + name + ") ORDER BY ord RETURNING " + columnList(ret)},
	}
}

// insertStmt builds the INSERT of rows: a multi-row VALUES list, or with
// arrays set one array parameter per column (see [expr.InsertArrays]).
func insertStmt(d dialect.Dialect, m *Mapper, cols, ret []*Field, rows []*state, arrays bool) expr.Statement {
	if arrays {
		names := make([]string, len(cols))
		types := make([]schema.Type, len(cols))
		vals := make([]any, len(cols))
		for i, f := range cols {
			names[i], types[i] = f.Column.Name, f.Column.Type
			vals[i] = columnArray(f, rows)
		}
		ins := expr.InsertArrays(tref(m.Table), names, types, vals)
		if len(ret) > 0 {
			ins.Returning(columnsOf(nil, ret)...)
		}
		return ins
	}
	ins := expr.Insert(tref(m.Table))
	for _, f := range cols {
		ins.Columns(f.Column.Name)
	}
	for _, st := range rows {
		if len(cols) == 0 && d.Features().Has(dialect.DefaultValues) {
			break // DEFAULT VALUES
		}
		vals := make([]any, len(cols))
		for i, f := range cols {
			vals[i] = f.valueAt(st.ptr)
		}
		ins.Values(vals...)
	}
	if len(ret) > 0 {
		ins.Returning(columnsOf(nil, ret)...)
	}
	return ins
}

// columnArray is f's values in rows as one slice of f's type ([]string
// for a string field), the array parameter an unnest INSERT binds: copied
// straight from the objects for the predeclared types, through
// reflection for others.
func columnArray(f *Field, rows []*state) any {
	if f.typed.slice != nil {
		return f.typed.slice(rows, f.offset)
	}
	a := reflect.MakeSlice(reflect.SliceOf(f.Type), len(rows), len(rows))
	for j, st := range rows {
		a.Index(j).Set(f.rv(st.ptr))
	}
	return a.Interface()
}

func insertChunk(ctx context.Context, ex engine.Executor, m *Mapper, cols, fetch []*Field, rows []*state, canReturn, arrays bool, u *undo) error {
	c, ret, auto, err := insertCommand(ex.Dialect(), m, cols, fetch, rows, canReturn, arrays)
	if err != nil {
		return err
	}
	q, args := c.sql, c.args
	if len(ret) == 0 {
		res, err := ex.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if res.RowsAffected != int64(len(rows)) {
			return fmt.Errorf("orm: INSERT into %s wrote %d rows of %d", m.Table.Name, res.RowsAffected, len(rows))
		}
		if len(fetch) == 0 {
			return nil
		}
		// no RETURNING: the generated key, then the server defaults
		if auto != nil {
			u.set(auto, rows[0].ptr, reflect.ValueOf(res.LastInsertID).Convert(auto.Type))
		}
		return selectBack(ctx, ex, m, fetch, rows, u)
	}
	rs, err := ex.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	return readInserted(rs, m, ret, fetch, auto, rows, u)
}

// readInserted reads the columns ret that an INSERT of rows returned in
// rs into the rows' fields: matched by ascending generated key (auto), or
// by primary key without one.
func readInserted(rs *engine.Rows, m *Mapper, ret, fetch []*Field, auto *Field, rows []*state, u *undo) error {
	if len(rows) == 1 && auto != nil {
		// Scan straight into the object: every returned field held its
		// zero value (that is why it was left out), so undoing is zeroing.
		st := rows[0]
		if !rs.Next() {
			if err := rs.Err(); err != nil {
				return err
			}
			return fmt.Errorf("orm: INSERT into %s returned no row", m.Table.Name)
		}
		dest := m.getDest()
		for i, f := range ret {
			(*dest)[i] = f.ptrAt(st.ptr)
		}
		u.zero(st.ptr, ret)
		err := rs.Scan((*dest)[:len(ret)]...)
		m.putDest(dest)
		if err != nil {
			return err
		}
		return rs.Close()
	}
	if auto != nil {
		// Generated keys of one statement ascend in VALUES order on all
		// three databases; RETURNING's own row order is not promised. The
		// returned columns are scanned into one slice per column (no
		// allocation per row), then handed out in key order. Every
		// returned field held its zero value, so undoing is zeroing.
		cols := make([]reflect.Value, len(ret))
		for i, f := range ret {
			cols[i] = reflect.MakeSlice(reflect.SliceOf(f.Type), len(rows), len(rows))
		}
		dest := make([]any, len(ret))
		n := 0
		for rs.Next() {
			if n == len(rows) {
				return fmt.Errorf("orm: INSERT into %s returned more than %d rows", m.Table.Name, len(rows))
			}
			for i := range ret {
				dest[i] = ret[i].dest(cols[i].Index(n).Addr().UnsafePointer())
			}
			if err := rs.Scan(dest...); err != nil {
				return err
			}
			n++
		}
		if err := rs.Err(); err != nil {
			return err
		}
		if n != len(rows) {
			return fmt.Errorf("orm: INSERT into %s returned %d rows for %d", m.Table.Name, n, len(rows))
		}
		order := keyOrder(cols[slices.Index(ret, auto)])
		u.zeroRows(rows, ret)
		for i, f := range ret {
			handOut(f, cols[i], rows, order)
		}
		return nil
	}
	var got [][]reflect.Value
	for rs.Next() {
		vals, err := scanFields(rs, ret)
		if err != nil {
			return err
		}
		got = append(got, vals)
	}
	if err := rs.Err(); err != nil {
		return err
	}
	if len(got) != len(rows) {
		return fmt.Errorf("orm: INSERT into %s returned %d rows for %d", m.Table.Name, len(got), len(rows))
	}
	byKey := make(map[any][]reflect.Value, len(got))
	k := make([]any, len(m.PK))
	for _, vals := range got {
		for i, f := range m.PK {
			k[i] = vals[slices.Index(ret, f)].Elem().Interface()
		}
		byKey[keyFrom(k)] = vals
	}
	for _, st := range rows {
		vals, ok := byKey[keyOf(m, st.ptr)]
		if !ok {
			return fmt.Errorf("orm: INSERT into %s returned no row for key %v", m.Table.Name, keyValues(m, st.ptr))
		}
		for i, f := range fetch {
			u.set(f, st.ptr, vals[i].Elem())
		}
	}
	return nil
}

// scanFields reads the current row into fresh values of the fields' types
// (pointers: call Elem), for columns read back into objects after a write.
func scanFields(rs *engine.Rows, fields []*Field) ([]reflect.Value, error) {
	vals := make([]reflect.Value, len(fields))
	dest := make([]any, len(fields))
	for i, f := range fields {
		vals[i] = reflect.New(f.Type)
		dest[i] = f.dest(vals[i].UnsafePointer())
	}
	return vals, rs.Scan(dest...)
}

func autoField(m *Mapper, fetch []*Field) *Field {
	for _, f := range fetch {
		if f.Column.AutoIncrement {
			return f
		}
	}
	return nil
}

// keyOrder returns the positions of the generated keys in ascending
// order, or nil when they already are (as RETURNING gives them on all
// three databases, though none promises it).
func keyOrder(keys reflect.Value) []int {
	n := keys.Len()
	if k := keys.Type().Elem().Kind(); k == reflect.Int64 || (k == reflect.Int && unsafe.Sizeof(int(0)) == 8) {
		if slices.IsSorted(unsafe.Slice((*int64)(keys.UnsafePointer()), n)) {
			return nil
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return lessValue(keys.Index(order[i]).Addr(), keys.Index(order[j]).Addr()) })
	return order
}

// handOut sets field f of each row from col, a slice of f's values read
// back (row r gets col[order[r]], or col[r] without an order). Values
// holding no pointers are copied as bytes; others go through reflect.
func handOut(f *Field, col reflect.Value, rows []*state, order []int) {
	at := func(r int) int {
		if order == nil {
			return r
		}
		return order[r]
	}
	if !plainKind(f.Type.Kind()) {
		for r, st := range rows {
			f.rv(st.ptr).Set(col.Index(at(r)))
		}
		return
	}
	size := f.Type.Size()
	base := col.UnsafePointer()
	for r, st := range rows {
		dst, src := unsafe.Add(st.ptr, f.offset), unsafe.Add(base, uintptr(at(r))*size)
		switch size { // a load and a store, not a call to memmove per row
		case 8:
			*(*uint64)(dst) = *(*uint64)(src)
		case 4:
			*(*uint32)(dst) = *(*uint32)(src)
		default:
			copy(unsafe.Slice((*byte)(dst), size), unsafe.Slice((*byte)(src), size))
		}
	}
}

// plainKind reports whether values of the kind hold no pointers.
func plainKind(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	}
	return false
}

func lessValue(a, b reflect.Value) bool {
	a, b = a.Elem(), b.Elem()
	switch a.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() < b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() < b.Uint()
	}
	return keyLess(a.Interface(), b.Interface())
}

// postUpdateFK reports whether the columns are the key of one of m's
// post_update relationships.
func postUpdateFK(m *Mapper, cols []string) bool {
	for _, rel := range m.rels {
		if rel.postUpdate && slices.Equal(columnNames(rel.fk), cols) {
			return true
		}
	}
	return false
}
