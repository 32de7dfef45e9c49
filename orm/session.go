package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/strata-go/strata/dialect"
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

// Factory makes sessions (SQLAlchemy's sessionmaker). It is safe for
// concurrent use: share one, and open a session per request or job.
type Factory struct {
	db   *engine.DB
	reg  *Registry
	cfg  factoryConfig
	once sync.Once
	rank map[string]int  // table -> position in dependency order
	refd map[string]bool // tables some foreign key references
	// columns some foreign key references, by table: a change moves the
	// referencing rows
	refCols map[string]map[string]bool
	err     error
}

type factoryConfig struct {
	noAutoflush bool
	txOpts      dialect.TxOptions
	eagerTx     bool
	retry       *engine.RetryPolicy // nil: the DB's
	flushHooks  []FlushHook
	objHooks    map[reflect.Type]*objectHooks
	// a DELETE of a row already gone is not stale data
	idempotentDeletes bool
	router            *engine.Router // read routing; nil: every session on db
	noStaging         bool           // large key-returning inserts never use a staging table
}

// FactoryOption configures a [Factory].
type FactoryOption func(*factoryConfig)

// WithRouter routes the factory's sessions through r: sessions from
// [Factory.NewReadOnly] read from a replica (r.Reader, with its
// read-your-writes policy) and refuse to write; every other session uses
// the primary for reads and writes, and a Commit that wrote tells r
// (r.Wrote), so read-your-writes follows ORM commits. Make the factory
// over r.Primary().
func WithRouter(r *engine.Router) FactoryOption {
	return func(c *factoryConfig) { c.router = r }
}

// IdempotentDeletes makes the flush's DELETE of a row that is already gone
// succeed: the object is detached as if it had deleted the row. By
// default such a DELETE is a *StaleDataError, as any write that matches
// no row (SQLAlchemy's confirm_deleted_rows): the program decided on a
// row someone else removed, and may want to know. A versioned row that
// is still there with another version is stale data either way.
func IdempotentDeletes() FactoryOption {
	return func(c *factoryConfig) { c.idempotentDeletes = true }
}

// NoStagingTables keeps flushes from creating temporary tables. By
// default a flush inserting 5,000 rows or more of one table that read
// keys or defaults back copies them into a temporary staging table
// on PostgreSQL and moves them with one INSERT ... SELECT ... RETURNING,
// which needs the TEMPORARY privilege on the database (PostgreSQL grants
// it to every role unless revoked). With this option those rows go as
// INSERTs from arrays, 10,000 per statement, as smaller batches do.
func NoStagingTables() FactoryOption { return func(c *factoryConfig) { c.noStaging = true } }

// NoAutoflush stops queries from flushing pending changes first. By
// default a query flushes, so it sees what the session holds (SQLAlchemy's
// autoflush).
func NoAutoflush() FactoryOption { return func(c *factoryConfig) { c.noAutoflush = true } }

// WithTxOptions sets the isolation level and read-only flag of every
// session's transaction. A session with options other than the defaults
// begins its transaction at its first statement, reads included, so that
// the whole session sees one snapshot.
func WithTxOptions(o dialect.TxOptions) FactoryOption {
	return func(c *factoryConfig) { c.txOpts = o; c.eagerTx = o != (dialect.TxOptions{}) }
}

// WithRetryPolicy sets the policy [Factory.Transact] retries failed
// transactions by. Without it Transact follows the DB's policy
// ([engine.DB.RetryPolicy], by default [engine.DefaultRetryPolicy]);
// [engine.NoRetry] turns retries off.
func WithRetryPolicy(p engine.RetryPolicy) FactoryOption {
	return func(c *factoryConfig) { c.retry = &p }
}

// NewFactory returns a session factory over db for the registry's models.
func NewFactory(db *engine.DB, reg *Registry, opts ...FactoryOption) *Factory {
	f := &Factory{db: db, reg: reg}
	for _, o := range opts {
		o(&f.cfg)
	}
	return f
}

// DB returns the database the factory's sessions use.
func (f *Factory) DB() *engine.DB { return f.db }

