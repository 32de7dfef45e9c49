package orm

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"unsafe"
)

// What a flush does with relationships, before it plans statements, in
// phases over one relPlanner:
//
//  1. save-update: objects reachable from the session's objects through
//     relationships with save-update become pending;
//  2. every known Ref and List says, through its relationship's
//     dependency processor (deps.go), which parent each child wants and
//     which children were taken out; memberships unchanged since the last
//     flush follow a child that moved; children taken out are orphans:
//     deleted with delete-orphan, their key set to NULL without (an error
//     before any SQL when the column is NOT NULL), left alone when they
//     moved to another parent; pending orphans are dropped or refused;
//     single_parent is checked;
//  3. deletes cascade level by level: loaded children of a deleted parent
//     are deleted (delete) or have their key set to NULL; unloaded ones
//     are left to the database with passive_deletes, otherwise their keys
//     are read (one SELECT per relationship and level);
//  4. foreign keys are set from the parents' keys; a parent still to be
//     inserted with a generated key gives its children their key when its
//     INSERT has run (the key copy before each action of the plan);
//  5. ordering columns follow the lists.

// relPlanner is one flush's relationship work, shared by the phases.
type relPlanner struct {
	s       *Session
	rp      *relPlan
	u       *undo
	want    linkTable         // the parent each child's foreign key gets, in claim order
	removed []removal         // targets taken out of a relationship
	byFK    []fkIndex         // the session's children by foreign-key value, per relationship (few: a slice)
	refBuf  [2]unsafe.Pointer // targets of a Ref, before and now, without an allocation per object
	level   deleteLevel       // the delete cascade's current level
	clean   bool              // the last flush's claims vouch for this one (see vouched)
}

// targetsOf is targets for the claims: a Ref's target comes back in the
// planner's buffer i (0: before, 1: now), valid until the next call.
func (p *relPlanner) targetsOf(rel *relation, ptr unsafe.Pointer, i int) []unsafe.Pointer {
	if rel.isList() {
		return targets(rel, ptr)
	}
	v := rel.refAt(ptr)
	if v.state == relUnloaded || v.v == nil {
		return nil
	}
	p.refBuf[i] = v.v
	return p.refBuf[i : i+1 : i+1]
}

// markDeleted marks an object a cascade reaches deleted (or forgets a
// pending one), undone if the flush fails: a failed flush leaves every
// object in the state it had.
func (p *relPlanner) markDeleted(st *state) {
	s := p.s
	switch st.status {
	case Persistent:
		p.u.fn(func() { st.status = Persistent })
		st.status = Deleted
	case Pending:
		i := slices.Index(s.order, st)
		p.u.fn(func() {
			s.putState(st)
			if i >= 0 && i <= len(s.order) {
				s.order = slices.Insert(s.order, i, st)
			}
		})
		s.forget(st)
	}
}

// markGone marks a child the database deletes by itself (passive
// deletes): no SQL for it, detached after the flush.
func (p *relPlanner) markGone(st *state) {
	old := st.status
	p.u.fn(func() { st.status, st.gone = old, false })
	st.gone, st.status = true, Deleted
	p.rp.gone = append(p.rp.gone, st)
}

// plannerPool keeps planners (and their maps) between flushes: a flush
// with relationships allocates none in the steady state.
var plannerPool = sync.Pool{New: func() any { return new(relPlanner) }}

// release clears the planner of everything it refers to and pools it.
func (p *relPlanner) release() {
	p.want.reset()
	want := p.want
	clear(p.byFK)
	clear(p.removed)
	clear(p.level.next)
	for i := range p.level.reads {
		p.level.reads[i] = levelRead{}
	}
	*p = relPlanner{
		want:    want,
		removed: p.removed[:0],
		byFK:    p.byFK[:0],
		level:   deleteLevel{reads: p.level.reads[:0]},
	}
	plannerPool.Put(p)
}

// removal is a target taken out of an owner's relationship.
type removal struct {
	child unsafe.Pointer
	rel   *relation
	owner *state
}

