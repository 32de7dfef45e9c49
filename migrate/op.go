package migrate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// Op is one schema change of a revision. The concrete types are the
// operations below; each knows its exact inverse and how it changes a
// [schema.MetaData], which is how the planner, the renderer and the
// snapshot checks agree on what a list of operations does.
//
// Operations that remove something carry the whole definition of what they
// remove (DropTable carries the table, DropColumn the column), so their
// inverse recreates it exactly, constraint names included: no operation
// ever needs to drop "a constraint whose name we do not know".
type Op interface {
	// Name is the operation's name in revision files ("create_table").
	Name() string
	// Inverse returns the operation that undoes this one, or an error
	// matching ErrIrreversible.
	Inverse() (Op, error)
	// Apply makes the change in m, as the database will.
	Apply(m *schema.MetaData) error
	// String describes the operation on one line.
	String() string
}

// ErrIrreversible is returned by Inverse of an operation that cannot be
// undone mechanically: raw SQL and Go steps without a reverse.
var ErrIrreversible = errors.New("migrate: operation has no inverse")

// ErrSchemaMismatch is returned by Apply when an operation does not fit the
// schema it is applied to (a column that is not there, a table that
// already is).
var ErrSchemaMismatch = errors.New("migrate: operation does not match the schema")

func mismatch(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSchemaMismatch, fmt.Sprintf(format, args...))
}

func table(m *schema.MetaData, name string) (*schema.Table, error) {
	t := m.Table(name)
	if t == nil {
		return nil, mismatch("no table %q", name)
	}
	return t, nil
}

// CreateEnum creates a named enum type (PostgreSQL; nothing elsewhere).
type CreateEnum struct{ Type schema.Type }

// DropEnum drops a named enum type.
type DropEnum struct{ Type schema.Type }

// AlterEnum changes the values of a named enum type from Old to New.
// Elsewhere than PostgreSQL enum values live in the column types, which
// the AlterColumn operations of the same plan change, and Strategy does
// not matter. On PostgreSQL:
//
//   - [EnumRebuild] (the zero value) recreates the type and converts the
//     columns using it (a rewrite of those tables); it makes any change,
//     and fails if a row holds a value that is removed;
//   - [EnumAddValue] runs ALTER TYPE ... ADD VALUE for each new value, in
//     place and without a rewrite; it only adds values. PostgreSQL 12 and
//     later run it inside the revision's transaction, but a value added in
//     a transaction cannot be used before it commits ("unsafe use of new
//     value"): a revision that adds a value and also uses it (a default,
//     a data step) must be split in two.
//
// The planner chooses EnumAddValue when values are only added (the old
// ones keeping their order); the downgrade then removes them with
// EnumRebuild, the only way PostgreSQL has (there is no DROP VALUE):
// [Revision.Irreversible] names it. Set "strategy": "rebuild" on the
// upgrade to rewrite both ways instead.
type AlterEnum struct {
	Old, New schema.Type
	Strategy EnumStrategy
}

// EnumStrategy is how PostgreSQL changes an enum type; see [AlterEnum].
type EnumStrategy string

// The enum strategies.
const (
	EnumRebuild  EnumStrategy = ""
	EnumAddValue EnumStrategy = "add_value"
)

// addsValues reports whether b is a with values added, a's in their order.
func addsValues(a, b schema.Type) bool {
	if len(b.Values) <= len(a.Values) {
		return false
	}
	i := 0
	for _, v := range b.Values {
		if i < len(a.Values) && v == a.Values[i] {
			i++
		} else if slices.Contains(a.Values, v) {
			return false
		}
	}
	return i == len(a.Values)
}

// CreateTable creates a table with its columns, primary key, unique and
// check constraints, the foreign keys it lists and its indexes. Foreign
// keys on a cycle between tables are left out and added by AddForeignKey.
type CreateTable struct{ Table *schema.Table }

// DropTable drops a table; Table is its whole definition as it is when
// dropped (foreign keys dropped before it are not in it).
type DropTable struct{ Table *schema.Table }

// RenameTable renames a table.
type RenameTable struct{ From, To string }

// AddColumn adds a column.
type AddColumn struct {
	Table  string
	Column *schema.Column
}