// Registry returns the models the factory's sessions map.
func (f *Factory) Registry() *Registry { return f.reg }

// New opens a session. It is cheap: no connection is taken until the
// session first needs one.
func (f *Factory) New() *Session {
	return &Session{f: f} // maps are made when first written
}

// NewReadOnly opens a read-only session: with [WithRouter] its reads go to
// a replica, and without a router to the factory's database (a
// transaction it begins is read-only). Queries do not flush first (there is nothing it may
// write), and a flush with anything to write fails with a
// [*sqlerr.ReadOnlyError] before any SQL.
func (f *Factory) NewReadOnly() *Session {
	return &Session{f: f, readOnly: true}
}

func (f *Factory) order() (map[string]int, error) {
	f.once.Do(func() {
		if err := f.reg.Check(); err != nil {
			f.err = err
			return
		}
		// Foreign keys of post_update relationships are set after the
		// inserts: they do not order the tables.
		md := f.reg.MetaData()
		post := f.reg.postUpdateKeys()
		for _, t := range md.Tables() {
			t.ForeignKeys = slices.DeleteFunc(t.ForeignKeys, func(fk *schema.ForeignKey) bool {
				return post[t.Name+"\x00"+strings.Join(fk.Columns, ",")]
			})
		}
		plan, err := schema.PlanCreate(md, true)
		if err != nil {
			f.err = err
			return
		}
		f.rank = map[string]int{}
		f.refd = map[string]bool{}
		f.refCols = map[string]map[string]bool{}
		for i, t := range plan.Tables {
			f.rank[t.Name] = i
			for _, fk := range t.ForeignKeys {
				f.refd[fk.RefTable] = true
			}
		}
		// every foreign key, post_update ones included
		for _, t := range f.reg.MetaData().Tables() {
			for _, fk := range t.ForeignKeys {
				if f.refCols[fk.RefTable] == nil {
					f.refCols[fk.RefTable] = map[string]bool{}
				}
				for _, c := range fk.RefColumns {
					f.refCols[fk.RefTable][c] = true
				}
			}
		}
	})
	return f.rank, f.err
}

// Transact runs fn in a new session inside one transaction and commits it.
// If fn returns an error or panics, the transaction is rolled back. If the
// commit (or any statement) fails with an error the retry policy retries
// (serialization failures and deadlocks by default; see [WithRetryPolicy]
// and [engine.RetryPolicy]), the whole of fn runs again in a fresh
// session, after a jittered pause, within the policy's attempts and time
// budget. fn must therefore be safe to repeat, and must not keep objects
// from a failed attempt.
func (f *Factory) Transact(ctx context.Context, fn func(ctx context.Context, s *Session) error) error {
	p := f.db.RetryPolicy()
	if f.cfg.retry != nil {
		p = *f.cfg.retry
	}
	return p.Run(ctx, func(ctx context.Context) error { return f.transactOnce(ctx, fn) })
}

func (f *Factory) transactOnce(ctx context.Context, fn func(ctx context.Context, s *Session) error) (err error) {
	s := f.New()
	s.transact = true
	defer func() {
		if p := recover(); p != nil {
			_ = s.Close(context.WithoutCancel(ctx))
			panic(p)
		}
		if cerr := s.Close(context.WithoutCancel(ctx)); err == nil {
			err = cerr
		}
	}()
	if err := s.Begin(ctx); err != nil {
		return err
	}
	if err := fn(ctx, s); err != nil {
		return err
	}
	return s.Commit(ctx)
}

// object returns the object as a pointer to its struct type.
func (st *state) object() any { return reflect.NewAt(st.m.Type, st.ptr).Interface() }

// state is what a session knows of one object.
type state struct {
	m        *Mapper
	ptr      unsafe.Pointer // the struct
	snap     unsafe.Pointer // copy of the struct at load or last flush; nil if unknown
	key      any
	status   Status // beside the flags: 48 bytes, not 56, per object held
	ghost    bool   // a row found by a delete cascade, not tracked by the session
	cascaded bool   // pending because a save-update cascade reached it
	gone     bool   // deleted by the database itself (passive deletes): no SQL
	// the claims (relate.go) that last found every target of its
	// relationships in the session; in the padding after the flags
	checked uint32
}

