package schema

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ErrInvalid is matched (with errors.Is) by every *ValidationError.
var ErrInvalid = errors.New("schema: invalid definition")

// ValidationError reports an invalid table definition, naming the table and
// the column or constraint at fault. It is returned by [MetaData.Add] and
// [MetaData.Validate].
type ValidationError struct {
	Table string
	Field string // column or constraint name; empty when the table itself is at fault
	Msg   string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("schema: table %q: %s", e.Table, e.Msg)
	}
	return fmt.Sprintf("schema: table %q, %s: %s", e.Table, e.Field, e.Msg)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// MetaData is a set of tables: the schema shared by the ORM and migrations.
// It is not safe for concurrent mutation; build it once, then share it.
type MetaData struct {
	Naming NamingConvention
	tables map[string]*Table
}

// NewMetaData returns an empty set using [DefaultNaming].
func NewMetaData() *MetaData {
	return &MetaData{Naming: DefaultNaming, tables: map[string]*Table{}}
}

// Add validates each table on its own, names its unnamed constraints with the
// naming convention and adds it. References between tables are checked by
// [MetaData.Validate], once all are added. A table that fails is not added.
func (m *MetaData) Add(tables ...*Table) error {
	if m.tables == nil {
		m.tables = map[string]*Table{}
	}
	for _, t := range tables {
		if t == nil {
			return &ValidationError{Msg: "nil table"}
		}
		if _, dup := m.tables[t.Key()]; dup {
			return &ValidationError{Table: t.Key(), Msg: "defined twice"}
		}
		if err := validateTable(t); err != nil {
			return err
		}
		m.Naming.Apply(t)
		m.tables[t.Key()] = t
	}
	return nil
}

// MustAdd is Add for package-level schema declarations; it panics on error.
func (m *MetaData) MustAdd(tables ...*Table) *MetaData {
	if err := m.Add(tables...); err != nil {
		panic(err)
	}
	return m
}

// Remove drops a table from the set; key is its [Table.Key] (its name,
// for a table of the current namespace).
func (m *MetaData) Remove(key string) { delete(m.tables, key) }

// Table returns the table of the given [Table.Key] ("name", or
// "schema.name" for a table in a named schema), or nil.
func (m *MetaData) Table(key string) *Table { return m.tables[key] }

// Tables returns all tables sorted by (schema, name), the current
// namespace's ("") first.
func (m *MetaData) Tables() []*Table {
	out := make([]*Table, 0, len(m.tables))
	for _, t := range m.tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Schemas returns the named schemas the tables live in, sorted ("" left
// out).
func (m *MetaData) Schemas() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range m.tables {
		if t.Schema != "" && !seen[t.Schema] {
			seen[t.Schema] = true
			out = append(out, t.Schema)
		}
	}
	sort.Strings(out)
	return out
}

// Enums returns the enum types used by the tables, one per name, sorted by
// name. Two columns naming the same enum with different values are an error
// reported by Validate.
func (m *MetaData) Enums() []Type {
	seen := map[string]Type{}
	for _, t := range m.tables {
		for _, c := range t.Columns {
			if c.Type.Kind == KindEnum && c.Type.EnumName != "" {
				if _, ok := seen[c.Type.EnumName]; !ok {
					seen[c.Type.EnumName] = c.Type
				}
			}
		}
	}
	out := make([]Type, 0, len(seen))
	for _, e := range seen {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EnumName < out[j].EnumName })
	return out
}

// Clone returns a deep copy.
func (m *MetaData) Clone() *MetaData {
	c := &MetaData{Naming: m.Naming, tables: make(map[string]*Table, len(m.tables))}
	for n, t := range m.tables {
		c.tables[n] = t.Clone()
	}
	return c
}