// DropColumn drops a column; Column is its whole definition.
type DropColumn struct {
	Table  string
	Column *schema.Column
}

// AlterColumn changes a column's type, nullability, autoincrement, server
// default or comment from Old to New (same name).
type AlterColumn struct {
	Table    string
	Old, New *schema.Column
}

// RenameColumn renames a column.
type RenameColumn struct {
	Table    string
	From, To string
}

// RenameConstraint renames a primary key, unique constraint, foreign key,
// check or index (Kind) of a table. The planner emits it when an object's
// definition is unchanged but its name is not (a table renamed under a
// naming convention renames its constraints too).
type RenameConstraint struct {
	Table    string
	Kind     dialect.ObjectKind
	From, To string
}

// AddPrimaryKey adds a primary key to a table that has none.
type AddPrimaryKey struct {
	Table      string
	PrimaryKey *schema.PrimaryKey
}

// DropPrimaryKey drops a table's primary key.
type DropPrimaryKey struct {
	Table      string
	PrimaryKey *schema.PrimaryKey
}

// AddUnique adds a unique constraint.
type AddUnique struct {
	Table  string
	Unique *schema.Unique
}

// DropUnique drops a unique constraint.
type DropUnique struct {
	Table  string
	Unique *schema.Unique
}

// AddCheck adds a check constraint.
type AddCheck struct {
	Table string
	Check *schema.Check
}

// DropCheck drops a check constraint.
type DropCheck struct {
	Table string
	Check *schema.Check
}

// AddForeignKey adds a foreign key.
type AddForeignKey struct {
	Table      string
	ForeignKey *schema.ForeignKey
}

// DropForeignKey drops a foreign key.
type DropForeignKey struct {
	Table      string
	ForeignKey *schema.ForeignKey
}

// Actions are a foreign key's ON DELETE and ON UPDATE actions.
type Actions struct{ OnDelete, OnUpdate schema.Action }

// AlterForeignKeyActions changes the ON DELETE / ON UPDATE actions of a
// foreign key from Old to those ForeignKey carries. It is its own operation
// (not an anonymous drop and add) so that revisions say what changed;
// databases render it as a drop and an add of the same constraint (a
// table rebuild on SQLite).
type AlterForeignKeyActions struct {
	Table      string
	ForeignKey *schema.ForeignKey // with the new actions
	Old        Actions
}

// Deferrability is when a foreign key is checked: at once (not
// Deferrable), at the end of the transaction unless a transaction asks
// otherwise (Deferrable, InitiallyDeferred), or at once unless a
// transaction defers it (Deferrable only).
type Deferrability struct{ Deferrable, InitiallyDeferred bool }

// AlterForeignKeyDeferrability changes when a foreign key is checked, from
// Old to what ForeignKey says. PostgreSQL does it in place with ALTER
// CONSTRAINT, which re-checks no row; databases without it drop and add
// the constraint (a table rebuild on SQLite).
type AlterForeignKeyDeferrability struct {
	Table      string
	ForeignKey *schema.ForeignKey // with the new deferrability
	Old        Deferrability
}

// CreateIndex creates an index.
//
// Concurrently builds it without blocking writes to the table, where the
// dialect can ([dialect.ConcurrentIndexer]): PostgreSQL's CREATE INDEX
// CONCURRENTLY, which cannot run in a transaction, so the runner runs it
// as a step of its own between the revision's transactions (see
// [Migrator.Upgrade]); an INVALID index of the same name left by a failed
// attempt is dropped before it runs again. MariaDB builds it in place with
// ALGORITHM=INPLACE, LOCK=NONE (reads and writes go on; a plain step of
// the revision); SQLite, which has one writer, runs a plain CREATE INDEX.
// The index is the same either way: the snapshot does not record how it
// was built.
type CreateIndex struct {
	Table        string
	Index        *schema.Index
	Concurrently bool
}

// DropIndex drops an index; Concurrently as for [CreateIndex] (DROP INDEX
// CONCURRENTLY on PostgreSQL).
type DropIndex struct {
	Table        string
	Index        *schema.Index
	Concurrently bool
}

// SetTableComment changes a table's comment from Old to New.
type SetTableComment struct {
	Table    string
	Old, New string
}

