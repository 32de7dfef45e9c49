package orm

import (
	"context"
	"fmt"
	"reflect"
	"strconv"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
)

// Primary key changes (natural keys). Changing a key field of a
// persistent object updates its row in place (matched by the key it was
// loaded with) and re-keys the identity map when the flush succeeds. The
// rows that reference the key follow, through every foreign key of the
// registry's schema, transitively (a child whose primary key includes
// the parent's key moves its own children):
//
//   - a foreign key declared ON UPDATE CASCADE is the database's work
//     ("passive updates", SQLAlchemy's default): one statement, the ORM
//     only brings the objects it holds up to date;
//   - any other foreign key is the ORM's: one UPDATE ... WHERE fk = old
//     per foreign key reaches every referencing row, loaded or not
//     (association rows of many-to-many relationships included), with
//     foreign key checks deferred to COMMIT for the transaction. SQLite
//     defers every foreign key; PostgreSQL those declared DEFERRABLE;
//     MariaDB none (it checks row by row), so there a key change that
//     needs it is refused before any SQL, naming the foreign key.
//
// SQLAlchemy's passive_updates=False does not defer anything and so only
// works on databases that do not enforce foreign keys.

// keyMove is one foreign key whose referencing rows move from old to new
// values in some of its columns.
type keyMove struct {
	table   *schema.Table
	fk      *schema.ForeignKey
	cols    []string // the referencing columns that change
	old     []any
	new     []any
	passive bool // ON UPDATE CASCADE: the database moves the rows
}

func (k keyMove) String() string {
	mode := "by the ORM"
	if k.passive {
		mode = "by ON UPDATE CASCADE"
	}
	return fmt.Sprintf("%s.%v %v -> %v (%s, %s)", k.table.Name, k.cols, k.old, k.new, k.fk.Name, mode)
}

// planKeyMoves finds the key changes among the updates, brings the
// objects the session holds that reference the old keys up to date (in
// their fields and snapshots, so they are not written again), and records
// the statements that move the rows the database does not move by
// itself: the deferral first, the UPDATEs after the parent's own.
func (s *Session) planKeyMoves(p *flushPlan, rp *relPlan, u *undo) error {
	var rekey []*state
	var md *schema.MetaData // read (a copy) only when a key changes
	d := s.f.db.Dialect()
	needDefer := false
	for _, st := range p.updates {
		if st.snap == nil {
			continue
		}
		var cols []string
		var old, now []any
		keyed := false
		refCols := s.f.refCols[st.m.Table.Name]
		for _, f := range st.m.Fields {
			if (f.PrimaryKey || refCols[f.Column.Name]) && f.changed(st.ptr, st.snap) {
				cols = append(cols, f.Column.Name)
				old = append(old, f.valueAt(st.snap))
				now = append(now, f.valueAt(st.ptr))
				keyed = keyed || f.PrimaryKey
			}
		}
		if cols == nil {
			continue
		}
		if keyed {
			rekey = append(rekey, st)
		}
		if md == nil {
			md = s.f.reg.MetaData()
		}
		moves := referencing(md, st.m.Table.Name, cols, old, now)
		for _, mv := range moves {
			if rp.afterUpdate == nil {
				rp.afterUpdate = map[*Mapper][]action{}
				rp.beforeUpdate = map[*Mapper][]action{}
			}
			switch err := canDefer(d, mv); {
			case mv.passive && (mv.table.Name != mv.fk.RefTable || d.Features().Has(dialect.CascadeSelfUpdate)):
			case err == nil:
				// moved by one UPDATE after the parent's, checks deferred
				needDefer = true
				rp.afterUpdate[st.m] = append(rp.afterUpdate[st.m], &moveKeys{cost: cost{n: 1}, mv: mv})
			case nullable(mv):
				// no deferral, but the key can be NULL for a moment: the
				// referencing rows let go before the parent's UPDATE and
				// take the new value after it
				rows := new([][]any)
				rp.beforeUpdate[st.m] = append(rp.beforeUpdate[st.m], &detachRefs{cost: cost{n: 2}, mv: mv, rows: rows})
				rp.afterUpdate[st.m] = append(rp.afterUpdate[st.m], &reattachRefs{cost: cost{n: 1}, mv: mv, rows: rows})
			default:
				// refused if any row references the old value, before any write
				rp.first = append(rp.first, &refuseRefs{cost: cost{n: 1}, mv: mv, err: err})
			}
			rekey = append(rekey, s.followKeys(st, mv, u)...)
		}
	}
	if needDefer {
		stmt, _ := d.(dialect.ForeignKeyDeferrer).DeferForeignKeys()
		rp.first = append(rp.first, &deferChecks{cost: cost{n: 1}, sql: stmt})
	}
	rp.rekey = append(rp.rekey, rekey...)
	return nil
}

