package orm

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// Field is one mapped struct field: a column.
type Field struct {
	Name   string         // Go field name (dotted through embedded structs)
	Column *schema.Column // the column it maps to
	Type   reflect.Type   // the field's Go type
	offset uintptr        // from the start of the struct (embedding by value only)
	path   []int          // reflect field index path, through embedded structs
	owner  reflect.Type   // the mapped struct type

	PrimaryKey     bool
	Version        bool
	ServerOnUpdate bool       // re-read after UPDATE (trigger / ON UPDATE)
	Default        func() any // client default, run at insert while the field holds its zero value
	OnUpdate       func() any // client onupdate, run at every UPDATE of the row
	noAuto         bool
	word           bool // its value fits a word and holds no pointer (see undo.set)
	index          int  // position in Mapper.Fields

	eq       func(a, b unsafe.Pointer) bool // change tracking comparator
	deepCopy bool                           // a copy shares memory: snapshot deeply
	codec    codec                          // how the driver carries the value; see codec.go
	typed    typedFuncs                     // predeclared types reached without reflection (codec.go)
}

// Value returns the field inside strct, which is a value of the mapped
// struct type or a pointer to one (as bun's schema.Field.Value). The result
// is addressable, and settable, when strct is a pointer or an addressable
// struct, as for [reflect.Value.FieldByIndex]. It panics when strct holds
// another type or a nil pointer.
//
// The accessors take a reflect.Value rather than an unsafe.Pointer so that
// a program never needs package unsafe to use them; the session itself
// reaches fields by their offset, unexported.
func (f *Field) Value(strct reflect.Value) reflect.Value {
	if strct.Kind() == reflect.Pointer {
		strct = strct.Elem()
	}
	if strct.Type() != f.owner {
		panic(fmt.Sprintf("orm: Field.Value of %s.%s on a %s", f.owner.Name(), f.Name, strct.Type()))
	}
	return strct.FieldByIndex(f.path)
}

// Ptr returns a pointer to the field inside strct as an interface (an
// *int64 for an int64 field, say): what Scan needs. strct is a pointer to
// a value of the mapped struct type, or an addressable one; Ptr panics
// otherwise.
func (f *Field) Ptr(strct reflect.Value) any {
	return f.Value(strct).Addr().Interface()
}

// ptrAt returns the scan destination of the field inside the struct that
// obj points to: a pointer to it, as an interface (no allocation), the
// session's fast path; or for a field with a codec, a Scanner that decodes
// into it. obj must point to a value of the mapped struct type.
func (f *Field) ptrAt(obj unsafe.Pointer) any { return f.dest(unsafe.Add(obj, f.offset)) }

// dest returns the scan destination for a value of the field's type at p.
func (f *Field) dest(p unsafe.Pointer) any {
	switch f.codec {
	case codecJSON:
		return &jsonDest{p: p, t: f.Type}
	case codecArray:
		return &dialect.ArrayDest{Ptr: reflect.NewAt(f.Type, p).Interface()}
	}
	if f.typed.ptr != nil {
		return f.typed.ptr(p)
	}
	return reflect.NewAt(f.Type, p).Interface()
}

// valueAt returns what the driver binds for the field's value in the struct
// that obj points to, which must be of the mapped struct type: the value
// itself, or for a field with a codec, its encoding (see codec.go).
func (f *Field) valueAt(obj unsafe.Pointer) any {
	if f.typed.box != nil {
		return f.typed.box(unsafe.Add(obj, f.offset))
	}
	if f.codec != codecNone {
		return f.encode(f.rv(obj))
	}
	return reflect.NewAt(f.Type, unsafe.Add(obj, f.offset)).Elem().Interface()
}

// copyArgAt is valueAt for a COPY's row: a field of a predeclared type
// (or time.Time) goes by address, which puts it in an interface without
// allocating, and the dialect reads the value while it encodes the row
// (see dialect.Copier). Other fields give valueAt's value.
func (f *Field) copyArgAt(obj unsafe.Pointer) any {
	if f.typed.ptr != nil {
		return f.typed.ptr(unsafe.Add(obj, f.offset))
	}
	return f.valueAt(obj)
}