// Session is a unit of work for one goroutine: an identity map, change
// tracking and a transaction. Calls from two goroutines at once fail with
// a *ConcurrentUseError instead of corrupting it.
//
// The transaction begins at the first flush (or at [Session.Begin], or at
// the first statement when the factory has [WithTxOptions]); reads before
// it run as single statements on the pool, so a session that only reads
// never holds a connection idle in a transaction.
type Session struct {
	// Every request allocates one, so its size matters: at 472 bytes it
	// fills the 480-byte size class; 8 bytes more take the 512-byte one,
	// and past 512 bytes the allocator adds an 8-byte header. What a
	// flush works in is pooled (flushScratch), not carried here.
	g        guard
	f        *Factory
	tx       *engine.Tx
	ident    smallMap[identityKey, *state] // the identity map
	ints     map[*Mapper]*intTable         // the identity map of single integer keys (over four objects)
	states   stateIndex                    // every object by address
	order    []*state                      // pending objects in Add order
	detached map[unsafe.Pointer]*state
	nested   []*Nested // open savepoints, innermost last
	closed   bool
	readOnly bool // from NewReadOnly: reads routed to a replica, no writes
	transact bool // run by Factory.Transact, whose loop retries conflicts
	wrote    bool // a flush wrote in the current transaction (for the router)
	stUsed   bool // stBuf holds an object's state

	// what a flush works in, from scratchPool while it runs (nil
	// otherwise): a flush of a few objects allocates no plan of its own,
	// and a session does not carry one
	sc *flushScratch

	orderBuf [4]*state
	stBuf    state   // the first object's state (stUsed says it is taken)
	stSlab   []state // the next ones (see newState)
	stSlabN  int

	// what the last flush's claims vouch for (see relPlanner.clean)
	claimToken uint32 // the last claims' number
	verified   uint32 // the claims of the last successful flush, if they vouch
	cleanAt    uint64 // states.removed when that flush ended
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
	opBegin    = &op{"Begin"}
	opNested   = &op{"BeginNested"}
	opQuery    = &op{"Query"}
	opMerge    = &op{"Merge"}
	opRefresh  = &op{"Refresh"}
	opRaw      = &op{"RawQuery"}
)

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
	if m, ptr := s.f.reg.mapperOf(obj); m != nil && ptr != nil {
		return s.stateAt(ptr), m, nil
	}
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("orm: want a non-nil pointer to a struct, got %T", obj)
	}
	m := s.f.reg.Mapper(v.Type())
	if m == nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrNotMapped, v.Type().Elem())
	}
	return s.stateAt(v.UnsafePointer()), m, nil
}

// Add makes a transient object pending: it is inserted at the next flush.
// Adding a persistent object of this session is a no-op; adding a deleted
// one undoes the delete; adding an object this session detached with
// [Session.Expunge] makes it persistent again, its changes since then
// tracked. An object detached by a rollback, or loaded by another session,
// must come back through [Merge]: this session cannot know what its row
// holds.
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
		ptr := reflect.ValueOf(obj).UnsafePointer()
		if d := s.detached[ptr]; d != nil {
			if d.snap == nil {
				return fmt.Errorf("orm: Add of a %s detached by a rollback or a committed delete: use Merge", m.Type)
			}
			if other := s.lookup(m, d.key); other != nil {
				return fmt.Errorf("orm: Add of a detached %s %v: the session already holds another object with that key", m.Type, d.key)
			}
			delete(s.detached, ptr)
			d.status = Persistent
			s.track(d)
			return s.cascadeAdd(d)
		}
		st = s.newState()
		*st = state{m: m, ptr: ptr, status: Pending}
		s.states.add(ptr, st) // stateOf found none
		if s.order == nil {
			s.order = s.orderBuf[:0]
		} else if len(s.order) == cap(s.order) {
			s.order = slices.Grow(s.order, 3*len(s.order)) // by four, as the state index
		}
		s.order = append(s.order, st)
		if err := s.cascadeAdd(st); err != nil {
			s.forget(st)
			return err
		}
		return nil
	case st.status == Deleted:
		st.status = Persistent
	}
	st.cascaded = false // added by the program itself now
	return s.cascadeAdd(st)
}

