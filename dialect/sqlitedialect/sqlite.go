package sqlitedialect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// Dialect is the SQLite dialect. It is stateless and safe for concurrent
// use; the zero value is ready to use.
type Dialect struct{}

var _ dialect.Dialect = (*Dialect)(nil)

// New returns the SQLite dialect.
func New() *Dialect { return &Dialect{} }

// Name returns "sqlite".
func (d *Dialect) Name() string { return "sqlite" }

// features are SQLite's capabilities (SQLite 3.35 or later, as bundled by
// modernc.org/sqlite).
const features = dialect.InsertReturning | dialect.UpdateReturning | dialect.DeleteReturning |
	dialect.TransactionalDDL | dialect.DeferrableConstraints | dialect.PartialIndexes |
	dialect.OnConflict | dialect.ForwardReferences | dialect.SetDefaultAction |
	dialect.NamedPrimaryKeys | dialect.LastInsertID | dialect.DefaultValues | dialect.UpdateFrom |
	dialect.CascadeSelfUpdate | dialect.JSON1

// Features returns SQLite's capability flags. It lacks AlterConstraints,
// Comments, NamedEnums, InlineEnums, ArrayParams, OnDuplicateKey, ILike,
// JSONB and JSONFunctions (its JSON functions are JSON1's),
// DeleteUsing (SQLite has UPDATE ... FROM but no DELETE ... USING) and
// RowLocking (SQLite locks the whole database, not rows).
func (d *Dialect) Features() dialect.Feature { return features }

// DeferForeignKeys defers every foreign key check to COMMIT for the rest
// of the transaction ([dialect.ForeignKeyDeferrer]); SQLite turns the
// pragma off by itself when the transaction ends.
func (d *Dialect) DeferForeignKeys() (string, bool) { return "PRAGMA defer_foreign_keys = ON", true }

// MaxParams is SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32.
func (d *Dialect) MaxParams() int { return 32766 }

// AppendIdent appends name in double quotes, doubling any double quote in
// it.
func (d *Dialect) AppendIdent(b []byte, name string) []byte {
	return dialect.AppendQuoted(b, name, '"')
}

// AppendPlaceholder appends "?". SQLite binds plain ? markers by position,
// so n is not written: each marker must appear once, in argument order, as
// with MariaDB. (?NNN would allow reuse, but modernc.org/sqlite then
// formats and compares a number for every pair of marker and argument,
// which makes a statement with thousands of parameters slow to bind.)
func (d *Dialect) AppendPlaceholder(b []byte, n int) []byte { return append(b, '?') }

// AppendString appends s as a single-quoted literal, doubling any single
// quote in it.
func (d *Dialect) AppendString(b []byte, s string) []byte {
	return dialect.AppendQuoted(b, s, '\'')
}

// Declared type names. SQLite stores them verbatim and derives each
// column's type affinity from them; see the package documentation.
const (
	typeUUID        = "UUID_TEXT"
	typeJSON        = "JSON_TEXT"
	typeTimestamp   = "TIMESTAMP"
	typeTimestampTZ = "DATETIME"
)

// arrayDecl are the declared types of array columns, which hold the text
// of a JSON array (dialect.Array). Each contains TEXT, for TEXT affinity,
// and never INT, which would win and give INTEGER affinity: the element
// is named I64, I32 and F64 rather than BIGINT, INTEGER and DOUBLE (and
// the names contain no REAL, FLOA, DOUB, CHAR, CLOB or BLOB either). They
// name the element so that Inspect reads the array type back exactly.
var arrayDecl = map[schema.Kind]string{
	schema.KindText:    "JSON_TEXT_ARRAY_TEXT",
	schema.KindBigInt:  "JSON_TEXT_ARRAY_I64",
	schema.KindInteger: "JSON_TEXT_ARRAY_I32",
	schema.KindDouble:  "JSON_TEXT_ARRAY_F64",
	schema.KindBoolean: "JSON_TEXT_ARRAY_BOOL",
	schema.KindUUID:    "JSON_TEXT_ARRAY_UUID",
}