// Mapper is the mapping of one struct type to one table, computed once by
// [Register] and cached: field offsets, the schema table, the primary key.
type Mapper struct {
	Type    reflect.Type
	Table   *schema.Table
	Fields  []*Field // in column order
	PK      []*Field
	Version *Field // nil without a version column
	deep    []*Field
	cache   sqlCache
	typed   typedOps // nil funcs: use reflect

	relSpecs []relSpec   // relationships as declared
	rels     []*relation // resolved by Registry.resolveLocked
	intPK    bool        // a single primary key of a signed (or small unsigned) integer type
	// appVersion: the application sets the version (version:app); Strata
	// matches the value loaded and never computes one
	appVersion bool
	// relationships whose children are this mapper's objects, with
	// delete-orphan: a pending object none of them holds is dropped
	orphanOf []*relation
	// ordering columns of relationships to this mapper that a unique
	// constraint covers: renumbered in two phases
	uniqueOrdering []*Field
	// generated: the fields an INSERT leaves to the database when they
	// hold their zero value: generated keys and server defaults (see
	// insertMask and InsertMany)
	generated []*Field
	// defaulted: the fields with a client default (Field.Default)
	defaulted []*Field
	// selfRef: the table has a foreign key to itself
	selfRef      bool
	resolvedFlag atomic.Bool
	byCol        map[string]*Field
	byName       map[string]*Field
}

// FieldByColumn returns the field mapped to the column, or nil.
func (m *Mapper) FieldByColumn(col string) *Field { return m.byCol[col] }

// FieldByName returns the field with the Go name, or nil.
func (m *Mapper) FieldByName(name string) *Field { return m.byName[name] }

// fieldNamed returns the field with the Go name, or else the one mapped to
// the column of that name, or nil: what query builders and tags accept.
func (m *Mapper) fieldNamed(name string) *Field {
	if f := m.byName[name]; f != nil {
		return f
	}
	return m.byCol[name]
}

// Registry holds the mappings of an application's models and the schema
// metadata they make, shared with migrations. It is safe for concurrent
// use; register every model at start-up.
type Registry struct {
	mu     sync.RWMutex
	byType map[reflect.Type]*Mapper
	meta   *schema.MetaData
	// types is a copy of byType, replaced (never changed) at each
	// registration: Mapper, called by every Add, Get and query, reads it
	// without a lock
	types atomic.Pointer[map[reflect.Type]*Mapper]
	// byPtr is the same by the type word of an `any` holding a *T (see
	// mapperOf), replaced with it
	byPtr atomic.Pointer[map[unsafe.Pointer]*Mapper]
}

// NewRegistry returns an empty registry using schema.DefaultNaming.
func NewRegistry() *Registry {
	return &Registry{byType: map[reflect.Type]*Mapper{}, meta: schema.NewMetaData()}
}

// MetaData returns the schema of every registered model (a snapshot copy
// safe to read while others register).
func (r *Registry) MetaData() *schema.MetaData {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.meta.Clone()
}

// Mapper returns the mapping of t (a struct type or pointer to one), or
// nil if it was never registered.
func (r *Registry) Mapper(t reflect.Type) *Mapper {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if types := r.types.Load(); types != nil {
		return (*types)[t]
	}
	return nil
}

// ModelOption adjusts a model's mapping where struct tags express it badly.
type ModelOption func(*modelConfig) error

type modelConfig struct {
	schema    string
	table     string
	comment   string
	defaults  map[string]func() any
	onUpdates map[string]func() any
	uniques   []*schema.Unique
	indexes   []*schema.Index
	checks    []*schema.Check
	fks       []*schema.ForeignKey
	typed     typedOps // from Register[T]: copies and allocation without reflect
}

// typedOps are a model type's copy and allocation compiled for that type
// (Register[T] knows it statically): a snapshot of a loaded object is a
// typed assignment rather than reflect.Value.Set. Models registered
// through Registry.Register use reflect.
type typedOps struct {
	copy  func(dst, src unsafe.Pointer)
	alloc func() unsafe.Pointer
	pair  func() unsafe.Pointer // a [2]T
}

func typedOpsOf[T any]() typedOps {
	return typedOps{
		copy:  func(dst, src unsafe.Pointer) { *(*T)(dst) = *(*T)(src) },
		alloc: func() unsafe.Pointer { return unsafe.Pointer(new(T)) },
		pair:  func() unsafe.Pointer { return unsafe.Pointer(new([2]T)) },
	}
}

