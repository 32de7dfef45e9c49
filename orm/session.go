package orm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"unsafe"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// Status is an object's state in a session.
type Status uint8

// The object states, as in SQLAlchemy.
const (
	Transient  Status = iota // not in any session
	Pending                  // added, not yet inserted
	Persistent               // has a row, tracked by the identity map
	Deleted                  // marked for deletion, DELETE not yet flushed (or not committed)
	Detached                 // had a row in a session that no longer tracks it
)

func (s Status) String() string {
	return [...]string{"transient", "pending", "persistent", "deleted", "detached"}[s]
}

// ErrStaleData is matched by every *StaleDataError.
var ErrStaleData = errors.New("orm: stale data")

// StaleDataError reports an UPDATE or DELETE that matched no row: the row
// is gone, or its version moved. It is never turned into an INSERT.
type StaleDataError struct {
	Op    string // "UPDATE" or "DELETE"
	Table string
	Key   []any // primary key values
}

func (e *StaleDataError) Error() string {
	return fmt.Sprintf("orm: stale data: %s of %s %v matched no row (deleted, or changed by someone else)", e.Op, e.Table, e.Key)
}

// Is makes errors.Is(err, ErrStaleData) true.
func (e *StaleDataError) Is(target error) bool { return target == ErrStaleData }

// ErrNotMapped is returned for objects whose type was never registered.
var ErrNotMapped = errors.New("orm: type not registered")

// Factory makes sessions (SQLAlchemy's sessionmaker). It is safe for
// concurrent use: share one, and open a session per request or job.
type Factory struct {
	db   *engine.DB
	reg  *Registry
	once sync.Once
	rank map[string]int // table -> position in dependency order
	err  error
}

// NewFactory returns a session factory over db for the registry's models.
func NewFactory(db *engine.DB, reg *Registry) *Factory { return &Factory{db: db, reg: reg} }

// New opens a session. It is cheap: no connection is taken until the
// session first needs one.
func (f *Factory) New() *Session {
	return &Session{f: f, ident: map[*Mapper]map[any]*state{}, states: map[unsafe.Pointer]*state{}}
}

func (f *Factory) order() (map[string]int, error) {
	f.once.Do(func() {
		plan, err := schema.PlanCreate(f.reg.MetaData(), true)
		if err != nil {
			f.err = err
			return
		}
		f.rank = map[string]int{}
		for i, t := range plan.Tables {
			f.rank[t.Name] = i
		}
	})
	return f.rank, f.err
}

// state is what a session knows of one object.
type state struct {
	m      *Mapper
	ptr    unsafe.Pointer // the struct
	obj    any            // the pointer as the user gave it
	status Status
	snap   []any // column values at load or last flush, in m.Fields order
	key    any
}

// Session is a unit of work for one goroutine: an identity map, change
// tracking and a transaction. Calls from two goroutines at once fail with
// a *ConcurrentUseError instead of corrupting it.
type Session struct {
	g      guard
	f      *Factory
	tx     *engine.Tx
	ident  map[*Mapper]map[any]*state
	states map[unsafe.Pointer]*state
	order  []*state // pending objects in Add order
	closed bool
}

var (
	opAdd      = &op{"Add"}
	opDelete   = &op{"Delete"}
	opGet      = &op{"Get"}
	opFlush    = &op{"Flush"}
	opCommit   = &op{"Commit"}
	opRollback = &op{"Rollback"}
	opClose    = &op{"Close"}
	opExpunge  = &op{"Expunge"}
	opStatus   = &op{"Status"}
)

// ErrClosed is returned by a closed session.
var ErrClosed = errors.New("orm: session closed")

func (s *Session) enter(o *op) error {
	if err := s.g.enter(o); err != nil {
		return err
	}
	if s.closed {
		s.g.exit()
		return ErrClosed
	}
	return nil
}

func (s *Session) stateOf(obj any) (*state, *Mapper, error) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("orm: want a non-nil pointer to a struct, got %T", obj)
	}
	m := s.f.reg.Mapper(v.Type())
	if m == nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrNotMapped, v.Type().Elem())
	}
	return s.states[v.UnsafePointer()], m, nil
}

