package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
)

// maxBatchRows caps the rows of one multi-row INSERT or one DELETE ... IN
// list, below every dialect's parameter limit for reasonable widths.
const maxBatchRows = 1000

// undo restores what a failed flush changed in the objects.
type undo []func()

func (u *undo) set(f *Field, ptr unsafe.Pointer, v reflect.Value) {
	fv := reflect.NewAt(f.Type, unsafe.Add(ptr, f.offset)).Elem()
	old := reflect.New(f.Type).Elem()
	old.Set(fv)
	*u = append(*u, func() { fv.Set(old) })
	fv.Set(v)
}

func (u undo) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

func isZero(f *Field, ptr unsafe.Pointer) bool {
	return reflect.NewAt(f.Type, unsafe.Add(ptr, f.offset)).Elem().IsZero()
}

type flushPlan struct {
	inserts, updates, deletes []*state
}

func (s *Session) plan() (*flushPlan, error) {
	rank, err := s.f.order()
	if err != nil {
		return nil, err
	}
	p := &flushPlan{}
	for _, st := range s.order {
		if st.status == Pending {
			p.inserts = append(p.inserts, st)
		}
	}
	for _, idm := range s.ident {
		for _, st := range idm {
			switch st.status {
			case Persistent:
				p.updates = append(p.updates, st)
			case Deleted:
				p.deletes = append(p.deletes, st)
			}
		}
	}
	byRank := func(list []*state, desc bool) {
		sort.SliceStable(list, func(i, j int) bool {
			ri, rj := rank[list[i].m.Table.Name], rank[list[j].m.Table.Name]
			if ri != rj {
				return (ri < rj) != desc
			}
			return false
		})
	}
	byRank(p.inserts, false)
	// updates and deletes come from a map: order them by table, then key
	for _, l := range [][]*state{p.updates, p.deletes} {
		sort.Slice(l, func(i, j int) bool {
			if l[i].m != l[j].m {
				return l[i].m.Table.Name < l[j].m.Table.Name
			}
			return fmt.Sprint(l[i].key) < fmt.Sprint(l[j].key)
		})
	}
	byRank(p.updates, false)
	byRank(p.deletes, true)
	return p, nil
}

