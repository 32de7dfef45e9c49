package orm

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/sqlerr"
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

// flush writes pending changes; see flushTx.
func (s *Session) flush(ctx context.Context) error { return s.flushTx(ctx, false) }

// flushScratch is what a flush (or an Explain) works in: the relations'
// plan, the statements' plan, the undo log and a one-row flush's INSERT.
// Nothing keeps them after the flush, so sessions share them through
// scratchPool rather than each carrying its own: a session is allocated
// per request, and without them it is a third of the size.
type flushScratch struct {
	rp      relPlan
	plan    flushPlan
	inserts [4]*state  // the plan's first inserts
	ins     insertRows // a one-row flush's INSERT
	act     [1]action
	undo    undo
}

var scratchPool = sync.Pool{New: func() any { return new(flushScratch) }}

// scratchKeep is the largest capacity of a plan's lists a pooled scratch
// keeps: one flush of many objects does not pin its lists for good.
const scratchKeep = 1024

// scratch returns the flush's scratch, taken from the pool at its first
// use; releaseScratch gives it back when the flush is over.
func (s *Session) scratch() *flushScratch {
	if s.sc == nil {
		s.sc = scratchPool.Get().(*flushScratch)
	}
	return s.sc
}

// releaseScratch gives the flush's scratch back holding no pointer into
// this session (a pooled scratch must keep no object alive), with the
// plan's lists' room kept.
func (s *Session) releaseScratch() {
	sc := s.sc
	if sc == nil {
		return
	}
	s.sc = nil
	keep := func(l []*state) []*state {
		if cap(l) > scratchKeep {
			return nil
		}
		clear(l[:cap(l)])
		return l[:0]
	}
	ins, ups, dels := keep(sc.plan.inserts), keep(sc.plan.updates), keep(sc.plan.deletes)
	*sc = flushScratch{}
	sc.plan.inserts, sc.plan.updates, sc.plan.deletes = ins, ups, dels
	scratchPool.Put(sc)
}

// flushTx writes pending changes. With commit set (the flush of a Commit)
// and no transaction open, a flush that needs a single statement sends it
// alone, in autocommit: one round trip, and atomic all the same.
func (s *Session) flushTx(ctx context.Context, commit bool) error {
	if s.states.len() == 0 {
		return nil // the session holds no object: nothing to write
	}
	if commit {
		if done, err := s.commitOneInsert(ctx); done {
			return err
		}
	}
	defer s.releaseScratch()
	u := &s.scratch().undo // empty: the pool's scratch is
	hadTx := s.tx != nil
	rp, err := s.prepareRelations(ctx, u)
	if err != nil {
		u.run()
		return err
	}
	p, err := s.plan(rp, u)
	if err != nil {
		u.run()
		return err
	}
	if p.empty() && len(rp.gone) == 0 && len(rp.pairAdd)+len(rp.pairDel)+len(rp.dropAll)+len(rp.post)+len(rp.preNull) == 0 {
		s.afterFlush(rp)
		s.settleClaims(rp, s.states.removed)
		return nil
	}
	if s.readOnly {
		u.run()
		return &sqlerr.ReadOnlyError{Err: fmt.Errorf("orm: a read-only session cannot flush %d inserts, %d updates and %d deletes (no SQL was sent)",
			len(p.inserts), len(p.updates), len(p.deletes))}
	}
	if len(s.f.cfg.flushHooks) == 0 {
		return s.write(ctx, p, rp, commit, hadTx, u)
	}
	run := func(ctx context.Context, cs *ChangeSet) error {
		if cs != nil && len(cs.skipped) > 0 {
			// the updates a hook skipped stay dirty for the next flush
			p.updates = slices.DeleteFunc(slices.Clone(p.updates), func(st *state) bool { return cs.skipped[st] })
		}
		return s.write(ctx, p, rp, commit, hadTx, u)
	}
	f := FlushFunc(run)
	for i := len(s.f.cfg.flushHooks) - 1; i >= 0; i-- {
		f = s.f.cfg.flushHooks[i](f)
	}
	return f(ctx, newChangeSet(s, p))
}

