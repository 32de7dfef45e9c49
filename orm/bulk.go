package orm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/sqlerr"
)

var opUpdateWhere = &op{"UpdateWhere"}

// UpdateQuery is an UPDATE of T's rows by condition, without loading them
// (SQLAlchemy's update(Model).where(...).values(...)). Build it with
// [UpdateWhere]; building errors are returned by Exec.
type UpdateQuery[T any] struct {
	s   *Session
	m   *Mapper
	t   *expr.TableRef
	up  *expr.UpdateStmt
	set int
	err error
}

// UpdateWhere starts an UPDATE of T's rows:
//
//	q := orm.UpdateWhere[Note](s)
//	n, err := q.Set("Pinned", false).Where(expr.Lt(q.C("Created"), cutoff)).Exec(ctx)
//
// Objects of T that the session holds and the UPDATE touches are brought
// up to date in the same Exec (from RETURNING, or one SELECT on MariaDB),
// so the session never keeps a stale copy. Versions are neither checked nor
// bumped: Set the version column yourself if other writers rely on it.
func UpdateWhere[T any](s *Session) *UpdateQuery[T] {
	q := &UpdateQuery[T]{s: s}
	m := s.f.reg.Mapper(reflect.TypeFor[T]())
	if m == nil {
		q.err = fmt.Errorf("%w: %s", ErrNotMapped, reflect.TypeFor[T]())
		return q
	}
	q.m, q.t = m, tref(m.Table)
	q.up = expr.Update(q.t)
	return q
}

func (q *UpdateQuery[T]) field(name string) *Field {
	if q.m == nil {
		return nil
	}
	f := q.m.fieldNamed(name)
	if f == nil && q.err == nil {
		q.err = fmt.Errorf("orm: %s has no field or column %q", q.m.Type, name)
	}
	return f
}

// C returns T's column for a Go field or column name.
func (q *UpdateQuery[T]) C(name string) expr.Column {
	if f := q.field(name); f != nil {
		return q.t.C(f.Column.Name)
	}
	return expr.C(name)
}

// Set sets a field (Go field or column name) to a value, or to an
// expression.
func (q *UpdateQuery[T]) Set(name string, v any) *UpdateQuery[T] {
	f := q.field(name)
	if f == nil {
		return q
	}
	if f.PrimaryKey && q.err == nil {
		q.err = fmt.Errorf("orm: UpdateWhere of %s sets its primary key %s", q.m.Type, f.Name)
	}
	q.up.Set(f.Column.Name, f.arg(v))
	q.set++
	return q
}

// Where adds conditions, joined with AND. An UPDATE without one is
// refused.
func (q *UpdateQuery[T]) Where(conds ...expr.Expr) *UpdateQuery[T] {
	if q.up != nil {
		q.up.Where(conds...)
	}
	return q
}

// Exec flushes pending changes (unless the factory has NoAutoflush), runs
// the UPDATE and returns the number of rows it matched. In a session whose
// transaction is open it is part of it; otherwise, when the session holds
// no object of T, the statement runs alone and is committed at once (one
// round trip); otherwise the session's transaction begins, and Commit ends
// it as usual.
func (q *UpdateQuery[T]) Exec(ctx context.Context) (int64, error) {
	if q.err != nil {
		return 0, q.err
	}
	if q.set == 0 {
		return 0, errors.New("orm: UpdateWhere without Set")
	}
	s := q.s
	if err := s.enter(opUpdateWhere); err != nil {
		return 0, err
	}
	defer s.g.exit()
	ex, held, err := s.bulkTarget(ctx, q.m)
	if err != nil {
		return 0, err
	}
	if len(held) == 0 {
		res, err := engine.ExecStmt(ctx, ex, q.up)
		return res.RowsAffected, err
	}
	// Bring the session's objects up to date with what the UPDATE wrote.
	m := q.m
	refresh := func(rows []unsafe.Pointer) {
		for _, row := range rows {
			if st := s.lookup(m, keyOf(m, row)); st != nil && st.status == Persistent {
				m.copyFields(st.ptr, row)
				st.snap = m.snapshot(st.ptr)
			}
		}
	}
	if ex.Dialect().Features().Has(dialect.UpdateReturning) {
		rows, err := queryObjects(ctx, ex, m, q.up.Returning(columnsOf(nil, m.Fields)...))
		if err != nil {
			return 0, err
		}
		refresh(rows)
		return int64(len(rows)), nil
	}
	// No UPDATE ... RETURNING (MariaDB): the UPDATE, then one SELECT of the
	// rows the session holds (their unflushed changes were just flushed,
	// so reading them back loses nothing).
	res, err := engine.ExecStmt(ctx, ex, q.up)
	if err != nil {
		return 0, err
	}
	for _, chunk := range chunks(held, maxBatchRows) {
		rows, err := queryObjects(ctx, ex, m, expr.Select(columnsOf(q.t, m.Fields)...).From(q.t).Where(keyWhere(q.t, m, chunk, nil)))
		if err != nil {
			return 0, err
		}
		refresh(rows)
	}
	return res.RowsAffected, nil
}