// RawSQL runs hand-written statements: SQL on every database, or the
// statements Dialects lists for a dialect by name ("postgres", "mysql",
// "sqlite"), which replace SQL there. Reverse, if set, undoes it.
type RawSQL struct {
	SQL      []string
	Dialects map[string][]string
	Reverse  *RawSQL
}

// GoStep runs a Go function registered under Func with [Funcs] (a data
// migration). Reverse, if set, names the function that undoes it.
type GoStep struct {
	Func    string
	Reverse string
}

func (CreateEnum) Name() string             { return "create_enum" }
func (DropEnum) Name() string               { return "drop_enum" }
func (AlterEnum) Name() string              { return "alter_enum" }
func (CreateTable) Name() string            { return "create_table" }
func (DropTable) Name() string              { return "drop_table" }
func (RenameTable) Name() string            { return "rename_table" }
func (AddColumn) Name() string              { return "add_column" }
func (DropColumn) Name() string             { return "drop_column" }
func (AlterColumn) Name() string            { return "alter_column" }
func (RenameColumn) Name() string           { return "rename_column" }
func (RenameConstraint) Name() string       { return "rename_constraint" }
func (AddPrimaryKey) Name() string          { return "add_primary_key" }
func (DropPrimaryKey) Name() string         { return "drop_primary_key" }
func (AddUnique) Name() string              { return "add_unique" }
func (DropUnique) Name() string             { return "drop_unique" }
func (AddCheck) Name() string               { return "add_check" }
func (DropCheck) Name() string              { return "drop_check" }
func (AddForeignKey) Name() string          { return "add_foreign_key" }
func (DropForeignKey) Name() string         { return "drop_foreign_key" }
func (AlterForeignKeyActions) Name() string { return "alter_foreign_key_actions" }
func (AlterForeignKeyDeferrability) Name() string {
	return "alter_foreign_key_deferrability"
}
func (CreateIndex) Name() string     { return "create_index" }
func (DropIndex) Name() string       { return "drop_index" }
func (SetTableComment) Name() string { return "set_table_comment" }
func (RawSQL) Name() string          { return "sql" }
func (GoStep) Name() string          { return "go" }

func (o CreateEnum) Inverse() (Op, error) { return DropEnum(o), nil }
func (o DropEnum) Inverse() (Op, error)   { return CreateEnum(o), nil }
func (o AlterEnum) Inverse() (Op, error) {
	// removing values: only a rebuild can
	return AlterEnum{Old: o.New, New: o.Old}, nil
}
func (o CreateTable) Inverse() (Op, error) { return DropTable(o), nil }
func (o DropTable) Inverse() (Op, error)   { return CreateTable(o), nil }
func (o RenameTable) Inverse() (Op, error) { return RenameTable{From: o.To, To: o.From}, nil }
func (o AddColumn) Inverse() (Op, error)   { return DropColumn(o), nil }
func (o DropColumn) Inverse() (Op, error)  { return AddColumn(o), nil }
func (o AlterColumn) Inverse() (Op, error) {
	return AlterColumn{Table: o.Table, Old: o.New, New: o.Old}, nil
}
func (o RenameColumn) Inverse() (Op, error) {
	return RenameColumn{Table: o.Table, From: o.To, To: o.From}, nil
}
func (o RenameConstraint) Inverse() (Op, error) {
	return RenameConstraint{Table: o.Table, Kind: o.Kind, From: o.To, To: o.From}, nil
}
func (o AddPrimaryKey) Inverse() (Op, error)  { return DropPrimaryKey(o), nil }
func (o DropPrimaryKey) Inverse() (Op, error) { return AddPrimaryKey(o), nil }
func (o AddUnique) Inverse() (Op, error)      { return DropUnique(o), nil }
func (o DropUnique) Inverse() (Op, error)     { return AddUnique(o), nil }
func (o AddCheck) Inverse() (Op, error)       { return DropCheck(o), nil }
func (o DropCheck) Inverse() (Op, error)      { return AddCheck(o), nil }
func (o AddForeignKey) Inverse() (Op, error)  { return DropForeignKey(o), nil }
func (o DropForeignKey) Inverse() (Op, error) { return AddForeignKey(o), nil }
func (o AlterForeignKeyActions) Inverse() (Op, error) {
	fk := *o.ForeignKey
	fk.OnDelete, fk.OnUpdate = o.Old.OnDelete, o.Old.OnUpdate
	return AlterForeignKeyActions{Table: o.Table, ForeignKey: &fk, Old: Actions{o.ForeignKey.OnDelete, o.ForeignKey.OnUpdate}}, nil
}
func (o AlterForeignKeyDeferrability) Inverse() (Op, error) {
	fk := *o.ForeignKey
	fk.Deferrable, fk.InitiallyDeferred = o.Old.Deferrable, o.Old.InitiallyDeferred
	return AlterForeignKeyDeferrability{Table: o.Table, ForeignKey: &fk,
		Old: Deferrability{o.ForeignKey.Deferrable, o.ForeignKey.InitiallyDeferred}}, nil
}
func (o CreateIndex) Inverse() (Op, error) { return DropIndex(o), nil }
func (o DropIndex) Inverse() (Op, error)   { return CreateIndex(o), nil }
func (o SetTableComment) Inverse() (Op, error) {
	return SetTableComment{Table: o.Table, Old: o.New, New: o.Old}, nil
}
func (o RawSQL) Inverse() (Op, error) {
	if o.Reverse == nil {
		return nil, fmt.Errorf("%w: raw SQL without a reverse", ErrIrreversible)
	}
	r := *o.Reverse
	fwd := o
	fwd.Reverse = nil
	r.Reverse = &fwd
	return r, nil
}
func (o GoStep) Inverse() (Op, error) {
	if o.Reverse == "" {
		return nil, fmt.Errorf("%w: Go step %s without a reverse", ErrIrreversible, o.Func)
	}
	return GoStep{Func: o.Reverse, Reverse: o.Func}, nil
}

