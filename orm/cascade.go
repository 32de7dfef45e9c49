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
		if rel.isList() {
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
	if rel.isList() {
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
	if rel.isList() {
		return rel.listAt(ptr).state != relUnloaded
	}
	return rel.refAt(ptr).state != relUnloaded
}

// cascadeAdd binds st and makes the transient objects reachable from it
// through save-update relationships pending.
func (s *Session) cascadeAdd(st *state) error { return s.cascadeAddSkipping(st, nil) }

// cascadeAddSkipping is cascadeAdd leaving out the relationships of st
// (not of the objects it reaches) that skip says hold nothing new.
func (s *Session) cascadeAddSkipping(st *state, skip func(*relation) bool) error {
	// breadth first, in list order: objects are added (and inserted) in
	// the order the program built them
	var buf [16]*state // a parent and its children, usually: no allocation
	work := append(buf[:0], st)
	for i := 0; i < len(work); i++ {
		cur := work[i]
		rels, err := s.f.reg.relsOf(cur.m)
		if err != nil {
			return err
		}
		if len(rels) == 0 {
			continue
		}
		bind(cur, rels, false)
		for _, rel := range rels {
			if !rel.cascade.has(cascadeSaveUpdate) || (i == 0 && skip != nil && skip(rel)) {
				continue
			}
			for _, p := range targets(rel, cur.ptr) {
				if s.stateAt(p) != nil {
					continue
				}
				if d := s.detached[p]; d != nil {
					return fmt.Errorf("orm: %s reaches a detached %s through %s: Add or Merge it first", cur.m.Type.Name(), rel.target.Type.Name(), rel)
				}
				nst := s.newState()
				*nst = state{m: rel.target, ptr: p, status: Pending, cascaded: true}
				s.states.add(p, nst) // not held: looked up above
				s.order = append(s.order, nst)
				work = append(work, nst)
			}
		}
	}
	return nil
}

// relPlan is what prepareRelations found for one flush.
type relPlan struct {
	// the claims' number, and states.removed when they began
	token uint32
	// noRels: no object of the session has a relationship, so nothing
	// below was planned (prepareRelations returned at once); beside token,
	// in its padding (the Session holds a relPlan, and its size class)
	noRels          bool
	removedAtClaims uint64

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
	first       []action
	afterUpdate map[*Mapper][]action
	// before a mapper's UPDATEs: rows letting go of a key that changes
	beforeUpdate map[*Mapper][]action
	rekey        []*state
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
			if f.Column.AutoIncrement && isZero(f, l.parent.ptr) {
				return false, nil
			}
		}
	}
	for i, f := range rel.fk {
		ref := rel.ref[i]
		if ref.Type == f.Type {
			// the usual case: compared and copied without boxing
			if !f.eq(unsafe.Add(l.child.ptr, f.offset), unsafe.Add(l.parent.ptr, ref.offset)) {
				u.set(f, l.child.ptr, ref.rv(l.parent.ptr))
			}
			continue
		}
		v, err := keyValueFor(f.Type, ref.rv(l.parent.ptr))
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

func sameFields(a, b []*Field) bool { return slices.Equal(a, b) }

func anyZeroOrNil(fs []*Field, ptr unsafe.Pointer) bool {
	for _, f := range fs {
		if isZero(f, ptr) {
			return true
		}
	}
	return false
}

// parentProbe returns a new parent object holding, in rel's referenced
// fields, the foreign key values of the child object at src, and its
// identity key.
func parentProbe(rel *relation, src unsafe.Pointer) (unsafe.Pointer, any, error) {
	obj := reflect.New(rel.parent.Type).UnsafePointer()
	for i, f := range rel.ref {
		v := rel.fk[i].rv(src)
		for v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		kv, err := keyValueFor(f.Type, v)
		if err != nil {
			return nil, nil, err
		}
		f.rv(obj).Set(kv)
	}
	return obj, keyOf(rel.parent, obj), nil
}

// heldParent returns the session's parent of the child object at src
// through rel, by the foreign key it holds (rel must reference the
// parent's primary key), or nil.
func (s *Session) heldParent(rel *relation, src unsafe.Pointer) *state {
	if !sameFields(rel.ref, rel.parent.PK) || anyZeroOrNil(rel.fk, src) {
		return nil
	}
	_, k, err := parentProbe(rel, src)
	if err != nil {
		return nil
	}
	return s.lookup(rel.parent, k)
}

// ghostByKey returns the state of rel's parent keyed by the child's
// foreign key: the session's object if it has one, otherwise a ghost (an
// untracked object holding the key alone, deleted with the flush).
func (s *Session) ghostByKey(ctx context.Context, rp *relPlan, rel *relation, child *state) (*state, error) {
	obj, k, err := parentProbe(rel, child.ptr)
	if err != nil {
		return nil, err
	}
	if st := s.lookup(rel.parent, k); st != nil {
		return st, nil
	}
	if ik := (identityKey{rel.parent, k}); rp.ghostIdx[ik] != nil {
		return rp.ghostIdx[ik], nil
	}
	// The key is enough to delete the row, unless its DELETE must match a
	// version or the cascade goes on through its own foreign keys: then
	// the whole row is read, in the flush's transaction.
	m := rel.parent
	needRow := m.Version != nil
	for _, r := range m.rels {
		if r.kind == manyToOne && r.cascade.has(cascadeDelete) {
			needRow = true
		}
	}
	if !needRow {
		return rp.ghost(m, obj, k), nil
	}
	ex, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	tr := tref(m.Table)
	rows, err := queryObjects(ctx, ex, m, expr.Select(columnsOf(tr, m.Fields)...).From(tr).Where(keysIn(tr, columnNames(m.PK), m.PK, []*state{{m: m, ptr: obj}})))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil // gone already: nothing to cascade to
	}
	st := rp.ghost(m, rows[0], k)
	if st.snap == nil {
		st.snap = m.snapshot(rows[0])
	}
	return st, nil
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
	tr := tref(m.Table)
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