// Add makes a transient object pending: it is inserted at the next flush.
// Adding a persistent object of this session is a no-op; adding a deleted
// one undoes the delete.
func (s *Session) Add(obj any) error {
	if err := s.enter(opAdd); err != nil {
		return err
	}
	defer s.g.exit()
	st, m, err := s.stateOf(obj)
	if err != nil {
		return err
	}
	switch {
	case st == nil:
		st = &state{m: m, ptr: reflect.ValueOf(obj).UnsafePointer(), obj: obj, status: Pending}
		s.states[st.ptr] = st
		s.order = append(s.order, st)
	case st.status == Deleted:
		st.status = Persistent
	}
	return nil
}

// Delete marks an object for deletion at the next flush. Deleting a
// pending object just forgets it.
func (s *Session) Delete(obj any) error {
	if err := s.enter(opDelete); err != nil {
		return err
	}
	defer s.g.exit()
	st, _, err := s.stateOf(obj)
	if err != nil {
		return err
	}
	switch {
	case st == nil:
		return fmt.Errorf("orm: Delete of an object not in this session (transient or detached): %T", obj)
	case st.status == Pending:
		s.forget(st)
	case st.status == Persistent:
		st.status = Deleted
	}
	return nil
}

// Expunge removes an object from the session: it becomes detached (or
// transient, if it was pending). Nothing is written for it.
func (s *Session) Expunge(obj any) error {
	if err := s.enter(opExpunge); err != nil {
		return err
	}
	defer s.g.exit()
	st, _, err := s.stateOf(obj)
	if err != nil || st == nil {
		return err
	}
	s.forget(st)
	return nil
}

// Status reports an object's state in this session.
func (s *Session) Status(obj any) Status {
	if s.enter(opStatus) != nil {
		return Transient
	}
	defer s.g.exit()
	st, _, err := s.stateOf(obj)
	if err != nil || st == nil {
		return Transient
	}
	return st.status
}

func (s *Session) forget(st *state) {
	delete(s.states, st.ptr)
	if st.key != nil {
		delete(s.ident[st.m], st.key)
	}
	s.order = slices.DeleteFunc(s.order, func(x *state) bool { return x == st })
}

func (s *Session) begin(ctx context.Context) (*engine.Tx, error) {
	if s.tx == nil {
		tx, err := s.f.db.Begin(ctx)
		if err != nil {
			return nil, err
		}
		s.tx = tx
	}
	return s.tx, nil
}

func keyOf(m *Mapper, ptr unsafe.Pointer) any {
	if len(m.PK) == 1 {
		return m.PK[0].Value(ptr)
	}
	k := make([]any, len(m.PK))
	for i, f := range m.PK {
		k[i] = f.Value(ptr)
	}
	return fmt.Sprint(k...)
}

func keyValues(m *Mapper, ptr unsafe.Pointer) []any {
	k := make([]any, len(m.PK))
	for i, f := range m.PK {
		k[i] = f.Value(ptr)
	}
	return k
}

func (s *Session) remember(st *state) {
	st.key = keyOf(st.m, st.ptr)
	idm := s.ident[st.m]
	if idm == nil {
		idm = map[any]*state{}
		s.ident[st.m] = idm
	}
	idm[st.key] = st
	st.snap = snapshot(st.m, st.ptr)
}

func snapshot(m *Mapper, ptr unsafe.Pointer) []any {
	out := make([]any, len(m.Fields))
	for i, f := range m.Fields {
		v := f.Value(ptr)
		if b, ok := v.([]byte); ok { // RawMessage too, after conversion below
			v = bytes.Clone(b)
		} else if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			c := reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len())
			reflect.Copy(c, rv)
			v = c.Interface()
		}
		out[i] = v
	}
	return out
}

func valuesEqual(a, b any) bool {
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.IsValid() && ra.Kind() == reflect.Slice && rb.IsValid() && rb.Kind() == reflect.Slice &&
		ra.Type().Elem().Kind() == reflect.Uint8 {
		return (ra.IsNil() == rb.IsNil()) && bytes.Equal(ra.Bytes(), rb.Bytes())
	}
	if ra.IsValid() && ra.Type().Comparable() && rb.IsValid() && rb.Type().Comparable() {
		return a == b
	}
	return reflect.DeepEqual(a, b)
}

// Get returns the object of type T with the given primary key: from the
// identity map if the session already has it (the same pointer), otherwise
// loaded from the database. It returns sqlerr.ErrNotFound if there is no
// such row.
func Get[T any](ctx context.Context, s *Session, key ...any) (*T, error) {
	obj, err := s.get(ctx, reflect.TypeFor[T](), key)
	if err != nil {
		return nil, err
	}
	return obj.(*T), nil
}

