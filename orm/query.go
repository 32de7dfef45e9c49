package orm

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"unsafe"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/sqlerr"
)

// ErrMultipleRows is returned by [Query.One] when more than one row
// matches.
var ErrMultipleRows = errors.New("orm: query returned more than one row")

// Query is a typed SELECT of T's rows through a session, built on the
// expression layer. Rows come back through the identity map: an object the
// session already holds is returned as is (the same pointer, its unflushed
// changes kept), never overwritten by the row. Unless the factory has
// [NoAutoflush], running a query flushes the session first, so the query
// sees what the session holds.
//
// A Query is built by one goroutine and run once or many times; building
// errors (an unknown field) are kept and returned by the call that runs it.
type Query[T any] struct {
	s       *Session
	m       *Mapper
	t       *expr.TableRef
	sel     *expr.SelectStmt
	err     error
	with    []string
	joined  []string
	noTrack bool
}

// Select starts a query for T, which must be registered:
//
//	notes, err := orm.Select[Note](s).
//		Where(expr.Eq(expr.C("pinned"), true)).
//		OrderBy(expr.Desc(expr.C("created"))).
//		Limit(20).
//		All(ctx)
func Select[T any](s *Session) *Query[T] {
	q := &Query[T]{s: s}
	m := s.f.reg.Mapper(reflect.TypeFor[T]())
	if m == nil {
		q.err = fmt.Errorf("%w: %s", ErrNotMapped, reflect.TypeFor[T]())
		return q
	}
	q.m = m
	q.t = tref(m.Table)
	q.sel = expr.Select(columnsOf(q.t, m.Fields)...).From(q.t)
	return q
}

// Table is T's table, to qualify columns when the query joins others.
func (q *Query[T]) Table() *expr.TableRef { return q.t }

// C returns T's column for a Go field name ("CreatedAt") or a column name
// ("created_at"), qualified by the table. An unknown name is an error
// returned when the query runs.
func (q *Query[T]) C(name string) expr.Column {
	if q.m == nil {
		return expr.C(name)
	}
	f := q.m.fieldNamed(name)
	if f == nil {
		if q.err == nil {
			q.err = fmt.Errorf("orm: %s has no field or column %q", q.m.Type, name)
		}
		return q.t.C(name)
	}
	return q.t.C(f.Column.Name)
}

// Where adds conditions, joined with AND.
func (q *Query[T]) Where(conds ...expr.Expr) *Query[T] {
	if q.sel != nil {
		q.sel.Where(conds...)
	}
	return q
}

// FilterBy adds field = value for a Go field or column name (a nil value
// means IS NULL).
func (q *Query[T]) FilterBy(name string, value any) *Query[T] {
	c := q.C(name)
	if value == nil {
		return q.Where(expr.IsNull(c))
	}
	if q.m != nil {
		if f := q.m.fieldNamed(name); f != nil {
			value = f.arg(value)
		}
	}
	return q.Where(expr.Eq(c, value))
}

// Join adds an INNER JOIN; the selected columns stay T's.
func (q *Query[T]) Join(t *expr.TableRef, on expr.Expr) *Query[T] {
	if q.sel != nil {
		q.sel.Join(t, on)
	}
	return q
}

// LeftJoin adds a LEFT JOIN.
func (q *Query[T]) LeftJoin(t *expr.TableRef, on expr.Expr) *Query[T] {
	if q.sel != nil {
		q.sel.LeftJoin(t, on)
	}
	return q
}

// Distinct makes it SELECT DISTINCT (useful with joins).
func (q *Query[T]) Distinct() *Query[T] {
	if q.sel != nil {
		q.sel.Distinct()
	}
	return q
}

// OrderBy adds ORDER BY terms.
func (q *Query[T]) OrderBy(o ...expr.Order) *Query[T] {
	if q.sel != nil {
		q.sel.OrderBy(o...)
	}
	return q
}