func (s *Session) flush(ctx context.Context) error {
	p, err := s.plan()
	if err != nil {
		return err
	}
	if len(p.inserts)+len(p.updates)+len(p.deletes) == 0 {
		return nil
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	var u undo
	var updated []*state
	fail := func(err error) error {
		u.run()
		if rerr := sp.Rollback(ctx); rerr != nil {
			// the savepoint is gone with the transaction: nothing of it survives
			s.tx.Rollback(context.WithoutCancel(ctx))
			s.tx = nil
			s.discard(true)
			return errors.Join(err, fmt.Errorf("orm: flush failed and its transaction was lost; the session was reset: %w", rerr))
		}
		return fmt.Errorf("orm: flush rolled back, session unchanged: %w", err)
	}
	for _, group := range groupByMapper(p.inserts) {
		if err := s.insert(ctx, sp, group, &u); err != nil {
			return fail(err)
		}
	}
	for _, st := range p.updates {
		changed, err := s.update(ctx, sp, st, &u)
		if err != nil {
			return fail(err)
		}
		if changed {
			updated = append(updated, st)
		}
	}
	if err := s.refetchServerOnUpdate(ctx, sp, updated); err != nil {
		return fail(err)
	}
	for _, group := range groupByMapper(p.deletes) {
		if err := s.delete(ctx, sp, group); err != nil {
			return fail(err)
		}
	}
	if err := sp.Commit(ctx); err != nil {
		return fail(err)
	}
	// Only now, with every statement through, do the states move on.
	for _, st := range p.inserts {
		st.status = Persistent
		s.remember(st)
	}
	s.order = s.order[:0]
	for _, st := range updated {
		st.snap = st.m.snapshot(st.ptr)
	}
	for _, st := range p.deletes {
		s.forget(st)
		st.snap = nil // the row is gone (unless the transaction rolls back)
		s.detach(st)
	}
	return nil
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

// insert writes pending objects of one mapper. Columns whose field holds
// its zero value and that the database fills (autoincrement keys, server
// defaults) are left out and read back: with RETURNING in the same
// statement, otherwise by LastInsertID and one SELECT per table.
func (s *Session) insert(ctx context.Context, ex engine.Executor, group []*state, u *undo) error {
	m := group[0].m
	d := ex.Dialect()
	// Client defaults first: they decide which columns are zero.
	for _, st := range group {
		for _, f := range m.Fields {
			if f.Default != nil && isZero(f, st.ptr) {
				u.set(f, st.ptr, reflect.ValueOf(f.Default()).Convert(f.Type))
			}
		}
	}
	// Rows leaving out the same columns share statements.
	type shape struct {
		cols, fetch []*Field
		rows        []*state
	}
	shapes := map[string]*shape{}
	var keys []string
	for _, st := range group {
		var sig strings.Builder
		var cols, fetch []*Field
		for _, f := range m.Fields {
			if (f.Column.AutoIncrement || f.Column.Default != nil) && isZero(f, st.ptr) {
				fetch = append(fetch, f)
				sig.WriteByte('0')
			} else {
				cols = append(cols, f)
				sig.WriteByte('1')
			}
		}
		sh := shapes[sig.String()]
		if sh == nil {
			sh = &shape{cols: cols, fetch: fetch}
			shapes[sig.String()] = sh
			keys = append(keys, sig.String())
		}
		sh.rows = append(sh.rows, st)
	}
	for _, k := range keys {
		sh := shapes[k]
		per := maxBatchRows
		if n := len(sh.cols); n > 0 && d.MaxParams()/n < per {
			per = d.MaxParams() / n
		}
		canReturn := d.Features().Has(dialect.InsertReturning)
		if !canReturn && len(sh.fetch) > 0 {
			per = 1 // LastInsertID is per statement
		}
		for _, chunk := range expr.Chunk(sh.rows, per) {
			if err := s.insertChunk(ctx, ex, m, sh.cols, sh.fetch, chunk, canReturn, u); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Session) insertChunk(ctx context.Context, ex engine.Executor, m *Mapper, cols, fetch []*Field, rows []*state, canReturn bool, u *undo) error {
	tr := expr.T(m.Table.Name)
	ins := expr.Insert(tr)
	for _, f := range cols {
		ins.Columns(f.Column.Name)
	}
	for _, st := range rows {
		vals := make([]any, len(cols))
		for i, f := range cols {
			vals[i] = f.Value(st.ptr)
		}
		ins.Values(vals...)
	}
	if len(fetch) == 0 {
		res, err := ex.ExecStmt(ctx, ins)
		if err != nil {
			return err
		}
		if res.RowsAffected != int64(len(rows)) {
			return fmt.Errorf("orm: INSERT into %s wrote %d rows of %d", m.Table.Name, res.RowsAffected, len(rows))
		}
		return nil
	}
	auto := autoField(m, fetch)
	if !canReturn {
		res, err := ex.ExecStmt(ctx, ins)
		if err != nil {
			return err
		}
		if auto != nil {
			u.set(auto, rows[0].ptr, reflect.ValueOf(res.LastInsertID).Convert(auto.Type))
		}
		return s.selectBack(ctx, ex, m, fetch, rows, u)
	}
	// RETURNING: the fetched columns plus the key to match rows with.
	ret := slices.Clone(fetch)
	if auto == nil {
		for _, f := range m.PK {
			if !slices.Contains(ret, f) {
				ret = append(ret, f)
			}
		}
	}
	rs, err := ex.QueryStmt(ctx, ins.Returning(columnsOf(nil, ret)...))
	if err != nil {
		return err
	}
	defer rs.Close()
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
	if auto != nil {
		// Generated keys of one statement ascend in VALUES order on all
		// three databases; RETURNING's own row order is not promised.
		ai := slices.Index(ret, auto)
		sort.Slice(got, func(i, j int) bool { return lessValue(got[i][ai], got[j][ai]) })
		for r, st := range rows {
			for i, f := range ret {
				u.set(f, st.ptr, got[r][i].Elem())
			}
		}
		return nil
	}
	byKey := map[string][]reflect.Value{}
	for _, vals := range got {
		var k []any
		for _, f := range m.PK {
			k = append(k, vals[slices.Index(ret, f)].Elem().Interface())
		}
		byKey[fmt.Sprint(k...)] = vals
	}
	for _, st := range rows {
		vals, ok := byKey[fmt.Sprint(keyValues(m, st.ptr)...)]
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
		dest[i] = vals[i].Interface()
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

func lessValue(a, b reflect.Value) bool {
	a, b = a.Elem(), b.Elem()
	switch a.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() < b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() < b.Uint()
	}
	return fmt.Sprint(a.Interface()) < fmt.Sprint(b.Interface())
}

// selectBack reads columns the database filled into objects whose keys are
// known: one SELECT per call.
func (s *Session) selectBack(ctx context.Context, ex engine.Executor, m *Mapper, fields []*Field, rows []*state, u *undo) error {
	var rest []*Field
	for _, f := range fields {
		if !f.Column.AutoIncrement {
			rest = append(rest, f)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	tr := expr.T(m.Table.Name)
	cols := append(slices.Clone(m.PK), rest...)
	q := expr.Select(columnsOf(tr, cols)...).From(tr)
	var ors []expr.Expr
	for _, st := range rows {
		var ands []expr.Expr
		for _, f := range m.PK {
			ands = append(ands, expr.Eq(tr.C(f.Column.Name), f.Value(st.ptr)))
		}
		ors = append(ors, expr.And(ands...))
	}
	rs, err := ex.QueryStmt(ctx, q.Where(expr.Or(ors...)))
	if err != nil {
		return err
	}
	defer rs.Close()
	byKey := map[string]*state{}
	for _, st := range rows {
		byKey[fmt.Sprint(keyValues(m, st.ptr)...)] = st
	}
	n := 0
	for rs.Next() {
		vals, err := scanFields(rs, cols)
		if err != nil {
			return err
		}
		var k []any
		for i := range m.PK {
			k = append(k, vals[i].Elem().Interface())
		}
		st := byKey[fmt.Sprint(k...)]
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

// update writes the columns of st that changed since its snapshot, plus
// onupdate rules and the version; it reports whether anything was written.
func (s *Session) update(ctx context.Context, ex engine.Executor, st *state, u *undo) (bool, error) {
	m := st.m
	var changed []*Field
	for _, f := range m.Fields {
		if f != m.Version && f.changed(st.ptr, st.snap) {
			if f.PrimaryKey {
				return false, fmt.Errorf("orm: %s.%s: changing a primary key is not supported", m.Type.Name(), f.Name)
			}
			changed = append(changed, f)
		}
	}
	if len(changed) == 0 {
		return false, nil
	}
	for _, f := range m.Fields {
		if f.OnUpdate != nil && !slices.Contains(changed, f) {
			u.set(f, st.ptr, reflect.ValueOf(f.OnUpdate()).Convert(f.Type))
			changed = append(changed, f)
		}
	}
	tr := expr.T(m.Table.Name)
	up := expr.Update(tr)
	for _, f := range m.PK {
		up.Where(expr.Eq(tr.C(f.Column.Name), f.Value(st.ptr)))
	}
	if v := m.Version; v != nil {
		// The version is Strata's: the row must still hold the version
		// loaded, and gets the next one, whatever the field was set to.
		old := v.rv(st.snap)
		up.Where(expr.Eq(tr.C(v.Column.Name), old.Interface()))
		next := reflect.New(v.Type).Elem()
		if old.CanInt() {
			next.SetInt(old.Int() + 1)
		} else {
			next.SetUint(old.Uint() + 1)
		}
		u.set(v, st.ptr, next)
		changed = append(changed, v)
	}
	for _, f := range changed {
		up.Set(f.Column.Name, f.Value(st.ptr))
	}
	var ret []*Field
	for _, f := range m.Fields {
		if f.ServerOnUpdate {
			ret = append(ret, f)
		}
	}
	stale := &StaleDataError{Op: "UPDATE", Table: m.Table.Name, Key: keyValues(m, st.ptr)}
	if len(ret) > 0 && ex.Dialect().Features().Has(returnsOnUpdate) {
		rs, err := ex.QueryStmt(ctx, up.Returning(columnsOf(nil, ret)...))
		if err != nil {
			return false, err
		}
		defer rs.Close()
		if !rs.Next() {
			if err := rs.Err(); err != nil {
				return false, err
			}
			return false, stale
		}
		vals, err := scanFields(rs, ret)
		if err != nil {
			return false, err
		}
		for i, f := range ret {
			u.set(f, st.ptr, vals[i].Elem())
		}
		return true, rs.Close()
	}
	res, err := ex.ExecStmt(ctx, up)
	if err != nil {
		return false, err
	}
	if res.RowsAffected != 1 {
		return false, stale
	}
	return true, nil
}

// returnsOnUpdate is what a dialect needs for server-onupdate values to
// come back from the UPDATE itself: SQLite has UPDATE ... RETURNING, but
// the values its (AFTER) triggers write are not in it.
const returnsOnUpdate = dialect.UpdateReturning | dialect.ReturningSeesTriggers

// refetchServerOnUpdate reads server-onupdate columns back after UPDATEs
// on dialects without UPDATE ... RETURNING: one SELECT per table.
func (s *Session) refetchServerOnUpdate(ctx context.Context, ex engine.Executor, updated []*state) error {
	if ex.Dialect().Features().Has(returnsOnUpdate) {
		return nil
	}
	for _, group := range groupByMapper(updated) {
		m := group[0].m
		var fields []*Field
		for _, f := range m.Fields {
			if f.ServerOnUpdate {
				fields = append(fields, f)
			}
		}
		if len(fields) == 0 {
			continue
		}
		var u undo // values read back are the database's: nothing to restore
		if err := s.selectBack(ctx, ex, m, fields, group, &u); err != nil {
			return err
		}
	}
	return nil
}

// delete removes the rows of one mapper's deleted objects: one
// DELETE ... WHERE pk IN (...) per chunk, or one per row when a version
// must be checked or the key is composite. Fewer rows deleted than asked
// is stale data.
func (s *Session) delete(ctx context.Context, ex engine.Executor, group []*state) error {
	m := group[0].m
	tr := expr.T(m.Table.Name)
	if m.Version == nil && len(m.PK) == 1 {
		pk := m.PK[0]
		for _, chunk := range expr.Chunk(group, maxBatchRows) {
			keys := reflect.MakeSlice(reflect.SliceOf(pk.Type), len(chunk), len(chunk))
			for i, st := range chunk {
				keys.Index(i).Set(reflect.NewAt(pk.Type, unsafe.Add(st.ptr, pk.offset)).Elem())
			}
			res, err := ex.ExecStmt(ctx, expr.Delete(tr).Where(expr.In(tr.C(pk.Column.Name), keys.Interface())))
			if err != nil {
				return err
			}
			if res.RowsAffected != int64(len(chunk)) {
				var ks []any
				for _, st := range chunk {
					ks = append(ks, keyValues(m, st.ptr)...)
				}
				return &StaleDataError{Op: "DELETE", Table: m.Table.Name, Key: ks}
			}
		}
		return nil
	}
	for _, st := range group {
		del := expr.Delete(tr)
		for _, f := range m.PK {
			del.Where(expr.Eq(tr.C(f.Column.Name), f.Value(st.ptr)))
		}
		if v := m.Version; v != nil {
			del.Where(expr.Eq(tr.C(v.Column.Name), v.Value(st.ptr)))
		}
		res, err := ex.ExecStmt(ctx, del)
		if err != nil {
			return err
		}
		if res.RowsAffected != 1 {
			return &StaleDataError{Op: "DELETE", Table: m.Table.Name, Key: keyValues(m, st.ptr)}
		}
	}
	return nil
}