func (o CreateEnum) String() string { return "create enum " + o.Type.EnumName }
func (o DropEnum) String() string   { return "drop enum " + o.Type.EnumName }
func (o AlterEnum) String() string {
	how := ""
	if o.Strategy == EnumAddValue {
		how = " (add value)"
	}
	return fmt.Sprintf("alter enum %s: values %q -> %q%s", o.New.EnumName, o.Old.Values, o.New.Values, how)
}
func (o CreateTable) String() string { return "create table " + o.Table.Key() }
func (o DropTable) String() string   { return "drop table " + o.Table.Key() }
func (o RenameTable) String() string { return "rename table " + o.From + " to " + o.To }
func (o AddColumn) String() string   { return "add column " + o.Table + "." + o.Column.Name }
func (o DropColumn) String() string  { return "drop column " + o.Table + "." + o.Column.Name }
func (o AlterColumn) String() string {
	var what []string
	if !o.Old.Type.Equal(o.New.Type) {
		what = append(what, fmt.Sprintf("type %s -> %s", o.Old.Type, o.New.Type))
	}
	if o.Old.Nullable != o.New.Nullable {
		what = append(what, fmt.Sprintf("nullable %v -> %v", o.Old.Nullable, o.New.Nullable))
	}
	if o.Old.AutoIncrement != o.New.AutoIncrement {
		what = append(what, fmt.Sprintf("autoincrement %v -> %v", o.Old.AutoIncrement, o.New.AutoIncrement))
	}
	if !o.Old.Default.Equal(o.New.Default) {
		what = append(what, fmt.Sprintf("default %s -> %s", o.Old.Default, o.New.Default))
	}
	if o.Old.Comment != o.New.Comment {
		what = append(what, fmt.Sprintf("comment %q -> %q", o.Old.Comment, o.New.Comment))
	}
	return "alter column " + o.Table + "." + o.New.Name + ": " + strings.Join(what, ", ")
}
func (o RenameColumn) String() string {
	return "rename column " + o.Table + "." + o.From + " to " + o.To
}
func (o RenameConstraint) String() string {
	return fmt.Sprintf("rename %s %s on %s to %s", strings.ReplaceAll(string(o.Kind), "_", " "), o.From, o.Table, o.To)
}
func (o AddPrimaryKey) String() string {
	return fmt.Sprintf("add primary key %s%q on %s", o.PrimaryKey.Name, o.PrimaryKey.Columns, o.Table)
}
func (o DropPrimaryKey) String() string {
	return fmt.Sprintf("drop primary key %s%q on %s", o.PrimaryKey.Name, o.PrimaryKey.Columns, o.Table)
}
func (o AddUnique) String() string  { return "add unique " + o.Unique.Name + " on " + o.Table }
func (o DropUnique) String() string { return "drop unique " + o.Unique.Name + " on " + o.Table }
func (o AddCheck) String() string   { return "add check " + o.Check.Name + " on " + o.Table }
func (o DropCheck) String() string  { return "drop check " + o.Check.Name + " on " + o.Table }
func (o AddForeignKey) String() string {
	return "add foreign key " + o.ForeignKey.Name + " on " + o.Table
}
func (o DropForeignKey) String() string {
	return "drop foreign key " + o.ForeignKey.Name + " on " + o.Table
}
func (o AlterForeignKeyActions) String() string {
	return fmt.Sprintf("alter foreign key %s on %s: on delete %s -> %s, on update %s -> %s", o.ForeignKey.Name, o.Table,
		o.Old.OnDelete, o.ForeignKey.OnDelete, o.Old.OnUpdate, o.ForeignKey.OnUpdate)
}
func (d Deferrability) String() string {
	switch {
	case !d.Deferrable:
		return "not deferrable"
	case d.InitiallyDeferred:
		return "deferrable initially deferred"
	}
	return "deferrable initially immediate"
}
func (o AlterForeignKeyDeferrability) String() string {
	return fmt.Sprintf("alter foreign key %s on %s: %s -> %s", o.ForeignKey.Name, o.Table, o.Old,
		Deferrability{o.ForeignKey.Deferrable, o.ForeignKey.InitiallyDeferred})
}
func (o CreateIndex) String() string {
	return "create index " + o.Index.Name + " on " + o.Table + concurrently(o.Concurrently)
}
func (o DropIndex) String() string {
	return "drop index " + o.Index.Name + " on " + o.Table + concurrently(o.Concurrently)
}