var opDeleteWhere = &op{"DeleteWhere"}

// DeleteQuery is a DELETE of T's rows by condition, without loading them
// (SQLAlchemy's delete(Model).where(...)). Build it with [DeleteWhere].
type DeleteQuery[T any] struct {
	u *UpdateQuery[T] // for the mapper, the table and the field lookup
	w []expr.Expr
}

// DeleteWhere starts a DELETE of T's rows:
//
//	q := orm.DeleteWhere[Note](s)
//	n, err := q.Where(expr.Eq(q.C("ID"), id)).Exec(ctx)
//
// It runs no ORM cascade: dependent rows go by the database's ON DELETE
// rules (or the statement fails on a foreign key). Objects of T the
// session holds whose rows it deletes become detached in the same Exec.
func DeleteWhere[T any](s *Session) *DeleteQuery[T] { return &DeleteQuery[T]{u: UpdateWhere[T](s)} }

// C returns T's column for a Go field or column name.
func (q *DeleteQuery[T]) C(name string) expr.Column { return q.u.C(name) }

// Where adds conditions, joined with AND. A DELETE without one is refused.
func (q *DeleteQuery[T]) Where(conds ...expr.Expr) *DeleteQuery[T] {
	q.w = append(q.w, conds...)
	return q
}

// Exec flushes pending changes (unless the factory has NoAutoflush), runs
// the DELETE and returns the number of rows deleted. Like [UpdateQuery.Exec]
// it runs alone, committed at once, when no transaction is open and the
// session holds no object of T.
func (q *DeleteQuery[T]) Exec(ctx context.Context) (int64, error) {
	u := q.u
	if u.err != nil {
		return 0, u.err
	}
	if len(q.w) == 0 {
		return 0, errors.New("orm: DeleteWhere without Where")
	}
	s := u.s
	if err := s.enter(opDeleteWhere); err != nil {
		return 0, err
	}
	defer s.g.exit()
	m := u.m
	ex, held, err := s.bulkTarget(ctx, m)
	if err != nil {
		return 0, err
	}
	del := expr.Delete(u.t).Where(q.w...)
	res, err := engine.ExecStmt(ctx, ex, del)
	if err != nil || len(held) == 0 {
		return res.RowsAffected, err
	}
	// which held rows are gone: one SELECT of their keys
	present := map[any]bool{}
	for _, chunk := range chunks(held, maxBatchRows) {
		rows, err := queryObjects(ctx, ex, m, expr.Select(columnsOf(u.t, m.Fields)...).From(u.t).Where(keyWhere(u.t, m, chunk, nil)))
		if err != nil {
			return 0, err
		}
		for _, r := range rows {
			present[keyOf(m, r)] = true
		}
	}
	for _, st := range held {
		if !present[st.key] {
			s.forget(st)
			st.snap = nil
			s.detach(st)
		}
	}
	return res.RowsAffected, nil
}