// ArrayStyle is dialect.JSONEachArrays: array columns hold the text of a
// JSON array, queried through json_each.
func (d *Dialect) ArrayStyle() dialect.ArrayStyle { return dialect.JSONEachArrays }

// TypeSQL renders a column type as SQLite's declared type.
func (d *Dialect) TypeSQL(t schema.Type) (string, error) {
	switch t.Kind {
	case schema.KindSmallInt:
		return "SMALLINT", nil
	case schema.KindInteger:
		return "INTEGER", nil
	case schema.KindBigInt:
		return "BIGINT", nil
	case schema.KindBoolean:
		return "BOOLEAN", nil
	case schema.KindText, schema.KindEnum:
		return "TEXT", nil
	case schema.KindVarchar, schema.KindChar:
		if t.Length <= 0 {
			return "", fmt.Errorf("sqlite: %s needs a positive length", t.Kind)
		}
		return strings.ToUpper(t.Kind.String()) + "(" + strconv.Itoa(t.Length) + ")", nil
	case schema.KindNumeric:
		if t.Precision < 0 || t.Scale < 0 || (t.Precision == 0 && t.Scale != 0) {
			return "", fmt.Errorf("sqlite: invalid type %s", t)
		}
		if t.Precision == 0 {
			return "NUMERIC", nil
		}
		return fmt.Sprintf("NUMERIC(%d,%d)", t.Precision, t.Scale), nil
	case schema.KindFloat:
		return "REAL", nil
	case schema.KindDouble:
		return "DOUBLE", nil
	case schema.KindDate:
		return "DATE", nil
	case schema.KindTime:
		return "TIME", nil
	case schema.KindTimestamp:
		return typeTimestamp, nil
	case schema.KindTimestampTZ:
		return typeTimestampTZ, nil
	case schema.KindUUID:
		return typeUUID, nil
	case schema.KindJSON:
		return typeJSON, nil
	case schema.KindBytes:
		return "BLOB", nil
	case schema.KindCustom:
		if strings.TrimSpace(t.Custom) == "" {
			return "", fmt.Errorf("sqlite: custom type is empty")
		}
		return t.Custom, nil
	case schema.KindArray:
		if s, ok := arrayDecl[t.Elem().Kind]; ok {
			return s, nil
		}
		return "", fmt.Errorf("sqlite: arrays of %s are not supported", t.Elem())
	}
	return "", fmt.Errorf("sqlite: unknown type kind %s", t.Kind)
}

// typeFromDecl maps a declared type back to a portable type: the names
// TypeSQL writes, and a few common synonyms. Anything else is returned as
// a custom type, verbatim.
func typeFromDecl(decl string) schema.Type {
	fields := strings.Fields(strings.ToUpper(decl))
	norm := strings.Join(fields, " ")
	base, args := norm, []int(nil)
	if i := strings.IndexByte(norm, '('); i >= 0 {
		base = strings.TrimSpace(norm[:i])
		inner, ok := strings.CutSuffix(strings.TrimSpace(norm[i+1:]), ")")
		if !ok {
			return customType(decl)
		}
		for _, a := range strings.Split(inner, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(a))
			if err != nil || n < 0 {
				return customType(decl)
			}
			args = append(args, n)
		}
	}
	noArgs := args == nil
	if noArgs {
		for k, decl := range arrayDecl {
			if base == decl {
				return schema.Array(schema.Type{Kind: k})
			}
		}
	}
	switch base {
	case "SMALLINT":
		if noArgs {
			return schema.SmallInt()
		}
	case "INTEGER", "INT":
		if noArgs {
			return schema.Integer()
		}
	case "BIGINT":
		if noArgs {
			return schema.BigInt()
		}
	case "BOOLEAN", "BOOL":
		if noArgs {
			return schema.Boolean()
		}
	case "TEXT":
		if noArgs {
			return schema.Text()
		}
	case "VARCHAR", "CHARACTER VARYING":
		if len(args) == 1 && args[0] > 0 {
			return schema.Varchar(args[0])
		}
	case "CHAR", "CHARACTER":
		if len(args) == 1 && args[0] > 0 {
			return schema.Char(args[0])
		}
	case "NUMERIC", "DECIMAL":
		switch {
		case noArgs:
			return schema.Numeric(0, 0)
		case len(args) == 1 && args[0] > 0:
			return schema.Numeric(args[0], 0)
		case len(args) == 2 && args[0] > 0 && args[1] <= args[0]:
			return schema.Numeric(args[0], args[1])
		}
	case "REAL", "FLOAT":
		if noArgs {
			return schema.Float()
		}
	case "DOUBLE", "DOUBLE PRECISION":
		if noArgs {
			return schema.Double()
		}
	case "DATE":
		if noArgs {
			return schema.Date()
		}
	case "TIME":
		if noArgs {
			return schema.Time()
		}
	case typeTimestamp:
		if noArgs {
			return schema.Timestamp()
		}
	case typeTimestampTZ:
		if noArgs {
			return schema.TimestampTZ()
		}
	case typeUUID, "UUID":
		if noArgs {
			return schema.UUID()
		}
	case typeJSON, "JSON":
		if noArgs {
			return schema.JSON()
		}
	case "BLOB":
		if noArgs {
			return schema.Bytes()
		}
	}
	return customType(decl)
}

