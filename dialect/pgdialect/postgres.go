package pgdialect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// Dialect is the PostgreSQL dialect. It is stateless; the zero value is
// ready to use and safe for concurrent use.
type Dialect struct{}

var _ dialect.Dialect = (*Dialect)(nil)

// New returns the PostgreSQL dialect.
func New() *Dialect { return &Dialect{} }

// maxParams is the most bind parameters one statement may carry: the wire
// protocol counts them in an unsigned 16-bit integer.
const maxParams = 65535

const features = dialect.InsertReturning | dialect.UpdateReturning | dialect.DeleteReturning |
	dialect.TransactionalDDL | dialect.AlterConstraints | dialect.DeferrableConstraints |
	dialect.PartialIndexes | dialect.NamedEnums | dialect.Comments | dialect.ArrayParams |
	dialect.OnConflict | dialect.SetDefaultAction | dialect.NamedPrimaryKeys | dialect.DeleteUsing |
	dialect.RowLocking | dialect.DefaultValues | dialect.ReturningSeesTriggers |
	dialect.UpdateFrom | dialect.CastParams | dialect.AlterKeyColumnType | dialect.LockImpactLint |
	dialect.CascadeSelfUpdate | dialect.ILike | dialect.JSONB | dialect.Schemas

// Name returns "postgres".
func (*Dialect) Name() string { return "postgres" }

// Features returns the capability flags of PostgreSQL.
func (*Dialect) Features() dialect.Feature { return features }

// DeferForeignKeys defers the foreign keys declared DEFERRABLE to COMMIT
// ([dialect.ForeignKeyDeferrer]); the others stay checked per statement.
func (*Dialect) DeferForeignKeys() (string, bool) { return "SET CONSTRAINTS ALL DEFERRED", false }

// MaxParams returns 65535.
func (*Dialect) MaxParams() int { return maxParams }

// AppendIdent appends name as a double-quoted identifier, doubling any
// double quote inside it. Every other byte is literal inside a quoted
// identifier, so any name is safe.
func (*Dialect) AppendIdent(b []byte, name string) []byte {
	return dialect.AppendQuoted(b, name, '"')
}

// AppendPlaceholder appends $n.
func (*Dialect) AppendPlaceholder(b []byte, n int) []byte {
	return dialect.AppendPlaceholderDollar(b, n)
}

// AppendString appends s as a standard string literal: single quotes are
// doubled and every other byte is literal (standard_conforming_strings is
// on in every supported server version, and backslashes are not special).
//
// PostgreSQL text cannot hold a NUL byte, and a NUL inside the SQL text
// would cut the statement short, so none is ever written: each NUL is
// rendered as chr(0), which the server rejects with an error ("null
// character not permitted") when it evaluates the literal. The DDL methods
// reject such strings before rendering anything.
func (*Dialect) AppendString(b []byte, s string) []byte {
	if !strings.ContainsRune(s, 0) {
		return dialect.AppendQuoted(b, s, '\'')
	}
	b = append(b, '(')
	for i, part := range strings.Split(s, "\x00") {
		if i > 0 {
			b = append(b, " || chr(0) || "...)
		}
		b = dialect.AppendQuoted(b, part, '\'')
	}
	return append(b, ')')
}

// ArrayStyle is dialect.NativeArrays: array columns are PostgreSQL arrays.
func (d *Dialect) ArrayStyle() dialect.ArrayStyle { return dialect.NativeArrays }