// hadTx says whether the transaction was open before this flush (a
// transaction the flush opened itself, to read, needs no savepoint).
func (s *Session) write(ctx context.Context, p *flushPlan, rp *relPlan, commit, hadTx bool, u *undo) error {
	if err := s.runObjectHooks(ctx, p, u); err != nil {
		u.run()
		return err
	}
	acts, ups, err := s.planActions(p, rp, u)
	if err != nil {
		u.run()
		return err
	}
	n := 0
	for _, a := range acts {
		n += a.stmts()
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
	case commit && n == 1 && !s.f.cfg.eagerTx && !acts[0].checked():
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
		return s.flushFailed(ctx, after, err, sp != nil || ownTx)
	}
	for _, a := range acts {
		// keys generated by the actions so far reach the children waiting
		// for them before the next action builds its statements
		if err := rp.syncDeferred(u); err != nil {
			return fail(err)
		}
		if err := a.run(ctx, ex, u); err != nil {
			return fail(err)
		}
	}
	if err := rp.syncDeferred(u); err != nil {
		return fail(err)
	}
	if len(rp.deferred) > 0 {
		return fail(fmt.Errorf("orm: %d foreign keys could not be set: their parents were not inserted", len(rp.deferred)))
	}
	if sp != nil {
		if err := sp.Commit(ctx); err != nil {
			return fail(err)
		}
	}
	s.wrote = true
	// Only now, with every statement through, do the states move on.
	// the new rows' snapshots, one slab per table run of inserts
	for i := 0; i < len(p.inserts); {
		m := p.inserts[i].m
		j := i + 1
		for j < len(p.inserts) && p.inserts[j].m == m {
			j++
		}
		s.reserveInts(m, j-i)
		// slabs of at most slabMax: the array types stay few (reflect
		// keeps every type it makes)
		var slab unsafe.Pointer
		used, size := 0, 0
		for k, st := range p.inserts[i:j] {
			if used == size && j-i-k > 1 {
				n := min(j-i-k, slabMax)
				if n&(n-1) != 0 && n < slabMax {
					n = 1 << bits.Len(uint(n)) // a power of two: few distinct sizes
				}
				slab, used, size = reflect.New(m.arrayOf(n)).UnsafePointer(), 0, n
			}
			var snap unsafe.Pointer
			if used < size {
				// never a pointer past the slab's end (checkptr)
				snap = m.snapshotInto(unsafe.Add(slab, uintptr(used)*m.Type.Size()), st.ptr)
				used++
			} else {
				snap = m.snapshot(st.ptr)
			}
			s.settleInserted(st, snap)
		}
		i = j
	}
	s.rekey(rp.rekey)
	s.resolveRefs(p.inserts)
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
	var deleted []*state
	for _, st := range p.deletes {
		if !st.ghost {
			deleted = append(deleted, st)
		}
	}
	deleted = append(deleted, rp.gone...)
	// where they are held, found while their snapshots say it
	dl := s.deletedLinks(deleted)
	removed := s.states.removed // before the deleted objects go
	for _, st := range p.deletes {
		if st.ghost {
			continue
		}
		s.forget(st)
		st.snap = nil // the row is gone (unless the transaction rolls back)
		s.detach(st)
	}
	s.afterFlush(rp)
	s.unlinkDeleted(dl)
	s.settleClaims(rp, removed)
	return nil
}

// flushFailed is the error of a flush whose objects are restored and
// whose transaction or savepoint, if it had one, is rolled back
// (rolledBack): after is where the rows are now read.
func (s *Session) flushFailed(ctx context.Context, after engine.Executor, err error, rolledBack bool) error {
	var sb *staleBatch
	if errors.As(err, &sb) {
		err = s.resolveStale(context.WithoutCancel(ctx), after, sb)
	}
	err = fmt.Errorf("orm: flush rolled back, session unchanged: %w", err)
	// What the caller can know: a flush in a transaction (its own, or a
	// savepoint) wrote nothing once rolled back, and a stale statement
	// matched nothing; a lone autocommitted statement keeps what the
	// engine said of it (a lost connection leaves it unknown).
	var stale *StaleDataError
	if rolledBack || errors.As(err, &stale) {
		return &sqlerr.OutcomeError{Outcome: sqlerr.NothingWritten, Op: "flush", Err: err}
	}
	return err
}