func (s *Session) get(ctx context.Context, t reflect.Type, key []any) (any, error) {
	if err := s.enter(opGet); err != nil {
		return nil, err
	}
	defer s.g.exit()
	m := s.f.reg.Mapper(t)
	if m == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotMapped, t)
	}
	if len(key) != len(m.PK) {
		return nil, fmt.Errorf("orm: %s has a %d-column primary key, got %d values", t, len(m.PK), len(key))
	}
	probe := reflect.New(t)
	for i, f := range m.PK {
		pv := reflect.NewAt(f.Type, unsafe.Add(probe.UnsafePointer(), f.offset)).Elem()
		kv := reflect.ValueOf(key[i])
		if !kv.IsValid() || !kv.Type().ConvertibleTo(f.Type) {
			return nil, fmt.Errorf("orm: key value %v (%T) does not fit field %s (%s)", key[i], key[i], f.Name, f.Type)
		}
		pv.Set(kv.Convert(f.Type))
	}
	k := keyOf(m, probe.UnsafePointer())
	if st := s.ident[m][k]; st != nil {
		if st.status == Deleted {
			return nil, sqlerr.ErrNotFound
		}
		return st.obj, nil
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	tr := expr.T(m.Table.Name)
	q := expr.Select(columnsOf(tr, m.Fields)...).From(tr)
	for i, f := range m.PK {
		q.Where(expr.Eq(tr.C(f.Column.Name), key[i]))
	}
	dest := make([]any, len(m.Fields))
	for i, f := range m.Fields {
		dest[i] = f.Ptr(probe.UnsafePointer())
	}
	if err := tx.QueryRowStmt(ctx, q).Scan(dest...); err != nil {
		return nil, err
	}
	st := &state{m: m, ptr: probe.UnsafePointer(), obj: probe.Interface(), status: Persistent}
	s.states[st.ptr] = st
	s.remember(st)
	return st.obj, nil
}

func columnsOf(tr *expr.TableRef, fields []*Field) []expr.Expr {
	out := make([]expr.Expr, len(fields))
	for i, f := range fields {
		if tr == nil {
			out[i] = expr.C(f.Column.Name)
		} else {
			out[i] = tr.C(f.Column.Name)
		}
	}
	return out
}

// Commit flushes and commits the session's transaction. Afterwards every
// object still in the session is persistent and holds exactly what was
// written and read back (server defaults, generated keys, server onupdate
// values); nothing is expired and nothing will be loaded behind your back.
func (s *Session) Commit(ctx context.Context) error {
	if err := s.enter(opCommit); err != nil {
		return err
	}
	defer s.g.exit()
	if err := s.flush(ctx); err != nil {
		return err
	}
	if s.tx == nil {
		return nil
	}
	tx := s.tx
	s.tx = nil
	if err := tx.Commit(ctx); err != nil {
		s.discard()
		return err
	}
	return nil
}

// Rollback rolls the transaction back and detaches every object: the
// session no longer knows what the database holds for them.
func (s *Session) Rollback(ctx context.Context) error {
	if err := s.enter(opRollback); err != nil {
		return err
	}
	defer s.g.exit()
	var err error
	if s.tx != nil {
		err = s.tx.Rollback(ctx)
		s.tx = nil
	}
	s.discard()
	return err
}

func (s *Session) discard() {
	s.ident = map[*Mapper]map[any]*state{}
	s.states = map[unsafe.Pointer]*state{}
	s.order = nil
}

// Close rolls back anything uncommitted and releases the connection.
func (s *Session) Close(ctx context.Context) error {
	if err := s.g.enter(opClose); err != nil {
		return err
	}
	defer s.g.exit()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.tx != nil {
		err = s.tx.Rollback(ctx)
		s.tx = nil
	}
	s.discard()
	return err
}

// Flush writes pending changes in dependency order inside the session's
// transaction. If a statement fails, the flush is undone to a savepoint and
// the session's objects are restored to their state before the flush, so
// the session stays usable.
func (s *Session) Flush(ctx context.Context) error {
	if err := s.enter(opFlush); err != nil {
		return err
	}
	defer s.g.exit()
	return s.flush(ctx)
}