// TableName sets the table name (default: the struct name in snake_case,
// or what a TableName() string method returns).
func TableName(name string) ModelOption {
	return func(c *modelConfig) error { c.table = name; return nil }
}

// TableSchema puts the model's table in a named schema (PostgreSQL): its
// DDL and every statement the ORM writes name it "sch"."table". The
// table's foreign keys from db tags reference tables of the current
// schema; give one to a table of another schema with [ForeignKey] and
// schema.ForeignKey.RefSchema. Dialects without schemas
// (dialect.Schemas) refuse such a table when it is created
// (sqlerr.ErrUnsupported).
func TableSchema(sch string) ModelOption {
	return func(c *modelConfig) error {
		if sch == "" || strings.Contains(sch, ".") {
			return fmt.Errorf("TableSchema(%q): a schema name is not empty and has no dot", sch)
		}
		c.schema = sch
		return nil
	}
}

// TableComment sets the table's comment.
func TableComment(text string) ModelOption {
	return func(c *modelConfig) error { c.comment = text; return nil }
}

// Default gives a field a client default: fn is called at insert for a
// transient object whose field still holds its Go zero value.
func Default(field string, fn func() any) ModelOption {
	return func(c *modelConfig) error { c.defaults[field] = fn; return nil }
}

// OnUpdate gives a field a client onupdate rule: fn is called at every
// flushed UPDATE of the row and its result written with the other changes
// (an updated_at timestamp, say).
func OnUpdate(field string, fn func() any) ModelOption {
	return func(c *modelConfig) error { c.onUpdates[field] = fn; return nil }
}

// Unique adds a unique constraint over columns (column names).
func Unique(name string, columns ...string) ModelOption {
	return func(c *modelConfig) error {
		c.uniques = append(c.uniques, &schema.Unique{Name: name, Columns: columns})
		return nil
	}
}

// Index adds an index over columns; where makes it partial.
func Index(name string, unique bool, where string, columns ...string) ModelOption {
	return func(c *modelConfig) error {
		c.indexes = append(c.indexes, &schema.Index{Name: name, Columns: columns, Unique: unique, Where: where})
		return nil
	}
}

// Check adds a check constraint.
func Check(name, expr string) ModelOption {
	return func(c *modelConfig) error {
		c.checks = append(c.checks, &schema.Check{Name: name, Expr: expr})
		return nil
	}
}

// ForeignKey adds a (possibly composite) foreign key.
func ForeignKey(fk schema.ForeignKey) ModelOption {
	return func(c *modelConfig) error { c.fks = append(c.fks, &fk); return nil }
}

// Register maps the struct type T to a table and adds it to the registry.
// Reflection happens here, once; sessions use the cached [Mapper]. An
// invalid model fails with a *ModelError naming the struct and field.
func Register[T any](r *Registry, opts ...ModelOption) (*Mapper, error) {
	typed := func(c *modelConfig) error { c.typed = typedOpsOf[T](); return nil }
	return r.Register(reflect.TypeFor[T](), append(slices.Clip(opts), typed)...)
}

// MustRegister is Register for package-level declarations; it panics on
// error.
func MustRegister[T any](r *Registry, opts ...ModelOption) *Mapper {
	m, err := Register[T](r, opts...)
	if err != nil {
		panic(err)
	}
	return m
}

type tableNamer interface{ TableName() string }

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
	scannerType = reflect.TypeFor[sql.Scanner]()
	valuerType  = reflect.TypeFor[driver.Valuer]()
)