// commitOneInsert is the flush of a Commit when the session holds one
// object, pending, no transaction is open and nothing else can take part:
// a model without relationships or a foreign key to its own table, no
// flush hooks or BeforeInsert hooks, and a dialect that reads the
// generated values back in the INSERT itself (or needs only
// LastInsertID). It does what the general flush does in that case, one
// INSERT in autocommit, without planning it: a service inserting a row
// per request spends a fifth of its ORM time planning otherwise. It
// reports false, having changed nothing, when the session is not in that
// case.
func (s *Session) commitOneInsert(ctx context.Context) (bool, error) {
	if s.tx != nil || s.readOnly || len(s.order) != 1 || s.states.len() != 1 ||
		len(s.f.cfg.flushHooks) != 0 || s.f.cfg.eagerTx {
		return false, nil
	}
	st := s.order[0]
	m := st.m
	if st.status != Pending || m.selfRef || len(m.Fields) > 64 {
		return false, nil
	}
	if oh := s.f.cfg.objHooks[m.Type]; oh != nil && len(oh.insert) > 0 {
		return false, nil
	}
	if _, err := s.f.order(); err != nil {
		return false, nil // the general flush reports it
	}
	if rels, err := s.f.reg.relsOf(m); err != nil || len(rels) > 0 {
		return false, nil
	}
	d := s.f.db.Dialect()
	canReturn := d.Features().Has(dialect.InsertReturning)
	sc := s.scratch() // its undo log and row list do not escape to the heap as locals would
	defer s.releaseScratch()
	u := &sc.undo
	setInsertDefaults(m, st.ptr, u)
	cols, fetch := m.insertShape(insertMask(m, st))
	if !canReturn && len(fetch) > 0 && (len(fetch) > 1 || autoField(m, fetch) == nil) {
		u.run() // two statements (LastInsertID, then a SELECT): a transaction
		return false, nil
	}
	sc.inserts[0] = st
	if err := insertChunk(ctx, s.f.db, m, cols, fetch, sc.inserts[:1], canReturn, false, u); err != nil {
		u.run()
		return true, s.flushFailed(ctx, s.f.db, err, false)
	}
	s.wrote = true
	s.settleInserted(st, m.snapshot(st.ptr))
	s.order = s.order[:0]
	s.verified = 0 // no claims were made (see settleClaims)
	return true, nil
}

// settleInserted moves an inserted object on, once every statement of its
// flush is through: persistent, keyed, snap its snapshot, in the identity
// map.
func (s *Session) settleInserted(st *state, snap unsafe.Pointer) {
	st.status = Persistent
	st.key = keyOf(st.m, st.ptr)
	st.snap = snap
	if verifyShortcuts && s.stateAt(st.ptr) != st {
		panic("orm: an inserted object's state is not the one indexed")
	}
	s.trackKey(st) // indexed since it became pending
}

// settleClaims records, after a successful flush, whether its claims
// vouch for the next flush's (see relPlanner.vouched): they ran, and no
// object left the session between them and the removal of the deleted
// objects (removed: states.removed then), which unlinkDeleted took out of
// every relationship.
func (s *Session) settleClaims(rp *relPlan, removed uint64) {
	if rp.token != 0 && removed == rp.removedAtClaims {
		s.verified, s.cleanAt = rp.token, s.states.removed
		return
	}
	s.verified = 0
}

// deletedLinks says where a flush's deleted objects may still be held.
type deletedLinks struct {
	deleted []*state
	gone    map[unsafe.Pointer]bool // their addresses
	// the relationships of objects found through the deleted objects' own
	// sides (a child's Ref gives the parent whose List may hold it)
	holders []heldBy
	// relationships whose holders only a walk over the session finds:
	// those with no other side, and those whose other side a deleted
	// object never loaded
	walk []*relation
}

// heldBy is an object's relationship that may hold a deleted object.
type heldBy struct {
	ptr unsafe.Pointer
	rel *relation
}

// deletedLinks finds where the deleted objects may be held: through their
// own side of each relationship, now and at their snapshot (an object
// held at the holder's last flush may have moved since), so that no walk
// over every object of the session is needed when both sides are loaded.
func (s *Session) deletedLinks(deleted []*state) *deletedLinks {
	if len(deleted) == 0 {
		return nil
	}
	dl := &deletedLinks{deleted: deleted, gone: make(map[unsafe.Pointer]bool, len(deleted))}
	var mappers []*Mapper
	for _, d := range deleted {
		dl.gone[d.ptr] = true
		if !slices.Contains(mappers, d.m) {
			mappers = append(mappers, d.m)
		}
	}
	// each holder once: deleting many children of one parent names the
	// parent many times, and cleaning its List again would scan it again
	seen := map[heldBy]bool{}
	hold := func(h unsafe.Pointer, rel *relation) {
		if k := (heldBy{h, rel}); h != nil && !dl.gone[h] && !seen[k] {
			seen[k] = true
			dl.holders = append(dl.holders, k)
		}
	}
	for _, d := range deleted {
		for _, rel := range d.m.rels {
			back := rel.back
			if back == nil {
				continue
			}
			found := false
			for _, obj := range [2]unsafe.Pointer{d.ptr, d.snap} {
				if obj == nil || !known(rel, obj) {
					continue
				}
				found = true
				if !rel.isList() {
					hold(rel.refAt(obj).v, back)
					continue
				}
				for _, h := range rel.listAt(obj).items {
					hold(h, back)
				}
			}
			if !found && !slices.Contains(dl.walk, back) {
				dl.walk = append(dl.walk, back)
			}
		}
	}
	reg := s.f.reg
	reg.mu.RLock()
	for _, m := range reg.byType {
		for _, rel := range m.rels {
			if rel.back == nil && slices.Contains(mappers, rel.target) && !slices.Contains(dl.walk, rel) {
				dl.walk = append(dl.walk, rel)
			}
		}
	}
	reg.mu.RUnlock()
	return dl
}