func concurrently(c bool) string {
	if c {
		return " concurrently"
	}
	return ""
}
func (o SetTableComment) String() string {
	return fmt.Sprintf("set comment of %s to %q", o.Table, o.New)
}
func (o RawSQL) String() string { return fmt.Sprintf("raw SQL (%d statements)", len(o.SQL)) }
func (o GoStep) String() string { return "Go step " + o.Func }

func (CreateEnum) Apply(*schema.MetaData) error { return nil } // enums live in column types
func (DropEnum) Apply(*schema.MetaData) error   { return nil }
func (AlterEnum) Apply(*schema.MetaData) error  { return nil } // the columns change by AlterColumn
func (RawSQL) Apply(*schema.MetaData) error     { return nil } // opaque to the snapshot
func (GoStep) Apply(*schema.MetaData) error     { return nil }

func (o CreateTable) Apply(m *schema.MetaData) error {
	if m.Table(o.Table.Key()) != nil {
		return mismatch("table %q exists already", o.Table.Key())
	}
	return m.Add(o.Table.Clone())
}

func (o DropTable) Apply(m *schema.MetaData) error {
	if _, err := table(m, o.Table.Key()); err != nil {
		return err
	}
	m.Remove(o.Table.Key())
	return nil
}

func (o RenameTable) Apply(m *schema.MetaData) error {
	t, err := table(m, o.From)
	if err != nil {
		return err
	}
	if m.Table(o.To) != nil {
		return mismatch("table %q exists already", o.To)
	}
	// A rename stays in the table's schema: To is its key there.
	name := o.To
	if t.Schema != "" {
		sch, n, _ := strings.Cut(o.To, ".")
		if sch != t.Schema || n == "" {
			return mismatch("rename table %s to %s: a rename keeps the table in schema %q", o.From, o.To, t.Schema)
		}
		name = n
	}
	t.Name = name
	m.Remove(o.From)
	for _, other := range append(m.Tables(), t) {
		for _, f := range other.ForeignKeys {
			if f.RefKey() == o.From {
				f.RefTable = t.Name
			}
		}
	}
	return m.Add(t)
}