// Validate checks what single tables cannot: every foreign key names an
// existing table and exactly that table's primary key or a unique
// constraint; column types of a foreign key match the referenced ones;
// constraint and index names are unique across the set; enums agree.
func (m *MetaData) Validate() error {
	names := map[string]string{} // constraint/index name -> table
	enums := map[string]Type{}
	var errs []error
	for _, t := range m.Tables() {
		for _, n := range constraintNames(t) {
			k := TableKey(t.Schema, n) // index names are per schema
			if other, dup := names[k]; dup {
				errs = append(errs, &ValidationError{Table: t.Key(), Field: n, Msg: fmt.Sprintf("constraint or index name already used in table %q", other)})
			}
			names[k] = t.Key()
		}
		for _, c := range t.Columns {
			if c.Type.Kind != KindEnum || c.Type.EnumName == "" {
				continue
			}
			if prev, ok := enums[c.Type.EnumName]; ok && !prev.Equal(c.Type) {
				errs = append(errs, &ValidationError{Table: t.Name, Field: c.Name, Msg: fmt.Sprintf("enum %s declared with different values elsewhere", c.Type.EnumName)})
			}
			enums[c.Type.EnumName] = c.Type
		}
		for _, f := range t.ForeignKeys {
			ref := m.tables[f.RefKey()]
			if ref == nil {
				errs = append(errs, &ValidationError{Table: t.Key(), Field: f.Name, Msg: fmt.Sprintf("references unknown table %q", f.RefKey())})
				continue
			}
			if _, ok := ref.KeyFor(f.RefColumns); !ok {
				errs = append(errs, &ValidationError{Table: t.Name, Field: f.Name, Msg: fmt.Sprintf("references %s(%s), which is neither its primary key nor a unique constraint", ref.Name, strings.Join(f.RefColumns, ", "))})
				continue
			}
			for i, cn := range f.Columns {
				c, rc := t.Column(cn), ref.Column(f.RefColumns[i])
				if rc == nil {
					continue // KeyFor found the key, so the column exists; defensive
				}
				if !compatibleKeyTypes(c.Type, rc.Type) {
					errs = append(errs, &ValidationError{Table: t.Name, Field: f.Name, Msg: fmt.Sprintf("column %s is %s but references %s.%s of type %s", cn, c.Type, ref.Name, rc.Name, rc.Type)})
				}
			}
		}
	}
	return errors.Join(errs...)
}

func compatibleKeyTypes(a, b Type) bool {
	if a.Kind.IsInteger() && b.Kind.IsInteger() {
		return true
	}
	if (a.Kind == KindVarchar || a.Kind == KindChar || a.Kind == KindText) &&
		(b.Kind == KindVarchar || b.Kind == KindChar || b.Kind == KindText) {
		return true
	}
	return a.Equal(b)
}

// constraintNames lists the names that must be unique across a schema:
// foreign keys (per database on MariaDB), unique constraints and indexes
// (per schema on PostgreSQL) and checks (per schema on MySQL 8). Primary
// keys are left out: MariaDB calls every one PRIMARY, and the naming
// convention already gives each a distinct name elsewhere.
func constraintNames(t *Table) []string {
	var out []string
	for _, f := range t.ForeignKeys {
		out = append(out, f.Name)
	}
	for _, u := range t.Uniques {
		out = append(out, u.Name)
	}
	for _, x := range t.Indexes {
		out = append(out, x.Name)
	}
	for _, c := range t.Checks {
		out = append(out, c.Name)
	}
	return out
}

func validIdent(s string) string {
	switch {
	case s == "":
		return "empty name"
	case len(s) > MaxIdentifierLen:
		return fmt.Sprintf("name is %d bytes, longer than %d", len(s), MaxIdentifierLen)
	case strings.ContainsRune(s, 0):
		return "name contains a NUL byte"
	case strings.TrimRight(s, " ") != s:
		return "name ends with a space (MariaDB cannot store it)"
	}
	return ""
}