// Delete marks an object for deletion at the next flush; relationships
// with cascade delete take their objects along then. Deleting a pending
// object just forgets it, with the pending objects it cascades to.
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
		s.dropPending(st)
	case st.status == Persistent:
		st.status = Deleted
	}
	return nil
}

// Expunge removes an object from the session: it becomes detached (or
// transient, if it was pending). Nothing is written for it. Objects it
// reaches through relationships with cascade expunge go too. [Session.Add]
// takes it back with its changes tracked.
func (s *Session) Expunge(obj any) error {
	if err := s.enter(opExpunge); err != nil {
		return err
	}
	defer s.g.exit()
	st, _, err := s.stateOf(obj)
	if err != nil || st == nil {
		return err
	}
	// the object and what it reaches through relationships with expunge
	work := []*state{st}
	for len(work) > 0 {
		cur := work[len(work)-1]
		work = work[:len(work)-1]
		if s.stateAt(cur.ptr) != cur {
			continue // done already
		}
		pending := cur.status == Pending
		s.forget(cur)
		if !pending {
			cur.status = Detached
			s.detach(cur)
		}
		for _, rel := range cur.m.rels {
			if !rel.cascade.has(cascadeExpunge) {
				continue
			}
			for _, p := range targets(rel, cur.ptr) {
				if t := s.stateAt(p); t != nil {
					work = append(work, t)
				}
			}
		}
	}
	return nil
}

// Status reports an object's state in this session: Transient for objects
// it never held, Detached for those it held and let go (expunged, deleted
// and committed, or in the session when it rolled back or closed).
//
// Status answers Transient for misuse too (another goroutine in the
// session, an argument that is no registered struct pointer);
// [Session.StatusErr] reports it.
func (s *Session) Status(obj any) Status {
	st, _ := s.status(obj)
	return st
}

// status is Status and StatusErr: one guard, one answer.
func (s *Session) status(obj any) (Status, error) {
	if err := s.g.enter(opStatus); err != nil {
		return Transient, err
	}
	defer s.g.exit()
	st, _, err := s.stateOf(obj)
	if err != nil {
		return Transient, err
	}
	if st == nil && !s.closed {
		// An object a held object reaches through save-update is pending
		// now, not only at the next flush: run that cascade first.
		s.cascadePending()
		st = s.stateAt(reflect.ValueOf(obj).UnsafePointer())
	}
	if st != nil {
		return st.status, nil
	}
	if s.detached[reflect.ValueOf(obj).UnsafePointer()] != nil {
		return Detached, nil
	}
	return Transient, nil
}

// cascadePending makes the objects reachable from the session's pending
// and persistent objects through save-update relationships pending (the
// first phase of a flush). Errors are left for the flush to report.
func (s *Session) cascadePending() {
	var roots []*state
	for _, st := range s.states.all() {
		if st.status == Pending || st.status == Persistent {
			roots = append(roots, st)
		}
	}
	for _, st := range roots {
		if s.cascadeAdd(st) != nil {
			return
		}
	}
}

func (s *Session) forget(st *state) {
	s.states.delete(st.ptr)
	if st.key != nil && s.lookup(st.m, st.key) == st {
		if k, ok := intKey(st.m, st.key); ok && s.ints[st.m].get(k) == st {
			s.ints[st.m].delete(k)
		} else {
			s.ident.delete(identityKey{st.m, st.key})
		}
	}
	if st.status == Pending {
		s.order = slices.DeleteFunc(s.order, func(x *state) bool { return x == st })
	}
}

func (s *Session) detach(st *state) {
	st.status = Detached
	if s.detached == nil {
		s.detached = map[unsafe.Pointer]*state{}
	}
	s.detached[st.ptr] = st
}