func (o AddColumn) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	if t.Column(o.Column.Name) != nil {
		return mismatch("column %s.%s exists already", o.Table, o.Column.Name)
	}
	c := *o.Column
	t.Columns = append(t.Columns, &c)
	return nil
}

func (o DropColumn) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(t.Columns, func(c *schema.Column) bool { return c.Name == o.Column.Name })
	if i < 0 {
		return mismatch("no column %s.%s", o.Table, o.Column.Name)
	}
	t.Columns = slices.Delete(t.Columns, i, i+1)
	return nil
}

func (o AlterColumn) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(t.Columns, func(c *schema.Column) bool { return c.Name == o.New.Name })
	if i < 0 {
		return mismatch("no column %s.%s", o.Table, o.New.Name)
	}
	c := *o.New
	c.ClientDefault = t.Columns[i].ClientDefault
	t.Columns[i] = &c
	return nil
}

func (o RenameColumn) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	c := t.Column(o.From)
	if c == nil {
		return mismatch("no column %s.%s", o.Table, o.From)
	}
	if t.Column(o.To) != nil {
		return mismatch("column %s.%s exists already", o.Table, o.To)
	}
	c.Name = o.To
	ren := func(cols []string) {
		for i, n := range cols {
			if n == o.From {
				cols[i] = o.To
			}
		}
	}
	if t.PrimaryKey != nil {
		ren(t.PrimaryKey.Columns)
	}
	for _, u := range t.Uniques {
		ren(u.Columns)
	}
	for _, x := range t.Indexes {
		ren(x.Columns)
	}
	for _, f := range t.ForeignKeys {
		ren(f.Columns)
	}
	for _, other := range m.Tables() {
		for _, f := range other.ForeignKeys {
			if f.RefKey() == o.Table {
				ren(f.RefColumns)
			}
		}
	}
	return nil
}

func (o RenameConstraint) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	var names []*string
	switch o.Kind {
	case dialect.PrimaryKeyObject:
		if t.PrimaryKey != nil {
			names = append(names, &t.PrimaryKey.Name)
		}
	case dialect.UniqueObject:
		for _, u := range t.Uniques {
			names = append(names, &u.Name)
		}
	case dialect.ForeignKeyObject:
		for _, f := range t.ForeignKeys {
			names = append(names, &f.Name)
		}
	case dialect.CheckObject:
		for _, c := range t.Checks {
			names = append(names, &c.Name)
		}
	case dialect.IndexObject:
		for _, x := range t.Indexes {
			names = append(names, &x.Name)
		}
	default:
		return mismatch("unknown object kind %q", o.Kind)
	}
	for _, n := range names {
		if *n == o.To {
			return mismatch("%s %s exists already on %s", o.Kind, o.To, o.Table)
		}
	}
	for _, n := range names {
		if *n == o.From {
			*n = o.To
			return nil
		}
	}
	return mismatch("no %s %s on %s", o.Kind, o.From, o.Table)
}

func (o AddPrimaryKey) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	if t.PrimaryKey != nil {
		return mismatch("table %s has a primary key already", o.Table)
	}
	for _, c := range o.PrimaryKey.Columns {
		if t.Column(c) == nil {
			return mismatch("no column %s.%s", o.Table, c)
		}
	}
	pk := *o.PrimaryKey
	pk.Columns = slices.Clone(pk.Columns)
	t.PrimaryKey = &pk
	return nil
}

func (o DropPrimaryKey) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	if t.PrimaryKey == nil {
		return mismatch("table %s has no primary key", o.Table)
	}
	t.PrimaryKey = nil
	return nil
}

// addNamed and dropNamed edit one of a table's constraint lists.
func addNamed[T any](m *schema.MetaData, tname, kind string, list func(*schema.Table) *[]*T, name func(*T) string, v *T) error {
	t, err := table(m, tname)
	if err != nil {
		return err
	}
	l := list(t)
	for _, x := range *l {
		if name(x) == name(v) {
			return mismatch("%s %s exists already on %s", kind, name(v), tname)
		}
	}
	c := *v
	*l = append(*l, &c)
	return nil
}

