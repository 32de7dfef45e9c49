package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unsafe"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/sqlerr"
)

// Merge copies the state of obj, an object this session does not hold
// (detached, from another session, or decoded from a request), into the
// session and returns the session's object for that row:
//
//   - the object the identity map holds for obj's key, or the row loaded
//     from the database, with obj's mapped fields copied onto it: the next
//     flush writes the columns that differ from the database; the objects
//     obj holds through relationships with cascade merge (the default) are
//     merged the same way and take the place of what the session's object
//     held;
//   - a new pending object (a copy of obj) when obj's key is unset (a
//     zero autoincrement key);
//   - sqlerr.ErrNotFound when obj's key is set but has no row: Merge is an
//     update of an existing row and never turns into an INSERT (a
//     late update of a deleted row must not bring it back). Insert new
//     objects with [Session.Add].
//
// obj itself is never added to the session and is not changed. If obj is
// already in this session, Merge returns it.
func Merge[T any](ctx context.Context, s *Session, obj *T) (*T, error) {
	if err := s.enter(opMerge); err != nil {
		return nil, err
	}
	defer s.g.exit()
	if obj == nil {
		return nil, errors.New("orm: Merge of a nil object")
	}
	m := s.f.reg.Mapper(reflect.TypeFor[T]())
	if m == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotMapped, reflect.TypeFor[T]())
	}
	p, err := s.merge(ctx, m, unsafe.Pointer(obj), map[unsafe.Pointer]unsafe.Pointer{})
	if err != nil {
		return nil, err
	}
	return (*T)(p), nil
}

