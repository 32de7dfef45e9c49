package orm

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
)

var opLoad = &op{"Load"}

// maxLoadKeys caps the keys of one select-in query where the dialect has
// no array parameters (PostgreSQL sends one = ANY($1) whatever the count).
const maxLoadKeys = 1000

// Load loads relationships of objects the session holds. objs is a
// pointer to a mapped struct or a slice of such pointers; paths name
// relationship fields, dotted to go deeper ("Items", "Items.Item"). Each
// relationship is loaded for all the objects at once: one query per
// relationship and level (select-in), its key list chunked, or a single
// = ANY($1) on PostgreSQL; never a query per object. Loaded objects go
// through the identity map. A relationship that is already loaded (or
// was set by the program) is kept as it is, with its unflushed changes,
// and nested paths go on through what it holds. Pending changes are
// flushed first unless the factory has NoAutoflush.
func Load(ctx context.Context, s *Session, objs any, paths ...string) error {
	if err := s.enter(opLoad); err != nil {
		return err
	}
	defer s.g.exit()
	if !s.f.cfg.noAutoflush && !s.readOnly {
		if err := s.flush(ctx); err != nil {
			return err
		}
	}
	roots, err := s.statesOf(objs)
	if err != nil {
		return err
	}
	return s.loadPaths(ctx, roots, paths)
}

// loadWith is Load for a query's With paths, right after the query read
// its objects: the query flushed before it read, and nothing ran since,
// so there is nothing to flush (a second autoflush would only look at
// every object held again, to find none changed).
func loadWith[T any](ctx context.Context, s *Session, objs []*T, paths []string) error {
	if err := s.enter(opLoad); err != nil {
		return err
	}
	defer s.g.exit()
	roots := make([]*state, len(objs))
	for i, v := range objs {
		if roots[i] = s.stateAt(unsafe.Pointer(v)); roots[i] == nil {
			return fmt.Errorf("orm: Load of a %T that is not in this session", v)
		}
	}
	return s.loadPaths(ctx, roots, paths)
}