func dropNamed[T any](m *schema.MetaData, tname, kind string, list func(*schema.Table) *[]*T, name func(*T) string, n string) error {
	t, err := table(m, tname)
	if err != nil {
		return err
	}
	l := list(t)
	i := slices.IndexFunc(*l, func(x *T) bool { return name(x) == n })
	if i < 0 {
		return mismatch("no %s %s on %s", kind, n, tname)
	}
	*l = slices.Delete(*l, i, i+1)
	return nil
}

func uniques(t *schema.Table) *[]*schema.Unique         { return &t.Uniques }
func checks(t *schema.Table) *[]*schema.Check           { return &t.Checks }
func foreignKeys(t *schema.Table) *[]*schema.ForeignKey { return &t.ForeignKeys }
func indexes(t *schema.Table) *[]*schema.Index          { return &t.Indexes }
func uniqueName(u *schema.Unique) string                { return u.Name }
func checkName(c *schema.Check) string                  { return c.Name }
func fkName(f *schema.ForeignKey) string                { return f.Name }
func indexName(x *schema.Index) string                  { return x.Name }
func (o AddUnique) Apply(m *schema.MetaData) error {
	return addNamed(m, o.Table, "unique", uniques, uniqueName, o.Unique)
}
func (o DropUnique) Apply(m *schema.MetaData) error {
	return dropNamed(m, o.Table, "unique", uniques, uniqueName, o.Unique.Name)
}
func (o AddCheck) Apply(m *schema.MetaData) error {
	return addNamed(m, o.Table, "check", checks, checkName, o.Check)
}
func (o DropCheck) Apply(m *schema.MetaData) error {
	return dropNamed(m, o.Table, "check", checks, checkName, o.Check.Name)
}
func (o CreateIndex) Apply(m *schema.MetaData) error {
	return addNamed(m, o.Table, "index", indexes, indexName, o.Index)
}
func (o DropIndex) Apply(m *schema.MetaData) error {
	return dropNamed(m, o.Table, "index", indexes, indexName, o.Index.Name)
}
func (o AddForeignKey) Apply(m *schema.MetaData) error {
	return addNamed(m, o.Table, "foreign key", foreignKeys, fkName, o.ForeignKey)
}
func (o DropForeignKey) Apply(m *schema.MetaData) error {
	return dropNamed(m, o.Table, "foreign key", foreignKeys, fkName, o.ForeignKey.Name)
}

func (o AlterForeignKeyActions) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	f := t.ForeignKey(o.ForeignKey.Name)
	if f == nil {
		return mismatch("no foreign key %s on %s", o.ForeignKey.Name, o.Table)
	}
	f.OnDelete, f.OnUpdate = o.ForeignKey.OnDelete, o.ForeignKey.OnUpdate
	return nil
}

func (o AlterForeignKeyDeferrability) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	f := t.ForeignKey(o.ForeignKey.Name)
	if f == nil {
		return mismatch("no foreign key %s on %s", o.ForeignKey.Name, o.Table)
	}
	f.Deferrable, f.InitiallyDeferred = o.ForeignKey.Deferrable, o.ForeignKey.InitiallyDeferred
	return nil
}

func (o SetTableComment) Apply(m *schema.MetaData) error {
	t, err := table(m, o.Table)
	if err != nil {
		return err
	}
	t.Comment = o.New
	return nil
}

// ApplyAll applies ops in order to a copy of m and returns the copy.
func ApplyAll(m *schema.MetaData, ops []Op) (*schema.MetaData, error) {
	out := m.Clone()
	for i, op := range ops {
		if err := op.Apply(out); err != nil {
			return nil, fmt.Errorf("operation %d (%s): %w", i+1, op, err)
		}
	}
	return out, nil
}

// InverseAll returns the inverse of a list of operations: each inverted,
// in reverse order.
func InverseAll(ops []Op) ([]Op, error) {
	out := make([]Op, 0, len(ops))
	for i := len(ops) - 1; i >= 0; i-- {
		inv, err := ops[i].Inverse()
		if err != nil {
			return nil, fmt.Errorf("operation %d (%s): %w", i+1, ops[i], err)
		}
		out = append(out, inv)
	}
	return out, nil
}
