package orm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"github.com/strata-go/strata/engine"
)

// Nested is a savepoint inside a session's transaction, from
// [Session.BeginNested]. Rolling it back undoes the database's changes
// since the savepoint and puts the session's objects back as they were
// when it began: the same fields, statuses and identity map.
type Nested struct {
	s     *Session
	sp    *engine.Tx
	saved []savedState
	order []*state
	done  bool
}

type savedState struct {
	st     *state
	status Status
	key    any
	snap   unsafe.Pointer
	fields unsafe.Pointer // copy of the struct's values
}

// ErrNestedDone is returned by Commit or Rollback of a savepoint that has
// ended, or that an enclosing savepoint or the transaction has ended.
var ErrNestedDone = errors.New("orm: savepoint already ended")

// BeginNested flushes pending changes, begins the transaction if needed,
// and sets a savepoint. Savepoints nest; end the innermost first.
//
// It copies every object in the session (one allocation each), which is
// what lets Rollback restore them.
func (s *Session) BeginNested(ctx context.Context) (*Nested, error) {
	if err := s.enter(opNested); err != nil {
		return nil, err
	}
	defer s.g.exit()
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	n := &Nested{s: s, sp: sp}
	n.saved, n.order = s.saveStates()
	s.nested = append(s.nested, n)
	return n, nil
}

// Nested runs fn inside a savepoint: released if fn returns nil, rolled
// back (database and objects) if it returns an error, which Nested
// returns.
func (s *Session) Nested(ctx context.Context, fn func() error) error {
	n, err := s.BeginNested(ctx)
	if err != nil {
		return err
	}
	if err := fn(); err != nil {
		return errors.Join(err, n.Rollback(context.WithoutCancel(ctx)))
	}
	return n.Commit(ctx)
}

func (n *Nested) enter(o *op) error {
	if err := n.s.enter(o); err != nil {
		return err
	}
	if n.done || len(n.s.nested) == 0 || !slices.Contains(n.s.nested, n) {
		n.s.g.exit()
		return ErrNestedDone
	}
	if n.s.nested[len(n.s.nested)-1] != n {
		n.s.g.exit()
		return fmt.Errorf("orm: a savepoint begun inside this one is still open; end it first")
	}
	return nil
}

var (
	opNestedCommit   = &op{"Nested.Commit"}
	opNestedRollback = &op{"Nested.Rollback"}
)

// Commit flushes and releases the savepoint; its changes become part of
// the enclosing transaction.
func (n *Nested) Commit(ctx context.Context) error {
	if err := n.enter(opNestedCommit); err != nil {
		return err
	}
	defer n.s.g.exit()
	if err := n.s.flush(ctx); err != nil {
		return err
	}
	n.done = true
	n.s.nested = n.s.nested[:len(n.s.nested)-1]
	return n.sp.Commit(ctx)
}

// Rollback rolls the database back to the savepoint and restores the
// session: objects it held then get back their fields, status and place in
// the identity map; objects that entered the session since are detached
// (pending ones become transient). Unflushed changes since the savepoint
// are discarded with the rest.
func (n *Nested) Rollback(ctx context.Context) error {
	if err := n.enter(opNestedRollback); err != nil {
		return err
	}
	defer n.s.g.exit()
	s := n.s
	n.done = true
	s.nested = s.nested[:len(s.nested)-1]
	if err := n.sp.Rollback(ctx); err != nil {
		// The transaction is unusable: nothing can be vouched for.
		if s.tx != nil {
			_ = s.tx.Rollback(context.WithoutCancel(ctx))
			s.tx = nil
		}
		s.discard(true)
		return fmt.Errorf("orm: rollback to savepoint failed, transaction rolled back and session reset: %w", err)
	}
	s.restoreStates(n.saved, n.order)
	return nil
}

// saveStates records every object's state and values, for a savepoint or
// an Explain to go back to.
func (s *Session) saveStates() ([]savedState, []*state) {
	saved := make([]savedState, 0, s.states.len())
	for _, st := range s.states.all() {
		saved = append(saved, savedState{st: st, status: st.status, key: st.key, snap: st.snap,
			fields: st.m.snapshot(st.ptr)})
	}
	return saved, slices.Clone(s.order)
}

// restoreStates goes back to what saveStates recorded: objects the session
// took in since are let go (detached, or transient if they were pending),
// the others get their states, keys, snapshots and values back.
func (s *Session) restoreStates(saved []savedState, order []*state) {
	kept := make(map[*state]bool, len(saved))
	for _, sv := range saved {
		kept[sv.st] = true
	}
	for _, st := range s.states.all() {
		if !kept[st] {
			pending := st.status == Pending
			s.forget(st)
			if !pending {
				st.snap = nil
				s.detach(st)
			}
		}
	}
	s.resetIdent()
	s.states.reset()
	for _, sv := range saved {
		st := sv.st
		st.status, st.key, st.snap = sv.status, sv.key, sv.snap
		st.m.copyFields(st.ptr, sv.fields)
		st.m.copyRels(st.ptr, sv.fields)
		delete(s.detached, st.ptr)
		if st.status == Pending {
			s.putState(st)
			continue
		}
		s.track(st)
	}
	s.order = order
}
