package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"unsafe"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
)

// The write path of the unit of work. A flush
//
//  1. collects what changed: pending objects, persistent objects whose
//     fields differ from their snapshot, objects marked deleted;
//  2. runs the flush hooks around the rest ([WithFlushHook]), and inside
//     them the per-object hooks, client defaults, onupdate rules and
//     version bumps;
//  3. plans statements: inserts table by table in dependency order (rows
//     of a self-referential table level by level), updates grouped by the
//     set of columns they write, deletes in reverse dependency order, each
//     batched so the number of statements does not grow with the number of
//     objects beyond the batch size;
//  4. runs them in the session's transaction, under a savepoint if the
//     transaction was already open, or as one autocommitted statement when
//     a Commit with no open transaction needs exactly one;
//  5. on failure rolls the database back and restores every object field
//     the flush touched; on success moves objects to their new states.

// maxBatchRows caps the rows of one multi-row statement, below every
// dialect's parameter limit for reasonable widths.
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

// fn records an arbitrary undo action.
func (u *undo) fn(f func()) { *u = append(*u, f) }

// zero records that fields of the object at ptr, which hold their zero
// values, are about to be written: undoing zeroes them again.
func (u *undo) zero(ptr unsafe.Pointer, fields []*Field) {
	*u = append(*u, func() {
		for _, f := range fields {
			f.rv(ptr).SetZero()
		}
	})
}

// zeroRows is zero for the same fields of many objects.
func (u *undo) zeroRows(rows []*state, fields []*Field) {
	*u = append(*u, func() {
		for _, st := range rows {
			for _, f := range fields {
				f.rv(st.ptr).SetZero()
			}
		}
	})
}

// saveObject records the whole object, for code (hooks) that may change
// any of it.
func (u *undo) saveObject(st *state) {
	pre := st.m.snapshot(st.ptr)
	m, ptr := st.m, st.ptr
	*u = append(*u, func() { reflect.NewAt(m.Type, ptr).Elem().Set(reflect.NewAt(m.Type, pre).Elem()) })
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
	// row switches: a new object taking the row of a deleted one with
	// the same key, written as an UPDATE of that row
	switches []rowSwitch
}

// rowSwitch is a pending object (to) replacing a deleted one (from) with
// the same primary key in one flush (SQLAlchemy's "row switch"): the row
// is updated to the new object's values, never deleted and inserted
// again (which would violate the key, or lose the row's identity to
// foreign keys pointing at it).
type rowSwitch struct{ from, to *state }

func (p *flushPlan) empty() bool { return len(p.inserts)+len(p.updates)+len(p.deletes) == 0 }

// dirty reports whether any mapped field of a persistent object differs
// from its snapshot.
func dirty(st *state) bool {
	if st.snap == nil {
		return false
	}
	for _, f := range st.m.Fields {
		if f.changed(st.ptr, st.snap) {
			return true
		}
	}
	return false
}

// switchRows finds pending objects whose key a deleted object of the
// session holds and turns the pair into an UPDATE of the row: the new
// object is compared with the deleted one's snapshot (what the row holds)
// and takes over its key and version.
func (s *Session) switchRows(p *flushPlan, u *undo) {
	if len(p.inserts) == 0 || len(p.deletes) == 0 {
		return
	}
	deleted := map[identityKey]*state{}
	for _, st := range p.deletes {
		if !st.ghost && st.snap != nil {
			deleted[identityKey{st.m, st.key}] = st
		}
	}
	if len(deleted) == 0 {
		return
	}
	var switched map[*state]bool
	ins := p.inserts[:0:0]
	for _, st := range p.inserts {
		if anyZeroOrNil(st.m.PK, st.ptr) {
			ins = append(ins, st) // a generated key: a new row
			continue
		}
		from := deleted[identityKey{st.m, keyOf(st.m, st.ptr)}]
		if from == nil {
			ins = append(ins, st)
			continue
		}
		delete(deleted, identityKey{st.m, from.key})
		if switched == nil {
			switched = map[*state]bool{}
		}
		switched[from] = true
		to := st
		u.fn(func() { to.snap, to.key = nil, nil })
		to.snap, to.key = from.snap, from.key
		p.switches = append(p.switches, rowSwitch{from: from, to: to})
		p.updates = append(p.updates, to)
	}
	if switched == nil {
		return
	}
	p.inserts = ins
	p.deletes = slices.DeleteFunc(p.deletes, func(st *state) bool { return switched[st] })
}