// putState indexes st by its object's address.
func (s *Session) putState(st *state) { s.states.set(st.ptr, st) }

// stateAt returns the state of the object at p, or nil.
func (s *Session) stateAt(p unsafe.Pointer) *state {
	st, _ := s.states.get(p)
	return st
}

// lookup returns the identity map's state for a key, or nil.
func (s *Session) lookup(m *Mapper, key any) *state {
	if k, ok := intKey(m, key); ok && s.ints != nil {
		if st := s.ints[m].get(k); st != nil {
			return st
		}
	}
	st, _ := s.ident.get(identityKey{m, key})
	return st
}

// reserveInts makes room in m's identity map of integer keys for n more
// objects about to be tracked (the rows of a flush's inserts), where
// track would put them.
func (s *Session) reserveInts(m *Mapper, n int) {
	if !m.intPK || n < inlineN || (s.ints == nil && s.ident.len()+n < inlineN) {
		return
	}
	s.intsOf(m).reserve(n)
}

// intsOf returns m's identity map of integer keys, made if need be.
func (s *Session) intsOf(m *Mapper) *intTable {
	t := s.ints[m]
	if t == nil {
		if s.ints == nil {
			s.ints = map[*Mapper]*intTable{}
		}
		t = &intTable{}
		s.ints[m] = t
	}
	return t
}

// track puts a persistent state (key and snapshot set) in the maps.
func (s *Session) track(st *state) {
	s.putState(st)
	s.trackKey(st)
}

// trackKey is track for a state the index already holds: it enters the
// identity map.
func (s *Session) trackKey(st *state) {
	if k, ok := intKey(st.m, st.key); ok {
		if t := s.intsInUse(st.m); t != nil {
			t.set(k, st)
			return
		}
	}
	s.ident.set(identityKey{st.m, st.key}, st)
}

// intsInUse returns m's identity map of integer keys if integer keys go
// into one now: once any such table exists or the inline map is full.
// Before, they go into the inline map with the other keys, and it is nil.
func (s *Session) intsInUse(m *Mapper) *intTable {
	if s.ints == nil && s.ident.len() < inlineN {
		return nil
	}
	return s.intsOf(m)
}

// Begin starts the session's transaction now rather than at the first
// flush, so that every later read sees the same transaction (under
// REPEATABLE READ or SERIALIZABLE, one snapshot). It does nothing if the
// transaction has begun.
func (s *Session) Begin(ctx context.Context) error {
	if err := s.enter(opBegin); err != nil {
		return err
	}
	defer s.g.exit()
	_, err := s.begin(ctx)
	return err
}

func (s *Session) begin(ctx context.Context) (*engine.Tx, error) {
	if s.tx == nil {
		var tx *engine.Tx
		var err error
		switch {
		case s.readOnly && s.f.cfg.router != nil:
			tx, err = s.f.cfg.router.BeginTx(engine.ReadOnly(ctx), s.f.cfg.txOpts)
		case s.readOnly:
			opts := s.f.cfg.txOpts
			opts.ReadOnly = true
			tx, err = s.f.db.BeginTx(engine.ReadOnly(ctx), opts)
		default:
			tx, err = s.f.db.BeginTx(ctx, s.f.cfg.txOpts)
		}
		if err != nil {
			return nil, err
		}
		s.tx = tx
	}
	return s.tx, nil
}