// Register is the non-generic form of [Register].
func (r *Registry) Register(t reflect.Type, opts ...ModelOption) (*Mapper, error) {
	if t.Kind() != reflect.Struct {
		return nil, &ModelError{Struct: t.String(), Err: errors.New("not a struct type")}
	}
	fail := func(field string, format string, args ...any) error {
		return &ModelError{Struct: t.Name(), Field: field, Err: fmt.Errorf(format, args...)}
	}
	cfg := &modelConfig{defaults: map[string]func() any{}, onUpdates: map[string]func() any{}}
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return nil, &ModelError{Struct: t.Name(), Err: err}
		}
	}
	if cfg.table == "" {
		if tn, ok := reflect.New(t).Interface().(tableNamer); ok {
			cfg.table = tn.TableName()
		} else {
			cfg.table = snake(t.Name())
		}
	}
	m := &Mapper{Type: t, typed: cfg.typed, byCol: map[string]*Field{}, byName: map[string]*Field{}}
	tbl := &schema.Table{Schema: cfg.schema, Name: cfg.table, Comment: cfg.comment}
	var pkCols []string
	var walk func(st reflect.Type, base uintptr, prefix string, path []int) error
	walk = func(st reflect.Type, base uintptr, prefix string, path []int) error {
		for i := 0; i < st.NumField(); i++ {
			sf := st.Field(i)
			name := prefix + sf.Name
			tag, hasTag := sf.Tag.Lookup("db")
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct && !hasTag && !isValueType(sf.Type) {
				if err := walk(sf.Type, base+sf.Offset, name+".", append(slices.Clip(path), i)); err != nil {
					return err
				}
				continue
			}
			if rf, ok := relFieldOf(sf.Type); ok {
				if !sf.IsExported() {
					return fail(name, "relationship field must be exported")
				}
				if hasTag && tag != "-" {
					return fail(name, "a relationship field takes a rel tag, not a db tag")
				}
				sp := relSpec{field: name, offset: base + sf.Offset, list: rf.relIsList(), target: rf.relTarget()}
				if sp.target.Kind() != reflect.Struct {
					return fail(name, "relationship to %s, which is not a struct type", sp.target)
				}
				if err := parseRelTag(sf.Tag.Get("rel"), &sp); err != nil {
					return fail(name, "%v", err)
				}
				m.relSpecs = append(m.relSpecs, sp)
				continue
			}
			if _, ok := sf.Tag.Lookup("rel"); ok {
				return fail(name, "a rel tag belongs on an orm.Ref or orm.List field")
			}
			if !sf.IsExported() {
				if hasTag && tag != "-" {
					return fail(name, "unexported field has a db tag")
				}
				continue
			}
			ft, err := parseTag(tag)
			if err != nil {
				return fail(name, "%v", err)
			}
			if ft.skip {
				continue
			}
			col := &schema.Column{Name: ft.name, Comment: ft.comment, Default: ft.def}
			if col.Name == "" {
				col.Name = snake(sf.Name)
			}
			typ, nullable, err := columnType(sf.Type)
			if ft.typ != nil {
				if err != nil {
					// a type columnType has no mapping for (a struct or slice
					// declared json, say): nil is NULL where Go has a nil
					k := sf.Type.Kind()
					nullable = k == reflect.Pointer || k == reflect.Map || k == reflect.Slice
				}
				typ, err = *ft.typ, nil
			}
			if err != nil {
				return fail(name, "%v; give the column type with a tag (type:...)", err)
			}
			col.Type, col.Nullable = typ, nullable
			if typ.Kind == schema.KindEnum && !stringLike(sf.Type) {
				return fail(name, "enum column needs a string field (or a Scanner), not %s", sf.Type)
			}
			if ft.nullable != nil {
				col.Nullable = *ft.nullable
			}
			if ft.nullable != nil && *ft.nullable && !canHoldNull(sf.Type) {
				return fail(name, "nullable column needs a pointer, sql.Null type or scanner; %s cannot hold NULL", sf.Type)
			}
			if prev := m.byCol[col.Name]; prev != nil {
				return fail(name, "column %q is also mapped by field %s", col.Name, prev.Name)
			}
			cd, err := chooseCodec(sf.Type, typ)
			if err != nil {
				return fail(name, "%v", err)
			}
			f := &Field{Name: name, Column: col, Type: sf.Type, offset: base + sf.Offset,
				path: append(slices.Clip(path), i), owner: t,
				PrimaryKey: ft.pk, Version: ft.version, ServerOnUpdate: ft.serverOnUpdate,
				eq: equalFunc(sf.Type), deepCopy: sharesMemory(sf.Type), codec: cd, word: wordType(sf.Type)}
			if cd == codecJSON {
				f.eq = jsonEqual(sf.Type)
			}
			if cd == codecNone {
				f.typed = typedFuncsOf(sf.Type)
			}
			if f.deepCopy {
				m.deep = append(m.deep, f)
			}
			if ft.pk {
				pkCols = append(pkCols, col.Name)
				m.PK = append(m.PK, f)
			}
			if ft.version {
				if m.Version != nil {
					return fail(name, "second version column (first is %s)", m.Version.Name)
				}
				if !ft.appVersion && !typ.Kind.IsInteger() {
					return fail(name, "version column must be an integer, not %s (or version:app, set by the application)", typ)
				}
				if ft.appVersion && !f.Type.Comparable() {
					return fail(name, "version:app field of type %s: versions are compared, the type must be comparable", f.Type)
				}
				m.Version, m.appVersion = f, ft.appVersion
			}
			if ft.autoIncrement != nil && *ft.autoIncrement {
				col.AutoIncrement = true
			}
			if ft.unique {
				tbl.Uniques = append(tbl.Uniques, &schema.Unique{Columns: []string{col.Name}})
			}
			if ft.index {
				tbl.Indexes = append(tbl.Indexes, &schema.Index{Columns: []string{col.Name}})
			}
			if ft.fkTable != "" {
				tbl.ForeignKeys = append(tbl.ForeignKeys, &schema.ForeignKey{
					Columns: []string{col.Name}, RefTable: ft.fkTable, RefColumns: []string{ft.fkColumn},
					OnDelete: ft.onDelete, OnUpdate: ft.onUpdate,
				})
			}
			if fn, ok := cfg.defaults[name]; ok {
				f.Default = fn
				delete(cfg.defaults, name)
			}
			if fn, ok := cfg.onUpdates[name]; ok {
				f.OnUpdate = fn
				delete(cfg.onUpdates, name)
			}
			col.ClientDefault = f.Default
			f.index = len(m.Fields)
			m.Fields = append(m.Fields, f)
			m.byCol[col.Name] = f
			m.byName[name] = f
			tbl.Columns = append(tbl.Columns, col)
			// keep the autoincrement decision for after the pk is known
			if ft.autoIncrement != nil && !*ft.autoIncrement {
				f.noAuto = true
			}
		}
		return nil
	}
	if err := walk(t, 0, "", nil); err != nil {
		return nil, err
	}
	for name := range cfg.defaults {
		return nil, fail(name, "Default option names no mapped field")
	}
	for name := range cfg.onUpdates {
		return nil, fail(name, "OnUpdate option names no mapped field")
	}
	if len(m.Fields) == 0 {
		return nil, fail("", "no mapped fields")
	}
	if len(pkCols) == 0 {
		if f := m.byName["ID"]; f != nil {
			f.PrimaryKey = true
			pkCols = []string{f.Column.Name}
			m.PK = []*Field{f}
		} else {
			return nil, fail("", "no primary key: tag a field `db:\",pk\"` or name it ID")
		}
	}
	if len(m.PK) > maxKeyCols {
		return nil, fail("", "a primary key of %d columns; at most %d are supported", len(m.PK), maxKeyCols)
	}
	for _, f := range m.PK {
		if f.Column.Nullable {
			return nil, fail(f.Name, "primary key field cannot be nullable")
		}
		// The key's values are the identity map's keys: Go must be able to
		// compare them, and two equal keys must be equal values.
		if k := f.Type.Kind(); k == reflect.Pointer || k == reflect.Interface || !f.Type.Comparable() {
			return nil, fail(f.Name, "primary key field of type %s: a key must be a comparable value type (integer, string, UUID array, time...), not a pointer, interface, slice or map", f.Type)
		}
	}
	if len(m.PK) == 1 {
		switch m.PK[0].Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint16, reflect.Uint32:
			m.intPK = true
		}
	}
	if len(m.PK) == 1 && m.PK[0].Column.Type.Kind.IsInteger() && !m.PK[0].noAuto && m.PK[0].Column.Default == nil {
		m.PK[0].Column.AutoIncrement = true
	}
	for _, f := range m.Fields {
		if f.Column.AutoIncrement || f.Column.Default != nil {
			m.generated = append(m.generated, f)
		}
		if f.Default != nil {
			m.defaulted = append(m.defaulted, f)
		}
	}
	tbl.PrimaryKey = &schema.PrimaryKey{Columns: pkCols}
	tbl.Uniques = append(tbl.Uniques, cfg.uniques...)
	tbl.Indexes = append(tbl.Indexes, cfg.indexes...)
	tbl.Checks = append(tbl.Checks, cfg.checks...)
	tbl.ForeignKeys = append(tbl.ForeignKeys, cfg.fks...)
	for _, fk := range tbl.ForeignKeys {
		m.selfRef = m.selfRef || fk.RefTable == tbl.Name
	}
	m.Table = tbl

	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byType[t]; dup {
		return nil, fail("", "registered twice")
	}
	if err := r.meta.Add(tbl); err != nil {
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return nil, &ModelError{Struct: t.Name(), Field: fieldForColumn(m, ve.Field), Err: err}
		}
		return nil, &ModelError{Struct: t.Name(), Err: err}
	}
	r.byType[t] = m
	types := maps.Clone(r.byType)
	byPtr := make(map[unsafe.Pointer]*Mapper, len(types))
	for t, m := range types {
		nilPtr := reflect.Zero(reflect.PointerTo(t)).Interface()
		byPtr[(*eface)(unsafe.Pointer(&nilPtr)).typ] = m
	}
	r.types.Store(&types)
	r.byPtr.Store(&byPtr)
	return m, nil
}