// customType is the type of a column whose declared type has no portable
// equivalent. A column declared without a type (BLOB affinity) reads as
// custom "BLOB", which has the same affinity.
func customType(decl string) schema.Type {
	if strings.TrimSpace(decl) == "" {
		return schema.Custom("BLOB")
	}
	return schema.Custom(decl)
}

// Normalize returns a copy of t as Inspect reads it back: comments dropped
// (SQLite has none), enum names cleared (SQLite has no enum types; the
// values survive in a CHECK), autoincrement keys made INTEGER (the only
// type SQLite autoincrements), custom types that spell a portable type read
// as that type, and 1/0 defaults of boolean columns read as true/false.
func (d *Dialect) Normalize(t *schema.Table) *schema.Table {
	c := t.Clone()
	c.Comment = ""
	for _, col := range c.Columns {
		col.Comment = ""
		switch col.Type.Kind {
		case schema.KindEnum:
			col.Type.EnumName = ""
		case schema.KindCustom:
			col.Type = typeFromDecl(col.Type.Custom)
		}
		if col.AutoIncrement && col.Type.Kind.IsInteger() {
			col.Type = schema.Integer()
		}
		if def := col.Default; def != nil && def.Kind == schema.DefaultNumber && col.Type.Kind == schema.KindBoolean {
			switch def.Value {
			case "1":
				col.Default = schema.DefaultBoolean(true)
			case "0":
				col.Default = schema.DefaultBoolean(false)
			}
		}
	}
	return c
}

// CreateEnum returns no statements: SQLite has no enum types. Enum columns
// are TEXT with a CHECK constraint listing the values.
func (d *Dialect) CreateEnum(schema.Type) ([]string, error) { return nil, nil }

// DropEnum returns no statements.
func (d *Dialect) DropEnum(schema.Type) []string { return nil }

// autoIncrementColumn returns t's autoincrement primary key column, or nil.
func autoIncrementColumn(t *schema.Table) *schema.Column {
	if t.PrimaryKey == nil || len(t.PrimaryKey.Columns) != 1 {
		return nil
	}
	c := t.Column(t.PrimaryKey.Columns[0])
	if c == nil || !c.AutoIncrement {
		return nil
	}
	return c
}

