package mysqldialect

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// Dialect is the MariaDB/MySQL dialect. It is stateless and safe for
// concurrent use; the zero value is ready.
type Dialect struct{}

var _ dialect.Dialect = (*Dialect)(nil)

// New returns the MariaDB/MySQL dialect.
func New() *Dialect { return &Dialect{} }

const features = dialect.InsertReturning | dialect.DeleteReturning | dialect.AlterConstraints |
	dialect.InlineEnums | dialect.Comments | dialect.OnDuplicateKey | dialect.LastInsertID | dialect.RowLocking | dialect.ForeignKeyIndexes |
	dialect.JSONFunctions

// The limits of MariaDB and MySQL that TypeSQL enforces.
const (
	maxChar         = 255
	maxVarchar      = 65535
	maxDecPrecision = 65
	maxDecScale     = 38 // MariaDB; MySQL 8 stops at 30
)

// tableSuffix follows the closing parenthesis of every CREATE TABLE.
const tableSuffix = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"

// Name is "mysql".
func (*Dialect) Name() string { return "mysql" }

// Features are INSERT/DELETE ... RETURNING (MariaDB 10.5+), ALTER TABLE for
// constraints, inline ENUM types, comments, ON DUPLICATE KEY UPDATE,
// LAST_INSERT_ID() and SELECT ... FOR UPDATE. Not DeleteUsing (MariaDB
// joins with UPDATE t JOIN u, never UPDATE ... FROM) nor DefaultValues (it
// writes INSERT INTO t VALUES ()).
func (*Dialect) Features() dialect.Feature { return features }

// MaxParams is the protocol's limit of 65535 placeholders per statement.
func (*Dialect) MaxParams() int { return 65535 }

// AppendIdent appends name between backticks, doubling backticks inside it.
func (*Dialect) AppendIdent(b []byte, name string) []byte {
	return dialect.AppendQuoted(b, name, '`')
}

// AppendPlaceholder appends "?": MariaDB's parameters are positional.
func (*Dialect) AppendPlaceholder(b []byte, _ int) []byte { return append(b, '?') }

// AppendString appends s as a single-quoted literal: quotes are doubled and,
// since the backslash is an escape character (unless the session runs with
// NO_BACKSLASH_ESCAPES, which Open never sets), backslashes are doubled too.
// NUL is written as \0 so that the statement text never holds a NUL byte.
func (*Dialect) AppendString(b []byte, s string) []byte {
	return appendString(b, s)
}

func appendString(b []byte, s string) []byte {
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			b = append(b, '\'', '\'')
		case '\\':
			b = append(b, '\\', '\\')
		case 0:
			b = append(b, '\\', '0')
		default:
			b = append(b, c)
		}
	}
	return append(b, '\'')
}

func quoteIdent(name string) string { return string(dialect.AppendQuoted(nil, name, '`')) }

// ArrayStyle is dialect.JSONContainsArrays: array columns are JSON arrays
// in JSON columns, queried with JSON_CONTAINS and JSON_OVERLAPS (MariaDB
// 10.9 or later, MySQL 8.0.17 or later, for JSON_OVERLAPS).
func (d *Dialect) ArrayStyle() dialect.ArrayStyle { return dialect.JSONContainsArrays }

// TypeSQL renders a column type; see the package documentation for the
// mapping.
func (d *Dialect) TypeSQL(t schema.Type) (string, error) {
	switch t.Kind {
	case schema.KindSmallInt:
		return "SMALLINT", nil
	case schema.KindInteger:
		return "INT", nil
	case schema.KindBigInt:
		return "BIGINT", nil
	case schema.KindBoolean:
		return "BOOLEAN", nil
	case schema.KindText:
		return "LONGTEXT", nil
	case schema.KindVarchar:
		if t.Length <= 0 || t.Length > maxVarchar {
			return "", d.unsupported("store VARCHAR(%d): the length must be between 1 and %d", t.Length, maxVarchar)
		}
		return "VARCHAR(" + strconv.Itoa(t.Length) + ")", nil
	case schema.KindChar:
		if t.Length <= 0 || t.Length > maxChar {
			return "", d.unsupported("store CHAR(%d): the length must be between 1 and %d", t.Length, maxChar)
		}
		return "CHAR(" + strconv.Itoa(t.Length) + ")", nil
	case schema.KindNumeric:
		if t.Precision == 0 {
			return "DECIMAL", nil
		}
		if t.Precision > maxDecPrecision || t.Scale > maxDecScale || t.Scale > t.Precision || t.Scale < 0 {
			return "", d.unsupported("store DECIMAL(%d,%d): precision is at most %d and scale at most %d", t.Precision, t.Scale, maxDecPrecision, maxDecScale)
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale), nil
	case schema.KindFloat:
		return "FLOAT", nil
	case schema.KindDouble:
		return "DOUBLE", nil
	case schema.KindDate:
		return "DATE", nil
	case schema.KindTime:
		return "TIME(6)", nil
	case schema.KindTimestamp, schema.KindTimestampTZ:
		return "DATETIME(6)", nil
	case schema.KindUUID:
		return "CHAR(36)", nil
	case schema.KindJSON:
		return "JSON", nil
	case schema.KindArray:
		// A JSON array of the elements (dialect.Array): MariaDB's JSON,
		// LONGTEXT with a json_valid check, reads back as JSON.
		if e := t.Elem(); !schema.IsArrayElem(e.Kind) {
			return "", fmt.Errorf("mysql: arrays of %s are not supported", e)
		}
		return "JSON", nil
	case schema.KindBytes:
		return "LONGBLOB", nil
	case schema.KindEnum:
		if len(t.Values) == 0 {
			return "", fmt.Errorf("mysql: enum %s has no values", t.EnumName)
		}
		b := []byte("ENUM(")
		for i, v := range t.Values {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, v)
		}
		return string(append(b, ')')), nil
	case schema.KindCustom:
		if t.Custom == "" {
			return "", fmt.Errorf("mysql: custom type is empty")
		}
		return t.Custom, nil
	}
	return "", fmt.Errorf("mysql: no SQL type for %s", t)
}