// TypeSQL renders a column type; see the package documentation for the
// mapping.
func (d *Dialect) TypeSQL(t schema.Type) (string, error) {
	switch t.Kind {
	case schema.KindSmallInt:
		return "smallint", nil
	case schema.KindInteger:
		return "integer", nil
	case schema.KindBigInt:
		return "bigint", nil
	case schema.KindBoolean:
		return "boolean", nil
	case schema.KindText:
		return "text", nil
	case schema.KindVarchar, schema.KindChar:
		if t.Length <= 0 {
			return "", fmt.Errorf("postgres: %s needs a positive length, got %d", t.Kind, t.Length)
		}
		if t.Kind == schema.KindVarchar {
			return "varchar(" + strconv.Itoa(t.Length) + ")", nil
		}
		return "char(" + strconv.Itoa(t.Length) + ")", nil
	case schema.KindNumeric:
		if t.Precision == 0 && t.Scale == 0 {
			return "numeric", nil
		}
		if t.Precision <= 0 || t.Scale < 0 || t.Scale > t.Precision {
			return "", fmt.Errorf("postgres: invalid numeric(%d,%d)", t.Precision, t.Scale)
		}
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale), nil
	case schema.KindFloat:
		return "real", nil
	case schema.KindDouble:
		return "double precision", nil
	case schema.KindDate:
		return "date", nil
	case schema.KindTime:
		return "time", nil
	case schema.KindTimestamp:
		return "timestamp", nil
	case schema.KindTimestampTZ:
		return "timestamptz", nil
	case schema.KindUUID:
		return "uuid", nil
	case schema.KindJSON:
		return "jsonb", nil
	case schema.KindBytes:
		return "bytea", nil
	case schema.KindEnum:
		if t.EnumName == "" {
			return "", fmt.Errorf("postgres: enum type needs a name")
		}
		return string(d.AppendIdent(nil, t.EnumName)), nil
	case schema.KindCustom:
		if strings.TrimSpace(t.Custom) == "" {
			return "", fmt.Errorf("postgres: custom type is empty")
		}
		return t.Custom, nil
	case schema.KindArray:
		e := t.Elem()
		if !schema.IsArrayElem(e.Kind) {
			return "", fmt.Errorf("postgres: arrays of %s are not supported", e)
		}
		s, err := d.TypeSQL(e)
		if err != nil {
			return "", err
		}
		return s + "[]", nil
	}
	return "", fmt.Errorf("postgres: unknown type kind %s", t.Kind)
}

// noNUL returns an error if s, a string rendered as a literal, holds a NUL
// byte, which PostgreSQL text cannot store.
func noNUL(what, s string) error {
	if strings.ContainsRune(s, 0) {
		return fmt.Errorf("postgres: %s contains a NUL byte, which PostgreSQL cannot store", what)
	}
	return nil
}

// CreateEnum renders CREATE TYPE "name" AS ENUM ('a', 'b').
func (d *Dialect) CreateEnum(e schema.Type) ([]string, error) {
	if e.Kind != schema.KindEnum {
		return nil, fmt.Errorf("postgres: CreateEnum of a %s type", e.Kind)
	}
	if e.EnumName == "" {
		return nil, fmt.Errorf("postgres: enum type needs a name")
	}
	if len(e.Values) == 0 {
		return nil, fmt.Errorf("postgres: enum %s has no values", e.EnumName)
	}
	b := []byte("CREATE TYPE ")
	b = d.AppendIdent(b, e.EnumName)
	b = append(b, " AS ENUM ("...)
	for i, v := range e.Values {
		if err := noNUL("value of enum "+e.EnumName, v); err != nil {
			return nil, err
		}
		if i > 0 {
			b = append(b, ", "...)
		}
		b = d.AppendString(b, v)
	}
	b = append(b, ')')
	return []string{string(b)}, nil
}

// DropEnum renders DROP TYPE "name".
func (d *Dialect) DropEnum(e schema.Type) []string {
	return []string{string(d.AppendIdent([]byte("DROP TYPE "), e.EnumName))}
}