func (d *Dialect) appendColumn(b []byte, t *schema.Table, c *schema.Column) ([]byte, error) {
	b = d.AppendIdent(b, c.Name)
	b = append(b, ' ')
	if c.AutoIncrement {
		if !c.Type.Kind.IsInteger() || autoIncrementColumn(t) != c {
			return nil, fmt.Errorf("sqlite: table %s, column %s: autoincrement needs an integer column that is the whole primary key", t.Name, c.Name)
		}
		// Only INTEGER PRIMARY KEY is an alias of the rowid, and only
		// AUTOINCREMENT keeps SQLite from reusing the ids of deleted rows.
		b = append(b, "INTEGER NOT NULL "...)
		if t.PrimaryKey.Name != "" {
			b = append(b, "CONSTRAINT "...)
			b = d.AppendIdent(b, t.PrimaryKey.Name)
			b = append(b, ' ')
		}
		return append(b, "PRIMARY KEY AUTOINCREMENT"...), nil
	}
	ts, err := d.TypeSQL(c.Type)
	if err != nil {
		return nil, fmt.Errorf("sqlite: table %s, column %s: %w", t.Name, c.Name, err)
	}
	b = append(b, ts...)
	if !c.Nullable {
		b = append(b, " NOT NULL"...)
	}
	if c.Default != nil {
		b = append(b, " DEFAULT "...)
		b = dialect.AppendDefault(d, b, c.Default)
	}
	if c.Type.Kind == schema.KindEnum {
		if len(c.Type.Values) == 0 {
			return nil, fmt.Errorf("sqlite: table %s, column %s: enum has no values", t.Name, c.Name)
		}
		b = append(b, " CHECK ("...)
		b = d.AppendIdent(b, c.Name)
		b = append(b, " IN ("...)
		for i, v := range c.Type.Values {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = d.AppendString(b, v)
		}
		b = append(b, "))"...)
	}
	return b, nil
}

func (d *Dialect) tableStyle() dialect.TableStyle {
	return dialect.TableStyle{
		Column:             d.appendColumn,
		PrimaryKeyInColumn: func(t *schema.Table) bool { return autoIncrementColumn(t) != nil },
	}
}

// CreateTable renders CREATE TABLE with the primary key, unique and check
// constraints and the foreign keys for which inline returns true. Comments
// are ignored: SQLite cannot store them.
func (d *Dialect) CreateTable(t *schema.Table, inline func(*schema.ForeignKey) bool) ([]string, error) {
	s, err := dialect.CreateTableSQL(d, t, inline, d.tableStyle())
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// DropTable renders DROP TABLE. With foreign keys on, SQLite first deletes
// the table's rows, running the ON DELETE actions of the foreign keys that
// reference it; a RESTRICT or immediate NO ACTION reference from a row of
// a table still present makes the drop fail.
func (d *Dialect) DropTable(t *schema.Table) []string {
	return []string{dialect.DropTableSQL(d, t)}
}

// AddForeignKey fails with an error matching sqlerr.ErrUnsupported: SQLite
// cannot add a constraint to an existing table (the table must be rebuilt).
func (d *Dialect) AddForeignKey(t *schema.Table, fk *schema.ForeignKey) ([]string, error) {
	return nil, sqlerr.Unsupported(d.Name(), fmt.Sprintf("add foreign key %s to existing table %s (ALTER TABLE ADD CONSTRAINT); rebuild the table instead", fk.Name, t.Name))
}

// DropForeignKey fails with an error matching sqlerr.ErrUnsupported: SQLite
// cannot drop a constraint from a table (the table must be rebuilt).
func (d *Dialect) DropForeignKey(t *schema.Table, fk *schema.ForeignKey) ([]string, error) {
	return nil, sqlerr.Unsupported(d.Name(), fmt.Sprintf("drop foreign key %s of table %s (ALTER TABLE DROP CONSTRAINT); rebuild the table instead", fk.Name, t.Name))
}

// CreateIndex renders CREATE [UNIQUE] INDEX, partial if x.Where is set.
func (d *Dialect) CreateIndex(t *schema.Table, x *schema.Index) ([]string, error) {
	s, err := dialect.CreateIndexSQL(d, t, x)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// DropIndex renders DROP INDEX "name" (index names are per database in
// SQLite, not per table).
func (d *Dialect) DropIndex(t *schema.Table, x *schema.Index) []string {
	return []string{string(d.AppendIdent([]byte("DROP INDEX "), x.Name))}
}