// With loads relationships of the results as [Load] does, after All, First
// or One: one query per relationship and level, never one per object.
// Each and Iter do not load them.
func (q *Query[T]) With(paths ...string) *Query[T] {
	q.with = append(q.with, paths...)
	return q
}

// WithJoined loads many-to-one and one-to-one relationships (Ref fields)
// in the same query: a LEFT JOIN of each related table, its columns read
// with the row. Use it for references; use With for collections.
func (q *Query[T]) WithJoined(fields ...string) *Query[T] {
	q.joined = append(q.joined, fields...)
	return q
}

// NoTracking makes the query read plain copies (EF Core's AsNoTracking),
// for read-heavy endpoints that change nothing: each row becomes a new
// object that the session neither enters in its identity map nor
// snapshots, so reading costs no identity-map entry, no snapshot copy and
// no state. Such an object is detached from the start: the session does
// not know it, a change to it is never written, and two reads of one row
// give two objects; an object the session already holds is not returned
// in its place (its unflushed changes are not seen, though the query still
// autoflushes first). To change a row, load it without NoTracking, or
// [Merge] the copy. NoTracking queries cannot load relationships (With,
// WithJoined): their Ref and List fields stay not loaded.
func (q *Query[T]) NoTracking() *Query[T] {
	q.noTrack = true
	return q
}

// Limit sets LIMIT.
func (q *Query[T]) Limit(n int64) *Query[T] {
	if q.sel != nil {
		q.sel.Limit(n)
	}
	return q
}

// Offset sets OFFSET.
func (q *Query[T]) Offset(n int64) *Query[T] {
	if q.sel != nil {
		q.sel.Offset(n)
	}
	return q
}

// ForUpdate locks the selected rows (SELECT ... FOR UPDATE where the
// database has row locks). It begins the session's transaction, since a
// lock outside one would be released at once.
func (q *Query[T]) ForUpdate() *Query[T] {
	if q.sel != nil {
		q.sel.ForUpdate()
	}
	return q
}

// Statement returns the SELECT as built so far, to use as a subquery.
func (q *Query[T]) Statement() (*expr.SelectStmt, error) { return q.sel, q.err }

// run checks the query, autoflushes and returns where to read.
func (q *Query[T]) prepare(ctx context.Context) (engine.Executor, error) {
	if q.err != nil {
		return nil, q.err
	}
	s := q.s
	if !s.f.cfg.noAutoflush && !s.readOnly {
		if err := s.flush(ctx); err != nil {
			return nil, err
		}
	}
	if q.sel.IsForUpdate() {
		return s.begin(ctx)
	}
	return s.reader(ctx)
}

// All returns every matching object.
func (q *Query[T]) All(ctx context.Context) ([]*T, error) {
	var out []*T
	err := q.each(ctx, q.sel, func(v *T) error {
		out = append(out, v)
		return nil
	})
	if err == nil && len(q.with) > 0 && len(out) > 0 {
		err = loadWith(ctx, q.s, out, q.with)
	}
	return out, err
}

// First returns the first matching object (LIMIT 1 unless the query has a
// limit), or sqlerr.ErrNotFound.
func (q *Query[T]) First(ctx context.Context) (*T, error) {
	return q.single(ctx, 1)
}

// One returns the only matching object: sqlerr.ErrNotFound if there is
// none, [ErrMultipleRows] if there are more.
func (q *Query[T]) One(ctx context.Context) (*T, error) {
	return q.single(ctx, 2)
}