// statesOf returns the session's states for a pointer or a slice of them.
func (s *Session) statesOf(objs any) ([]*state, error) {
	v := reflect.ValueOf(objs)
	var ptrs []reflect.Value
	switch {
	case v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct:
		ptrs = []reflect.Value{v}
	case v.Kind() == reflect.Slice:
		ptrs = make([]reflect.Value, v.Len())
		for i := range ptrs {
			ptrs[i] = v.Index(i)
		}
	default:
		return nil, fmt.Errorf("orm: Load wants a pointer to a struct or a slice of them, got %T", objs)
	}
	out := make([]*state, 0, len(ptrs))
	for _, p := range ptrs {
		if p.Kind() != reflect.Pointer || p.IsNil() {
			return nil, fmt.Errorf("orm: Load of a %s: want non-nil pointers to structs", p.Type())
		}
		st := s.stateAt(p.UnsafePointer())
		if st == nil {
			return nil, fmt.Errorf("orm: Load of a %s that is not in this session", p.Type().Elem())
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *Session) loadPaths(ctx context.Context, roots []*state, paths []string) error {
	for _, path := range paths {
		level := roots
		names := strings.Split(path, ".")
		for depth, name := range names {
			byRel := map[*relation][]*state{}
			var rels []*relation
			var next []*state
			for _, st := range level {
				rels0, err := s.f.reg.relsOf(st.m)
				if err != nil {
					return err
				}
				var rel *relation
				for _, r := range rels0 {
					if r.field == name {
						rel = r
					}
				}
				if rel == nil {
					return fmt.Errorf("orm: Load %q: %s has no relationship %s", path, st.m.Type.Name(), name)
				}
				if _, ok := byRel[rel]; !ok {
					rels = append(rels, rel)
				}
				if known(rel, st.ptr) {
					byRel[rel] = append(byRel[rel], nil) // keep the key
				} else if st.status == Persistent {
					byRel[rel] = append(byRel[rel], st)
				}
			}
			for _, rel := range rels {
				var todo []*state
				for _, st := range byRel[rel] {
					if st != nil {
						todo = append(todo, st)
					}
				}
				if len(todo) > 0 {
					if err := s.loadRel(ctx, rel, todo); err != nil {
						return err
					}
				}
			}
			if depth == len(names)-1 {
				break // the last level: nothing to descend into
			}
			seen := map[*state]bool{}
			for _, st := range level {
				for _, rel := range st.m.rels {
					if rel.field != name {
						continue
					}
					for _, p := range targets(rel, st.ptr) {
						if t := s.stateAt(p); t != nil && !seen[t] {
							seen[t] = true
							next = append(next, t)
						}
					}
				}
			}
			level = next
		}
	}
	return nil
}

// loadRel loads one relationship of owners whose side is not loaded.
func (s *Session) loadRel(ctx context.Context, rel *relation, owners []*state) error {
	ex, err := s.reader(ctx)
	if err != nil {
		return err
	}
	if rel.kind == manyToMany {
		return s.loadManyToMany(ctx, ex, rel, owners)
	}
	// the side whose keys select the rows: the owners' key values
	var keyFields, matchFields []*Field
	var m *Mapper // the mapper loaded
	if rel.ownerIsChild() {
		keyFields, matchFields, m = rel.fk, rel.ref, rel.parent
	} else {
		keyFields, matchFields, m = rel.ref, rel.fk, rel.child
	}
	// The distinct owner keys, numbered; each loaded row is counted under
	// its owner's number, and the rows are then laid out in one array, a
	// run per owner: no slice grows per owner and no map is written per
	// row.
	ik := newKeyIndex(keyFields, len(owners))
	var order []*state
	for _, st := range owners {
		if anyNil(keyFields, st.ptr) {
			continue
		}
		if _, added := ik.add(st.ptr); added {
			order = append(order, st)
		}
	}
	tr := tref(m.Table)
	size := maxLoadKeys
	if ex.Dialect().Features().Has(dialect.ArrayParams) && len(matchFields) == 1 {
		size = len(order) + 1
	}
	ld := newLoader(s, m, nil)
	type hit struct {
		obj   unsafe.Pointer
		owner int32
	}
	var hits []hit
	counts := make([]int32, len(order)+1)
	backRef := rel.back != nil && rel.back.kind != oneToMany
	for _, chunk := range chunks(order, size) {
		where := keysIn(tr, columnNames(matchFields), keyFields, chunk)
		sel := expr.Select(columnsOf(tr, m.Fields)...).From(tr).Where(where)
		// Only the order the relationship declares: a collection without
		// one comes in the database's order, and references need none (a
		// server sort of every child row that nobody asked for is the
		// largest cost of a big eager load).
		if !rel.ownerIsChild() {
			sel.OrderBy(declaredOrder(tr, rel)...)
		}
		if err := loadInto(ctx, ex, ld, sel, func(n int) { hits = slices.Grow(hits, n) }, func(cst *state) {
			c := cst.ptr
			o, ok := ik.find(matchFields, c)
			if !ok {
				return
			}
			hits = append(hits, hit{c, o})
			counts[o+1]++
			// the other side learns its owner (order[o], the first owner
			// with that key) where it was not loaded
			if backRef {
				if b := rel.back.refAt(c); b.state == relUnloaded {
					b.state, b.v = relKnown, order[o].ptr
					if cst.snap != nil {
						*rel.back.refAt(cst.snap) = *b
					}
				}
			}
		}); err != nil {
			return err
		}
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1] // counts[o] is now where owner o's run starts
	}
	store := make([]unsafe.Pointer, len(hits))
	next := slices.Clone(counts[:len(counts)-1])
	for _, h := range hits {
		store[next[h.owner]] = h.obj
		next[h.owner]++
	}
	for _, st := range owners {
		var found []unsafe.Pointer
		if o, ok := ik.find(keyFields, st.ptr); ok && !anyNil(keyFields, st.ptr) {
			if a, b := counts[o], counts[o+1]; b > a {
				found = store[a:b:b] // capped: appending copies
			}
		}
		switch rel.kind {
		case oneToMany:
			v := rel.listAt(st.ptr)
			v.state, v.items = relKnown, found
			if st.snap != nil {
				*rel.listAt(st.snap) = *v
			}
		default:
			v := rel.refAt(st.ptr)
			v.state, v.v = relKnown, nil
			if len(found) > 0 {
				v.v = found[0]
			}
			if st.snap != nil {
				*rel.refAt(st.snap) = *v
			}
		}
	}
	return nil
}

func anyNil(fs []*Field, ptr unsafe.Pointer) bool {
	for _, f := range fs {
		v := f.rv(ptr)
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
	}
	return false
}

// loadInto runs a SELECT of every column of ld's mapper and hands each
// row's state (the session's own for rows it holds) to fn. The rows are read
// first and the session's maps sized for them once; grow, if not nil,
// learns the number of rows before fn is called.
func loadInto(ctx context.Context, ex engine.Executor, ld *loader, sel expr.Statement, grow func(int), fn func(*state)) error {
	rs, err := engine.QueryStmt(ctx, ex, sel)
	if err != nil {
		return err
	}
	defer rs.Close()
	defer func() { ld.runs = ld.runs[:0] }()
	for rs.Next() {
		if err := ld.scan(rs); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return err
	}
	if err := rs.Close(); err != nil {
		return err
	}
	n, inMap := ld.scanned()
	ld.s.reserve(ld.m, n, inMap)
	if grow != nil {
		grow(n)
	}
	return ld.adoptScanned(fn)
}

// loadManyToMany loads the targets of owners through the secondary table:
// SELECT target.*, sec.local FROM target JOIN sec ON ... WHERE sec.local
// IN (owner keys), one query per chunk of keys.
func (s *Session) loadManyToMany(ctx context.Context, ex engine.Executor, rel *relation, owners []*state) error {
	m := rel.target
	tr, sec := tref(m.Table), tref(rel.secondary)
	var on []expr.Expr
	for i, c := range rel.secRemote {
		on = append(on, expr.Eq(tr.C(rel.targetRef[i].Column.Name), sec.C(c)))
	}
	size := maxLoadKeys
	if ex.Dialect().Features().Has(dialect.ArrayParams) && len(rel.secLocal) == 1 {
		size = len(owners) + 1
	}
	byOwner := make(map[any][]unsafe.Pointer, len(owners))
	ld := newLoader(s, m, nil)
	probe := reflect.New(rel.owner.Type).UnsafePointer()
	extra := make([]any, len(rel.ownerRef))
	for _, chunk := range chunks(owners, size) {
		where := keysIn(sec, rel.secLocal, rel.ownerRef, chunk)
		cols := columnsOf(tr, m.Fields)
		for _, c := range rel.secLocal {
			cols = append(cols, sec.C(c))
		}
		sel := expr.Select(cols...).From(tr).Join(sec, expr.And(on...)).Where(where)
		rs, err := engine.QueryStmt(ctx, ex, sel.OrderBy(declaredOrder(tr, rel)...))
		if err != nil {
			return err
		}
		for i, f := range rel.ownerRef {
			extra[i] = f.ptrAt(probe)
		}
		for rs.Next() {
			obj, err := ld.load(rs, extra...)
			if err != nil {
				rs.Close()
				return err
			}
			if obj != nil {
				k := fieldsKey(rel.ownerRef, probe)
				byOwner[k] = append(byOwner[k], obj)
			}
		}
		if err := rs.Err(); err != nil {
			return err
		}
		rs.Close()
	}
	for _, st := range owners {
		v := rel.listAt(st.ptr)
		v.state, v.items = relKnown, byOwner[fieldsKey(rel.ownerRef, st.ptr)]
		if st.snap != nil {
			*rel.listAt(st.snap) = *v
		}
	}
	return nil
}

// joinPlan is what WithJoined adds to a query: a LEFT JOIN per reference,
// its columns scanned into holders (any of them may be NULL), and the
// objects built from them afterwards.
type joinPlan struct {
	base    *expr.TableRef
	rels    []*relation
	aliases []*expr.TableRef
	holders [][]any // per relation, one *any per target column
	dest    []any
}

func (s *Session) joins(m *Mapper, t *expr.TableRef, fields []string) (*joinPlan, error) {
	if len(fields) == 0 {
		return nil, nil
	}
	rels, err := s.f.reg.relsOf(m)
	if err != nil {
		return nil, err
	}
	jp := &joinPlan{}
	for i, name := range fields {
		var rel *relation
		for _, r := range rels {
			if r.field == name {
				rel = r
			}
		}
		if rel == nil {
			return nil, fmt.Errorf("orm: WithJoined: %s has no relationship %s", m.Type.Name(), name)
		}
		if rel.kind != manyToOne && rel.kind != oneToOneRemote {
			return nil, fmt.Errorf("orm: WithJoined(%q): a collection multiplies rows; load it with With", name)
		}
		jp.rels = append(jp.rels, rel)
		jp.aliases = append(jp.aliases, tref(rel.target.Table).As(fmt.Sprintf("strata_j%d", i)))
		hs := make([]any, len(rel.target.Fields))
		for j := range hs {
			hs[j] = new(any)
		}
		jp.holders = append(jp.holders, hs)
		jp.dest = append(jp.dest, hs...)
	}
	jp.rels0(t)
	return jp, nil
}

// rels0 keeps the query's own table for the ON conditions.
func (jp *joinPlan) rels0(t *expr.TableRef) { jp.base = t }

func (jp *joinPlan) apply(sel *expr.SelectStmt) *expr.SelectStmt {
	sel = sel.Clone()
	for i, rel := range jp.rels {
		a := jp.aliases[i]
		var on []expr.Expr
		if rel.kind == manyToOne { // key here, referenced there
			for j, f := range rel.fk {
				on = append(on, expr.Eq(a.C(rel.ref[j].Column.Name), jp.base.C(f.Column.Name)))
			}
		} else {
			for j, f := range rel.fk {
				on = append(on, expr.Eq(a.C(f.Column.Name), jp.base.C(rel.ref[j].Column.Name)))
			}
		}
		sel.LeftJoin(a, expr.And(on...))
		sel.Columns(columnsOf(a, rel.target.Fields)...)
	}
	return sel
}

// attach builds each joined object from its holders (nil when the join
// found no row), puts it through the identity map and sets the reference.
func (jp *joinPlan) attach(s *Session, obj unsafe.Pointer) error {
	for i, rel := range jp.rels {
		hs := jp.holders[i]
		var target unsafe.Pointer
		pkNull := false
		for _, f := range rel.target.PK {
			if *(hs[f.index].(*any)) == nil {
				pkNull = true
			}
		}
		if !pkNull {
			t := reflect.New(rel.target.Type).UnsafePointer()
			for j, f := range rel.target.Fields {
				var err error
				if f.codec != codecNone {
					err = f.dest(f.at(t)).(sql.Scanner).Scan(*(hs[j].(*any)))
				} else {
					err = assignScanned(f.rv(t), *(hs[j].(*any)))
				}
				if err != nil {
					return fmt.Errorf("orm: WithJoined %s, column %s: %w", rel, f.Column.Name, err)
				}
			}
			k := keyOf(rel.target, t)
			if st := s.lookup(rel.target, k); st != nil {
				if st.status != Deleted {
					target = st.ptr
				}
			} else {
				st := &state{m: rel.target, ptr: t, status: Persistent, key: k}
				if err := s.bindLoaded(st); err != nil {
					return err
				}
				st.snap = rel.target.snapshot(t)
				s.track(st)
				target = t
			}
		}
		if v := rel.refAt(obj); v.state == relUnloaded {
			v.state, v.v = relKnown, target
			if st := s.stateAt(obj); st != nil && st.snap != nil {
				*rel.refAt(st.snap) = *v
			}
		}
		for j := range hs {
			*(hs[j].(*any)) = nil
		}
	}
	return nil
}

// assignScanned sets dst from a value a driver scanned into an any: a
// Scanner scans it, a pointer field gets a new value, other types convert.
func assignScanned(dst reflect.Value, v any) error {
	if v == nil {
		dst.SetZero()
		return nil
	}
	if sc, ok := dst.Addr().Interface().(sql.Scanner); ok {
		return sc.Scan(v)
	}
	t := dst.Type()
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if err := assignScanned(p.Elem(), v); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	src := reflect.ValueOf(v)
	switch {
	case src.Type().AssignableTo(t):
		dst.Set(src)
	case src.Type().ConvertibleTo(t) && !(src.Kind() == reflect.Slice && t.Kind() == reflect.String && src.Type().Elem().Kind() != reflect.Uint8):
		dst.Set(src.Convert(t))
	case src.Kind() == reflect.Int64 && t.Kind() == reflect.Bool: // SQLite and MariaDB booleans
		dst.SetBool(src.Int() != 0)
	case src.Kind() == reflect.String && t == timeType, src.Kind() == reflect.Slice && t == timeType:
		return fmt.Errorf("a time in text form (%v): declare the column as a timestamp", v)
	default:
		return fmt.Errorf("cannot store %T in %s", v, t)
	}
	return nil
}

// declaredOrder is the ORDER BY a relationship declares (order_by), or none.
func declaredOrder(tr *expr.TableRef, rel *relation) []expr.Order {
	var ob []expr.Order
	for _, o := range rel.orderBy {
		if o.desc {
			ob = append(ob, expr.Desc(tr.C(o.f.Column.Name)))
		} else {
			ob = append(ob, expr.Asc(tr.C(o.f.Column.Name)))
		}
	}
	return ob
}

// keyIndex numbers distinct key values (of owners' key fields) in the
// order they are added and finds a value's number by the same or other
// fields (a child's foreign key): an intNums for the common single
// integer key, a map from fieldsKey's value otherwise.
type keyIndex struct {
	fields []*Field
	ints   *intNums
	anys   map[any]int32
	n      int32
}

func newKeyIndex(fields []*Field, size int) *keyIndex {
	k := &keyIndex{fields: fields}
	if len(fields) == 1 && intKind(fields[0].Type) {
		k.ints = newIntNums(size)
	} else {
		k.anys = make(map[any]int32, size)
	}
	return k
}

// intKind reports whether t is a signed integer type (not a pointer): a
// key read as an int64 without boxing.
func intKind(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

// intAt reads f, of a signed integer kind (not a pointer), in the struct
// at ptr without reflection; ok is false for a field of another kind.
func intAt(f *Field, ptr unsafe.Pointer) (v int64, ok bool) {
	p := unsafe.Add(ptr, f.offset)
	switch f.Type.Kind() {
	case reflect.Int64:
		return *(*int64)(p), true
	case reflect.Int:
		return int64(*(*int)(p)), true
	case reflect.Int32:
		return int64(*(*int32)(p)), true
	case reflect.Int16:
		return int64(*(*int16)(p)), true
	case reflect.Int8:
		return int64(*(*int8)(p)), true
	}
	return 0, false
}

// add numbers the key of ptr's fields, reporting whether it was new.
func (k *keyIndex) add(ptr unsafe.Pointer) (int32, bool) {
	if k.ints != nil {
		v, _ := intAt(k.fields[0], ptr) // an integer kind: newKeyIndex checked
		if o, isNew := k.ints.add(v, k.n); !isNew {
			return o, false
		}
	} else {
		v := fieldsKey(k.fields, ptr)
		if o, ok := k.anys[v]; ok {
			return o, false
		}
		k.anys[v] = k.n
	}
	k.n++
	return k.n - 1, true
}

// find returns the number of the key held by fs at ptr.
func (k *keyIndex) find(fs []*Field, ptr unsafe.Pointer) (int32, bool) {
	if k.ints != nil {
		if i, ok := intAt(fs[0], ptr); ok { // every row of a load asks: no reflection
			return k.ints.get(i)
		}
		v := fs[0].rv(ptr)
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return 0, false
			}
			v = v.Elem()
		}
		if !v.CanInt() {
			o, ok := k.anys[normValue(v)] // never: keys and references share a type
			return o, ok
		}
		return k.ints.get(v.Int())
	}
	o, ok := k.anys[fieldsKey(fs, ptr)]
	return o, ok
}