func (s *Session) prepareRelations(ctx context.Context, u *undo) (*relPlan, error) {
	rp := &s.scratch().rp
	*rp = relPlan{}
	hasRels := false
	var last *Mapper
	for _, st := range s.states.all() {
		if st.m == last {
			continue
		}
		last = st.m
		rels, err := s.f.reg.relsOf(st.m)
		if err != nil {
			return nil, err
		}
		if len(rels) > 0 {
			// the rest are resolved by save-update, which looks at
			// every object's relationships
			hasRels = true
			break
		}
	}
	if !hasRels {
		rp.noRels = true
		return rp, nil
	}
	p := plannerPool.Get().(*relPlanner)
	defer p.release()
	p.s, p.rp, p.u = s, rp, u
	p.clean = s.verified != 0 && s.states.removed == s.cleanAt
	if s.claimToken++; s.claimToken == 0 {
		s.claimToken = 1 // 0 is no claims
	}
	rp.token = s.claimToken
	if err := p.saveUpdate(); err != nil {
		return nil, err
	}
	// about one link per new child; changes to persistent objects add
	// few
	p.want.reserve(len(s.order))
	if err := p.claims(); err != nil {
		return nil, err
	}
	if err := p.orphans(); err != nil {
		return nil, err
	}
	if err := p.pendingOrphans(); err != nil {
		return nil, err
	}
	if err := s.checkSingleParents(rp); err != nil {
		return nil, err
	}
	if err := p.cascadeDeletes(ctx); err != nil {
		return nil, err
	}
	p.clearCycleLinks()
	if err := p.foreignKeys(); err != nil {
		return nil, err
	}
	p.orderingColumns()
	return rp, nil
}

// saveUpdate is phase 1.
func (p *relPlanner) saveUpdate() error {
	roots := make([]*state, 0, p.s.states.len())
	for _, st := range p.s.states.all() {
		if st.status == Pending || st.status == Persistent {
			roots = append(roots, st)
		}
	}
	for _, st := range roots {
		var skip func(*relation) bool
		if p.vouched(st) {
			skip = func(rel *relation) bool { return p.unchanged(rel, st) }
		}
		if err := p.s.cascadeAddSkipping(st, skip); err != nil {
			return err
		}
	}
	return nil
}

// verifyShortcuts makes a flush check its shortcuts (relationships passed
// over, deleted objects unlinked without a walk, objects indexed without
// a look-up) against the work they save, and panic if one was wrong (set
// by the package's tests).
var verifyShortcuts = false

// vouched reports whether the last successful flush's claims found every
// target of st's relationships in the session, and nothing has left the
// session since but the objects that flush deleted (and unlinked). A
// relationship of st that holds what its snapshot holds then needs no
// look at its targets: each is in the session, none is new.
func (p *relPlanner) vouched(st *state) bool {
	return p.clean && st.status == Persistent && st.snap != nil && st.checked == p.s.verified
}

// unchanged reports whether st's relationship, known, holds what its
// known snapshot holds: the same array of the same length, or the same
// target (nothing writes into an array a snapshot shares; see
// appendInPlace).
func (p *relPlanner) unchanged(rel *relation, st *state) bool {
	var same bool
	if rel.isList() {
		a, b := rel.listAt(st.ptr), rel.listAt(st.snap)
		same = a.state != relUnloaded && b.state != relUnloaded &&
			len(a.items) == len(b.items) && unsafe.SliceData(a.items) == unsafe.SliceData(b.items)
	} else {
		a, b := rel.refAt(st.ptr), rel.refAt(st.snap)
		same = a.state != relUnloaded && b.state != relUnloaded && a.v == b.v
	}
	if same && verifyShortcuts {
		for _, t := range targets(rel, st.ptr) {
			if p.s.stateAt(t) == nil {
				panic(fmt.Sprintf("orm: a flush skipped %s of a %s, which holds an object not in the session", rel, st.m.Type.Name()))
			}
		}
	}
	return same
}