func (q *Query[T]) single(ctx context.Context, limit int64) (*T, error) {
	if q.err != nil {
		return nil, q.err
	}
	sel := q.sel
	if !sel.HasLimit() {
		sel = sel.Clone().Limit(limit)
	}
	var got *T
	n := 0
	err := q.each(ctx, sel, func(v *T) error {
		n++
		if n == 1 {
			got = v
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case n == 0:
		return nil, sqlerr.ErrNotFound
	case n > 1 && limit == 2:
		return nil, ErrMultipleRows
	}
	if len(q.with) > 0 {
		if err := loadWith(ctx, q.s, []*T{got}, q.with); err != nil {
			return nil, err
		}
	}
	return got, nil
}

// Count returns the number of matching rows (honouring limit, offset and
// DISTINCT).
func (q *Query[T]) Count(ctx context.Context) (int64, error) {
	if q.err != nil {
		return 0, q.err
	}
	if err := q.s.enter(opQuery); err != nil {
		return 0, err
	}
	defer q.s.g.exit()
	ex, err := q.prepare(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = engine.QueryRowStmt(ctx, ex, q.sel.CountStmt()).Scan(&n)
	return n, err
}

// Exists reports whether any row matches.
func (q *Query[T]) Exists(ctx context.Context) (bool, error) {
	if q.err != nil {
		return false, q.err
	}
	if err := q.s.enter(opQuery); err != nil {
		return false, err
	}
	defer q.s.g.exit()
	ex, err := q.prepare(ctx)
	if err != nil {
		return false, err
	}
	var ok bool
	err = engine.QueryRowStmt(ctx, ex, expr.Select(expr.Exists(q.sel.Clone().Limit(1)))).Scan(&ok)
	return ok, err
}

// Each calls fn with each matching object as the rows arrive, without
// holding the whole result: memory stays flat apart from the identity map
// (which keeps every object, so that a second load returns the same
// pointer; [Session.Expunge] objects you are done with in very long
// scans). The session is busy until Each returns: fn must not use it
// (doing so fails with a *ConcurrentUseError). An error from fn stops the
// scan and is returned.
func (q *Query[T]) Each(ctx context.Context, fn func(*T) error) error {
	if q.err != nil {
		return q.err
	}
	return q.each(ctx, q.sel, fn)
}

// Iter is Each as a range-over-func iterator:
//
//	for n, err := range orm.Select[Note](s).Iter(ctx) { ... }
//
// Breaking out of the loop closes the rows.
func (q *Query[T]) Iter(ctx context.Context) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		stop := errors.New("stop")
		err := q.Each(ctx, func(v *T) error {
			if !yield(v, nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			yield(nil, err)
		}
	}
}

func (q *Query[T]) each(ctx context.Context, sel *expr.SelectStmt, fn func(*T) error) error {
	if q.err != nil {
		return q.err
	}
	s := q.s
	if q.noTrack && (len(q.with) > 0 || len(q.joined) > 0) {
		return fmt.Errorf("orm: a NoTracking query of %s cannot load relationships (With, WithJoined)", q.m.Type)
	}
	if err := s.enter(opQuery); err != nil {
		return err
	}
	defer s.g.exit()
	ex, err := q.prepare(ctx)
	if err != nil {
		return err
	}
	if q.noTrack {
		return q.eachUntracked(ctx, ex, sel, fn)
	}
	jn, err := s.joins(q.m, q.t, q.joined)
	if err != nil {
		return err
	}
	if jn != nil {
		sel = jn.apply(sel)
	}
	rs, err := engine.QueryStmt(ctx, ex, sel)
	if err != nil {
		return err
	}
	defer rs.Close()
	ld := newLoader(s, q.m, nil)
	if n, ok := sel.LimitValue(); ok && n > 0 {
		ld.hint = int(min(n, slabMax)) // the first slab holds every row
	}
	for rs.Next() {
		var obj unsafe.Pointer
		if jn != nil {
			obj, err = ld.load(rs, jn.dest...)
			if err == nil && obj != nil {
				err = jn.attach(s, obj)
			}
		} else {
			obj, err = ld.load(rs)
		}
		if err != nil {
			return err
		}
		if obj == nil {
			continue
		}
		if err := fn((*T)(obj)); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return err
	}
	return rs.Close()
}

// eachUntracked reads rows into plain objects: no identity map, no
// snapshot, no state (see [Query.NoTracking]). Objects come from slabs.
func (q *Query[T]) eachUntracked(ctx context.Context, ex engine.Executor, sel *expr.SelectStmt, fn func(*T) error) error {
	rs, err := engine.QueryStmt(ctx, ex, sel)
	if err != nil {
		return err
	}
	defer rs.Close()
	m := q.m
	dest := make([]any, len(m.Fields))
	var slab []T
	size, hint := 0, 0
	if n, ok := sel.LimitValue(); ok && n > 0 {
		hint = int(min(n, slabMax))
	}
	for rs.Next() {
		if len(slab) == 0 {
			size = min(max(2*size, 4, hint), slabMax)
			hint = 0
			slab = make([]T, size)
		}
		obj := &slab[0]
		slab = slab[1:]
		p := unsafe.Pointer(obj)
		for i, f := range m.Fields {
			dest[i] = f.ptrAt(p)
		}
		if err := rs.Scan(dest...); err != nil {
			return err
		}
		if err := fn(obj); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return err
	}
	return rs.Close()
}

// loader turns rows into objects through the identity map.
type loader struct {
	s    *Session
	m    *Mapper
	cols []*Field // the result's columns, in order
	dest []any

	objs, snaps unsafe.Pointer // current slabs
	states      []state
	used, size  int
	hint        int // the rows expected (a LIMIT), for the first slab
	spare       int // a slot of the current slab scanned but not kept (the session had the row), or -1

	// the slots handed out by scan since the last adoptScanned, as runs
	// of consecutive slots of one slab (no list of rows is kept)
	runs []slotRun

	// for a key intKeyField accepts: the key field, its boxes, and the
	// mapper's integer identity table once keys go into one
	ikey  *Field
	boxes keyBoxes
	ints  *intTable
}

// slab is one of the loader's slabs: objects, their snapshots and their
// states, side by side; slot i is the i-th of each.
type slab struct {
	objs, snaps unsafe.Pointer
	states      []state
}

// slotRun is a run of consecutive slots of a slab, from index from to
// index to (exclusive).
type slotRun struct {
	slab
	from, to int
}

func newLoader(s *Session, m *Mapper, cols []*Field) *loader {
	if cols == nil {
		cols = m.Fields
	}
	l := &loader{s: s, m: m, cols: cols, dest: make([]any, len(cols)), spare: -1}
	if f := intKeyField(m); f != nil {
		l.ikey, l.boxes = f, newKeyBoxes(f)
	}
	return l
}

// Objects, snapshots and states of a query's rows are allocated in slabs
// that grow to slabMax elements: far fewer allocations for large results
// (a slab stays alive while any of its objects does).
const slabMax = 256

// next takes the next slot of the current slab (a new slab when it is
// full) and returns its object, zeroed.
func (l *loader) next() unsafe.Pointer {
	if l.used == l.size {
		l.size = min(max(2*l.size, 4, l.hint), slabMax)
		l.hint = 0
		at := l.m.arrayOf(l.size)
		l.objs = reflect.New(at).UnsafePointer()
		l.snaps = reflect.New(at).UnsafePointer()
		l.states = make([]state, l.size)
		l.used = 0
	}
	obj := unsafe.Add(l.objs, uintptr(l.used)*l.m.Type.Size())
	l.used++
	return obj
}

// scan reads a row into a new object from the slabs; adoptScanned then
// puts every row scanned so far through the identity map.
func (l *loader) scan(rs *engine.Rows) error {
	obj := l.next()
	if n := len(l.runs); n > 0 && l.runs[n-1].objs == l.objs {
		l.runs[n-1].to = l.used
	} else {
		l.runs = append(l.runs, slotRun{slab{l.objs, l.snaps, l.states}, l.used - 1, l.used})
	}
	l.dest = l.dest[:len(l.cols)]
	for i, f := range l.cols {
		l.dest[i] = f.ptrAt(obj)
	}
	return rs.Scan(l.dest...)
}

// index registers a slab with the session's state index before one of
// its objects is tracked (a slab none of whose rows is kept is never
// registered).
func (l *loader) index(slab unsafe.Pointer, states []state) {
	if len(states) >= slabIndexMin {
		l.s.states.attach(slab, l.m.Type.Size(), states)
	}
}

// scanned is the number of rows scanned and not yet adopted, and how many
// of them are in slabs too small for the session's slab index.
func (l *loader) scanned() (n, small int) {
	for _, r := range l.runs {
		n += r.to - r.from
		if len(r.states) < slabIndexMin {
			small += r.to - r.from
		}
	}
	return n, small
}

// adoptScanned adopts the rows scanned, in order, handing fn each one's
// state (the session's own for a row it held; none for a row of an
// object deleted in the session).
func (l *loader) adoptScanned(fn func(*state)) error {
	defer func() { l.runs = l.runs[:0] }()
	for _, r := range l.runs {
		for i := r.from; i < r.to; i++ {
			st, _, err := l.adopt(r.slab, i)
			if err != nil {
				return err
			}
			if st != nil {
				fn(st)
			}
		}
	}
	return nil
}

// adopt puts the row scanned into slot i of sb through the identity map.
// It returns the session's state for the row: the slot's own, now
// tracked (kept), or the one the session already held (the row is then
// ignored: unflushed changes win), or nil for an object deleted in the
// session.
func (l *loader) adopt(sb slab, i int) (st *state, kept bool, err error) {
	off := uintptr(i) * l.m.Type.Size()
	obj := unsafe.Add(sb.objs, off)
	var key any
	var have *state
	var ik int64
	if l.ikey != nil {
		// what lookup and trackKey do, with the key read once, boxed
		// without an allocation and the table found once per load
		ik, _ = intAt(l.ikey, obj)
		key = l.boxes.box(ik)
		if t := l.intTable(); t != nil {
			have = t.get(ik)
		}
		if have == nil && l.s.ident.len() > 0 {
			have, _ = l.s.ident.get(identityKey{l.m, key})
		}
	} else {
		key = keyOf(l.m, obj)
		have = l.s.lookup(l.m, key)
	}
	if have != nil {
		if have.status == Deleted {
			return nil, false, nil
		}
		return have, false, nil
	}
	st = &sb.states[i]
	*st = state{m: l.m, ptr: obj, status: Persistent, key: key}
	if err := l.s.bindLoaded(st); err != nil {
		return nil, false, err
	}
	st.snap = l.m.snapshotInto(unsafe.Add(sb.snaps, off), obj)
	l.index(sb.objs, sb.states)
	switch {
	case l.ikey == nil:
		l.s.track(st)
	case l.intTable() != nil:
		l.s.putState(st)
		l.ints.set(ik, st)
	default:
		l.s.track(st) // into the small inline map, as trackKey decides
	}
	return st, true, nil
}

// intTable returns the session's integer identity table of the loader's
// mapper once integer keys go into one (Session.intsInUse), or nil.
func (l *loader) intTable() *intTable {
	if l.ints == nil {
		l.ints = l.s.intsInUse(l.m)
	}
	return l.ints
}

// load scans the current row into a new object and returns the
// session's object for it (see adopt). Columns after the object's go to
// extra. A slot whose row the session held is reused for the next row.
func (l *loader) load(rs *engine.Rows, extra ...any) (unsafe.Pointer, error) {
	var obj unsafe.Pointer
	i := l.spare
	if i >= 0 {
		l.spare = -1
		obj = unsafe.Add(l.objs, uintptr(i)*l.m.Type.Size())
		reflect.NewAt(l.m.Type, obj).Elem().SetZero()
	} else {
		obj, i = l.next(), l.used-1
	}
	l.dest = l.dest[:len(l.cols)]
	for k, f := range l.cols {
		l.dest[k] = f.ptrAt(obj)
	}
	l.dest = append(l.dest, extra...)
	if err := rs.Scan(l.dest...); err != nil {
		return nil, err
	}
	got, kept, err := l.adopt(slab{l.objs, l.snaps, l.states}, i)
	if err == nil && !kept {
		l.spare = i // the spare slot is in the current slab: next is only called without one
	}
	if got == nil {
		return nil, err
	}
	return got.ptr, err
}
