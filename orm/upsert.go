package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/sqlerr"
)

var opUpsert = &op{"Upsert"}

// Conflict says what [Upsert] does when the new row conflicts with a row
// already in the table on the conflict target. Build it with
// [OnConflict]:
//
//	orm.OnConflict("ThreadID", "StepID").DoUpdate("Value", "Comment")
//	orm.OnConflict("ID").DoNothing()
type Conflict struct {
	target  []string
	update  []string
	all     bool
	nothing bool
}

// OnConflict names the conflict target: the fields (Go names or column
// names) of the primary key or of one unique constraint or unique index
// of the model, exactly. An upsert never guesses its target.
func OnConflict(fields ...string) Conflict {
	return Conflict{target: slices.Clone(fields)}
}

// DoUpdate updates these fields of the existing row to the object's
// values. Fields with an OnUpdate rule are set too, and a version column
// (unless version:app) is incremented.
func (c Conflict) DoUpdate(fields ...string) Conflict {
	c.update = append(slices.Clip(c.update), fields...)
	return c
}

// DoUpdateAll updates every field the object sets: all but the primary
// key, the target, the version, and the fields the insert leaves to the
// database or fills with a client default (a created-at column keeps the
// existing row's value).
func (c Conflict) DoUpdateAll() Conflict {
	c.all = true
	return c
}

// DoNothing leaves the existing row as it is; the object receives that
// row's values.
func (c Conflict) DoNothing() Conflict {
	c.nothing = true
	return c
}

// Upsert writes obj's row now, inside the session's transaction (begun if
// it has not), as an INSERT that on a conflict on c's target updates the
// existing row or leaves it, as c says: PostgreSQL's and SQLite's
// INSERT ... ON CONFLICT, MariaDB's INSERT ... ON DUPLICATE KEY UPDATE.
// Pending changes are flushed first. Upsert is the only way the ORM
// writes a row that may already exist: a flush never inserts over one,
// and an UPDATE of a missing row stays a *StaleDataError.
//
// Afterwards the object holding the row is persistent and holds the row's
// final values, read back in the same statement (RETURNING) or, on
// MariaDB and after a DO NOTHING that met a conflict, by one SELECT on the
// target. That object is obj, unless the session already holds the row's
// object: then that one is brought up to date and returned, obj receives
// the same values and stays transient, and the identity map keeps one
// object per row.
//
// obj must be new to the session. Only its own columns are written: its
// relationships are not cascaded (Add related objects and flush). Client
// defaults and a first version apply to the inserted row as in a flush.
// On MariaDB, ON DUPLICATE KEY UPDATE reacts to a conflict on any unique
// key; when the row it met is not the target's, Upsert fails and the
// statement is rolled back.
//
// If Upsert fails, the statement is rolled back (to a savepoint when the
// transaction holds earlier work), obj is unchanged, and the error says
// nothing was written (an *sqlerr.OutcomeError).
func Upsert[T any](ctx context.Context, s *Session, obj *T, c Conflict) (*T, error) {
	if obj == nil {
		return nil, errors.New("orm: Upsert of a nil object")
	}
	p, err := s.upsert(ctx, reflect.TypeFor[T](), unsafe.Pointer(obj), c)
	if err != nil {
		return nil, err
	}
	return (*T)(p), nil
}

// upsertPlan is an upsert resolved against a mapper.
type upsertPlan struct {
	target []*Field
	update []*Field
}

// resolve checks c against m: the target is the primary key or a unique
// key, the updated fields exist and are not keys.
func (c Conflict) resolve(m *Mapper) (*upsertPlan, error) {
	fail := func(format string, args ...any) (*upsertPlan, error) {
		return nil, fmt.Errorf("orm: Upsert of %s: "+format, append([]any{m.Type}, args...)...)
	}
	if len(c.target) == 0 {
		return fail("OnConflict names no target")
	}
	if !c.nothing && !c.all && len(c.update) == 0 {
		return fail("say DoUpdate(fields...), DoUpdateAll() or DoNothing()")
	}
	if c.nothing && (c.all || len(c.update) > 0) {
		return fail("DoNothing together with DoUpdate")
	}
	p := &upsertPlan{}
	cols := make([]string, len(c.target))
	for i, name := range c.target {
		f := m.fieldNamed(name)
		if f == nil {
			return fail("conflict target %q is no field or column", name)
		}
		if slices.Contains(p.target, f) {
			return fail("conflict target names %s twice", f.Name)
		}
		p.target = append(p.target, f)
		cols[i] = f.Column.Name
	}
	if !isUniqueKey(m, cols) {
		return fail("conflict target (%s) is neither the primary key nor a unique constraint or unique index", strings.Join(cols, ", "))
	}
	for _, name := range c.update {
		f := m.fieldNamed(name)
		if f == nil {
			return fail("DoUpdate field %q is no field or column", name)
		}
		switch {
		case f.PrimaryKey:
			return fail("DoUpdate of the primary key field %s", f.Name)
		case f == m.Version && !m.appVersion:
			return fail("DoUpdate of the version field %s: Strata increments it", f.Name)
		}
		if !slices.Contains(p.update, f) {
			p.update = append(p.update, f)
		}
	}
	return p, nil
}