// appendColumn writes one column definition: name, type, identity, NOT
// NULL and DEFAULT.
func (d *Dialect) appendColumn(b []byte, t *schema.Table, c *schema.Column) ([]byte, error) {
	typ, err := d.TypeSQL(c.Type)
	if err != nil {
		return nil, fmt.Errorf("table %s, column %s: %w", t.Name, c.Name, err)
	}
	b = d.AppendIdent(b, c.Name)
	b = append(b, ' ')
	b = append(b, typ...)
	if c.AutoIncrement {
		if !c.Type.Kind.IsInteger() {
			return nil, fmt.Errorf("postgres: table %s, column %s: autoincrement needs an integer type, not %s", t.Name, c.Name, c.Type)
		}
		b = append(b, " GENERATED BY DEFAULT AS IDENTITY"...)
	}
	if !c.Nullable {
		b = append(b, " NOT NULL"...)
	}
	if c.Default != nil {
		if c.Default.Kind == schema.DefaultString {
			if err := noNUL(fmt.Sprintf("default of %s.%s", t.Name, c.Name), c.Default.Value); err != nil {
				return nil, err
			}
		}
		b = append(b, " DEFAULT "...)
		b = dialect.AppendDefault(d, b, c.Default)
	}
	return b, nil
}

// CreateTable renders CREATE TABLE followed by COMMENT ON TABLE and
// COMMENT ON COLUMN statements for the comments t carries.
func (d *Dialect) CreateTable(t *schema.Table, inline func(*schema.ForeignKey) bool) ([]string, error) {
	s, err := dialect.CreateTableSQL(d, t, inline, dialect.TableStyle{Column: d.appendColumn})
	if err != nil {
		return nil, err
	}
	out := []string{s}
	if t.Comment != "" {
		if err := noNUL("comment of table "+t.Name, t.Comment); err != nil {
			return nil, err
		}
		b := dialect.AppendTable(d, []byte("COMMENT ON TABLE "), t.Schema, t.Name)
		b = append(b, " IS "...)
		out = append(out, string(d.AppendString(b, t.Comment)))
	}
	for _, c := range t.Columns {
		if c.Comment == "" {
			continue
		}
		if err := noNUL(fmt.Sprintf("comment of column %s.%s", t.Name, c.Name), c.Comment); err != nil {
			return nil, err
		}
		b := dialect.AppendTable(d, []byte("COMMENT ON COLUMN "), t.Schema, t.Name)
		b = append(b, '.')
		b = d.AppendIdent(b, c.Name)
		b = append(b, " IS "...)
		out = append(out, string(d.AppendString(b, c.Comment)))
	}
	return out, nil
}

// DropTable renders DROP TABLE "t".
func (d *Dialect) DropTable(t *schema.Table) []string {
	return []string{dialect.DropTableSQL(d, t)}
}

// AddForeignKey renders ALTER TABLE "t" ADD CONSTRAINT ... FOREIGN KEY.
func (d *Dialect) AddForeignKey(t *schema.Table, fk *schema.ForeignKey) ([]string, error) {
	if fk.Name == "" {
		return nil, fmt.Errorf("postgres: foreign key of table %s has no name", t.Name)
	}
	s, err := dialect.AlterAddForeignKeySQL(d, t, fk)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// DropForeignKey renders ALTER TABLE "t" DROP CONSTRAINT "fk".
func (d *Dialect) DropForeignKey(t *schema.Table, fk *schema.ForeignKey) ([]string, error) {
	if fk.Name == "" {
		return nil, fmt.Errorf("postgres: cannot drop an unnamed foreign key of table %s", t.Name)
	}
	b := dialect.AppendTable(d, []byte("ALTER TABLE "), t.Schema, t.Name)
	b = append(b, " DROP CONSTRAINT "...)
	b = d.AppendIdent(b, fk.Name)
	return []string{string(b)}, nil
}

// CreateIndex renders CREATE [UNIQUE] INDEX "name" ON "t" (...) [WHERE p].
func (d *Dialect) CreateIndex(t *schema.Table, x *schema.Index) ([]string, error) {
	if x.Name == "" {
		return nil, fmt.Errorf("postgres: index of table %s has no name", t.Name)
	}
	s, err := dialect.CreateIndexSQL(d, t, x)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// DropIndex renders DROP INDEX "name" (qualified by the table's schema:
// an index lives in its table's schema, where its name is unique).
func (d *Dialect) DropIndex(t *schema.Table, x *schema.Index) []string {
	return []string{string(dialect.AppendTable(d, []byte("DROP INDEX "), t.Schema, x.Name))}
}