// referencing lists the foreign keys of md that reference cols of table,
// and, transitively, those referencing the columns they change in turn.
func referencing(md *schema.MetaData, table string, cols []string, old, now []any) []keyMove {
	type changed struct {
		table string
		vals  map[string][2]any // column -> old, new
	}
	start := changed{table, map[string][2]any{}}
	for i, c := range cols {
		start.vals[c] = [2]any{old[i], now[i]}
	}
	var out []keyMove
	seen := map[*schema.ForeignKey]bool{}
	work := []changed{start}
	for len(work) > 0 {
		cur := work[0]
		work = work[1:]
		for _, t := range md.Tables() {
			for _, fk := range t.ForeignKeys {
				if fk.RefTable != cur.table || seen[fk] {
					continue
				}
				mv := keyMove{table: t, fk: fk, passive: fk.OnUpdate == schema.Cascade}
				// (a self-referencing cascade the database cannot run is
				// moved by the ORM: see planKeyMoves)
				next := changed{t.Name, map[string][2]any{}}
				for i, rc := range fk.RefColumns {
					if v, ok := cur.vals[rc]; ok {
						mv.cols = append(mv.cols, fk.Columns[i])
						mv.old, mv.new = append(mv.old, v[0]), append(mv.new, v[1])
						next.vals[fk.Columns[i]] = v
					}
				}
				if mv.cols == nil {
					continue
				}
				seen[fk] = true
				out = append(out, mv)
				work = append(work, next)
			}
		}
	}
	return out
}

// nullable reports whether every moving column of the foreign key can
// hold NULL.
func nullable(mv keyMove) bool {
	for _, c := range mv.cols {
		if col := mv.table.Column(c); col == nil || !col.Nullable {
			return false
		}
	}
	return true
}

// refuseRefs fails the flush, before any write, when rows reference a key
// that changes and that the ORM can neither defer nor clear for a moment.
type refuseRefs struct {
	cost
	mv  keyMove
	err error
}

func (a *refuseRefs) String() string { return "check that no row references " + a.mv.String() }

func (a *refuseRefs) stmt() expr.Statement {
	tr := tref(a.mv.table)
	q := expr.Select(tr.C(a.mv.cols[0])).From(tr).Limit(1)
	for i, c := range a.mv.cols {
		q.Where(expr.Eq(tr.C(c), a.mv.old[i]))
	}
	return q
}

func (a *refuseRefs) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	return buildAll(d, a.stmt())
}

func (a *refuseRefs) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	rs, err := engine.QueryStmt(ctx, ex, a.stmt())
	if err != nil {
		return err
	}
	defer rs.Close()
	if rs.Next() {
		return a.err
	}
	return rs.Err()
}

// detachRefs reads which rows reference the old value and sets their key
// to NULL, before the parent's UPDATE; reattachRefs gives them the new
// value after it. For nullable keys the database cannot defer.
type detachRefs struct {
	cost
	mv   keyMove
	rows *[][]any // primary keys of the rows let go
}

func (a *detachRefs) String() string { return "let go of " + a.mv.String() }

func (a *detachRefs) build() (expr.Statement, expr.Statement) {
	tr := tref(a.mv.table)
	var pk []expr.Expr
	for _, c := range a.mv.table.PrimaryKey.Columns {
		pk = append(pk, tr.C(c))
	}
	sel := expr.Select(pk...).From(tr)
	up := expr.Update(tr)
	for i, c := range a.mv.cols {
		sel.Where(expr.Eq(tr.C(c), a.mv.old[i]))
		up.Set(c, nil)
		up.Where(expr.Eq(tr.C(c), a.mv.old[i]))
	}
	return sel, up
}

func (a *detachRefs) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	sel, up := a.build()
	return buildAll(d, sel, up)
}

func (a *detachRefs) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	sel, up := a.build()
	rs, err := engine.QueryStmt(ctx, ex, sel)
	if err != nil {
		return err
	}
	n := len(a.mv.table.PrimaryKey.Columns)
	for rs.Next() {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			rs.Close()
			return err
		}
		*a.rows = append(*a.rows, vals)
	}
	if err := rs.Err(); err != nil {
		rs.Close()
		return err
	}
	rs.Close()
	if len(*a.rows) == 0 {
		return nil
	}
	_, err = engine.ExecStmt(ctx, ex, up)
	return err
}

type reattachRefs struct {
	cost
	mv   keyMove
	rows *[][]any
}