func (s *Session) plan(rp *relPlan, u *undo) (*flushPlan, error) {
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
	for st := range s.identAll() {
		switch st.status {
		case Persistent:
			if dirty(st) {
				p.updates = append(p.updates, st)
			}
		case Deleted:
			if !st.gone {
				p.deletes = append(p.deletes, st)
			}
		}
	}
	if rp != nil {
		for _, st := range rp.ghosts {
			switch {
			case st.status == Deleted:
				p.deletes = append(p.deletes, st)
			case st.status == Persistent && dirty(st):
				p.updates = append(p.updates, st)
			}
		}
	}
	s.switchRows(p, u)
	byRank := func(list []*state, desc bool) {
		if len(list) < 2 {
			return
		}
		sort.SliceStable(list, func(i, j int) bool {
			ri, rj := rank[list[i].m.Table.Name], rank[list[j].m.Table.Name]
			return ri != rj && (ri < rj) != desc
		})
	}
	byRank(p.inserts, false)
	// Updates and deletes come from a map: order them by table, then key,
	// so that concurrent flushes lock rows in the same order.
	for _, l := range [2][]*state{p.updates, p.deletes} {
		if len(l) < 2 {
			continue
		}
		sort.Slice(l, func(i, j int) bool {
			if l[i].m != l[j].m {
				return l[i].m.Table.Name < l[j].m.Table.Name
			}
			return keyLess(l[i].key, l[j].key)
		})
	}
	byRank(p.updates, false)
	byRank(p.deletes, true)
	return p, nil
}

// flush writes pending changes; see flushTx.
func (s *Session) flush(ctx context.Context) error { return s.flushTx(ctx, false) }

// flushTx writes pending changes. With commit set (the flush of a Commit)
// and no transaction open, a flush that needs a single statement sends it
// alone, in autocommit: one round trip, and atomic all the same.
func (s *Session) flushTx(ctx context.Context, commit bool) error {
	var u undo
	hadTx := s.tx != nil
	rp, err := s.prepareRelations(ctx, &u)
	if err != nil {
		u.run()
		return err
	}
	p, err := s.plan(rp, &u)
	if err != nil {
		u.run()
		return err
	}
	if p.empty() && len(rp.gone) == 0 && len(rp.pairAdd)+len(rp.pairDel)+len(rp.dropAll)+len(rp.post)+len(rp.preNull) == 0 {
		s.afterFlush(rp)
		return nil
	}
	run := func(ctx context.Context, _ *ChangeSet) error { return s.write(ctx, p, rp, commit, hadTx, &u) }
	if len(s.f.cfg.flushHooks) == 0 {
		return run(ctx, nil)
	}
	f := FlushFunc(run)
	for i := len(s.f.cfg.flushHooks) - 1; i >= 0; i-- {
		f = s.f.cfg.flushHooks[i](f)
	}
	return f(ctx, newChangeSet(p))
}

// updateRow is one object's UPDATE: the fields it writes (the version,
// if any, last, with its new value) and the version the row must hold.
type updateRow struct {
	st     *state
	set    []*Field
	old    any   // the version loaded; nil without a version column
	oldKey []any // the key the row holds, when the UPDATE changes it
}