// isUniqueKey reports whether cols (in any order) are exactly the columns
// of m's primary key or of one of its unique constraints or indexes.
func isUniqueKey(m *Mapper, cols []string) bool {
	same := func(key []string) bool {
		if len(key) != len(cols) {
			return false
		}
		for _, c := range key {
			if !slices.Contains(cols, c) {
				return false
			}
		}
		return true
	}
	t := m.Table
	if t.PrimaryKey != nil && same(t.PrimaryKey.Columns) {
		return true
	}
	for _, u := range t.Uniques {
		if same(u.Columns) {
			return true
		}
	}
	for _, x := range t.Indexes {
		if x.Unique && x.Where == "" && same(x.Columns) {
			return true
		}
	}
	return false
}

func (s *Session) upsert(ctx context.Context, t reflect.Type, obj unsafe.Pointer, c Conflict) (unsafe.Pointer, error) {
	if err := s.enter(opUpsert); err != nil {
		return nil, err
	}
	defer s.g.exit()
	m := s.f.reg.Mapper(t)
	if m == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotMapped, t)
	}
	if st := s.stateAt(obj); st != nil {
		return nil, fmt.Errorf("orm: Upsert of a %s this session holds as %s: Upsert takes a new object (change a persistent one and flush)", m.Type, st.status)
	}
	if s.readOnly {
		return nil, &sqlerr.ReadOnlyError{Err: fmt.Errorf("orm: a read-only session cannot upsert a %s (no SQL was sent)", m.Type)}
	}
	plan, err := c.resolve(m)
	if err != nil {
		return nil, err
	}
	if err := s.flush(ctx); err != nil {
		return nil, err
	}

	// Work on a copy: obj changes only once the row is written.
	probe := reflect.New(m.Type).UnsafePointer()
	m.copyFields(probe, obj)
	var cols, defaulted []*Field
	for _, f := range m.Fields {
		zero := isZero(f, probe)
		switch {
		case f == m.Version && !m.appVersion:
			f.rv(probe).Set(reflect.ValueOf(1).Convert(f.Type))
		case zero && f.Default != nil:
			f.rv(probe).Set(reflect.ValueOf(f.Default()).Convert(f.Type))
			defaulted = append(defaulted, f)
		case zero && (f.Column.AutoIncrement || f.Column.Default != nil):
			if slices.Contains(plan.target, f) {
				return nil, fmt.Errorf("orm: Upsert of %s: conflict target field %s holds its zero value, which the database replaces (a generated key or a server default): no existing row can match it", m.Type, f.Name)
			}
			defaulted = append(defaulted, f)
			continue // left to the database, read back
		}
		cols = append(cols, f)
	}
	if c.all {
		for _, f := range cols {
			if !f.PrimaryKey && f != m.Version && !slices.Contains(plan.target, f) &&
				!slices.Contains(defaulted, f) && !slices.Contains(plan.update, f) {
				plan.update = append(plan.update, f)
			}
		}
	}

	d := s.f.db.Dialect()
	tr := tref(m.Table)
	ins := expr.Insert(tr)
	vals := make([]any, len(cols))
	for i, f := range cols {
		ins.Columns(f.Column.Name)
		vals[i] = f.valueAt(probe)
	}
	ins.Values(vals...)
	targetCols := make([]string, len(plan.target))
	for i, f := range plan.target {
		targetCols[i] = f.Column.Name
	}
	conflict := ins.OnConflict(targetCols...)
	if c.nothing {
		conflict.DoNothing()
	} else {
		var set []expr.Assignment
		for _, f := range plan.update {
			if slices.Contains(cols, f) {
				set = append(set, expr.Set(f.Column.Name, expr.Excluded(f.Column.Name)))
			} else {
				// left to the database on insert: keep the existing value
				set = append(set, expr.Set(f.Column.Name, tr.C(f.Column.Name)))
			}
		}
		for _, f := range m.Fields {
			if f.OnUpdate != nil && !slices.Contains(plan.update, f) {
				set = append(set, expr.Set(f.Column.Name, f.arg(reflect.ValueOf(f.OnUpdate()).Convert(f.Type).Interface())))
			}
		}
		if v := m.Version; v != nil && !m.appVersion {
			set = append(set, expr.Set(v.Column.Name, expr.Add(tr.C(v.Column.Name), 1)))
		}
		if len(set) == 0 {
			return nil, fmt.Errorf("orm: Upsert of %s: DoUpdateAll finds no field to update; say DoNothing", m.Type)
		}
		conflict.DoUpdate(set...)
	}
	returning := d.Features().Has(dialect.InsertReturning) && d.Features().Has(dialect.OnConflict)
	if returning {
		ins.Returning(columnsOf(nil, m.Fields)...)
	}

	// Run it: in a savepoint when the transaction holds earlier work, so
	// that a failure leaves that work in place, else in the session's
	// transaction begun now.
	var ex engine.Executor
	var sp *engine.Tx
	ownTx := false
	if s.tx != nil {
		if sp, err = s.tx.Begin(ctx); err != nil {
			return nil, err
		}
		ex = sp
	} else {
		tx, err := s.begin(ctx)
		if err != nil {
			return nil, err
		}
		ex, ownTx = tx, true
	}
	fail := func(err error) (unsafe.Pointer, error) {
		switch {
		case sp != nil:
			if rerr := sp.Rollback(context.WithoutCancel(ctx)); rerr != nil {
				_ = s.tx.Rollback(context.WithoutCancel(ctx))
				s.tx = nil
				s.discard(true)
				return nil, errors.Join(err, fmt.Errorf("orm: upsert failed and its transaction was lost; the session was reset: %w", rerr))
			}
		case ownTx:
			_ = s.tx.Rollback(context.WithoutCancel(ctx))
			s.tx = nil
		}
		return nil, &sqlerr.OutcomeError{Outcome: sqlerr.NothingWritten, Op: "upsert",
			Err: fmt.Errorf("orm: upsert of %s rolled back: %w", m.Type, err)}
	}
	found := false
	if returning {
		rs, err := engine.QueryStmt(ctx, ex, ins)
		if err != nil {
			return fail(err)
		}
		if rs.Next() {
			dest := make([]any, len(m.Fields))
			for i, f := range m.Fields {
				dest[i] = f.ptrAt(probe)
			}
			if err := rs.Scan(dest...); err != nil {
				rs.Close()
				return fail(err)
			}
			found = true
		} else if err := rs.Err(); err != nil {
			rs.Close()
			return fail(err)
		}
		if err := rs.Close(); err != nil {
			return fail(err)
		}
	} else if _, err := engine.ExecStmt(ctx, ex, ins); err != nil {
		return fail(err)
	}
	if !found {
		// MariaDB, or DO NOTHING met a row: read the row the target holds.
		ands := make([]expr.Expr, len(plan.target))
		for i, f := range plan.target {
			ands[i] = expr.Eq(tr.C(f.Column.Name), f.valueAt(probe))
		}
		sel := expr.Select(columnsOf(tr, m.Fields)...).From(tr).Where(expr.And(ands...))
		dest := make([]any, len(m.Fields))
		for i, f := range m.Fields {
			dest[i] = f.ptrAt(probe)
		}
		if err := engine.QueryRowStmt(ctx, ex, sel).Scan(dest...); err != nil {
			if errors.Is(err, sqlerr.ErrNotFound) {
				err = fmt.Errorf("orm: no row holds the conflict target after the upsert: it met a conflict on another unique key of %s (ON DUPLICATE KEY UPDATE reacts to every unique key)", m.Table.Name)
			}
			return fail(err)
		}
	}
	if sp != nil {
		if err := sp.Commit(ctx); err != nil {
			return fail(err)
		}
	}
	s.wrote = true

	key := keyOf(m, probe)
	if held := s.lookup(m, key); held != nil {
		m.copyFields(held.ptr, probe)
		held.snap = m.snapshot(held.ptr)
		m.copyFields(obj, probe)
		return held.ptr, nil
	}
	m.copyFields(obj, probe)
	st := &state{m: m, ptr: obj, status: Persistent, key: key}
	if err := s.bindLoaded(st); err != nil {
		return nil, err
	}
	st.snap = m.snapshot(obj)
	s.track(st)
	return obj, nil
}