func validateTable(t *Table) error {
	bad := func(field, format string, args ...any) error {
		return &ValidationError{Table: t.Name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if msg := validIdent(t.Name); msg != "" {
		return bad("", "%s", msg)
	}
	if t.Schema != "" {
		if msg := validIdent(t.Schema); msg != "" {
			return bad("", "schema: %s", msg)
		}
		if strings.Contains(t.Schema, ".") {
			return bad("", "schema %q: a dot is not allowed (it separates schema and table in keys)", t.Schema)
		}
	}
	if len(t.Columns) == 0 {
		return bad("", "has no columns")
	}
	cols := map[string]*Column{}
	for i, c := range t.Columns {
		if c == nil {
			return bad(fmt.Sprintf("column %d", i), "nil column")
		}
		field := "column " + c.Name
		if msg := validIdent(c.Name); msg != "" {
			return bad(field, "%s", msg)
		}
		if cols[c.Name] != nil {
			return bad(field, "defined twice")
		}
		cols[c.Name] = c
		if err := c.Type.validate(); err != nil {
			return bad(field, "%v", err)
		}
		if c.Type.Kind == KindEnum && c.Type.EnumName != "" {
			if msg := validIdent(c.Type.EnumName); msg != "" {
				return bad(field, "enum type: %s", msg)
			}
		}
		if c.AutoIncrement {
			if !c.Type.Kind.IsInteger() {
				return bad(field, "autoincrement needs an integer type, not %s", c.Type)
			}
			if t.PrimaryKey == nil || !slices.Equal(t.PrimaryKey.Columns, []string{c.Name}) {
				return bad(field, "autoincrement column must be the table's whole primary key")
			}
			if c.Default != nil {
				return bad(field, "autoincrement column cannot also have a server default")
			}
		}
		if c.Default != nil {
			if err := validateDefault(c); err != nil {
				return bad(field, "%v", err)
			}
		}
	}
	checkCols := func(field string, names []string) error {
		if len(names) == 0 {
			return bad(field, "has no columns")
		}
		seen := map[string]bool{}
		for _, n := range names {
			if cols[n] == nil {
				return bad(field, "unknown column %q", n)
			}
			if seen[n] {
				return bad(field, "lists column %q twice", n)
			}
			seen[n] = true
		}
		return nil
	}
	checkName := func(field, name string) error {
		if name == "" {
			return nil // named by the convention
		}
		if msg := validIdent(name); msg != "" {
			return bad(field, "%s", msg)
		}
		return nil
	}
	if pk := t.PrimaryKey; pk != nil {
		if err := checkCols("primary key", pk.Columns); err != nil {
			return err
		}
		if err := checkName("primary key", pk.Name); err != nil {
			return err
		}
		for _, n := range pk.Columns {
			if cols[n].Nullable {
				return bad("primary key", "column %q is nullable; primary key columns are NOT NULL", n)
			}
		}
	}
	for i, f := range t.ForeignKeys {
		field := fmt.Sprintf("foreign key %d (%s)", i, f.Name)
		if err := checkCols(field, f.Columns); err != nil {
			return err
		}
		if err := checkName(field, f.Name); err != nil {
			return err
		}
		if f.RefTable == "" {
			return bad(field, "no referenced table")
		}
		if len(f.RefColumns) != len(f.Columns) {
			return bad(field, "has %d columns but references %d", len(f.Columns), len(f.RefColumns))
		}
		for _, a := range []Action{f.OnDelete, f.OnUpdate} {
			if a > SetDefault {
				return bad(field, "unknown action %d", a)
			}
			if a == SetNull {
				for _, n := range f.Columns {
					if !cols[n].Nullable {
						return bad(field, "SET NULL on NOT NULL column %q", n)
					}
				}
			}
		}
		if f.InitiallyDeferred && !f.Deferrable {
			return bad(field, "initially deferred but not deferrable")
		}
	}
	for i, u := range t.Uniques {
		field := fmt.Sprintf("unique %d (%s)", i, u.Name)
		if err := checkCols(field, u.Columns); err != nil {
			return err
		}
		if err := checkName(field, u.Name); err != nil {
			return err
		}
	}
	for i, x := range t.Indexes {
		field := fmt.Sprintf("index %d (%s)", i, x.Name)
		if err := checkCols(field, x.Columns); err != nil {
			return err
		}
		if err := checkName(field, x.Name); err != nil {
			return err
		}
	}
	for i, c := range t.Checks {
		field := fmt.Sprintf("check %d (%s)", i, c.Name)
		if strings.TrimSpace(c.Expr) == "" {
			return bad(field, "empty expression")
		}
		if err := checkName(field, c.Name); err != nil {
			return err
		}
	}
	return nil
}

func validateDefault(c *Column) error {
	d := c.Default
	switch d.Kind {
	case DefaultString, DefaultCurrentTimestamp, DefaultCurrentDate:
	case DefaultNumber:
		if !IsNumberLiteral(d.Value) {
			return fmt.Errorf("numeric default %q is not a number", d.Value)
		}
	case DefaultBool:
		if d.Value != "true" && d.Value != "false" {
			return fmt.Errorf("boolean default %q is neither true nor false", d.Value)
		}
	case DefaultExpr:
		if strings.TrimSpace(d.Value) == "" {
			return fmt.Errorf("empty default expression")
		}
	default:
		return fmt.Errorf("unknown default kind %d", d.Kind)
	}
	return nil
}

// IsNumberLiteral accepts an optional sign, digits, an optional fraction and
// exponent: exactly what may be written into DDL without quoting.
func IsNumberLiteral(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