func (d *Dialect) unsupported(format string, args ...any) error {
	return sqlerr.Unsupported(d.Name(), fmt.Sprintf(format, args...))
}

// appendColumn writes a column's whole definition: name, type, NULL or NOT
// NULL, AUTO_INCREMENT, DEFAULT and COMMENT. It never adds ON UPDATE.
func (d *Dialect) appendColumn(b []byte, t *schema.Table, c *schema.Column) ([]byte, error) {
	typ, err := d.TypeSQL(c.Type)
	if err != nil {
		return nil, fmt.Errorf("table %s, column %s: %w", t.Name, c.Name, err)
	}
	b = d.AppendIdent(b, c.Name)
	b = append(b, ' ')
	b = append(b, typ...)
	if c.Nullable {
		b = append(b, " NULL"...)
	} else {
		b = append(b, " NOT NULL"...)
	}
	if c.AutoIncrement {
		b = append(b, " AUTO_INCREMENT"...)
	}
	if c.Default != nil {
		b = append(b, " DEFAULT "...)
		b = d.appendDefault(b, c)
	}
	if c.Comment != "" {
		b = append(b, " COMMENT "...)
		b = appendString(b, c.Comment)
	}
	return b, nil
}

// appendDefault writes a column default. CURRENT_TIMESTAMP takes the
// column's fractional precision (DATETIME(6) rejects a less precise
// CURRENT_TIMESTAMP), and CURRENT_DATE is an expression default in
// parentheses, the form both MariaDB and MySQL 8 accept.
func (d *Dialect) appendDefault(b []byte, c *schema.Column) []byte {
	switch c.Default.Kind {
	case schema.DefaultCurrentTimestamp:
		switch c.Type.Kind {
		case schema.KindTimestamp, schema.KindTimestampTZ:
			return append(b, "CURRENT_TIMESTAMP(6)"...)
		}
		return append(b, "CURRENT_TIMESTAMP"...)
	case schema.DefaultCurrentDate:
		return append(b, "(CURRENT_DATE)"...)
	}
	return dialect.AppendDefault(d, b, c.Default)
}

// CreateEnum returns no statements: MariaDB enums are inline column types.
func (*Dialect) CreateEnum(schema.Type) ([]string, error) { return nil, nil }

// DropEnum returns no statements: MariaDB enums are inline column types.
func (*Dialect) DropEnum(schema.Type) []string { return nil }