// claims is phase 2's first part. A child's parent is decided by what
// changed since the last flush (SQLAlchemy syncs keys from attribute
// history alike): a membership or reference the program made (or any of
// a pending object) is a claim; one that was already there is stale when
// a claim gives the child another parent, and is then made to agree in
// memory (the child leaves the old parent's List, its Ref follows), so
// that no later flush or cascade sees it twice.
func (p *relPlanner) claims() error {
	p.rp.removedAtClaims = p.s.states.removed
	for _, st := range p.s.states.all() {
		if st.status != Pending && st.status != Persistent {
			continue
		}
		vouched := p.vouched(st)
		all := true // every relationship its snapshot knows is looked at
		for _, rel := range st.m.rels {
			if !known(rel, st.ptr) {
				all = all && (st.snap == nil || !known(rel, st.snap))
				continue
			}
			if vouched && p.unchanged(rel, st) {
				continue // saves would find nothing to do
			}
			var before []unsafe.Pointer
			if st.snap != nil && known(rel, st.snap) {
				before = p.targetsOf(rel, st.snap, 0)
			}
			now := p.targetsOf(rel, st.ptr, 1)
			if !slices.Equal(before, now) && st.status == Persistent {
				p.rp.touched = append(p.rp.touched, st)
			}
			if err := rel.dep.saves(p, st, before, now); err != nil {
				return err
			}
			if all && (rel.kind == manyToMany || rel.postUpdate) {
				// their saves look at new targets only; the stamp
				// speaks for all of them
				for _, t := range now {
					if p.s.stateAt(t) == nil {
						all = false
						break
					}
				}
			}
		}
		st.checked = 0
		if all {
			st.checked = p.rp.token
		}
	}
	p.followMoves()
	return nil
}

// followMoves makes the memberships a moved child leaves behind agree with
// its new parent: the old parent's List (found by the key the child's row
// holds) loses it, the child's Ref follows. Only children with a claim
// are visited, so a flush over many unchanged objects pays nothing. A
// cleared reference does not undo a membership held elsewhere (a merged
// child whose Ref came in empty stays in its parent's List): the
// reference follows the membership instead.
func (p *relPlanner) followMoves() {
	for i, n := 0, p.want.len(); i < n; i++ { // links claimed here are not visited
		w := p.want.links[i]
		c, rel := w.child, w.rel
		childSide, parentSide := rel, rel.back // the child's Ref, the parent's List or Ref
		if rel.kind != manyToOne {
			childSide, parentSide = rel.back, rel
		}
		if w.parent == nil {
			// a removal: the old parent may still hold the child
			if childSide == nil || parentSide == nil || rel.kind != manyToOne {
				continue
			}
			if op := p.oldParent(c, parentSide); op != nil && p.heldAlong(parentSide, op, c) {
				p.want.links[i] = link{child: c, parent: op, rel: parentSide}
				p.s.followMove(p.rp, heldLink{link: w, owner: c}, op, p.u)
			}
			continue
		}
		if childSide != nil && rel != childSide {
			if v := childSide.refAt(c.ptr); v.state != relUnloaded && v.v != nil && v.v != w.parent.ptr {
				p.s.followMove(p.rp, heldLink{link: link{child: c, rel: childSide}, owner: c}, w.parent, p.u)
			}
		}
		if parentSide != nil {
			if op := p.oldParent(c, parentSide); op != nil && op != w.parent && slices.Contains(targets(parentSide, op.ptr), c.ptr) {
				p.s.followMove(p.rp, heldLink{link: link{child: c, parent: op, rel: parentSide}, owner: op}, w.parent, p.u)
			}
		}
	}
}

// oldParent returns the session's parent object of c's row through rel
// (by the foreign key c's row holds), or nil.
func (p *relPlanner) oldParent(c *state, rel *relation) *state {
	if c.snap == nil {
		return nil
	}
	op := p.s.heldParent(rel, c.snap)
	if op == nil || op.status == Deleted || !known(rel, op.ptr) {
		return nil
	}
	return op
}

// heldAlong reports whether the owner's relationship holds c now and held
// it at the last flush: a membership the program did not change.
func (p *relPlanner) heldAlong(rel *relation, owner, c *state) bool {
	if owner.snap == nil || !known(rel, owner.snap) {
		return false
	}
	return slices.Contains(targets(rel, owner.ptr), c.ptr) && slices.Contains(targets(rel, owner.snap), c.ptr)
}

