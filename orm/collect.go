package orm

import (
	"cmp"
	"slices"
	"sort"
)

// Collecting what a flush writes: pending objects, persistent objects
// whose fields differ from their snapshot, objects marked deleted, in a
// deterministic order; row switches.

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
	var p *flushPlan
	if len(s.f.cfg.flushHooks) == 0 {
		// reused: nothing keeps a plan after its flush (a hook's ChangeSet
		// could, so flushes with hooks get their own)
		sc := s.scratch()
		p = &sc.plan
		clear(p.inserts[:cap(p.inserts)])
		clear(p.updates[:cap(p.updates)])
		clear(p.deletes[:cap(p.deletes)])
		if p.inserts == nil {
			p.inserts = sc.inserts[:0]
		}
		*p = flushPlan{inserts: p.inserts[:0], updates: p.updates[:0], deletes: p.deletes[:0]}
	} else {
		p = &flushPlan{}
	}
	p.inserts = slices.Grow(p.inserts, len(s.order))
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
	// the ranks of the few mappers present, found once each rather than
	// by table name at every comparison
	type mapperRank struct {
		m *Mapper
		r int
	}
	var ranks []mapperRank
	rankOf := func(m *Mapper) int {
		for _, x := range ranks {
			if x.m == m {
				return x.r
			}
		}
		r := rank[m.Table.Name]
		ranks = append(ranks, mapperRank{m, r})
		return r
	}
	sortByRank(p.inserts, rankOf, false)
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
	sortByRank(p.updates, rankOf, false)
	sortByRank(p.deletes, rankOf, true)
	return p, nil
}

// sortByRank orders the states by their mapper's rank (descending with
// desc), keeping the order of states of equal rank, as a stable sort
// would. The ranks are few, so it counts them and places each state once:
// a flush of 11,000 inserts sorted by comparison spent more than a
// millisecond here.
func sortByRank(list []*state, rankOf func(*Mapper) int, desc bool) {
	if len(list) < 2 {
		return
	}
	key := func(st *state) int {
		if desc {
			return -rankOf(st.m)
		}
		return rankOf(st.m)
	}
	type bucket struct{ key, n int }
	var buf [8]bucket
	buckets := buf[:0]
	sorted, prev := true, key(list[0])
	var lastM *Mapper
	last := -1 // the bucket of lastM
	for _, st := range list {
		if st.m != lastM {
			k := key(st)
			if k < prev {
				sorted = false
			}
			prev, lastM = k, st.m
			last = slices.IndexFunc(buckets, func(b bucket) bool { return b.key == k })
			if last < 0 {
				buckets = append(buckets, bucket{key: k})
				last = len(buckets) - 1
			}
		}
		buckets[last].n++
	}
	if sorted {
		return
	}
	slices.SortFunc(buckets, func(a, b bucket) int { return cmp.Compare(a.key, b.key) })
	at := 0
	for i := range buckets { // n becomes where the bucket starts
		buckets[i].n, at = at, at+buckets[i].n
	}
	out := make([]*state, len(list))
	lastM, last = nil, -1
	for _, st := range list {
		if st.m != lastM {
			k := key(st)
			lastM = st.m
			last, _ = slices.BinarySearchFunc(buckets, k, func(b bucket, k int) int { return cmp.Compare(b.key, k) })
		}
		out[buckets[last].n] = st
		buckets[last].n++
	}
	copy(list, out)
}