// reader is where a read goes: the transaction once it has begun,
// otherwise the pool.
func (s *Session) reader(ctx context.Context) (engine.Executor, error) {
	if s.tx != nil {
		return s.tx, nil
	}
	if s.f.cfg.eagerTx {
		return s.begin(ctx)
	}
	if s.readOnly && s.f.cfg.router != nil {
		db, err := s.f.cfg.router.Reader(engine.ReadOnly(ctx))
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	return s.f.db, nil
}

// newState returns memory for a new object's state: the first lives in
// the session, the next come from slabs that grow to 64 states (a session
// adding many objects allocates a few slabs, not a state each).
func (s *Session) newState() *state {
	if !s.stUsed {
		s.stUsed = true
		return &s.stBuf
	}
	if len(s.stSlab) == 0 {
		s.stSlabN = min(max(4*s.stSlabN, 4), 64) // 4, 16, 64, 64...: few slabs
		s.stSlab = make([]state, s.stSlabN)
	}
	st := &s.stSlab[0]
	s.stSlab = s.stSlab[1:]
	return st
}

// remember makes st persistent under its current key, with a fresh
// snapshot.
func (s *Session) remember(st *state) {
	st.key = keyOf(st.m, st.ptr)
	st.snap = st.m.snapshot(st.ptr)
	s.track(st)
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
	return s.getLocked(ctx, m, key)
}

// getLocked is Get for a caller inside the guard.
func (s *Session) getLocked(ctx context.Context, m *Mapper, key []any) (any, error) {
	t := m.Type
	if len(key) != len(m.PK) {
		return nil, fmt.Errorf("orm: %s has a %d-column primary key, got %d values", t, len(m.PK), len(key))
	}
	// the object and its snapshot, in one allocation: the key is set in
	// the object, and the row scanned into it
	probe, snap := m.newPair()
	exact := true // every key value has its field's type: use them as they are
	for i, f := range m.PK {
		pv := reflect.NewAt(f.Type, unsafe.Add(probe, f.offset)).Elem()
		kv := reflect.ValueOf(key[i])
		if !kv.IsValid() || !kv.Type().ConvertibleTo(f.Type) {
			return nil, fmt.Errorf("orm: key value %v (%T) does not fit field %s (%s)", key[i], key[i], f.Name, f.Type)
		}
		if kv.Type() == f.Type {
			pv.Set(kv)
		} else {
			exact = false
			pv.Set(kv.Convert(f.Type))
		}
	}
	var k any
	if exact && len(key) == 1 {
		k = key[0]
	} else {
		k = keyOf(m, probe)
	}
	if st := s.lookup(m, k); st != nil {
		if st.status == Deleted {
			return nil, sqlerr.ErrNotFound
		}
		return st.object(), nil
	}
	ex, err := s.reader(ctx)
	if err != nil {
		return nil, err
	}
	query, err := m.selectByKey(ex.Dialect())
	if err != nil {
		return nil, err
	}
	args := key
	if !exact {
		args = make([]any, len(m.PK))
		for i, f := range m.PK {
			args[i] = f.valueAt(probe)
		}
	}
	dest := m.getDest()
	for i, f := range m.Fields {
		(*dest)[i] = f.ptrAt(probe)
	}
	err = ex.QueryRow(ctx, query, args...).Scan(*dest...)
	m.putDest(dest)
	if err != nil {
		return nil, err
	}
	st := s.newState()
	*st = state{m: m, ptr: probe, status: Persistent, key: k}
	if err := s.bindLoaded(st); err != nil {
		return nil, err
	}
	st.snap = m.snapshotInto(snap, st.ptr)
	s.track(st)
	return st.object(), nil
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
// Objects deleted by the transaction become detached. If the commit itself
// fails, the outcome is unknown to the session: every object is detached.
//
// Outside [Factory.Transact], a transaction conflict (serialization
// failure, deadlock, lock timeout, SQLite busy) is returned as a
// [*ConflictError]: nothing was written, and the message says to run the
// unit of work with Transact, which retries it. Write with Transact.
func (s *Session) Commit(ctx context.Context) error {
	if err := s.enter(opCommit); err != nil {
		return err
	}
	defer s.g.exit()
	if err := s.flushTx(ctx, true); err != nil {
		return s.conflict("Commit", err)
	}
	if s.tx == nil {
		s.committed(ctx)
		return nil
	}
	tx := s.tx
	s.tx = nil
	s.nested = nil
	if err := tx.Commit(ctx); err != nil {
		s.wrote = false
		s.discard(true)
		return s.conflict("Commit", err)
	}
	s.committed(ctx)
	return nil
}

// committed tells the factory's router that this session's commit wrote,
// for read-your-writes.
func (s *Session) committed(ctx context.Context) {
	if s.wrote && s.f.cfg.router != nil {
		s.f.cfg.router.Wrote(ctx)
	}
	s.wrote = false
}

// Rollback rolls the transaction back and detaches every object: the
// session no longer knows what the database holds for them (objects that
// were pending become transient). Use [Merge] or a new load to go on with
// them. To undo part of a transaction and keep the objects, use
// [Session.BeginNested].
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
	s.discard(true)
	return err
}

// discard detaches every object; lost says the database may no longer
// hold what their snapshots say.
func (s *Session) discard(lost bool) {
	s.wrote = false
	for _, st := range s.states.all() {
		if st.status == Pending {
			continue
		}
		if lost {
			st.snap = nil
		}
		s.detach(st)
	}
	s.resetIdent()
	s.states.reset()
	s.order = nil
	s.nested = nil
}

// Close rolls back anything uncommitted and releases the connection. The
// session's objects become detached; they keep their values. After Close
// every method but Status returns ErrClosed.
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
	lost := s.tx != nil
	if s.tx != nil {
		err = s.tx.Rollback(ctx)
		s.tx = nil
	}
	// Detach in place: a closed session only answers Status, which finds
	// the states where they are. Pending objects become transient.
	for p, st := range s.states.all() {
		if st.status == Pending {
			s.states.delete(p)
			continue
		}
		if lost {
			st.snap = nil
		}
		st.status = Detached
	}
	s.resetIdent()
	s.order = nil
	s.nested = nil
	return err
}

