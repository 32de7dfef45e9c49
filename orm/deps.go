package orm

import (
	"context"
	"fmt"
	"slices"
	"unsafe"
)

// Dependency processors: what a relationship means to a flush, one type
// per kind, chosen when the relationship is resolved (SQLAlchemy's
// dependency.py: _ManyToOneDP, _OneToManyDP, _ManyToManyDP). The flush's
// phases (relate.go) ask the relationship's processor instead of testing
// its kind.
type depProcessor interface {
	// saves records what the owner's relationship says since the last
	// flush (before: its targets then, now: its targets now): the
	// parents children want, the children taken out, association rows,
	// post_update links.
	saves(p *relPlanner, st *state, before, now []unsafe.Pointer) error
	// deletes handles the relationship of an owner being deleted: what
	// the delete cascades to, nulls, leaves to the database or must read.
	deletes(ctx context.Context, p *relPlanner, lvl *deleteLevel, st *state) error
	// orphaned handles a target taken out of the owner's relationship
	// (delete-orphan, or a key set to NULL).
	orphaned(p *relPlanner, r removal, child *state) error
}

func processorFor(rel *relation) depProcessor {
	switch rel.kind {
	case manyToOne:
		return manyToOneDP{rel}
	case oneToMany:
		return oneToManyDP{rel}
	case oneToOneRemote:
		return oneToOneDP{oneToManyDP{rel}}
	default:
		return manyToManyDP{rel}
	}
}

// manyToOneDP: a Ref whose key is in the owner's row; the owner is the
// child.
type manyToOneDP struct{ rel *relation }

func (d manyToOneDP) saves(p *relPlanner, st *state, before, now []unsafe.Pointer) error {
	rel := d.rel
	if rel.postUpdate {
		// set by an UPDATE after the inserts
		switch {
		case len(now) == 1 && (len(before) != 1 || before[0] != now[0] || st.status == Pending):
			pst := p.s.stateAt(now[0])
			if pst == nil {
				return fmt.Errorf("orm: %s points at a %s that is not in the session: Add it", rel, rel.parent.Type.Name())
			}
			p.rp.post = append(p.rp.post, link{child: st, parent: pst, rel: rel})
		case len(now) == 0 && len(before) == 1:
			p.rp.post = append(p.rp.post, link{child: st, rel: rel})
		}
		return nil
	}
	changed := st.status == Pending || !slices.Equal(before, now)
	if len(now) == 1 {
		if err := p.wantParent(st.ptr, now[0], st, nil, rel, changed); err != nil {
			return err
		}
	} else if len(before) == 1 {
		if err := p.wantParent(st.ptr, nil, st, nil, rel, true); err != nil {
			return err
		}
	}
	if len(before) == 1 && (len(now) == 0 || now[0] != before[0]) && rel.cascade.has(cascadeDeleteOrphan) {
		p.removed = append(p.removed, removal{child: before[0], rel: rel, owner: st})
	}
	return nil
}

// deletes: deleting the child deletes its parent when the reference
// cascades delete (an association object owning its item).
func (d manyToOneDP) deletes(ctx context.Context, p *relPlanner, lvl *deleteLevel, st *state) error {
	rel := d.rel
	if !rel.cascade.has(cascadeDelete) {
		return nil
	}
	s := p.s
	var pst *state
	if v := rel.refAt(st.ptr); v.state != relUnloaded {
		if v.v != nil {
			pst = s.stateAt(v.v)
		}
	} else if anyZeroOrNil(rel.fk, st.ptr) && !st.gone {
		return nil // no parent
	} else if !st.gone && sameFields(rel.ref, rel.parent.PK) {
		var err error
		if pst, err = s.ghostByKey(ctx, p.rp, rel, st); err != nil {
			return err
		}
	} else {
		return fmt.Errorf("orm: deleting a %s cascades to %s, which is not loaded and not keyed by the parent's primary key: load it first", st.m.Type.Name(), rel)
	}
	if pst != nil && pst.status != Deleted {
		p.markDeleted(pst)
		lvl.next = append(lvl.next, pst)
	}
	return nil
}

// orphaned: a replaced parent with delete-orphan (the link owned it) is
// deleted unless another owner holds it.
func (d manyToOneDP) orphaned(p *relPlanner, r removal, child *state) error {
	if !referencedElsewhere(p.s, r.child, r.rel) {
		p.markDeleted(child)
	}
	return nil
}

// oneToManyDP: a List whose children hold the key.
type oneToManyDP struct{ rel *relation }

func (d oneToManyDP) saves(p *relPlanner, st *state, before, now []unsafe.Pointer) error {
	for _, c := range now {
		changed := st.status == Pending || !slices.Contains(before, c)
		if err := p.wantParent(c, st.ptr, nil, st, d.rel, changed); err != nil {
			return err
		}
	}
	for _, c := range before {
		if !slices.Contains(now, c) {
			p.removed = append(p.removed, removal{child: c, rel: d.rel, owner: st})
		}
	}
	return nil
}