func (a *reattachRefs) String() string { return "reattach " + a.mv.String() }

func (a *reattachRefs) stmt() expr.Statement {
	tr := tref(a.mv.table)
	up := expr.Update(tr)
	for i, c := range a.mv.cols {
		up.Set(c, a.mv.new[i])
	}
	pk := a.mv.table.PrimaryKey.Columns
	ors := make([]expr.Expr, 0, len(*a.rows))
	for _, r := range *a.rows {
		ands := make([]expr.Expr, len(pk))
		for i, c := range pk {
			ands[i] = expr.Eq(tr.C(c), r[i])
		}
		ors = append(ors, expr.And(ands...))
	}
	if len(ors) == 0 {
		// as planned (the rows are read when the plan runs)
		for i, c := range a.mv.cols {
			up.Where(expr.Eq(tr.C(c), a.mv.old[i]))
		}
		return up
	}
	return up.Where(expr.Or(ors...))
}

func (a *reattachRefs) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	return buildAll(d, a.stmt())
}

func (a *reattachRefs) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	if len(*a.rows) == 0 {
		return nil
	}
	_, err := engine.ExecStmt(ctx, ex, a.stmt())
	return err
}

// canDefer reports an error when the dialect cannot defer the foreign
// key's checks, so moving its rows by the ORM would fail on it.
func canDefer(d dialect.Dialect, mv keyMove) error {
	fd, ok := d.(dialect.ForeignKeyDeferrer)
	if !ok {
		return fmt.Errorf("orm: changing the key %s.%v needs ON UPDATE CASCADE on foreign key %s (%s checks foreign keys row by row and cannot defer them)",
			mv.fk.RefTable, mv.fk.RefColumns, mv.fk.Name, d.Name())
	}
	if _, all := fd.DeferForeignKeys(); !all && !mv.fk.Deferrable {
		return fmt.Errorf("orm: changing the key %s.%v needs foreign key %s to be ON UPDATE CASCADE or DEFERRABLE",
			mv.fk.RefTable, mv.fk.RefColumns, mv.fk.Name)
	}
	return nil
}

// moveKeys is the UPDATE moving the rows that reference an old key.
type moveKeys struct {
	cost
	mv keyMove
}

func (a *moveKeys) String() string { return "move " + a.mv.String() }

func (a *moveKeys) stmt() expr.Statement {
	tr := tref(a.mv.table)
	up := expr.Update(tr)
	for i, c := range a.mv.cols {
		up.Set(c, a.mv.new[i])
		up.Where(expr.Eq(tr.C(c), a.mv.old[i]))
	}
	return up
}

func (a *moveKeys) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	return buildAll(d, a.stmt())
}

func (a *moveKeys) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	_, err := engine.ExecStmt(ctx, ex, a.stmt())
	return err
}