// mapperOf returns the mapper of obj's type when obj is a non-nil *T of a
// registered T, with the object's address; nil otherwise (other values
// go through reflect). It reads the interface's words, as keyBoxes build
// them: a pointer is held in the data word itself, and the look-up
// hashes an address instead of a reflect.Type.
func (r *Registry) mapperOf(obj any) (*Mapper, unsafe.Pointer) {
	byPtr := r.byPtr.Load()
	if byPtr == nil {
		return nil, nil
	}
	e := (*eface)(unsafe.Pointer(&obj))
	m := (*byPtr)[e.typ]
	if m == nil {
		return nil, nil
	}
	return m, e.data
}

// fieldForColumn turns a schema validation's "column x" into the Go field.
func fieldForColumn(m *Mapper, field string) string {
	const p = "column "
	if len(field) > len(p) && field[:len(p)] == p {
		if f := m.byCol[field[len(p):]]; f != nil {
			return f.Name
		}
	}
	return field
}

// isValueType reports whether an embedded struct is a value (time.Time,
// a Scanner) rather than a group of fields to flatten.
func isValueType(t reflect.Type) bool {
	return t == timeType || reflect.PointerTo(t).Implements(scannerType) || t.Implements(valuerType)
}

func stringLike(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.String || reflect.PointerTo(t).Implements(scannerType)
}