func (d oneToManyDP) deletes(_ context.Context, p *relPlanner, lvl *deleteLevel, st *state) error {
	rel := d.rel
	if rel.passive == passiveAll {
		return nil
	}
	s := p.s
	var kids []*state
	loaded := known(rel, st.ptr) && !st.ghost
	if loaded {
		for _, t := range targets(rel, st.ptr) {
			if c := s.stateAt(t); c != nil {
				kids = append(kids, c)
			}
		}
		// Children taken out before the delete are orphans, not members:
		// the cascade does not reach them.
		if st.snap != nil && known(rel, st.snap) {
			for _, t := range targets(rel, st.snap) {
				c := s.stateAt(t)
				if c == nil || slices.Contains(kids, c) || c.status == Deleted || p.moved(c, rel, st) {
					continue
				}
				if rel.cascade.has(cascadeDeleteOrphan) {
					p.markDeleted(c)
					lvl.next = append(lvl.next, c)
					continue
				}
				if err := p.nullChild(c, rel, st); err != nil {
					return err
				}
			}
		}
	} else {
		kids = p.childrenOf(rel, st)
	}
	for _, c := range kids {
		if c.status == Deleted || p.moved(c, rel, st) {
			continue
		}
		switch {
		case rel.cascade.has(cascadeDelete) && !loaded && rel.passive == passiveUnloaded:
			p.markGone(c) // the database deletes it
			lvl.next = append(lvl.next, c)
		case rel.cascade.has(cascadeDelete):
			p.markDeleted(c)
			lvl.next = append(lvl.next, c)
		case !loaded && rel.passive == passiveUnloaded:
			// the database decides (SET NULL or refuse)
		default:
			if err := p.nullChild(c, rel, st); err != nil {
				return err
			}
		}
	}
	if !loaded && rel.passive == passiveNone && !st.gone && st.status != Pending && (rel.cascade.has(cascadeDelete) || rel.nullable) {
		lvl.read(rel, st)
	}
	return nil
}

// orphaned: a child taken out is deleted (delete-orphan), left to the
// database (passive_deletes:all) or gets a NULL key, unless it moved.
func (d oneToManyDP) orphaned(p *relPlanner, r removal, child *state) error {
	rel := r.rel
	if l, ok := p.want.get(fkSlot{child: r.child, fk: rel.fk[0]}); ok && l.parent != nil && l.parent != r.owner {
		return nil // moved to another parent
	}
	if rel.cascade.has(cascadeDeleteOrphan) {
		p.markDeleted(child)
		return nil
	}
	if rel.passive == passiveAll {
		return nil // only the database acts on the row
	}
	if !rel.nullable {
		return fmt.Errorf("orm: a %s was removed from %s, which would set %s to NULL, but the column is NOT NULL: delete it, give it another parent, or add cascade delete-orphan",
			rel.child.Type.Name(), rel, columnList(rel.fk))
	}
	return p.wantParent(r.child, nil, child, nil, rel, true)
}

// oneToOneDP: a Ref whose key is in the target's row: a one-to-many of at
// most one child.
type oneToOneDP struct{ oneToManyDP }

// manyToManyDP: a List through a secondary table.
type manyToManyDP struct{ rel *relation }

func (d manyToManyDP) saves(p *relPlanner, st *state, before, now []unsafe.Pointer) error {
	rel := d.rel
	for _, t := range now {
		if p.s.stateAt(t) == nil && !slices.Contains(before, t) {
			return fmt.Errorf("orm: %s holds an object that is not in the session (its cascade has no save-update): Add it", rel)
		}
	}
	p.rp.pairs(rel, st, before, now)
	if rel.cascade.has(cascadeDeleteOrphan) {
		for _, t := range before {
			if !slices.Contains(now, t) {
				p.removed = append(p.removed, removal{child: t, rel: rel, owner: st})
			}
		}
	}
	return nil
}

// deletes: the owner's association rows go; with a delete cascade
// (single_parent makes it safe: no other owner shares the targets) the
// targets too, read first when not loaded.
func (d manyToManyDP) deletes(ctx context.Context, p *relPlanner, lvl *deleteLevel, st *state) error {
	rel := d.rel
	if rel.passive == passiveAll {
		return nil
	}
	s := p.s
	if rel.cascade.has(cascadeDelete) && !st.gone && st.status != Pending && (!known(rel, st.ptr) || st.ghost) {
		if _, err := s.begin(ctx); err != nil {
			return err
		}
		if err := s.loadRel(ctx, rel, []*state{st}); err != nil {
			return err
		}
	}
	if rel.cascade.has(cascadeDelete) && known(rel, st.ptr) {
		for _, t := range targets(rel, st.ptr) {
			if c := s.stateAt(t); c != nil && c.status != Deleted {
				p.markDeleted(c)
				lvl.next = append(lvl.next, c)
			}
		}
	}
	if known(rel, st.ptr) && !st.ghost {
		var before []unsafe.Pointer
		if st.snap != nil && known(rel, st.snap) {
			before = targets(rel, st.snap)
		}
		p.rp.pairs(rel, st, before, nil)
	} else if st.status != Pending && !st.gone {
		p.rp.dropAll = append(p.rp.dropAll, link{parent: st, rel: rel})
	}
	return nil
}

// orphaned: a target taken out with delete-orphan is deleted unless
// another owner took it.
func (d manyToManyDP) orphaned(p *relPlanner, r removal, child *state) error {
	if !referencedElsewhere(p.s, r.child, r.rel) {
		p.markDeleted(child)
	}
	return nil
}
