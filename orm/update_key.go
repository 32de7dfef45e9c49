package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/sqlerr"
)

var opUpdateByKey = &op{"UpdateByKey"}

// UpdateByKey writes fields of obj's row, found by obj's primary key,
// without loading it first (bun's WherePK update, GORM's Updates): the
// request handler that received the whole object needs one UPDATE, not a
// SELECT and an UPDATE. It writes the named fields (Go or column names),
// or every mapped field but the key when none are named; fields with an
// OnUpdate rule are set too. For a model with a version column the row
// must hold the version obj holds, and both get the next one (a
// version:app column is written like any field, unchecked). No row
// matching is a *StaleDataError: a missing row is never inserted.
//
// The UPDATE runs at once: in the session's transaction when it is open
// (inside a savepoint, so that a failure leaves it usable), otherwise
// alone in autocommit, after pending changes are flushed. obj is not
// tracked by the session; a session that holds the row's object refuses,
// since the two would disagree (change that object instead). If the
// UPDATE fails, obj is as it was.
func UpdateByKey[T any](ctx context.Context, s *Session, obj *T, fields ...string) error {
	if obj == nil {
		return errors.New("orm: UpdateByKey of a nil object")
	}
	return s.updateByKey(ctx, reflect.TypeFor[T](), unsafe.Pointer(obj), fields)
}

func (s *Session) updateByKey(ctx context.Context, t reflect.Type, ptr unsafe.Pointer, names []string) error {
	if err := s.enter(opUpdateByKey); err != nil {
		return err
	}
	defer s.g.exit()
	m := s.f.reg.Mapper(t)
	if m == nil {
		return fmt.Errorf("%w: %s", ErrNotMapped, t)
	}
	if st := s.stateAt(ptr); st != nil {
		return fmt.Errorf("orm: UpdateByKey of a %s this session holds as %s: change it and flush", m.Type, st.status)
	}
	if s.readOnly {
		return &sqlerr.ReadOnlyError{Err: fmt.Errorf("orm: a read-only session cannot update a %s (no SQL was sent)", m.Type)}
	}
	var set []*Field
	if len(names) == 0 {
		set = m.updatable() // shared: appended to only through a copy (clipped)
	} else {
		for _, name := range names {
			f := m.fieldNamed(name)
			switch {
			case f == nil:
				return fmt.Errorf("orm: UpdateByKey of %s: no field or column %q", m.Type, name)
			case f.PrimaryKey:
				return fmt.Errorf("orm: UpdateByKey of %s writes its primary key %s; the key finds the row", m.Type, f.Name)
			case f == m.Version && !m.appVersion:
				return fmt.Errorf("orm: UpdateByKey of %s: the version %s is Strata's; it is checked and incremented", m.Type, f.Name)
			}
			set = append(set, f)
		}
	}
	if !s.f.cfg.noAutoflush {
		if err := s.flush(ctx); err != nil {
			return err
		}
	}
	if held := s.lookup(m, keyOf(m, ptr)); held != nil {
		return fmt.Errorf("orm: UpdateByKey of a %s whose row this session holds as another object (%s): change that one", m.Type, held.status)
	}
	u := &noUndo
	if m.Version != nil || m.hasOnUpdate() {
		u = new(undo) // what the UPDATE changes in obj, restored if it fails
	}
	for _, f := range m.Fields {
		if f.OnUpdate != nil {
			u.set(f, ptr, reflect.ValueOf(f.OnUpdate()).Convert(f.Type))
			if !slices.Contains(set, f) {
				set = append(set, f)
			}
		}
	}
	st := s.newState()
	*st = state{m: m, ptr: ptr}
	r := updateRow{st: st, set: set}
	if v := m.Version; v != nil && !m.appVersion {
		old := v.rv(ptr)
		r.old = old.Interface()
		u.set(v, ptr, nextVersion(old))
		r.set = append(r.set, v)
	}
	if len(r.set) == 0 {
		return fmt.Errorf("orm: UpdateByKey of %s: no field to write besides the key", m.Type)
	}
	var err error
	if s.tx != nil || s.f.cfg.eagerTx {
		err = s.writeAlone(ctx, "UpdateByKey of "+m.Type.String(), func(ex engine.Executor) error { return updateByKeyOn(ctx, ex, r) })
	} else if err = updateByKeyOn(ctx, s.f.db, r); err == nil {
		s.wrote = true
	}
	if err != nil {
		u.run()
		return err
	}
	return nil
}

// updateByKeyOn sends the UPDATE of r's row through ex: exactly one row
// must match.
func updateByKeyOn(ctx context.Context, ex engine.Executor, r updateRow) error {
	c, err := updateOneCommand(ex.Dialect(), r, nil)
	if err != nil {
		return err
	}
	res, err := ex.Exec(ctx, c.sql, c.args...)
	if err != nil {
		return err
	}
	if res.RowsAffected != 1 {
		m := r.st.m
		return staleRows("UPDATE", m.Table.Name, [][]any{keyValues(m, r.st.ptr)})
	}
	return nil
}

// updatable is every mapped field but the primary key and Strata's
// version: what UpdateByKey writes by default. Computed once; callers
// append to it only through copies.
func (m *Mapper) updatable() []*Field {
	m.cache.mu.RLock()
	u := m.cache.updatable
	m.cache.mu.RUnlock()
	if u != nil {
		return u
	}
	for _, f := range m.Fields {
		if !f.PrimaryKey && (f != m.Version || m.appVersion) {
			u = append(u, f)
		}
	}
	u = slices.Clip(u)
	m.cache.mu.Lock()
	m.cache.updatable = u
	m.cache.mu.Unlock()
	return u
}

// noUndo is the undo log of an UpdateByKey that changes nothing in the
// object: never written to, so shared.
var noUndo undo

// hasOnUpdate reports whether a field of m has an OnUpdate rule.
func (m *Mapper) hasOnUpdate() bool {
	for _, f := range m.Fields {
		if f.OnUpdate != nil {
			return true
		}
	}
	return false
}