// wantParent records that child wants parent (nil: none) through rel.
// cst and pst are their states when the caller has them (the owner of
// the relationship is one of the two), nil to look them up.
func (p *relPlanner) wantParent(child, parent unsafe.Pointer, cst, pst *state, rel *relation, changed bool) error {
	s := p.s
	var k fkSlot
	var prev link
	at := -1
	if changed {
		k = fkSlot{child: child, fk: rel.fk[0]}
		if at = p.want.find(k); at >= 0 {
			prev = p.want.links[at]
		}
		if at >= 0 && parent != nil && prev.parent != nil && prev.parent.ptr == parent {
			// the other side claimed the same link: both are in the session
			return nil
		}
	}
	if cst == nil {
		if cst = s.stateAt(child); cst == nil {
			return fmt.Errorf("orm: %s holds an object that is not in the session (its cascade has no save-update): Add it", rel)
		}
	}
	if parent != nil && pst == nil {
		if pst = s.stateAt(parent); pst == nil {
			return fmt.Errorf("orm: %s points at a %s that is not in the session: Add it", rel, rel.parent.Type.Name())
		}
	}
	if !changed {
		return nil // unchanged since the last flush: followMoves fixes it if the child moved
	}
	l := link{child: cst, parent: pst, rel: rel}
	if at < 0 {
		p.want.add(k, l)
		return nil
	}
	switch {
	case prev.parent == pst:
		return nil
	case prev.parent != nil && pst != nil:
		return fmt.Errorf("orm: a %s has two parents through %s: %v and %v", rel.child.Type.Name(), rel.fk[0].Column.Name,
			keyValues(rel.parent, prev.parent.ptr), keyValues(rel.parent, pst.ptr))
	case pst == nil:
		return nil // a removal does not undo a parent set elsewhere
	}
	p.want.links[at] = l
	return nil
}

// orphans is phase 2's second part: targets taken out.
func (p *relPlanner) orphans() error {
	for _, r := range p.removed {
		cst := p.s.stateAt(r.child)
		if cst == nil || cst.status == Deleted {
			continue
		}
		if err := r.rel.dep.orphaned(p, r, cst); err != nil {
			return err
		}
	}
	return nil
}

