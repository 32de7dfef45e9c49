package schema

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Action is a foreign key's referential action for ON DELETE and ON UPDATE.
type Action uint8

// The referential actions. NoAction is the zero value and the SQL default.
const (
	NoAction Action = iota
	Restrict
	Cascade
	SetNull
	SetDefault
)

var actionNames = [...]string{NoAction: "NO ACTION", Restrict: "RESTRICT", Cascade: "CASCADE", SetNull: "SET NULL", SetDefault: "SET DEFAULT"}

// String returns the action as SQL writes it ("SET NULL").
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// ParseAction reads an action as SQL writes it, in any case.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if equalFold(n, s) {
			return Action(i), nil
		}
	}
	return NoAction, fmt.Errorf("schema: unknown referential action %q", s)
}

// Column is a table column. The zero value of Nullable is false: a column is
// NOT NULL unless it says otherwise.
type Column struct {
	Name          string
	Type          Type
	Nullable      bool
	AutoIncrement bool     // database-generated integer key (identity, AUTO_INCREMENT, rowid)
	Default       *Default // server default, part of the DDL
	Comment       string

	// ClientDefault is a value or a func() any the ORM uses when inserting a
	// row that leaves the column unset. It is not part of the DDL and is never
	// compared by introspection.
	ClientDefault any

	// RenamedFrom is a hint for migrations: the column was called this
	// before. Autogenerate renames the column instead of dropping it and
	// adding a new one, but only while the old name is still in the
	// previous schema; it never guesses a rename without this hint.
	RenamedFrom string
}

// PrimaryKey is a table's primary key, possibly composite.
type PrimaryKey struct {
	Name    string
	Columns []string
}

// ForeignKey is a foreign key constraint. RefColumns must be the referenced
// table's primary key or one of its unique constraints.
type ForeignKey struct {
	Name     string
	Columns  []string
	RefTable string
	// RefSchema is the referenced table's Schema ("" for the current
	// one, also when the referencing table is in a named schema).
	RefSchema         string
	RefColumns        []string
	OnDelete          Action
	OnUpdate          Action
	Deferrable        bool
	InitiallyDeferred bool
}

// Unique is a unique constraint.
type Unique struct {
	Name    string
	Columns []string
}

// Index is an index over one or more columns. Where makes it partial (a
// predicate in SQL, on dialects that support partial indexes).
type Index struct {
	Name    string
	Columns []string
	Unique  bool
	Where   string
}

// Check is a check constraint; Expr is SQL text written by the schema's
// author (never user input).
type Check struct {
	Name string
	Expr string
}

// Table is a table's metadata. Build one with a literal and add it to a
// [MetaData], which validates it and names its unnamed constraints.
type Table struct {
	// Schema is the namespace the table lives in (a PostgreSQL schema);
	// "" is the connection's current one (search_path), the only one on
	// MariaDB and SQLite, whose dialects refuse a table that names
	// another. A table is known in a [MetaData] by [Table.Key].
	Schema      string
	Name        string
	Columns     []*Column
	PrimaryKey  *PrimaryKey
	ForeignKeys []*ForeignKey
	Uniques     []*Unique
	Indexes     []*Index
	Checks      []*Check
	Comment     string

	// RenamedFrom is a hint for migrations: the table was called this
	// before (see [Column.RenamedFrom]).
	RenamedFrom string
}

// TableKey is the key of table name in namespace sch: "sch.name", or name
// when sch is "" (the current namespace).
func TableKey(sch, name string) string {
	if sch == "" {
		return name
	}
	return sch + "." + name
}

// CompareKeys orders table keys by (schema, name), the current schema's
// tables (keys without a dot) first: the order in which tables are created
// and dropped when nothing else decides.
func CompareKeys(a, b string) int {
	sa, na, oka := strings.Cut(a, ".")
	sb, nb, okb := strings.Cut(b, ".")
	if !oka {
		sa, na = "", a
	}
	if !okb {
		sb, nb = "", b
	}
	if c := strings.Compare(sa, sb); c != 0 {
		return c
	}
	return strings.Compare(na, nb)
}

// Key is the table's key in a [MetaData] and in migration operations:
// [TableKey] of its Schema and Name.
func (t *Table) Key() string { return TableKey(t.Schema, t.Name) }

// RefKey is the [Table.Key] of the table the foreign key references.
func (f *ForeignKey) RefKey() string { return TableKey(f.RefSchema, f.RefTable) }

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ForeignKey returns the named foreign key, or nil.
func (t *Table) ForeignKey(name string) *ForeignKey {
	for _, f := range t.ForeignKeys {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// KeyFor returns the name of the primary key or unique constraint whose
// columns are exactly cols (in order), and whether one exists.
func (t *Table) KeyFor(cols []string) (string, bool) {
	if t.PrimaryKey != nil && slices.Equal(t.PrimaryKey.Columns, cols) {
		return t.PrimaryKey.Name, true
	}
	for _, u := range t.Uniques {
		if slices.Equal(u.Columns, cols) {
			return u.Name, true
		}
	}
	return "", false
}

// Clone returns a deep copy of t (ClientDefault is copied by reference).
func (t *Table) Clone() *Table {
	c := *t
	c.Columns = make([]*Column, len(t.Columns))
	for i, col := range t.Columns {
		cc := *col
		cc.Type.Values = slices.Clone(col.Type.Values)
		if col.Default != nil {
			d := *col.Default
			cc.Default = &d
		}
		c.Columns[i] = &cc
	}
	if t.PrimaryKey != nil {
		pk := *t.PrimaryKey
		pk.Columns = slices.Clone(pk.Columns)
		c.PrimaryKey = &pk
	}
	c.ForeignKeys = cloneAll(t.ForeignKeys, func(f ForeignKey) ForeignKey {
		f.Columns, f.RefColumns = slices.Clone(f.Columns), slices.Clone(f.RefColumns)
		return f
	})
	c.Uniques = cloneAll(t.Uniques, func(u Unique) Unique { u.Columns = slices.Clone(u.Columns); return u })
	c.Indexes = cloneAll(t.Indexes, func(x Index) Index { x.Columns = slices.Clone(x.Columns); return x })
	c.Checks = cloneAll(t.Checks, func(k Check) Check { return k })
	return &c
}

func cloneAll[T any](in []*T, f func(T) T) []*T {
	if in == nil {
		return nil
	}
	out := make([]*T, len(in))
	for i, p := range in {
		v := f(*p)
		out[i] = &v
	}
	return out
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
