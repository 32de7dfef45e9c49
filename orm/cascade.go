package orm

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
)

// What a flush does with relationships, before it plans statements:
//
//  1. save-update: objects reachable from the session's objects through
//     relationships with save-update become pending;
//  2. every known Ref and List says which parent each child wants;
//     children taken out of a List (or a replaced Ref) are orphans:
//     deleted with delete-orphan, their key set to NULL without (an error
//     before any SQL when the column is NOT NULL), left alone when they
//     have moved to another parent;
//  3. deletes cascade: loaded children of a deleted parent are deleted
//     (delete) or have their key set to NULL; unloaded ones are left to the
//     database with passive_deletes, otherwise their keys are read level by
//     level (one SELECT per relationship and level) and they are deleted
//     with the rest, one batched DELETE per table;
//  4. foreign keys are set from the parents' keys; a parent that is still
//     to be inserted with a generated key gives its children their key
//     when its INSERT has run (steps read field values when they run).

// relsOf returns m's resolved relationships.
func (r *Registry) relsOf(m *Mapper) ([]*relation, error) {
	if m.resolvedFlag.Load() {
		return m.rels, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.resolveLocked(); err != nil {
		return nil, err
	}
	return m.rels, nil
}

// bind ties an object's relationship fields to it. Objects read from the
// database get their relationships marked not loaded; objects the program
// built have their sides made to agree in memory (a child added with its
// Ref set appears in its parent's known List, and the reverse).
func bind(st *state, rels []*relation, fromDB bool) {
	for _, rel := range rels {
		var b *binding
		if rel.kind == oneToMany || rel.kind == manyToMany {
			v := rel.listAt(st.ptr)
			if fromDB {
				v.state, v.items = relUnloaded, nil
			}
			b = &v.b
		} else {
			v := rel.refAt(st.ptr)
			if fromDB {
				v.state, v.v = relUnloaded, nil
			}
			b = &v.b
		}
		if !fromDB && *b == (binding{owner: st.ptr, rel: rel}) {
			continue // bound before: its changes have kept both sides in step
		}
		*b = binding{owner: st.ptr, rel: rel}
		if !fromDB {
			syncBack(st, rel)
		}
	}
}

// syncBack makes the other side of a relationship the program set before
// the owner was bound agree with it.
func syncBack(st *state, rel *relation) {
	if rel.back == nil {
		return
	}
	switch {
	case rel.kind == manyToOne && rel.back.kind == oneToMany:
		v := rel.refAt(st.ptr)
		if v.state == relUnloaded || v.v == nil {
			return
		}
		if l := rel.back.listAt(v.v); l.state != relUnloaded && !slices.Contains(l.items, st.ptr) {
			l.items = append(slices.Clip(l.items), st.ptr)
		}
	case rel.kind == manyToMany:
		l := rel.listAt(st.ptr)
		if l.state == relUnloaded {
			return
		}
		for _, t := range l.items {
			if bl := rel.back.listAt(t); bl.state != relUnloaded && !slices.Contains(bl.items, st.ptr) {
				bl.items = append(slices.Clip(bl.items), st.ptr)
			}
		}
	case rel.kind == oneToMany:
		l := rel.listAt(st.ptr)
		if l.state == relUnloaded {
			return
		}
		for _, c := range l.items {
			if b := rel.back.refAt(c); b.state == relUnloaded || b.v == nil {
				b.state, b.v = relKnown, st.ptr
			}
		}
	case rel.kind == oneToOneRemote || rel.kind == manyToOne && rel.back.kind == oneToOneRemote:
		// one-to-one: both sides are references
		v := rel.refAt(st.ptr)
		if v.state == relUnloaded || v.v == nil {
			return
		}
		if b := rel.back.refAt(v.v); b.state == relUnloaded || b.v == nil {
			b.state, b.v = relKnown, st.ptr
		}
	}
}

// bindLoaded binds an object the session read from the database.
func (s *Session) bindLoaded(st *state) error {
	rels, err := s.f.reg.relsOf(st.m)
	if err != nil {
		return err
	}
	if len(rels) > 0 {
		bind(st, rels, true)
	}
	return nil
}

// targets returns the objects a known relationship of the object at ptr
// holds now.
func targets(rel *relation, ptr unsafe.Pointer) []unsafe.Pointer {
	if rel.kind == oneToMany || rel.kind == manyToMany {
		v := rel.listAt(ptr)
		if v.state == relUnloaded {
			return nil
		}
		return v.items
	}
	v := rel.refAt(ptr)
	if v.state == relUnloaded || v.v == nil {
		return nil
	}
	return []unsafe.Pointer{v.v}
}

// known reports whether the relationship of the object at ptr is loaded.
func known(rel *relation, ptr unsafe.Pointer) bool {
	if rel.kind == oneToMany || rel.kind == manyToMany {
		return rel.listAt(ptr).state != relUnloaded
	}
	return rel.refAt(ptr).state != relUnloaded
}

// cascadeAdd binds st and makes the transient objects reachable from it
// through save-update relationships pending.
func (s *Session) cascadeAdd(st *state) error {
	// breadth first, in list order: objects are added (and inserted) in
	// the order the program built them
	work := []*state{st}
	for len(work) > 0 {
		cur := work[0]
		work = work[1:]
		rels, err := s.f.reg.relsOf(cur.m)
		if err != nil {
			return err
		}
		if len(rels) == 0 {
			continue
		}
		bind(cur, rels, false)
		for _, rel := range rels {
			if !rel.cascade.has(cascadeSaveUpdate) {
				continue
			}
			for _, p := range targets(rel, cur.ptr) {
				if s.stateAt(p) != nil {
					continue
				}
				if d := s.detached[p]; d != nil {
					return fmt.Errorf("orm: %s reaches a detached %s through %s: Add or Merge it first", cur.m.Type.Name(), rel.target.Type.Name(), rel)
				}
				nst := &state{m: rel.target, ptr: p, status: Pending, cascaded: true}
				s.putState(nst)
				s.order = append(s.order, nst)
				work = append(work, nst)
			}
		}
	}
	return nil
}

// relPlan is what prepareRelations found for one flush.
type relPlan struct {
	deferred []link              // keys to copy once the parent is inserted
	ghosts   []*state            // rows found by key only, deleted with the rest
	gone     []*state            // objects the database deletes by itself (passive)
	touched  []*state            // owners whose relationships changed: new snapshots after the flush
	levels   map[*state][]*state // same-table parents of pending rows
	ghostIdx map[identityKey]*state

	// many-to-many pairs to write, by the primary side's relation
	pairAdd, pairDel []pair
	pairSeen         map[pairKey]bool
	dropAll          []link // owners whose pairs all go (their list not loaded)

	post    []link // post_update keys to set after the inserts
	preNull []link // post_update keys to clear before the deletes
	// persistent children waiting for a new parent's generated key
	movedToNew []*state

	// primary key changes: statements before everything (deferring
	// foreign key checks), statements after a mapper's UPDATEs (moving
	// the rows referencing its old keys), objects to re-key after
	first       []step
	afterUpdate map[*Mapper][]step
	rekey       []*state
}

// link is a child wanting a parent (nil: none) through a foreign key.
type link struct {
	child, parent *state
	rel           *relation
}

// heldLink is a link unchanged since the last flush, and whose field
// holds it: the parent's List or Ref (owner is the parent), or the
// child's Ref (owner is the child).
type heldLink struct {
	link
	owner *state
}

// followMove makes a stale membership agree with the child's new parent:
// the old parent's List loses the child (its Ref lets go of it), or the
// child's Ref points at the new parent. The change is undone with the
// flush if it fails.
func (s *Session) followMove(rp *relPlan, h heldLink, to *state, u *undo) {
	rel := h.rel
	switch rel.kind {
	case manyToOne: // the child's Ref
		v := rel.refAt(h.child.ptr)
		old := *v
		u.fn(func() { *v = old })
		v.v, v.state = to.ptr, relKnown
	case oneToMany: // the old parent's List
		l := rel.listAt(h.owner.ptr)
		j := slices.Index(l.items, h.child.ptr)
		if j < 0 {
			return
		}
		old := l.items
		u.fn(func() { l.items = old })
		l.items = slices.Delete(slices.Clone(l.items), j, j+1)
	case oneToOneRemote: // the old parent's Ref
		v := rel.refAt(h.owner.ptr)
		if v.v != h.child.ptr {
			return
		}
		old := *v
		u.fn(func() { *v = old })
		v.v = nil
	}
	if h.owner.status == Persistent {
		rp.touched = append(rp.touched, h.owner)
	}
}

type fkSlot struct {
	child unsafe.Pointer
	fk    *Field // first column of the foreign key
}

func (s *Session) prepareRelations(ctx context.Context, u *undo) (*relPlan, error) {
	rp := &relPlan{}
	hasRels := false
	for _, st := range s.states.all() {
		rels, err := s.f.reg.relsOf(st.m)
		if err != nil {
			return nil, err
		}
		if len(rels) > 0 {
			hasRels = true
		}
	}
	if !hasRels {
		return rp, nil
	}
	// 1. save-update
	var roots []*state
	for _, st := range s.states.all() {
		if st.status == Pending || st.status == Persistent {
			roots = append(roots, st)
		}
	}
	for _, st := range roots {
		if err := s.cascadeAdd(st); err != nil {
			return nil, err
		}
	}
	// 2. wanted parents and orphans. A child's parent is decided by what
	// changed since the last flush (SQLAlchemy syncs keys from attribute
	// history alike): a membership or reference the program made (or any
	// of a pending object) is a claim; one that was already there is
	// stale when a claim gives the child another parent, and is then
	// made to agree in memory (the child leaves the old parent's List,
	// its Ref follows), so that no later flush or cascade sees it twice.
	want := make(map[fkSlot]link, s.states.len())
	var order []fkSlot
	var held []heldLink // memberships unchanged since the last flush
	wantParent := func(child, parent unsafe.Pointer, rel *relation, changed bool, owner *state) error {
		cst := s.stateAt(child)
		if cst == nil {
			return fmt.Errorf("orm: %s holds an object that is not in the session (its cascade has no save-update): Add it", rel)
		}
		var pst *state
		if parent != nil {
			if pst = s.stateAt(parent); pst == nil {
				return fmt.Errorf("orm: %s points at a %s that is not in the session: Add it", rel, rel.parent.Type.Name())
			}
		}
		if !changed {
			held = append(held, heldLink{link: link{child: cst, parent: pst, rel: rel}, owner: owner})
			return nil
		}
		k := fkSlot{child: child, fk: rel.fk[0]}
		if prev, ok := want[k]; ok {
			if prev.parent != pst {
				if prev.parent != nil && pst != nil {
					return fmt.Errorf("orm: a %s has two parents through %s: %v and %v", rel.child.Type.Name(), rel.fk[0].Column.Name,
						keyValues(rel.parent, prev.parent.ptr), keyValues(rel.parent, pst.ptr))
				}
				if pst == nil {
					return nil // a removal does not undo a parent set elsewhere
				}
			} else {
				return nil
			}
		} else {
			order = append(order, k)
		}
		want[k] = link{child: cst, parent: pst, rel: rel}
		return nil
	}
	type removal struct {
		child unsafe.Pointer
		rel   *relation
		owner *state
	}
	var removed []removal
	for _, st := range s.states.all() {
		if st.status != Pending && st.status != Persistent {
			continue
		}
		for _, rel := range st.m.rels {
			if !known(rel, st.ptr) {
				continue
			}
			var before []unsafe.Pointer
			if st.snap != nil && known(rel, st.snap) {
				before = targets(rel, st.snap)
			}
			now := targets(rel, st.ptr)
			if !slices.Equal(before, now) && st.status == Persistent {
				rp.touched = append(rp.touched, st)
			}
			switch rel.kind {
			case manyToMany:
				rp.pairs(rel, st, before, now)
				if rel.cascade.has(cascadeDeleteOrphan) {
					for _, t := range before {
						if !slices.Contains(now, t) {
							removed = append(removed, removal{child: t, rel: rel, owner: st})
						}
					}
				}
			case manyToOne:
				if rel.postUpdate {
					// set by an UPDATE after the inserts
					switch {
					case len(now) == 1 && (len(before) != 1 || before[0] != now[0] || st.status == Pending):
						pst := s.stateAt(now[0])
						if pst == nil {
							return nil, fmt.Errorf("orm: %s points at a %s that is not in the session: Add it", rel, rel.parent.Type.Name())
						}
						rp.post = append(rp.post, link{child: st, parent: pst, rel: rel})
					case len(now) == 0 && len(before) == 1:
						rp.post = append(rp.post, link{child: st, rel: rel})
					}
					continue
				}
				changed := st.status == Pending || !slices.Equal(before, now)
				if len(now) == 1 {
					if err := wantParent(st.ptr, now[0], rel, changed, st); err != nil {
						return nil, err
					}
				} else if len(before) == 1 {
					if err := wantParent(st.ptr, nil, rel, true, st); err != nil {
						return nil, err
					}
				}
				if len(before) == 1 && (len(now) == 0 || now[0] != before[0]) && rel.cascade.has(cascadeDeleteOrphan) {
					removed = append(removed, removal{child: before[0], rel: rel, owner: st})
				}
			default:
				for _, c := range now {
					changed := st.status == Pending || !slices.Contains(before, c)
					if err := wantParent(c, st.ptr, rel, changed, st); err != nil {
						return nil, err
					}
				}
				for _, c := range before {
					if !slices.Contains(now, c) {
						removed = append(removed, removal{child: c, rel: rel, owner: st})
					}
				}
			}
		}
	}
	// Stale memberships of moved children follow the move. A cleared
	// reference does not undo a membership held elsewhere (a merged
	// child whose Ref came in empty stays in its parent's List): the
	// reference follows the membership instead.
	for _, h := range held {
		k := fkSlot{child: h.child.ptr, fk: h.rel.fk[0]}
		w, ok := want[k]
		if !ok || w.parent == h.parent {
			continue
		}
		if w.parent == nil && h.parent != nil {
			want[k] = h.link
			if w.rel.kind == manyToOne {
				s.followMove(rp, heldLink{link: w, owner: w.child}, h.parent, u)
			}
			continue
		}
		if w.parent != nil {
			s.followMove(rp, h, w.parent, u)
		}
	}
	for _, r := range removed {
		cst := s.stateAt(r.child)
		if cst == nil || cst.status == Deleted {
			continue
		}
		if r.rel.kind == manyToOne || r.rel.kind == manyToMany {
			// a replaced parent, or a target taken out of a list, with
			// delete-orphan (the link owned it): deleted unless another
			// owner took it
			if !referencedElsewhere(s, r.child, r.rel) {
				s.markDeleted(cst)
			}
			continue
		}
		if l, ok := want[fkSlot{child: r.child, fk: r.rel.fk[0]}]; ok && l.parent != nil && l.parent != r.owner {
			continue // moved to another parent
		}
		if r.rel.cascade.has(cascadeDeleteOrphan) {
			s.markDeleted(cst)
			continue
		}
		if r.rel.passive == passiveAll {
			continue // only the database acts on the row
		}
		if !r.rel.nullable {
			return nil, fmt.Errorf("orm: a %s was removed from %s, which would set %s to NULL, but the column is NOT NULL: delete it, give it another parent, or add cascade delete-orphan",
				r.rel.child.Type.Name(), r.rel, columnList(r.rel.fk))
		}
		if err := wantParent(r.child, nil, r.rel, true, r.owner); err != nil {
			return nil, err
		}
	}
	// Pending orphans: a new object a cascade brought in, since taken out
	// of every delete-orphan collection it belongs to (and with no key of
	// a parent either), is dropped instead of inserted. One the program
	// added itself is an error before any SQL when its key is NOT NULL:
	// it cannot be inserted without a parent (SQLAlchemy's "pending
	// instance is an orphan"). With a nullable key it is a root (the top
	// of a tree), inserted with NULL: SQLAlchemy refuses those too, which
	// makes delete-orphan unusable on adjacency lists.
	for _, st := range s.states.all() {
		if st.status != Pending || len(st.m.orphanOf) == 0 {
			continue
		}
		orphan := true
		for _, rel := range st.m.orphanOf {
			if l, ok := want[fkSlot{child: st.ptr, fk: rel.fk[0]}]; (ok && l.parent != nil) || !anyZeroOrNil(rel.fk, st.ptr) {
				orphan = false
				break
			}
			if v := rel.back; v != nil && v.kind == manyToOne {
				if r := v.refAt(st.ptr); r.state != relUnloaded && r.v != nil {
					orphan = false
					break
				}
			}
		}
		switch {
		case orphan && st.cascaded:
			s.dropPending(st)
		case orphan && !st.m.orphanOf[0].nullable:
			return nil, &OrphanError{Object: st.object(), Rel: st.m.orphanOf[0].String()}
		}
	}
	// a new child whose NOT NULL key must come from a parent with a
	// generated key, and that has none, cannot be placed: say so before
	// any SQL rather than leave it to a foreign-key error
	for _, st := range s.states.all() {
		if st.status != Pending {
			continue
		}
		for _, rel := range st.m.rels {
			if rel.kind != manyToOne || rel.nullable || rel.postUpdate || !rel.ref[0].Column.AutoIncrement {
				continue
			}
			if l, ok := want[fkSlot{child: st.ptr, fk: rel.fk[0]}]; ok && l.parent != nil {
				continue
			}
			if anyZeroOrNil(rel.fk, st.ptr) {
				return nil, fmt.Errorf("orm: a new %s has no %s (%s is NOT NULL and holds no key): set %s, or add it to a parent's collection", st.m.Type.Name(), rel.parent.Type.Name(), columnList(rel.fk), rel)
			}
		}
	}
	// single_parent: one owner per object through such a relationship
	if err := s.checkSingleParents(rp); err != nil {
		return nil, err
	}
	// 3. deletes cascade
	if err := s.cascadeDeletes(ctx, rp, want, &order); err != nil {
		return nil, err
	}
	// post_update keys of rows about to be deleted, or pointing at them,
	// are cleared before the deletes
	for _, st := range s.states.all() {
		for _, rel := range st.m.rels {
			if !rel.postUpdate || st.status == Pending || anyZeroOrNil(rel.fk, st.ptr) {
				continue
			}
			target := rel.refAt(st.ptr)
			var tst *state
			if target.state != relUnloaded && target.v != nil {
				tst = s.stateAt(target.v)
			}
			if st.status == Deleted || (tst != nil && tst.status == Deleted) {
				rp.preNull = append(rp.preNull, link{child: st, rel: rel})
			}
		}
	}
	// 4. foreign keys
	for _, k := range order {
		l := want[k]
		if l.child.status == Deleted || l.child.gone {
			continue
		}
		ok, err := syncKey(l, u)
		if err != nil {
			return nil, err
		}
		if !ok {
			rp.deferred = append(rp.deferred, l)
			if l.child.status == Persistent {
				rp.movedToNew = append(rp.movedToNew, l.child)
			}
		}
		if l.parent != nil && l.parent.m == l.child.m {
			if rp.levels == nil {
				rp.levels = map[*state][]*state{}
			}
			rp.levels[l.child] = append(rp.levels[l.child], l.parent)
		}
	}
	// ordering columns
	for _, st := range s.states.all() {
		if st.status != Pending && st.status != Persistent {
			continue
		}
		for _, rel := range st.m.rels {
			if rel.ordering == nil || !known(rel, st.ptr) {
				continue
			}
			var before []unsafe.Pointer
			if rel.keepAppend && st.snap != nil && known(rel, st.snap) {
				before = targets(rel, st.snap)
			}
			f := rel.ordering
			for i, c := range rel.listAt(st.ptr).items {
				if rel.keepAppend && !slices.Contains(before, c) && !f.rv(c).IsZero() {
					continue // appended with a position of its own
				}
				v := reflect.ValueOf(int64(i + rel.countFrom)).Convert(f.Type)
				if !f.rv(c).Equal(v) {
					u.set(f, c, v)
				}
			}
		}
	}
	return rp, nil
}

// checkSingleParents refuses an object held by two live owners through a
// single_parent relationship: two references to it, a reference while
// the other side of a one-to-one still names another holder, or two
// many-to-many lists.
func (s *Session) checkSingleParents(rp *relPlan) error {
	type slot struct {
		target unsafe.Pointer
		rel    *relation
	}
	var seen map[slot]*state
	claim := func(rel *relation, owner *state, target unsafe.Pointer) error {
		if seen == nil {
			seen = map[slot]*state{}
		}
		k := slot{target, rel}
		if other := seen[k]; other != nil && other != owner {
			return &SingleParentError{Rel: rel.String(), Object: reflect.NewAt(rel.target.Type, target).Interface()}
		}
		seen[k] = owner
		return nil
	}
	for _, st := range s.states.all() {
		if st.status == Deleted {
			continue
		}
		for _, rel := range st.m.rels {
			if !rel.singleParent || rel.kind == oneToMany {
				continue
			}
			for _, t := range targets(rel, st.ptr) {
				if err := claim(rel, st, t); err != nil {
					return err
				}
				// the other side of a one-to-one names its holder
				if rel.back == nil || rel.back.kind != oneToOneRemote {
					continue
				}
				b := rel.back.refAt(t)
				if b.state == relUnloaded || b.v == nil || b.v == st.ptr {
					continue
				}
				h := s.stateAt(b.v)
				if h == nil || h.status == Deleted {
					continue
				}
				if hv := rel.refAt(h.ptr); hv.state == relUnloaded || hv.v == nil || hv.v == t {
					if err := claim(rel, h, t); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func columnList(fs []*Field) string { return strings.Join(columnNames(fs), ", ") }

// referencedElsewhere reports whether another object of the session still
// holds target through rel.
func referencedElsewhere(s *Session, target unsafe.Pointer, rel *relation) bool {
	for _, st := range s.states.all() {
		if st.m != rel.owner || st.status == Deleted {
			continue
		}
		if slices.Contains(targets(rel, st.ptr), target) {
			return true
		}
	}
	return false
}

// markDeleted marks a persistent object deleted, or forgets a pending one.
func (s *Session) markDeleted(st *state) {
	switch st.status {
	case Pending:
		s.forget(st)
	case Persistent:
		st.status = Deleted
	}
}

// syncKey copies the parent's key into the child's foreign key, or sets it
// to NULL without a parent. It reports false when the parent's key is not
// known yet (a generated key of a pending parent).
func syncKey(l link, u *undo) (bool, error) {
	rel := l.rel
	if l.parent == nil {
		for _, f := range rel.fk {
			if !f.Column.Nullable {
				return false, fmt.Errorf("orm: a %s has no parent through %s, but %s is NOT NULL", rel.child.Type.Name(), rel, f.Column.Name)
			}
			if !f.rv(l.child.ptr).IsZero() {
				u.set(f, l.child.ptr, reflect.Zero(f.Type))
			}
		}
		return true, nil
	}
	if l.parent.status == Pending {
		for _, f := range rel.ref {
			if f.Column.AutoIncrement && f.rv(l.parent.ptr).IsZero() {
				return false, nil
			}
		}
	}
	for i, f := range rel.fk {
		v, err := keyValueFor(f.Type, rel.ref[i].rv(l.parent.ptr))
		if err != nil {
			return false, fmt.Errorf("orm: %s: %w", rel, err)
		}
		if !reflect.DeepEqual(f.rv(l.child.ptr).Interface(), v.Interface()) {
			u.set(f, l.child.ptr, v)
		}
	}
	return true, nil
}

var scannerIface = reflect.TypeFor[sql.Scanner]()

// keyValueFor converts a parent's key value to the type of the child's
// foreign-key field: the same type, a pointer to it, a convertible type,
// or a sql.Scanner (sql.NullInt64 and the like).
func keyValueFor(t reflect.Type, v reflect.Value) (reflect.Value, error) {
	switch {
	case v.Type() == t:
		return v, nil
	case t.Kind() == reflect.Pointer && v.Type().ConvertibleTo(t.Elem()):
		p := reflect.New(t.Elem())
		p.Elem().Set(v.Convert(t.Elem()))
		return p, nil
	case reflect.PointerTo(t).Implements(scannerIface):
		p := reflect.New(t)
		if err := p.Interface().(sql.Scanner).Scan(v.Interface()); err != nil {
			return reflect.Value{}, err
		}
		return p.Elem(), nil
	case v.Type().ConvertibleTo(t):
		return v.Convert(t), nil
	}
	return reflect.Value{}, fmt.Errorf("key of type %s does not fit a field of type %s", v.Type(), t)
}

// syncDeferred copies the keys of parents inserted since.
func (rp *relPlan) syncDeferred(u *undo) error {
	out := rp.deferred[:0]
	for _, l := range rp.deferred {
		ok, err := syncKey(l, u)
		if err != nil {
			return err
		}
		if !ok {
			out = append(out, l)
		}
	}
	rp.deferred = out
	return nil
}

// cascadeDeletes follows delete cascades from every deleted object.
func (s *Session) cascadeDeletes(ctx context.Context, rp *relPlan, want map[fkSlot]link, order *[]fkSlot) error {
	var work []*state
	seen := map[*state]bool{}
	for _, st := range s.states.all() {
		if st.status == Deleted {
			work = append(work, st)
		}
	}
	// children in the session by foreign-key value, per relationship
	byFK := map[*relation]map[any][]*state{}
	childrenOf := func(rel *relation, parent *state) []*state {
		idx := byFK[rel]
		if idx == nil {
			idx = map[any][]*state{}
			for _, c := range s.states.all() {
				if c.m == rel.child && c.status != Pending {
					k := fieldsKey(rel.fk, c.ptr)
					idx[k] = append(idx[k], c)
				}
			}
			byFK[rel] = idx
		}
		return idx[fieldsKey(rel.ref, parent.ptr)]
	}
	// moved reports whether a child of a deleted parent has been given
	// another parent: neither the delete cascade nor nulling reach it.
	moved := func(c *state, rel *relation, parent *state) bool {
		l, ok := want[fkSlot{child: c.ptr, fk: rel.fk[0]}]
		return ok && l.parent != nil && l.parent != parent
	}
	nullChild := func(c *state, rel *relation, parent *state) error {
		if l, ok := want[fkSlot{child: c.ptr, fk: rel.fk[0]}]; ok && l.parent != nil && l.parent != parent {
			return nil // moved
		}
		if !rel.nullable {
			return fmt.Errorf("orm: deleting a %s would set %s of its %s to NULL, but the column is NOT NULL: cascade the delete (cascade:all), delete the children, or move them",
				rel.parent.Type.Name(), columnList(rel.fk), rel.child.Type.Name())
		}
		k := fkSlot{child: c.ptr, fk: rel.fk[0]}
		if _, ok := want[k]; !ok {
			*order = append(*order, k)
		}
		want[k] = link{child: c, rel: rel}
		return nil
	}
	for len(work) > 0 {
		// one level: group the unloaded relationships to read by relation
		type pending struct {
			rel     *relation
			parents []*state
		}
		var reads []pending
		var next []*state
		for _, st := range work {
			if seen[st] {
				continue
			}
			seen[st] = true
			for _, rel := range st.m.rels {
				if rel.ownerIsChild() {
					if !rel.cascade.has(cascadeDelete) {
						continue
					}
					// deleting the child deletes its parent (an association
					// object owning its item)
					var pst *state
					if v := rel.refAt(st.ptr); v.state != relUnloaded {
						if v.v != nil {
							pst = s.stateAt(v.v)
						}
					} else if !st.gone && sameFields(rel.ref, rel.parent.PK) && !anyZeroOrNil(rel.fk, st.ptr) {
						var err error
						if pst, err = s.ghostByKey(rp, rel, st); err != nil {
							return err
						}
					} else if v.state == relUnloaded {
						return fmt.Errorf("orm: deleting a %s cascades to %s, which is not loaded and not keyed by the parent's primary key: load it first", st.m.Type.Name(), rel)
					}
					if pst != nil && pst.status != Deleted {
						s.markDeleted(pst)
						next = append(next, pst)
					}
					continue
				}
				if rel.passive == passiveAll {
					continue
				}
				if rel.kind == manyToMany {
					// With a delete cascade (single_parent makes it safe: no
					// other owner shares the targets) the targets go too,
					// read first when not loaded.
					if rel.cascade.has(cascadeDelete) && !st.gone && st.status != Pending && (!known(rel, st.ptr) || st.ghost) {
						if _, err := s.begin(ctx); err != nil {
							return err
						}
						if err := s.loadRel(ctx, rel, []*state{st}); err != nil {
							return err
						}
					}
					if rel.cascade.has(cascadeDelete) && known(rel, st.ptr) {
						for _, p := range targets(rel, st.ptr) {
							if c := s.stateAt(p); c != nil && c.status != Deleted {
								s.markDeleted(c)
								next = append(next, c)
							}
						}
					}
					// its pairs go with it
					if known(rel, st.ptr) && !st.ghost {
						var before []unsafe.Pointer
						if st.snap != nil && known(rel, st.snap) {
							before = targets(rel, st.snap)
						}
						rp.pairs(rel, st, before, nil)
					} else if st.status != Pending && !st.gone {
						rp.dropAll = append(rp.dropAll, link{parent: st, rel: rel})
					}
					continue
				}
				var kids []*state
				loaded := known(rel, st.ptr) && !st.ghost
				if loaded {
					for _, p := range targets(rel, st.ptr) {
						if c := s.stateAt(p); c != nil {
							kids = append(kids, c)
						}
					}
					// Children taken out before the delete are orphans, not
					// members: the cascade does not reach them.
					if st.snap != nil && known(rel, st.snap) {
						for _, p := range targets(rel, st.snap) {
							if c := s.stateAt(p); c != nil && !slices.Contains(kids, c) && c.status != Deleted {
								if moved(c, rel, st) {
									continue
								}
								if rel.cascade.has(cascadeDeleteOrphan) {
									s.markDeleted(c)
									next = append(next, c)
									continue
								}
								if err := nullChild(c, rel, st); err != nil {
									return err
								}
							}
						}
					}
				} else {
					kids = childrenOf(rel, st)
				}
				for _, c := range kids {
					if c.status == Deleted || moved(c, rel, st) {
						continue
					}
					switch {
					case rel.cascade.has(cascadeDelete) && !loaded && rel.passive == passiveUnloaded:
						c.gone = true // the database deletes it
						c.status = Deleted
						rp.gone = append(rp.gone, c)
						next = append(next, c)
					case rel.cascade.has(cascadeDelete):
						s.markDeleted(c)
						next = append(next, c)
					case !loaded && rel.passive == passiveUnloaded:
						// the database decides (SET NULL or refuse)
					default:
						if err := nullChild(c, rel, st); err != nil {
							return err
						}
					}
				}
				if !loaded && rel.passive == passiveNone && !st.gone && st.status != Pending {
					if rel.cascade.has(cascadeDelete) || rel.nullable {
						reads = append(reads, pending{rel: rel})
						reads[len(reads)-1].parents = append(reads[len(reads)-1].parents, st)
					}
				}
			}
		}
		// unloaded children not in the session: read their keys, one
		// SELECT per relationship for the whole level
		merged := map[*relation][]*state{}
		var rels []*relation
		for _, r := range reads {
			if merged[r.rel] == nil {
				rels = append(rels, r.rel)
			}
			merged[r.rel] = append(merged[r.rel], r.parents...)
		}
		for _, rel := range rels {
			found, err := s.readChildren(ctx, rp, rel, merged[rel])
			if err != nil {
				return err
			}
			for _, c := range found {
				if c.status == Deleted {
					continue
				}
				if rel.cascade.has(cascadeDelete) {
					s.markDeleted(c)
					next = append(next, c)
					continue
				}
				// a ghost here is a row to set to NULL, for this flush only
				if err := nullChild(c, rel, nil); err != nil {
					return err
				}
			}
		}
		work = next
	}
	return nil
}

func sameFields(a, b []*Field) bool { return slices.Equal(a, b) }

func anyZeroOrNil(fs []*Field, ptr unsafe.Pointer) bool {
	for _, f := range fs {
		if f.rv(ptr).IsZero() {
			return true
		}
	}
	return false
}

// ghostByKey returns the state of rel's parent keyed by the child's
// foreign key: the session's object if it has one, otherwise a ghost (an
// untracked object holding the key alone, deleted with the flush).
func (s *Session) ghostByKey(rp *relPlan, rel *relation, child *state) (*state, error) {
	obj := reflect.New(rel.parent.Type).UnsafePointer()
	for i, f := range rel.ref {
		src := rel.fk[i].rv(child.ptr)
		for src.Kind() == reflect.Pointer {
			src = src.Elem()
		}
		v, err := keyValueFor(f.Type, src)
		if err != nil {
			return nil, err
		}
		f.rv(obj).Set(v)
	}
	k := keyOf(rel.parent, obj)
	if st := s.lookup(rel.parent, k); st != nil {
		return st, nil
	}
	return rp.ghost(rel.parent, obj, k), nil
}

// ghost returns the ghost for a row, made once per flush.
func (rp *relPlan) ghost(m *Mapper, obj unsafe.Pointer, k any) *state {
	ik := identityKey{m, k}
	if st := rp.ghostIdx[ik]; st != nil {
		return st
	}
	if rp.ghostIdx == nil {
		rp.ghostIdx = map[identityKey]*state{}
	}
	st := &state{m: m, ptr: obj, status: Persistent, key: k, ghost: true}
	bind(st, m.rels, true)
	rp.ghostIdx[ik] = st
	rp.ghosts = append(rp.ghosts, st)
	return st
}

// readChildren reads the rows of rel's children of the given parents: the
// session's objects for rows it holds, ghosts for the others.
func (s *Session) readChildren(ctx context.Context, rp *relPlan, rel *relation, parents []*state) ([]*state, error) {
	ex, err := s.begin(ctx) // read inside the flush's transaction
	if err != nil {
		return nil, err
	}
	m := rel.child
	tr := expr.T(m.Table.Name)
	var out []*state
	for _, chunk := range chunks(parents, maxBatchRows) {
		where := keysIn(tr, columnNames(rel.fk), rel.ref, chunk)
		rows, err := queryObjects(ctx, ex, m, expr.Select(columnsOf(tr, m.Fields)...).From(tr).Where(where))
		if err != nil {
			return nil, err
		}
		for _, obj := range rows {
			k := keyOf(m, obj)
			if st := s.lookup(m, k); st != nil {
				out = append(out, st)
				continue
			}
			st := rp.ghost(m, obj, k)
			if st.snap == nil {
				st.snap = m.snapshot(obj)
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// queryObjects runs a SELECT of every mapped column of m and returns new,
// untracked objects.
func queryObjects(ctx context.Context, ex engine.Executor, m *Mapper, q expr.Statement) ([]unsafe.Pointer, error) {
	rs, err := engine.QueryStmt(ctx, ex, q)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []unsafe.Pointer
	dest := make([]any, len(m.Fields))
	for rs.Next() {
		obj := reflect.New(m.Type).UnsafePointer()
		for i, f := range m.Fields {
			dest[i] = f.ptrAt(obj)
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, rs.Err()
}

// OrphanError reports a pending object the program added that belongs to
// no parent through a delete-orphan relationship: it would be inserted
// as a child nobody owns. The flush writes nothing.
type OrphanError struct {
	Object any    // the pending object
	Rel    string // the delete-orphan relationship, Type.Field
}

func (e *OrphanError) Error() string {
	return fmt.Sprintf("orm: a new %T is an orphan: no object holds it through %s (delete-orphan); add it to one, or Expunge it", e.Object, e.Rel)
}

// SingleParentError reports an object given a second parent through a
// relationship declared single_parent.
type SingleParentError struct {
	Rel    string // the relationship, Type.Field
	Object any    // the object with two parents
}

func (e *SingleParentError) Error() string {
	return fmt.Sprintf("orm: %s is single_parent, but a %T is held by two objects through it", e.Rel, e.Object)
}

// pair is a row of a secondary table: a is the primary side's owner.
type pair struct {
	rel  *relation // the primary side
	a, b unsafe.Pointer
}

type pairKey struct {
	pair
	add bool
}

// pairs records the pairs of a many-to-many relationship added and removed
// since the snapshot, seen from either side.
func (rp *relPlan) pairs(rel *relation, owner *state, before, now []unsafe.Pointer) {
	record := func(t unsafe.Pointer, add bool) {
		p := pair{rel: rel, a: owner.ptr, b: t}
		if !rel.primary && rel.back != nil {
			p = pair{rel: rel.back, a: t, b: owner.ptr}
		}
		k := pairKey{p, add}
		if rp.pairSeen[k] {
			return
		}
		if rp.pairSeen == nil {
			rp.pairSeen = map[pairKey]bool{}
		}
		rp.pairSeen[k] = true
		if add {
			rp.pairAdd = append(rp.pairAdd, p)
		} else {
			rp.pairDel = append(rp.pairDel, p)
		}
	}
	for _, t := range now {
		if !slices.Contains(before, t) {
			record(t, true)
		}
	}
	for _, t := range before {
		if !slices.Contains(now, t) {
			record(t, false)
		}
	}
}

// pairSteps plans the secondary tables' writes: removed pairs (and every
// pair of deleted owners whose list was not loaded) first, then new pairs.
// They run after the inserts, so generated keys are known, and before the
// deletes of either side.
func pairSteps(rp *relPlan) []step {
	var out []step
	byRel := func(list []pair) ([]*relation, map[*relation][]pair) {
		var order []*relation
		m := map[*relation][]pair{}
		for _, p := range list {
			if m[p.rel] == nil {
				order = append(order, p.rel)
			}
			m[p.rel] = append(m[p.rel], p)
		}
		return order, m
	}
	for _, l := range rp.dropAll {
		l := l
		out = append(out, step{stmts: 1, run: func(ctx context.Context, ex engine.Executor, _ *undo) error {
			rel := l.rel
			tr := expr.T(rel.secondary.Name)
			var ands []expr.Expr
			for i, c := range rel.secLocal {
				ands = append(ands, expr.Eq(tr.C(c), rel.ownerRef[i].valueAt(l.parent.ptr)))
			}
			_, err := engine.ExecStmt(ctx, ex, expr.Delete(tr).Where(ands...))
			return err
		}})
	}
	rels, del := byRel(rp.pairDel)
	for _, rel := range rels {
		for _, chunk := range chunks(del[rel], maxBatchRows) {
			rel, chunk := rel, chunk
			out = append(out, step{stmts: 1, run: func(ctx context.Context, ex engine.Executor, _ *undo) error {
				tr := expr.T(rel.secondary.Name)
				ors := make([]expr.Expr, len(chunk))
				for i, p := range chunk {
					var ands []expr.Expr
					for j, c := range rel.secLocal {
						ands = append(ands, expr.Eq(tr.C(c), rel.ownerRef[j].valueAt(p.a)))
					}
					for j, c := range rel.secRemote {
						ands = append(ands, expr.Eq(tr.C(c), rel.targetRef[j].valueAt(p.b)))
					}
					ors[i] = expr.And(ands...)
				}
				_, err := engine.ExecStmt(ctx, ex, expr.Delete(tr).Where(expr.Or(ors...)))
				return err
			}})
		}
	}
	rels, add := byRel(rp.pairAdd)
	for _, rel := range rels {
		for _, chunk := range chunks(add[rel], maxBatchRows) {
			rel, chunk := rel, chunk
			out = append(out, step{stmts: 1, run: func(ctx context.Context, ex engine.Executor, _ *undo) error {
				ins := expr.Insert(expr.T(rel.secondary.Name)).Columns(append(slices.Clone(rel.secLocal), rel.secRemote...)...)
				for _, p := range chunk {
					var vals []any
					for _, f := range rel.ownerRef {
						vals = append(vals, f.valueAt(p.a))
					}
					for _, f := range rel.targetRef {
						vals = append(vals, f.valueAt(p.b))
					}
					ins.Values(vals...)
				}
				_, err := engine.ExecStmt(ctx, ex, ins)
				return err
			}})
		}
	}
	return out
}

// postSteps sets post_update keys once the inserts have run: one UPDATE
// per relationship (a keyed multi-row UPDATE for several rows).
func postSteps(rp *relPlan) []step {
	byRel := map[*relation][]link{}
	var rels []*relation
	for _, l := range rp.post {
		if l.child.status == Deleted {
			continue
		}
		if byRel[l.rel] == nil {
			rels = append(rels, l.rel)
		}
		byRel[l.rel] = append(byRel[l.rel], l)
	}
	var out []step
	for _, rel := range rels {
		links := byRel[rel]
		out = append(out, step{stmts: 1, checked: len(links) > 1, run: func(ctx context.Context, ex engine.Executor, u *undo) error {
			return postUpdate(ctx, ex, rel, links, u)
		}})
	}
	return out
}

// postUpdate sets (or clears) the post_update keys of links' rows: one
// UPDATE, keyed and multi-row for several. It is an UPDATE like any other:
// it runs the onupdate rules, checks the version the row holds now (after
// this flush's own UPDATE of it, if any) and bumps it, and reads back
// server-onupdate columns.
func postUpdate(ctx context.Context, ex engine.Executor, rel *relation, links []link, u *undo) error {
	m := rel.child
	set := slices.Clone(rel.fk)
	for _, f := range m.Fields {
		if f.OnUpdate != nil && !slices.Contains(set, f) {
			set = append(set, f)
		}
	}
	rows := make([]updateRow, len(links))
	for j, l := range links {
		ptr := l.child.ptr
		for i, f := range rel.fk {
			if l.parent == nil {
				u.set(f, ptr, reflect.Zero(f.Type))
				continue
			}
			v, err := keyValueFor(f.Type, rel.ref[i].rv(l.parent.ptr))
			if err != nil {
				return err
			}
			u.set(f, ptr, v)
		}
		for _, f := range set[len(rel.fk):] {
			u.set(f, ptr, reflect.ValueOf(f.OnUpdate()).Convert(f.Type))
		}
		rows[j] = updateRow{st: l.child, set: set}
		if v := m.Version; v != nil && m.appVersion {
			rows[j].old = v.rv(ptr).Interface() // matched, not bumped
		} else if v != nil {
			cur := v.rv(ptr)
			rows[j].old = cur.Interface()
			next := reflect.New(v.Type).Elem()
			if cur.CanInt() {
				next.SetInt(cur.Int() + 1)
			} else {
				next.SetUint(cur.Uint() + 1)
			}
			u.set(v, ptr, next)
		}
	}
	if m.Version != nil && !m.appVersion {
		set = append(set, m.Version)
	}
	tr := expr.T(m.Table.Name)
	var stmt expr.Statement
	if len(rows) == 1 {
		up := expr.Update(tr)
		ptr := rows[0].st.ptr
		for _, f := range set {
			up.Set(f.Column.Name, f.valueAt(ptr))
		}
		for _, f := range m.PK {
			up.Where(expr.Eq(tr.C(f.Column.Name), f.valueAt(ptr)))
		}
		if m.Version != nil {
			up.Where(expr.Eq(tr.C(m.Version.Column.Name), rows[0].old))
		}
		stmt = up
	} else {
		var match []*Field
		if m.Version != nil {
			match = []*Field{m.Version}
		}
		ur := keyedUpdate(m, set, match)
		for _, r := range rows {
			vals := keyValues(m, r.st.ptr)
			for _, f := range set {
				vals = append(vals, f.valueAt(r.st.ptr))
			}
			if m.Version != nil {
				vals = append(vals, r.old)
			}
			ur.Row(vals...)
		}
		stmt = ur
	}
	res, err := engine.ExecStmt(ctx, ex, stmt)
	if err != nil {
		return err
	}
	if res.RowsAffected != int64(len(rows)) {
		return newStaleBatch("UPDATE", m, rows)
	}
	if back := serverOnUpdateFields(m); len(back) > 0 {
		states := make([]*state, len(rows))
		for i, r := range rows {
			states[i] = r.st
		}
		return selectBack(ctx, ex, m, back, states, u)
	}
	return nil
}

// preNullSteps clears post_update keys before the deletes.
func preNullSteps(rp *relPlan) []step {
	var out []step
	for _, l := range rp.preNull {
		out = append(out, step{stmts: 1, run: func(ctx context.Context, ex engine.Executor, u *undo) error {
			m, rel := l.child.m, l.rel
			tr := expr.T(m.Table.Name)
			up := expr.Update(tr)
			for _, f := range rel.fk {
				up.Set(f.Column.Name, nil)
			}
			for _, f := range m.PK {
				up.Where(expr.Eq(tr.C(f.Column.Name), f.valueAt(l.child.ptr)))
			}
			if _, err := engine.ExecStmt(ctx, ex, up); err != nil {
				return err
			}
			if l.child.status != Deleted {
				for _, f := range rel.fk {
					u.set(f, l.child.ptr, reflect.Zero(f.Type))
				}
			}
			return nil
		}})
	}
	return out
}