func canHoldNull(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map ||
		t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(scannerType)
}

// columnType derives the column type and nullability from a Go type.
func columnType(t reflect.Type) (schema.Type, bool, error) {
	nullable := false
	if t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	if t.Kind() == reflect.Struct && t.PkgPath() == "database/sql" && t.NumField() == 2 && t.Field(1).Name == "Valid" {
		// sql.NullString, sql.NullInt64, ..., sql.Null[T]
		inner, _, err := columnType(t.Field(0).Type)
		return inner, true, err
	}
	switch {
	case t == timeType:
		return schema.TimestampTZ(), nullable, nil
	case t == rawJSONType:
		return schema.JSON(), true, nil
	case t.Kind() == reflect.Map && !nullable:
		// a map is a JSON object (as in bun); nil is NULL
		return schema.JSON(), true, nil
	case t.Kind() == reflect.Array && t.Len() == 16 && t.Elem().Kind() == reflect.Uint8:
		return schema.UUID(), nullable, nil // github.com/google/uuid.UUID and friends
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return schema.Bytes(), true, nil
	case t.Kind() == reflect.Slice && !nullable:
		// a slice of strings, numbers, booleans or UUIDs is an array column
		// (native on PostgreSQL, a JSON array elsewhere); nil is NULL
		if et, ok := arrayElemType(t.Elem()); ok {
			return schema.Array(et), true, nil
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return schema.Boolean(), nullable, nil
	case reflect.Int8, reflect.Int16, reflect.Uint8:
		return schema.SmallInt(), nullable, nil
	case reflect.Int32, reflect.Uint16:
		return schema.Integer(), nullable, nil
	case reflect.Int, reflect.Int64, reflect.Uint32:
		return schema.BigInt(), nullable, nil
	case reflect.Float32:
		return schema.Float(), nullable, nil
	case reflect.Float64:
		return schema.Double(), nullable, nil
	case reflect.String:
		return schema.Text(), nullable, nil
	}
	return schema.Type{}, false, fmt.Errorf("no column type for Go type %s", t)
}