// pendingOrphans: a new object a cascade brought in, since taken out of
// every delete-orphan collection it belongs to (and with no key of a
// parent either), is dropped instead of inserted. One the program added
// itself is an error before any SQL when its key is NOT NULL: it cannot
// be inserted without a parent (SQLAlchemy's "pending instance is an
// orphan"). With a nullable key it is a root (the top of a tree),
// inserted with NULL: SQLAlchemy refuses those too, which makes
// delete-orphan unusable on adjacency lists. A new child whose NOT NULL
// key must come from a parent with a generated key, and that has none,
// cannot be placed either: said before any SQL rather than left to a
// foreign-key error.
func (p *relPlanner) pendingOrphans() error {
	s := p.s
	for _, st := range s.states.all() {
		if st.status != Pending || len(st.m.orphanOf) == 0 {
			continue
		}
		orphan := true
		for _, rel := range st.m.orphanOf {
			if l, ok := p.want.get(fkSlot{child: st.ptr, fk: rel.fk[0]}); (ok && l.parent != nil) || !anyZeroOrNil(rel.fk, st.ptr) {
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
			return &OrphanError{Object: st.object(), Rel: st.m.orphanOf[0].String()}
		}
	}
	for _, st := range s.states.all() {
		if st.status != Pending {
			continue
		}
		for _, rel := range st.m.rels {
			if rel.kind != manyToOne || rel.nullable || rel.postUpdate || !rel.ref[0].Column.AutoIncrement {
				continue
			}
			if l, ok := p.want.get(fkSlot{child: st.ptr, fk: rel.fk[0]}); ok && l.parent != nil {
				continue
			}
			if anyZeroOrNil(rel.fk, st.ptr) {
				return fmt.Errorf("orm: a new %s has no %s (%s is NOT NULL and holds no key): set %s, or add it to a parent's collection", st.m.Type.Name(), rel.parent.Type.Name(), columnList(rel.fk), rel)
			}
		}
	}
	return nil
}

// deleteLevel is one level of a delete cascade: the objects it reaches
// for the next level, and the unloaded relationships to read.
type deleteLevel struct {
	next  []*state
	reads []levelRead // few relationships: a slice
}

// levelRead is an unloaded relationship of a level's deleted parents.
type levelRead struct {
	rel     *relation
	parents []*state
}

func (l *deleteLevel) read(rel *relation, parent *state) {
	for i := range l.reads {
		if l.reads[i].rel == rel {
			l.reads[i].parents = append(l.reads[i].parents, parent)
			return
		}
	}
	l.reads = append(l.reads, levelRead{rel, []*state{parent}})
}

// cascadeDeletes is phase 3: delete cascades from every deleted object,
// level by level.
func (p *relPlanner) cascadeDeletes(ctx context.Context) error {
	s := p.s
	var work []*state
	seen := map[*state]bool{}
	for _, st := range s.states.all() {
		if st.status == Deleted {
			work = append(work, st)
		}
	}
	for len(work) > 0 {
		lvl := &p.level
		*lvl = deleteLevel{reads: lvl.reads[:0]}
		for _, st := range work {
			if seen[st] {
				continue
			}
			seen[st] = true
			for _, rel := range st.m.rels {
				if err := rel.dep.deletes(ctx, p, lvl, st); err != nil {
					return err
				}
			}
		}
		// unloaded children not in the session: read their keys, one
		// SELECT per relationship for the whole level
		for _, rd := range lvl.reads {
			rel := rd.rel
			found, err := s.readChildren(ctx, p.rp, rel, rd.parents)
			if err != nil {
				return err
			}
			for _, c := range found {
				if c.status == Deleted {
					continue
				}
				if rel.cascade.has(cascadeDelete) {
					p.markDeleted(c)
					lvl.next = append(lvl.next, c)
					continue
				}
				// a ghost here is a row to set to NULL, for this flush only
				if err := p.nullChild(c, rel, nil); err != nil {
					return err
				}
			}
		}
		work = lvl.next
	}
	return nil
}

// fkIndex is the session's children of one relationship by foreign-key
// value.
type fkIndex struct {
	rel *relation
	idx map[any][]*state
}

// childrenOf returns the session's children of parent through rel, by
// foreign-key value (indexed once per relationship and flush).
func (p *relPlanner) childrenOf(rel *relation, parent *state) []*state {
	var idx map[any][]*state
	for _, x := range p.byFK {
		if x.rel == rel {
			idx = x.idx
			break
		}
	}
	if idx == nil {
		idx = map[any][]*state{}
		for _, c := range p.s.states.all() {
			if c.m == rel.child && c.status != Pending {
				k := fieldsKey(rel.fk, c.ptr)
				idx[k] = append(idx[k], c)
			}
		}
		p.byFK = append(p.byFK, fkIndex{rel, idx})
	}
	return idx[fieldsKey(rel.ref, parent.ptr)]
}

// moved reports whether a child of a deleted parent has been given
// another parent: neither the delete cascade nor nulling reach it.
func (p *relPlanner) moved(c *state, rel *relation, parent *state) bool {
	l, ok := p.want.get(fkSlot{child: c.ptr, fk: rel.fk[0]})
	return ok && l.parent != nil && l.parent != parent
}

// nullChild sets the key of a child of a deleted parent to NULL, unless
// it moved.
func (p *relPlanner) nullChild(c *state, rel *relation, parent *state) error {
	if p.moved(c, rel, parent) {
		return nil
	}
	if !rel.nullable {
		return fmt.Errorf("orm: deleting a %s would set %s of its %s to NULL, but the column is NOT NULL: cascade the delete (cascade:all), delete the children, or move them",
			rel.parent.Type.Name(), columnList(rel.fk), rel.child.Type.Name())
	}
	p.want.put(fkSlot{child: c.ptr, fk: rel.fk[0]}, link{child: c, rel: rel})
	return nil
}

// clearCycleLinks: post_update keys of rows about to be deleted, or
// pointing at them, are cleared before the deletes.
func (p *relPlanner) clearCycleLinks() {
	s := p.s
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
				p.rp.preNull = append(p.rp.preNull, link{child: st, rel: rel})
			}
		}
	}
}

// foreignKeys is phase 4.
func (p *relPlanner) foreignKeys() error {
	rp := p.rp
	p.u.grow(p.want.len()) // about one entry per key handed over
	for i, l := range p.want.links {
		if l.child.status == Deleted || l.child.gone {
			continue
		}
		ok, err := syncKey(l, p.u)
		if err != nil {
			return err
		}
		if !ok {
			if rp.deferred == nil {
				// the children of new parents are usually all of them
				rp.deferred = make([]link, 0, p.want.len()-i)
			}
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
	return nil
}

// orderingColumns is phase 5: positions follow the lists.
func (p *relPlanner) orderingColumns() {
	for _, st := range p.s.states.all() {
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
					p.u.set(f, c, v)
				}
			}
		}
	}
}