// Flush writes pending changes in dependency order inside the session's
// transaction. If a statement fails, the flush is undone to a savepoint and
// the session's objects are restored to their state before the flush, so
// the session stays usable. A transaction conflict outside
// [Factory.Transact] is a [*ConflictError], as from [Session.Commit].
func (s *Session) Flush(ctx context.Context) error {
	if err := s.enter(opFlush); err != nil {
		return err
	}
	defer s.g.exit()
	return s.conflict("Flush", s.flush(ctx))
}

// conflict wraps a transaction conflict (a retryable error carrying
// *sqlerr.RetryableError: serialization failure, deadlock, lock timeout,
// busy) that ends a Commit or Flush outside Factory.Transact in a
// *ConflictError, whose message says to use Transact. Other errors, and
// every error inside Transact (its retry loop reads the cause), pass
// unchanged.
func (s *Session) conflict(op string, err error) error {
	var re *sqlerr.RetryableError
	if err == nil || s.transact || !errors.As(err, &re) || !sqlerr.IsRetryable(err) {
		return err
	}
	return &ConflictError{Op: op, Err: err}
}

// identAll iterates over the identity map.
func (s *Session) identAll() func(yield func(*state) bool) {
	return func(yield func(*state) bool) {
		for _, st := range s.ident.all() {
			if !yield(st) {
				return
			}
		}
		for _, t := range s.ints {
			for st := range t.all {
				if !yield(st) {
					return
				}
			}
		}
	}
}

func (s *Session) resetIdent() {
	s.ident.reset()
	for _, t := range s.ints {
		t.reset()
	}
}

// reserve prepares the session's maps for n more objects of m.
func (s *Session) reserve(m *Mapper, n, inMap int) {
	if n < inlineN {
		return
	}
	s.states.reserve(inMap)
	if m.intPK {
		s.intsOf(m).reserve(n)
		return
	}
	s.ident.reserve(n)
}

// dropPending forgets a pending object (never written) and the pending
// objects it would have deleted by cascade.
func (s *Session) dropPending(st *state) {
	work := []*state{st}
	for len(work) > 0 {
		cur := work[0]
		work = work[1:]
		if cur.status != Pending || s.stateAt(cur.ptr) != cur {
			continue
		}
		s.forget(cur)
		for _, rel := range cur.m.rels {
			if rel.cascade.has(cascadeDelete) {
				for _, p := range targets(rel, cur.ptr) {
					if t := s.stateAt(p); t != nil {
						work = append(work, t)
					}
				}
			}
		}
	}
}