// step is a unit of the flush's work: one or a few statements.
type step struct {
	stmts int // statements it sends
	// checked: the statement writes several rows and then checks how many
	// it matched. Failing that check leaves the other rows written, so it
	// must run in a transaction, never alone in autocommit.
	checked bool
	run     func(ctx context.Context, ex engine.Executor, u *undo) error
}

// hadTx says whether the transaction was open before this flush (a
// transaction the flush opened itself, to read, needs no savepoint).
func (s *Session) write(ctx context.Context, p *flushPlan, rp *relPlan, commit, hadTx bool, u *undo) error {
	if err := s.runObjectHooks(ctx, p, u); err != nil {
		u.run()
		return err
	}
	for _, st := range p.inserts {
		for _, f := range st.m.Fields {
			if f.Default != nil && isZero(f, st.ptr) {
				u.set(f, st.ptr, reflect.ValueOf(f.Default()).Convert(f.Type))
			}
		}
		// A new row's version is 1, as SQLAlchemy and every reader of the
		// column expect (0 would read as "never written").
		if v := st.m.Version; v != nil && !st.m.appVersion && isZero(v, st.ptr) {
			u.set(v, st.ptr, reflect.ValueOf(1).Convert(v.Type))
		}
	}
	if err := s.planKeyMoves(p, rp, u); err != nil {
		u.run()
		return err
	}
	d := s.f.db.Dialect()
	// Inserts first. Updates and deletes are planned now when nothing can
	// change them; after the inserts when parents inserted by this flush
	// hand their generated keys to persistent children.
	ins, err := s.insertSteps(d, p.inserts, rp)
	if err != nil {
		u.run()
		return err
	}
	// Positions under a unique constraint move out of the way first, so
	// that neither the inserts nor the updates meet a position still held.
	steps := append(slices.Clip(rp.first), parkSteps(p.updates, p.deletes)...)
	// Rows replaced by new ones (a one-to-one child, a link) leave first
	// when their table has unique keys the new rows may take and no table
	// references it: an INSERT must not meet the row it replaces.
	early, late := s.earlyDeletes(p)
	for _, group := range groupByMapper(early) {
		steps = append(steps, deleteSteps(d, group, s.f.cfg.idempotentDeletes)...)
	}
	steps = append(steps, ins...)
	var ups []updateRow
	restPlanned := len(rp.deferred) == 0
	if restPlanned {
		if ups, err = prepareUpdates(p.updates, u); err != nil {
			u.run()
			return err
		}
		rest, err := s.restSteps(d, rp, late, ups)
		if err != nil {
			u.run()
			return err
		}
		steps = append(steps, rest...)
	}
	n := 0
	for _, st := range steps {
		n += st.stmts
	}
	if !restPlanned {
		n += 2 // at least: the transaction is needed
	}

	var ex engine.Executor
	var sp *engine.Tx
	ownTx := false
	switch {
	case s.tx != nil && !hadTx:
		ex, ownTx = s.tx, true
	case s.tx != nil:
		if sp, err = s.tx.Begin(ctx); err != nil {
			u.run()
			return err
		}
		ex = sp
	case commit && n == 1 && !s.f.cfg.eagerTx && !steps[0].checked:
		ex = s.f.db
	default:
		tx, err := s.begin(ctx)
		if err != nil {
			u.run()
			return err
		}
		ex, ownTx = tx, true
	}
	fail := func(err error) error {
		u.run()
		after := engine.Executor(s.f.db)
		switch {
		case sp != nil:
			if rerr := sp.Rollback(context.WithoutCancel(ctx)); rerr != nil {
				// the savepoint is gone with the transaction: nothing of it survives
				_ = s.tx.Rollback(context.WithoutCancel(ctx))
				s.tx = nil
				s.discard(true)
				return errors.Join(err, fmt.Errorf("orm: flush failed and its transaction was lost; the session was reset: %w", rerr))
			}
			after = s.tx
		case ownTx:
			// The transaction held nothing but this flush.
			_ = s.tx.Rollback(context.WithoutCancel(ctx))
			s.tx = nil
		}
		var sb *staleBatch
		if errors.As(err, &sb) {
			err = s.resolveStale(context.WithoutCancel(ctx), after, sb)
		}
		return fmt.Errorf("orm: flush rolled back, session unchanged: %w", err)
	}
	for _, st := range steps {
		if err := rp.syncDeferred(u); err != nil {
			return fail(err)
		}
		if err := st.run(ctx, ex, u); err != nil {
			return fail(err)
		}
	}
	if !restPlanned {
		if err := rp.syncDeferred(u); err != nil {
			return fail(err)
		}
		if len(rp.deferred) > 0 {
			return fail(fmt.Errorf("orm: %d foreign keys could not be set: their parents were not inserted", len(rp.deferred)))
		}
		// persistent objects the new keys made dirty join the updates
		updates := p.updates
		for _, st := range rp.movedToNew {
			if st.status == Persistent && !slices.Contains(updates, st) && dirty(st) {
				updates = append(updates, st)
			}
		}
		var err error
		if ups, err = prepareUpdates(updates, u); err != nil {
			return fail(err)
		}
		rest, err := s.restSteps(d, rp, late, ups)
		if err != nil {
			return fail(err)
		}
		for _, st := range rest {
			if err := st.run(ctx, ex, u); err != nil {
				return fail(err)
			}
		}
	}
	if sp != nil {
		if err := sp.Commit(ctx); err != nil {
			return fail(err)
		}
	}
	// Only now, with every statement through, do the states move on.
	for _, st := range p.inserts {
		st.status = Persistent
		s.remember(st)
	}
	s.rekey(rp.rekey)
	for _, sw := range p.switches {
		// the deleted object lets go of the row, the new one holds it
		s.forget(sw.from)
		sw.from.snap = nil
		s.detach(sw.from)
		s.order = slices.DeleteFunc(s.order, func(x *state) bool { return x == sw.to })
		sw.to.status = Persistent
		s.remember(sw.to)
	}
	s.order = s.order[:0]
	for _, r := range ups {
		r.st.snap = r.st.m.snapshot(r.st.ptr)
	}
	for _, st := range p.deletes {
		if st.ghost {
			continue
		}
		s.forget(st)
		st.snap = nil // the row is gone (unless the transaction rolls back)
		s.detach(st)
	}
	s.afterFlush(rp)
	return nil
}