// CreateTable renders CREATE TABLE with ENGINE=InnoDB, utf8mb4 and the
// table comment. The primary key is left unnamed: MariaDB always calls it
// PRIMARY.
func (d *Dialect) CreateTable(t *schema.Table, inline func(*schema.ForeignKey) bool) ([]string, error) {
	suffix := tableSuffix
	if t.Comment != "" {
		suffix += " COMMENT=" + string(appendString(nil, t.Comment))
	}
	s, err := dialect.CreateTableSQL(d, t, inline, dialect.TableStyle{
		Column: func(b []byte, t *schema.Table, c *schema.Column) ([]byte, error) { return d.appendColumn(b, t, c) },
		Suffix: suffix,
	})
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// DropTable renders DROP TABLE.
func (d *Dialect) DropTable(t *schema.Table) []string {
	return []string{dialect.DropTableSQL(d, t)}
}

// AddForeignKey renders ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY.
// Deferrable foreign keys and SET DEFAULT give an error matching
// sqlerr.ErrUnsupported.
func (d *Dialect) AddForeignKey(t *schema.Table, fk *schema.ForeignKey) ([]string, error) {
	s, err := dialect.AlterAddForeignKeySQL(d, t, fk)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// DropForeignKey renders ALTER TABLE ... DROP FOREIGN KEY, and in the same
// statement drops the index MariaDB created for the foreign key if it did
// (DROP INDEX IF EXISTS, named like the foreign key): dropping the foreign
// key alone leaves that index behind, and Inspect would then report it as
// a declared index. The index is kept when another foreign key of t could
// be using it (its columns are a prefix of fk's).
func (d *Dialect) DropForeignKey(t *schema.Table, fk *schema.ForeignKey) ([]string, error) {
	b := []byte("ALTER TABLE ")
	b = d.AppendIdent(b, t.Name)
	b = append(b, " DROP FOREIGN KEY "...)
	b = d.AppendIdent(b, fk.Name)
	if !indexShared(t, fk) {
		b = append(b, ", DROP INDEX IF EXISTS "...)
		b = d.AppendIdent(b, fk.Name)
	}
	return []string{string(b)}, nil
}

// indexShared reports whether another foreign key of t could rely on an
// index over fk's columns.
func indexShared(t *schema.Table, fk *schema.ForeignKey) bool {
	for _, g := range t.ForeignKeys {
		if g != fk && g.Name != fk.Name && len(g.Columns) <= len(fk.Columns) && slices.Equal(g.Columns, fk.Columns[:len(g.Columns)]) {
			return true
		}
	}
	return false
}

// CreateIndex renders CREATE [UNIQUE] INDEX; a partial index gives an
// error matching sqlerr.ErrUnsupported.
func (d *Dialect) CreateIndex(t *schema.Table, x *schema.Index) ([]string, error) {
	s, err := dialect.CreateIndexSQL(d, t, x)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// DropIndex renders DROP INDEX name ON table; when a foreign key of t
// needs the index (see [Dialect.keepForeignKeyIndexes]), ALTER TABLE ...
// DROP INDEX, ADD INDEX instead.
func (d *Dialect) DropIndex(t *schema.Table, x *schema.Index) []string {
	if add := d.keepForeignKeyIndexes(t, x.Name, x.Columns); add != nil {
		b := d.AppendIdent(append(d.alterTable(t.Name), "DROP INDEX "...), x.Name)
		return []string{string(append(b, add...))}
	}
	b := []byte("DROP INDEX ")
	b = d.AppendIdent(b, x.Name)
	b = append(b, " ON "...)
	b = d.AppendIdent(b, t.Name)
	return []string{string(b)}
}

// keepForeignKeyIndexes returns ", ADD INDEX IF NOT EXISTS fk (columns)" for every
// foreign key of t that needs the index, unique constraint or primary key
// called name (over cols) about to be dropped, or nil if none does.
//
// InnoDB needs an index that starts with a foreign key's columns. It makes
// one (named after the foreign key) when the foreign key is created
// without one, and silently drops it as soon as a declared index can serve
// instead; dropping that declared index later then fails with error 1553
// ("needed in a foreign key constraint"), which is what the downgrade of
// "add an index on a foreign key column" does. So the drop adds, in the
// same statement, the index InnoDB would have made: named after the
// foreign key, over its columns. Inspect reads such an index as the
// foreign key's own and leaves it out, so the schema is exactly the one
// the revision describes, and DropForeignKey removes the index with the
// foreign key. IF NOT EXISTS: an index added this way is not InnoDB's, so
// InnoDB keeps it when a declared index comes back, and the next such drop
// finds it there.
func (d *Dialect) keepForeignKeyIndexes(t *schema.Table, name string, cols []string) []byte {
	var b []byte
	for _, f := range t.ForeignKeys {
		if !hasPrefix(cols, f.Columns) || servedElsewhere(t, name, f.Columns) {
			continue
		}
		b = d.AppendIdent(append(b, ", ADD INDEX IF NOT EXISTS "...), f.Name)
		b = append(dialect.AppendIdents(d, append(b, " ("...), f.Columns), ')')
	}
	return b
}

// servedElsewhere reports whether a declared index, unique constraint or
// primary key of t other than the one called except starts with cols.
func servedElsewhere(t *schema.Table, except string, cols []string) bool {
	if t.PrimaryKey != nil && except != primaryKeyName && t.PrimaryKey.Name != except && hasPrefix(t.PrimaryKey.Columns, cols) {
		return true
	}
	for _, u := range t.Uniques {
		if u.Name != except && hasPrefix(u.Columns, cols) {
			return true
		}
	}
	for _, x := range t.Indexes {
		if x.Name != except && x.Where == "" && hasPrefix(x.Columns, cols) {
			return true
		}
	}
	return false
}

// hasPrefix reports whether cols starts with prefix.
func hasPrefix(cols, prefix []string) bool {
	return len(prefix) <= len(cols) && slices.Equal(cols[:len(prefix)], prefix)
}