// followKeys brings the session's objects of the move's table that hold
// the old values up to date, in their fields and in their snapshots (the
// database moves their rows, not their own UPDATE), and returns those
// whose primary key changed with it.
func (s *Session) followKeys(parent *state, mv keyMove, u *undo) []*state {
	var out []*state
	for _, st := range s.states.all() {
		if st == parent || st.status == Pending || st.m.Table.Name != mv.table.Name {
			continue
		}
		fields := make([]*Field, len(mv.cols))
		match := true
		for i, c := range mv.cols {
			f := st.m.FieldByColumn(c)
			if f == nil {
				match = false
				break
			}
			fields[i] = f
			src := st.ptr
			if st.snap != nil {
				src = st.snap // what the row holds
			}
			if normValue(f.rv(src)) != normValue(reflect.ValueOf(mv.old[i])) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		keyed := false
		if st.snap != nil {
			snap := st.m.snapshot(st.snap) // a copy: savepoints keep the old one
			old := st.snap
			u.fn(func() { st.snap = old })
			st.snap = snap
		}
		for i, f := range fields {
			v, err := keyValueFor(f.Type, reflect.ValueOf(mv.new[i]))
			if err != nil {
				continue
			}
			if !f.rv(st.ptr).Equal(v) {
				u.set(f, st.ptr, v)
			}
			if st.snap != nil {
				f.rv(st.snap).Set(v)
			}
			keyed = keyed || f.PrimaryKey
		}
		if keyed {
			out = append(out, st)
		}
	}
	return out
}

// rekey moves states whose primary key changed to their new identity.
func (s *Session) rekey(states []*state) {
	for _, st := range states {
		if st.status != Persistent {
			continue
		}
		k := keyOf(st.m, st.ptr)
		if k == st.key {
			continue
		}
		if st.key != nil && s.lookup(st.m, st.key) == st {
			if ik, ok := intKey(st.m, st.key); ok && s.ints[st.m].get(ik) == st {
				s.ints[st.m].delete(ik)
			} else {
				s.ident.delete(identityKey{st.m, st.key})
			}
		}
		st.key = k
		s.track(st)
	}
}

// oldKey returns the key values the row of st holds (from its snapshot)
// when a key field changed, else nil.
func oldKey(st *state) []any {
	if st.snap == nil {
		return nil
	}
	for _, f := range st.m.PK {
		if f.changed(st.ptr, st.snap) {
			return keyValues(st.m, st.snap)
		}
	}
	return nil
}

// Swapped keys. Rows of one table exchanging primary keys in one flush
// (a and b trade (1,2) and (2,1)) cannot be updated one after the other:
// the first UPDATE meets the key the second still holds, whatever the
// order, and no database defers primary keys by default. The key-changing
// rows of such a table first move to temporary keys (one UPDATE each:
// integers far below any real key, strings beginning with \x01), which
// frees every old key; their real UPDATEs then match the temporary keys.

// parkKeys returns, per mapper, the action moving its key-changing rows
// to temporary keys when their new keys collide with old ones.
func parkKeys(ups []updateRow) map[*Mapper]action {
	byM := map[*Mapper][]int{}
	for i, r := range ups {
		if r.oldKey != nil {
			byM[r.st.m] = append(byM[r.st.m], i)
		}
	}
	var out map[*Mapper]action
	for m, idx := range byM {
		old := map[any]bool{}
		for _, i := range idx {
			old[keyFrom(ups[i].oldKey)] = true
		}
		collide := false
		for _, i := range idx {
			if old[keyOf(m, ups[i].st.ptr)] {
				collide = true
				break
			}
		}
		if !collide {
			continue
		}
		a := &parkKeysAction{cost: cost{n: len(idx)}, m: m}
		for _, i := range idx {
			a.rows = append(a.rows, ups[i])
		}
		if out == nil {
			out = map[*Mapper]action{}
		}
		out[m] = a
	}
	return out
}

// parkKeysAction moves rows to temporary keys before their key UPDATEs.
type parkKeysAction struct {
	cost
	m    *Mapper
	rows []updateRow // their oldKey is rewritten to the temporary key
	done bool
}

func (a *parkKeysAction) String() string {
	return fmt.Sprintf("park %s of %s at temporary keys (keys swapped)", rowsWord(len(a.rows)), a.m.Table.Name)
}

// build computes each row's temporary key (the first key column that
// changes takes a temporary value) and the UPDATEs moving them there;
// the rows' old keys become the temporary ones.
func (a *parkKeysAction) build() ([]expr.Statement, error) {
	var out []expr.Statement
	tr := tref(a.m.Table)
	for n, r := range a.rows {
		col := -1
		for i, f := range a.m.PK {
			if !f.rv(r.st.ptr).Equal(reflect.ValueOf(r.oldKey[i])) {
				col = i
				break
			}
		}
		if col < 0 {
			col = 0 // cannot happen: the row's key changes
		}
		f := a.m.PK[col]
		temp, err := tempKey(f.Type, n+1)
		if err != nil {
			return nil, fmt.Errorf("orm: %s.%s: %w", a.m.Type.Name(), f.Name, err)
		}
		up := expr.Update(tr).Set(f.Column.Name, temp)
		for i, k := range a.m.PK {
			up.Where(expr.Eq(tr.C(k.Column.Name), r.oldKey[i]))
		}
		out = append(out, up)
		if !a.done {
			r.oldKey[col] = temp
		}
	}
	a.done = true
	return out, nil
}

func (a *parkKeysAction) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	stmts, err := a.build()
	if err != nil {
		return nil, err
	}
	return buildAll(d, stmts...)
}

func (a *parkKeysAction) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	stmts, err := a.build()
	if err != nil {
		return err
	}
	for i, s := range stmts {
		res, err := engine.ExecStmt(ctx, ex, s)
		if err != nil {
			return err
		}
		if res.RowsAffected != 1 {
			return staleRows("UPDATE", a.m.Table.Name, [][]any{keyValues(a.m, a.rows[i].st.snap)})
		}
	}
	return nil
}

// tempKey is the n-th temporary value of a key column's type.
func tempKey(t reflect.Type, n int) (any, error) {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Int, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-(int64(1) << (t.Bits() - 1)) + int64(n))
	case reflect.String:
		v.SetString("\x01" + strconv.Itoa(n))
	default:
		return nil, fmt.Errorf("keys of type %s swapped in one flush: no temporary value to park them at; swap them in two flushes", t)
	}
	return v.Interface(), nil
}