// unlinkDeleted takes deleted objects out of the loaded Lists and Refs of
// the objects the session still holds (and their snapshots: the database
// says so already), and clears the deleted objects' references to them.
// Nothing is expired on commit, so nothing else would.
func (s *Session) unlinkDeleted(dl *deletedLinks) {
	if dl == nil {
		return
	}
	isGone := func(p unsafe.Pointer) bool { return dl.gone[p] }
	unlink := func(st *state, rel *relation) {
		for _, obj := range [2]unsafe.Pointer{st.ptr, st.snap} {
			if obj == nil || !known(rel, obj) {
				continue
			}
			if rel.isList() {
				if l := rel.listAt(obj); slices.ContainsFunc(l.items, isGone) {
					l.items = slices.DeleteFunc(slices.Clone(l.items), isGone)
				}
			} else if v := rel.refAt(obj); dl.gone[v.v] {
				v.v = nil
			}
		}
	}
	for _, h := range dl.holders {
		if st := s.stateAt(h.ptr); st != nil && st.m == h.rel.owner {
			unlink(st, h.rel)
		}
	}
	if len(dl.walk) > 0 {
		for _, st := range s.states.all() {
			for _, rel := range st.m.rels {
				if slices.Contains(dl.walk, rel) {
					unlink(st, rel)
				}
			}
		}
	}
	if verifyShortcuts {
		// no deleted object is left in a List or Ref of the session
		for _, st := range s.states.all() {
			for _, rel := range st.m.rels {
				for _, obj := range [2]unsafe.Pointer{st.ptr, st.snap} {
					if obj != nil && known(rel, obj) && slices.ContainsFunc(targets(rel, obj), isGone) {
						panic(fmt.Sprintf("orm: unlinkDeleted left a deleted object in %s of a %s", rel, st.m.Type.Name()))
					}
				}
			}
		}
	}
	for _, d := range dl.deleted {
		for _, rel := range d.m.rels {
			if rel.isList() || !known(rel, d.ptr) {
				continue
			}
			if v := rel.refAt(d.ptr); v.v != nil && s.stateAt(v.v) != nil {
				v.v = nil // the row it linked is gone
			}
		}
	}
}

// planActions plans the flush once: client defaults and versions of new
// rows, primary key moves, then the actions in their order (see plan.go).
// Persistent children waiting for a new parent's generated key are
// planned as UPDATEs of their key columns, whose values the key copy
// before the UPDATE's action supplies: nothing is planned twice.
func (s *Session) planActions(p *flushPlan, rp *relPlan, u *undo) ([]action, []updateRow, error) {
	for _, st := range p.inserts {
		setInsertDefaults(st.m, st.ptr, u)
	}
	d := s.f.db.Dialect()
	if rp.noRels && len(p.updates) == 0 && len(p.deletes) == 0 {
		// Only inserts, of models without relationships: no key moves, no
		// parking, no links, no early deletes; the INSERTs alone.
		ins, err := s.insertSteps(d, p.inserts, rp)
		return ins, nil, err
	}
	if err := s.planKeyMoves(p, rp, u); err != nil {
		return nil, nil, err
	}
	ins, err := s.insertSteps(d, p.inserts, rp)
	if err != nil {
		return nil, nil, err
	}
	// Positions under a unique constraint move out of the way first, so
	// that neither the inserts nor the updates meet a position still held.
	acts := append(slices.Clip(rp.first), parkSteps(p.updates, p.deletes)...)
	// Rows replaced by new ones (a one-to-one child, a link) leave first
	// when their table has unique keys the new rows may take and no table
	// references it: an INSERT must not meet the row it replaces.
	early, late := s.earlyDeletes(p)
	for _, group := range groupByMapper(early) {
		acts = append(acts, deleteSteps(d, group, s.f.cfg.idempotentDeletes)...)
	}
	if len(acts) == 0 {
		acts = ins // the common flush: inserts only, their slice is ours
	} else {
		acts = append(acts, ins...)
	}
	updates := p.updates
	var force map[*state][]*Field
	for _, l := range rp.deferred {
		if l.child.status != Persistent {
			continue
		}
		if force == nil {
			force = map[*state][]*Field{}
		}
		force[l.child] = append(force[l.child], l.rel.fk...)
		if !slices.Contains(updates, l.child) {
			updates = append(slices.Clip(updates), l.child)
		}
	}
	ups, err := prepareUpdates(updates, force, u)
	if err != nil {
		return nil, nil, err
	}
	// UPDATEs that only release unique values (a replaced one-to-one
	// child's key set to NULL) run before the INSERTs that may take them,
	// as SQLAlchemy sends a table's UPDATEs before its INSERTs.
	var release, rest0 []updateRow
	for _, r := range ups {
		if releases(r) {
			release = append(release, r)
		} else {
			rest0 = append(rest0, r)
		}
	}
	if release != nil {
		slices.SortStableFunc(release, func(a, b updateRow) int { return strings.Compare(a.st.m.Table.Name, b.st.m.Table.Name) })
		for i := 0; i < len(release); {
			j := i
			for j < len(release) && release[j].st.m == release[i].st.m {
				j++
			}
			acts = slices.Insert(acts, len(acts)-len(ins), updateSteps(d, release[i:j])...)
			i = j
		}
	}
	rest, err := s.restSteps(d, rp, late, rest0)
	if err != nil {
		return nil, nil, err
	}
	return append(acts, rest...), ups, nil
}