// merge is Merge for one object and, through relationships with cascade
// merge (the default), the objects it holds: each is merged in turn and
// the session's object gets the merged ones. A relationship of the
// session's object that was not loaded is loaded first, so that what the
// merged object no longer holds is seen as removed (and, with
// delete-orphan, deleted at the next flush).
func (s *Session) merge(ctx context.Context, m *Mapper, src unsafe.Pointer, seen map[unsafe.Pointer]unsafe.Pointer) (unsafe.Pointer, error) {
	if d, ok := seen[src]; ok {
		return d, nil
	}
	if s.stateAt(src) != nil {
		seen[src] = src
		return src, nil
	}
	rels, err := s.f.reg.relsOf(m)
	if err != nil {
		return nil, err
	}
	keyed := true
	for _, f := range m.PK {
		if f.Column.AutoIncrement && f.rv(src).IsZero() {
			keyed = false
		}
	}
	var dst unsafe.Pointer
	var st *state
	if keyed {
		got, err := s.getLocked(ctx, m, keyValues(m, src))
		switch {
		case err == nil:
			dst = reflect.ValueOf(got).UnsafePointer()
			if st = s.stateAt(dst); st.status == Deleted {
				return nil, fmt.Errorf("orm: Merge of %s %v, which is deleted in this session", m.Type, st.key)
			}
			// A version the incoming object does not carry (zero: Strata's
			// versions start at 1) is not checked, as SQLAlchemy skips a
			// None version; the held object's version is kept and bumped by
			// the UPDATE.
			v := m.Version
			noVersion := v != nil && !m.appVersion && v.rv(src).IsZero()
			if v != nil && !noVersion && v.changed(src, dst) {
				return nil, staleRows("MERGE", m.Table.Name, [][]any{keyValues(m, src)})
			}
			var held reflect.Value
			if noVersion {
				held = reflect.New(v.Type).Elem()
				held.Set(v.rv(dst))
			}
			m.copyFields(dst, src)
			if noVersion {
				v.rv(dst).Set(held)
			}
		case errors.Is(err, sqlerr.ErrNotFound):
			return nil, fmt.Errorf("orm: Merge of %s %v: no such row (Merge updates, it never inserts; use Add for a new object): %w",
				m.Type.Name(), keyValues(m, src), err)
		default:
			return nil, err
		}
	} else {
		dst = reflect.New(m.Type).UnsafePointer()
		m.copyFields(dst, src)
		st = &state{m: m, ptr: dst, status: Pending}
		s.states.add(dst, st) // a new object
		s.order = append(s.order, st)
		bind(st, rels, false)
	}
	seen[src] = dst
	for _, rel := range rels {
		if !rel.cascade.has(cascadeMerge) || !known(rel, src) {
			continue
		}
		var merged []unsafe.Pointer
		for _, t := range targets(rel, src) {
			d, err := s.merge(ctx, rel.target, t, seen)
			if err != nil {
				return nil, err
			}
			merged = append(merged, d)
		}
		if !known(rel, dst) {
			if err := s.loadRel(ctx, rel, []*state{st}); err != nil {
				return nil, err
			}
		}
		if rel.isList() {
			if err := listSet(rel.listAt(dst), merged); err != nil {
				return nil, err
			}
			continue
		}
		var t unsafe.Pointer
		if len(merged) > 0 {
			t = merged[0]
		}
		if err := setRef(rel.refAt(dst), t); err != nil {
			return nil, err
		}
	}
	if st.status == Pending {
		if err := s.cascadeAdd(st); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// Refresh reloads a persistent object's row, overwriting its mapped
// fields and discarding its unflushed changes. It returns
// sqlerr.ErrNotFound (and leaves the object as it was) if the row is gone.
func (s *Session) Refresh(ctx context.Context, obj any) error {
	if err := s.enter(opRefresh); err != nil {
		return err
	}
	defer s.g.exit()
	st, m, err := s.stateOf(obj)
	if err != nil {
		return err
	}
	if st == nil || st.status == Pending {
		return fmt.Errorf("orm: Refresh of a %s that has no row in this session (transient, pending or detached)", m.Type)
	}
	ex, err := s.reader(ctx)
	if err != nil {
		return err
	}
	query, err := m.selectByKey(ex.Dialect())
	if err != nil {
		return err
	}
	tmp := reflect.New(m.Type).UnsafePointer()
	dest := make([]any, len(m.Fields))
	for i, f := range m.Fields {
		dest[i] = f.ptrAt(tmp)
	}
	if err := ex.QueryRow(ctx, query, keyValues(m, st.ptr)...).Scan(dest...); err != nil {
		return err
	}
	m.copyFields(st.ptr, tmp)
	st.snap = m.snapshot(st.ptr)
	return nil
}

// RawQuery runs hand-written SQL and maps its rows into T by column name.
// Placeholders are written ? and rendered for the dialect ($1 on
// PostgreSQL); write ?? for a literal question mark. Every argument is
// bound.
//
// If T is a registered model, the query must return every mapped column
// (SELECT * or t.*): the rows go through the identity map like a
// [Select]. Any other struct is a plain result type: columns map to fields
// by db tag or snake_case name, and the values are not tracked. A column
// that no field takes is an error, never silently dropped.
func RawQuery[T any](ctx context.Context, s *Session, sql string, args ...any) ([]*T, error) {
	if err := s.enter(opRaw); err != nil {
		return nil, err
	}
	defer s.g.exit()
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("orm: RawQuery needs a struct type, not %s", t)
	}
	if !s.f.cfg.noAutoflush && !s.readOnly {
		if err := s.flush(ctx); err != nil {
			return nil, err
		}
	}
	ex, err := s.reader(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := engine.QueryStmt(ctx, ex, rawStatement{expr.Raw(sql, args...)})
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*T
	if m := s.f.reg.Mapper(t); m != nil {
		cols := make([]*Field, 0, len(m.Fields))
		seen := map[*Field]bool{}
		for _, name := range rs.Columns() {
			f := m.FieldByColumn(name)
			if f == nil {
				return nil, fmt.Errorf("orm: RawQuery: %s has no column %q", m.Type, name)
			}
			cols = append(cols, f)
			seen[f] = true
		}
		if len(seen) != len(m.Fields) {
			var missing []string
			for _, f := range m.Fields {
				if !seen[f] {
					missing = append(missing, f.Column.Name)
				}
			}
			return nil, fmt.Errorf("orm: RawQuery of registered %s must return every mapped column; missing %s (scan partial rows into an unregistered struct)", m.Type, strings.Join(missing, ", "))
		}
		ld := newLoader(s, m, cols)
		for rs.Next() {
			p, err := ld.load(rs)
			if err != nil {
				return nil, err
			}
			if p != nil {
				out = append(out, (*T)(p))
			}
		}
	} else {
		plan, err := resultPlan(t)
		if err != nil {
			return nil, err
		}
		cols := rs.Columns()
		offs := make([]*resultField, len(cols))
		for i, name := range cols {
			rf := plan[name]
			if rf == nil {
				return nil, fmt.Errorf("orm: RawQuery: %s has no field for column %q", t, name)
			}
			offs[i] = rf
		}
		dest := make([]any, len(cols))
		for rs.Next() {
			v := new(T)
			for i, rf := range offs {
				dest[i] = reflect.NewAt(rf.typ, unsafe.Add(unsafe.Pointer(v), rf.offset)).Interface()
			}
			if err := rs.Scan(dest...); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return out, rs.Close()
}

// rawStatement makes an expression a statement.
type rawStatement struct{ e expr.Expr }

func (r rawStatement) WriteStatement(w *expr.Writer) { r.e.WriteSQL(w) }

type resultField struct {
	typ    reflect.Type
	offset uintptr
}

var resultPlans sync.Map // reflect.Type -> map[string]*resultField

// resultPlan maps column names to the fields of an unregistered result
// struct, reflected once per type.
func resultPlan(t reflect.Type) (map[string]*resultField, error) {
	if p, ok := resultPlans.Load(t); ok {
		return p.(map[string]*resultField), nil
	}
	plan := map[string]*resultField{}
	var walk func(st reflect.Type, base uintptr) error
	walk = func(st reflect.Type, base uintptr) error {
		for i := 0; i < st.NumField(); i++ {
			sf := st.Field(i)
			tag, hasTag := sf.Tag.Lookup("db")
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct && !hasTag && !isValueType(sf.Type) {
				if err := walk(sf.Type, base+sf.Offset); err != nil {
					return err
				}
				continue
			}
			if !sf.IsExported() {
				continue
			}
			ft, err := parseTag(tag)
			if err != nil {
				return &ModelError{Struct: t.Name(), Field: sf.Name, Err: err}
			}
			if ft.skip {
				continue
			}
			name := ft.name
			if name == "" {
				name = snake(sf.Name)
			}
			plan[name] = &resultField{typ: sf.Type, offset: base + sf.Offset}
		}
		return nil
	}
	if err := walk(t, 0); err != nil {
		return nil, err
	}
	p, _ := resultPlans.LoadOrStore(t, plan)
	return p.(map[string]*resultField), nil
}