// afterFlush moves on what relationships changed: objects the database
// deleted by itself are detached, owners whose relationships changed get
// new snapshots.
func (s *Session) afterFlush(rp *relPlan) {
	for _, st := range rp.gone {
		st.gone = false
		s.forget(st)
		st.snap = nil
		s.detach(st)
	}
	for _, st := range rp.touched {
		if st.status == Persistent {
			st.snap = st.m.snapshot(st.ptr)
		}
	}
	for _, ls := range [2][]link{rp.post, rp.preNull} {
		for _, l := range ls {
			if l.child.status == Persistent {
				l.child.snap = l.child.m.snapshot(l.child.ptr)
			}
		}
	}
}

// prepareUpdates applies onupdate rules and version bumps to the objects
// that changed and lists what each UPDATE writes.
func prepareUpdates(list []*state, u *undo) ([]updateRow, error) {
	var out []updateRow
	for _, st := range list {
		m := st.m
		var set []*Field
		for _, f := range m.Fields {
			if (f != m.Version || m.appVersion) && f.changed(st.ptr, st.snap) {
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
			next := reflect.New(v.Type).Elem()
			if old.CanInt() {
				next.SetInt(old.Int() + 1)
			} else {
				next.SetUint(old.Uint() + 1)
			}
			u.set(v, st.ptr, next)
			r.set = append(r.set, v)
		}
		out = append(out, r)
	}
	return out, nil
}

// insertSteps plans the flush's INSERTs.
func (s *Session) insertSteps(d dialect.Dialect, inserts []*state, rp *relPlan) ([]step, error) {
	out := make([]step, 0, 4)
	for _, group := range groupByMapper(inserts) {
		levels, err := selfLevels(group[0].m, group, rp.levels)
		if err != nil {
			return nil, err
		}
		if levels == nil {
			out = append(out, insertSteps(d, group)...)
		}
		for _, level := range levels {
			out = append(out, insertSteps(d, level)...)
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

// restSteps plans the flush's UPDATEs and DELETEs.
func (s *Session) restSteps(d dialect.Dialect, rp *relPlan, deletes []*state, ups []updateRow) ([]step, error) {
	out := pairSteps(rp)
	for i := 0; i < len(ups); {
		j := i
		for j < len(ups) && ups[j].st.m == ups[i].st.m {
			j++
		}
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
	type ref struct{ child, parent []*Field }
	var refs []ref
	for _, fk := range m.Table.ForeignKeys {
		if fk.RefTable != m.Table.Name {
			continue
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
// statement, otherwise by LastInsertID and one SELECT per chunk.
func insertSteps(d dialect.Dialect, group []*state) []step {
	m := group[0].m
	// Rows leaving out the same columns share statements.
	type shape struct {
		cols, fetch []*Field
		rows        []*state
	}
	var shapes []*shape
	var last *shape
	fetchSig := make([]bool, len(m.Fields)) // which fields this row leaves out
	for _, st := range group {
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
	var out []step
	for _, sh := range shapes {
		if len(sh.rows) > 1 && len(sh.cols) > 0 && d.Features().Has(dialect.ArrayParams) && arraySafe(sh.cols) {
			for _, chunk := range chunks(sh.rows, maxArrayRows) {
				cols, fetch := sh.cols, sh.fetch
				out = append(out, step{stmts: 1, run: func(ctx context.Context, ex engine.Executor, u *undo) error {
					return insertChunk(ctx, ex, m, cols, fetch, chunk, canReturn, true, u)
				}})
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
			cols, fetch := sh.cols, sh.fetch
			out = append(out, step{stmts: stmts, run: func(ctx context.Context, ex engine.Executor, u *undo) error {
				return insertChunk(ctx, ex, m, cols, fetch, chunk, canReturn, false, u)
			}})
		}
	}
	return out
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
func insertChunk(ctx context.Context, ex engine.Executor, m *Mapper, cols, fetch []*Field, rows []*state, canReturn, arrays bool, u *undo) error {
	d := ex.Dialect()
	auto := autoField(m, fetch)
	// RETURNING: the fetched columns plus the key to match rows with.
	var ret []*Field
	if canReturn && len(fetch) > 0 {
		ret = fetch
		if auto == nil {
			ret = slices.Clone(fetch)
			for _, f := range m.PK {
				if !slices.Contains(ret, f) {
					ret = append(ret, f)
				}
			}
		}
	}
	build := func() expr.Statement {
		if arrays {
			names := make([]string, len(cols))
			types := make([]schema.Type, len(cols))
			vals := make([]any, len(cols))
			for i, f := range cols {
				names[i], types[i] = f.Column.Name, f.Column.Type
				a := reflect.MakeSlice(reflect.SliceOf(f.Type), len(rows), len(rows))
				for j, st := range rows {
					a.Index(j).Set(f.rv(st.ptr))
				}
				vals[i] = a.Interface()
			}
			ins := expr.InsertArrays(expr.T(m.Table.Name), names, types, vals)
			if len(ret) > 0 {
				ins.Returning(columnsOf(nil, ret)...)
			}
			return ins
		}
		ins := expr.Insert(expr.T(m.Table.Name))
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
	var q string
	var args []any
	var err error
	colMask, ok1 := m.maskOf(cols)
	retMask, ok2 := m.maskOf(ret)
	if len(rows) == 1 && ok1 && ok2 {
		// one row: the SQL is cached per column set, only arguments are made
		args = make([]any, len(cols))
		for i, f := range cols {
			args[i] = f.valueAt(rows[0].ptr)
		}
		q, err = m.cachedSQL(d, stmtKey{dialect: d.Name(), kind: stmtInsert, cols: colMask, ret: retMask}, args, build)
	} else {
		q, args, err = expr.Build(d, build())
	}
	if err != nil {
		return err
	}
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
				dest[i] = cols[i].Index(n).Addr().Interface()
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
		ai := slices.Index(ret, auto)
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		keys := cols[ai]
		sort.Slice(order, func(i, j int) bool { return lessValue(keys.Index(order[i]).Addr(), keys.Index(order[j]).Addr()) })
		u.zeroRows(rows, ret)
		for r, st := range rows {
			for i, f := range ret {
				f.rv(st.ptr).Set(cols[i].Index(order[r]))
			}
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
	return keyLess(a.Interface(), b.Interface())
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
	return expr.UpdateRows(expr.T(m.Table.Name), columnNames(m.PK), columnNames(set), columnNames(match), types)
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
func selectBack(ctx context.Context, ex engine.Executor, m *Mapper, fields []*Field, rows []*state, u *undo) error {
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
	rs, err := engine.QueryStmt(ctx, ex, expr.Select(columnsOf(tr, cols)...).From(tr).Where(keyWhere(tr, m, rows, nil)))
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
func parkSteps(updates, deletes []*state) []step {
	var out []step
	temp := 0 // parking positions handed out in this flush
	for _, group := range groupByMapper(updates) {
		out = append(out, parkMapper(group, deletes, &temp)...)
	}
	return out
}

func parkMapper(rows, deletes []*state, temp *int) []step {
	m := rows[0].m
	var out []step
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
		f := f
		out = append(out, step{stmts: 1, run: func(ctx context.Context, ex engine.Executor, _ *undo) error {
			if len(park) == 1 {
				tr := expr.T(m.Table.Name)
				up := expr.Update(tr).Set(f.Column.Name, vals[0])
				for _, k := range m.PK {
					up.Where(expr.Eq(tr.C(k.Column.Name), k.valueAt(park[0].ptr)))
				}
				_, err := engine.ExecStmt(ctx, ex, up)
				return err
			}
			stmt := keyedUpdate(m, []*Field{f}, nil)
			for i, st := range park {
				stmt.Row(append(keyValues(m, st.ptr), vals[i])...)
			}
			_, err := engine.ExecStmt(ctx, ex, stmt)
			return err
		}})
	}
	return out
}

// updateSteps plans the UPDATEs of one mapper's changed objects: rows
// writing the same columns share one keyed multi-row UPDATE per chunk (a
// single row gets a plain UPDATE), and where the dialect cannot return
// server-onupdate values, one SELECT reads them back for the whole table.
func updateSteps(d dialect.Dialect, rows []updateRow) []step {
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
	var out []step
	for _, g := range groups {
		if len(g) == 1 {
			r := g[0]
			out = append(out, step{stmts: 1, run: func(ctx context.Context, ex engine.Executor, u *undo) error {
				return updateOne(ctx, ex, r, ret, returning, u)
			}})
			continue
		}
		width := len(m.PK) + len(g[0].set)
		if m.Version != nil {
			width++
		}
		per := min(maxBatchRows, d.MaxParams()/width)
		for _, chunk := range expr.Chunk(g, per) {
			out = append(out, step{stmts: 1, checked: len(chunk) > 1, run: func(ctx context.Context, ex engine.Executor, u *undo) error {
				return updateMany(ctx, ex, chunk, ret, returning, u)
			}})
		}
	}
	if len(ret) > 0 && !returning {
		states := make([]*state, len(rows))
		for i, r := range rows {
			states[i] = r.st
		}
		for _, chunk := range expr.Chunk(states, maxBatchRows) {
			out = append(out, step{stmts: 1, run: func(ctx context.Context, ex engine.Executor, _ *undo) error {
				var u undo // values read back are the database's: nothing to restore
				return selectBack(ctx, ex, m, ret, chunk, &u)
			}})
		}
	}
	return out
}

func updateOne(ctx context.Context, ex engine.Executor, r updateRow, ret []*Field, returning bool, u *undo) error {
	st, m := r.st, r.st.m
	d := ex.Dialect()
	if !returning {
		ret = nil
	}
	build := func() expr.Statement {
		tr := expr.T(m.Table.Name)
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
	var q string
	var args []any
	var err error
	setMask, ok1 := m.maskOf(r.set)
	retMask, ok2 := m.maskOf(ret)
	if ok1 && ok2 {
		args = make([]any, 0, len(r.set)+len(m.PK)+1)
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
		q, err = m.cachedSQL(d, stmtKey{dialect: d.Name(), kind: stmtUpdate, cols: setMask, ret: retMask, version: m.Version != nil}, args, build)
	} else {
		q, args, err = expr.Build(d, build())
	}
	if err != nil {
		return err
	}
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

// updateMany sends one keyed multi-row UPDATE ([expr.UpdateRows]) for rows
// writing the same columns. Where the dialect has UPDATE ... RETURNING the
// keys come back (with server-onupdate values), naming exactly the rows
// that matched nothing; elsewhere the count of matched rows is checked and
// a shortfall resolved after the rollback.
func updateMany(ctx context.Context, ex engine.Executor, rows []updateRow, ret []*Field, returning bool, u *undo) error {
	m := rows[0].st.m
	set := rows[0].set
	tr := expr.T(m.Table.Name)
	var match []*Field
	if m.Version != nil {
		match = []*Field{m.Version}
	}
	stmt := keyedUpdate(m, set, match)
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
		stmt.Row(vals...)
	}
	if !ex.Dialect().Features().Has(dialect.UpdateReturning) {
		res, err := engine.ExecStmt(ctx, ex, stmt)
		if err != nil {
			return err
		}
		if res.RowsAffected != int64(len(rows)) {
			return newStaleBatch("UPDATE", m, rows)
		}
		return nil
	}
	back := slices.Clone(m.PK)
	if returning {
		back = append(back, ret...)
	}
	rs, err := engine.QueryStmt(ctx, ex, stmt.Returning(columnsOf(tr, back)...))
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

// deleteSteps plans the DELETEs of one mapper's rows: one
// DELETE ... WHERE pk IN (...) (= ANY on PostgreSQL) per chunk, or an OR
// of key-and-version matches when a version must be checked or the key is
// composite. Fewer rows deleted than asked is stale data.
func deleteSteps(d dialect.Dialect, group []*state, idempotent bool) []step {
	m := group[0].m
	per := maxBatchRows
	if !(len(m.PK) == 1 && m.Version == nil) {
		width := len(m.PK)
		if m.Version != nil {
			width++
		}
		per = min(per, d.MaxParams()/width)
	}
	var out []step
	for _, chunk := range expr.Chunk(group, per) {
		out = append(out, step{stmts: 1, checked: len(chunk) > 1, run: func(ctx context.Context, ex engine.Executor, _ *undo) error {
			return deleteChunk(ctx, ex, m, chunk, idempotent)
		}})
	}
	return out
}

func deleteChunk(ctx context.Context, ex engine.Executor, m *Mapper, rows []*state, idempotent bool) error {
	tr := expr.T(m.Table.Name)
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
	res, err := engine.ExecStmt(ctx, ex, expr.Delete(tr).Where(keyWhere(tr, m, rows, versions)))
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
	tr := expr.T(m.Table.Name)
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
	tr := expr.T(m.Table.Name)
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