// setInsertDefaults gives the new row of m at ptr its client defaults
// (fields with a Default holding their zero value) and its first version,
// through u so that a failed write takes them back. A new row's version
// is 1, as SQLAlchemy and every reader of the column expect (0 would read
// as "never written"); an application-managed version is left alone.
func setInsertDefaults(m *Mapper, ptr unsafe.Pointer, u *undo) {
	for _, f := range m.defaulted {
		if isZero(f, ptr) {
			u.set(f, ptr, reflect.ValueOf(f.Default()).Convert(f.Type))
		}
	}
	if v := m.Version; v != nil && !m.appVersion && isZero(v, ptr) {
		u.set(v, ptr, reflect.ValueOf(1).Convert(v.Type))
	}
}

// releases reports an UPDATE that only sets columns to NULL (with the
// version and onupdate columns that follow any update) of which a unique
// constraint or index covers one, and that changes no key.
func releases(r updateRow) bool {
	m := r.st.m
	unique := false
	for _, f := range r.set {
		if f == m.Version || f.OnUpdate != nil {
			continue
		}
		if !f.Column.Nullable || !f.rv(r.st.ptr).IsZero() || f.Type.Kind() != reflect.Pointer {
			return false
		}
		if uniqueCovers(m.Table, f.Column.Name) {
			unique = true
		}
	}
	return unique && r.oldKey == nil
}

// resolveRefs makes the references of new rows agree with the keys they
// were inserted with: a Ref left empty while its foreign key was given by
// value points at the parent when the session holds it, and is marked not
// loaded otherwise, never a known nil beside a key.
func (s *Session) resolveRefs(inserted []*state) {
	for _, st := range inserted {
		for _, rel := range st.m.rels {
			if rel.kind != manyToOne {
				continue
			}
			v := rel.refAt(st.ptr)
			if v.state == relUnloaded || v.v != nil || anyZeroOrNil(rel.fk, st.ptr) {
				continue
			}
			parent := s.heldParent(rel, st.ptr)
			var sv *refCore // the snapshot's copy: the row already says so
			if st.snap != nil {
				sv = rel.refAt(st.snap)
			}
			if parent == nil || parent.status != Persistent {
				v.v, v.state = nil, relUnloaded
				if sv != nil {
					sv.v, sv.state = nil, relUnloaded
				}
				continue
			}
			v.v, v.state = parent.ptr, relKnown
			if sv != nil {
				sv.v, sv.state = parent.ptr, relKnown
			}
			if rel.back != nil && rel.back.kind == oneToMany {
				if l := rel.back.listAt(parent.ptr); l.state != relUnloaded && !slices.Contains(l.items, st.ptr) {
					l.items = append(slices.Clip(l.items), st.ptr)
					if parent.snap != nil {
						if sl := rel.back.listAt(parent.snap); sl.state != relUnloaded {
							sl.items = l.items // the row already belongs: not a change to flush
						}
					}
				}
			}
		}
	}
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