// bulkTarget flushes pending changes (unless the factory has NoAutoflush)
// and returns where a statement on m's table runs, with the objects of m
// the session holds: the open transaction; the pool (the statement alone,
// committed at once) when there is none and the session holds no object
// of m; otherwise the session's transaction, begun now.
func (s *Session) bulkTarget(ctx context.Context, m *Mapper) (engine.Executor, []*state, error) {
	if !s.f.cfg.noAutoflush && !s.readOnly {
		if err := s.flush(ctx); err != nil {
			return nil, nil, err
		}
	}
	var held []*state
	for st := range s.identAll() {
		if st.m == m && st.status == Persistent {
			held = append(held, st)
		}
	}
	if s.tx != nil {
		return s.tx, held, nil
	}
	if len(held) == 0 && !s.f.cfg.eagerTx {
		return s.f.db, nil, nil
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	return tx, held, nil
}

var opInsertMany = &op{"InsertMany"}

// InsertMany writes the rows of objs now, in the session's transaction
// (begun if it has not, after an autoflush), reading nothing back: COPY
// FROM STDIN on PostgreSQL, multi-row INSERTs elsewhere. It is for loading
// data when the unit of work's bookkeeping is not wanted (SQLAlchemy's
// bulk_insert_mappings): the objects are not tracked and stay transient,
// generated keys and server defaults are not read into them, and their
// relationships are not cascaded. Client defaults and a first version are
// set on them as a flush would. Query the rows to work with them.
//
// If it fails, nothing of it is written (a savepoint or the transaction
// is rolled back), and the error says so (an *sqlerr.OutcomeError).
func InsertMany[T any](ctx context.Context, s *Session, objs []*T) (int64, error) {
	if err := s.enter(opInsertMany); err != nil {
		return 0, err
	}
	defer s.g.exit()
	m := s.f.reg.Mapper(reflect.TypeFor[T]())
	if m == nil {
		return 0, fmt.Errorf("%w: %s", ErrNotMapped, reflect.TypeFor[T]())
	}
	if len(objs) == 0 {
		return 0, nil
	}
	if s.readOnly {
		return 0, &sqlerr.ReadOnlyError{Err: fmt.Errorf("orm: a read-only session cannot insert %d %s (no SQL was sent)", len(objs), m.Type)}
	}
	if !s.f.cfg.noAutoflush {
		if err := s.flush(ctx); err != nil {
			return 0, err
		}
	}
	for i, obj := range objs {
		if obj == nil {
			return 0, fmt.Errorf("orm: InsertMany of %s: object %d is nil", m.Type, i)
		}
		if st := s.stateAt(unsafe.Pointer(obj)); st != nil {
			return 0, fmt.Errorf("orm: InsertMany of a %s this session holds as %s (object %d)", m.Type, st.status, i)
		}
	}
	states := make([]state, len(objs))
	rows := make([]*state, len(objs))
	var u undo // defaults and versions set below, undone if the write fails
	for i, obj := range objs {
		p := unsafe.Pointer(obj)
		states[i] = state{m: m, ptr: p, status: Pending}
		rows[i] = &states[i]
		setInsertDefaults(m, p, &u)
	}
	d := s.f.db.Dialect()
	err := s.writeAlone(ctx, "InsertMany of "+m.Type.String(), func(ex engine.Executor) error {
		// Rows leaving the same columns to the database share statements:
		// groups in the order their first row came, found by which
		// generated fields a row leaves out. Consecutive rows usually
		// share it (no look-up), and a group's key is made once.
		gen := m.generated
		var groups [][]*state
		index := map[string]int{}
		sig := make([]byte, len(gen))
		var lastSig []byte
		last := -1
		for k, st := range rows {
			for i, f := range gen {
				sig[i] = '0'
				if isZero(f, st.ptr) {
					sig[i] = '1'
				}
			}
			if last < 0 || !bytes.Equal(sig, lastSig) {
				i, ok := index[string(sig)]
				if !ok {
					i = len(groups)
					index[string(sig)] = i
					// room for every row left: usually the only group
					groups = append(groups, make([]*state, 0, len(rows)-k))
				}
				last, lastSig = i, append(lastSig[:0], sig...)
			}
			groups[last] = append(groups[last], st)
		}
		for _, group := range groups {
			var cols []*Field
			for _, f := range m.Fields {
				if !((f.Column.AutoIncrement || f.Column.Default != nil) && isZero(f, group[0].ptr)) {
					cols = append(cols, f)
				}
			}
			if len(cols) == 0 {
				return fmt.Errorf("orm: InsertMany of %s: every column is left to the database", m.Type)
			}
			// the flush's COPY action: COPY where ex has it, else INSERTs
			// of what fits in one statement
			a := &insertRows{m: m, cols: cols, rows: group, copy: true,
				arrays: d.Features().Has(dialect.ArrayParams) && arraySafe(cols)}
			if err := a.run(ctx, ex, &u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		u.run()
		return 0, err
	}
	return int64(len(objs)), nil
}
