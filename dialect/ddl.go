package dialect

import (
	"fmt"
	"strconv"

	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// This file holds the DDL pieces the three dialects share. Each dialect
// composes them in its own CreateTable and friends.

// AppendIdents appends names quoted and separated by ", ".
func AppendIdents(d Dialect, b []byte, names []string) []byte {
	for i, n := range names {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = d.AppendIdent(b, n)
	}
	return b
}

// AppendPrimaryKey appends CONSTRAINT "name" PRIMARY KEY ("a", "b").
func AppendPrimaryKey(d Dialect, b []byte, pk *schema.PrimaryKey) []byte {
	if pk.Name != "" && d.Features().Has(NamedPrimaryKeys) {
		b = append(b, "CONSTRAINT "...)
		b = d.AppendIdent(b, pk.Name)
		b = append(b, ' ')
	}
	b = append(b, "PRIMARY KEY ("...)
	b = AppendIdents(d, b, pk.Columns)
	return append(b, ')')
}

// AppendUnique appends CONSTRAINT "name" UNIQUE ("a").
func AppendUnique(d Dialect, b []byte, u *schema.Unique) []byte {
	b = append(b, "CONSTRAINT "...)
	b = d.AppendIdent(b, u.Name)
	b = append(b, " UNIQUE ("...)
	b = AppendIdents(d, b, u.Columns)
	return append(b, ')')
}

// AppendCheck appends CONSTRAINT "name" CHECK (expr).
func AppendCheck(d Dialect, b []byte, c *schema.Check) []byte {
	b = append(b, "CONSTRAINT "...)
	b = d.AppendIdent(b, c.Name)
	b = append(b, " CHECK ("...)
	b = append(b, c.Expr...)
	return append(b, ')')
}

// CheckForeignKey returns an error matching sqlerr.ErrUnsupported if d
// cannot enforce fk as declared.
func CheckForeignKey(d Dialect, t *schema.Table, fk *schema.ForeignKey) error {
	f := d.Features()
	if fk.Deferrable && !f.Has(DeferrableConstraints) {
		return sqlerr.Unsupported(d.Name(), fmt.Sprintf("make foreign key %s of table %s deferrable", fk.Name, t.Name))
	}
	if (fk.OnDelete == schema.SetDefault || fk.OnUpdate == schema.SetDefault) && !f.Has(SetDefaultAction) {
		return sqlerr.Unsupported(d.Name(), fmt.Sprintf("enforce SET DEFAULT in foreign key %s of table %s", fk.Name, t.Name))
	}
	return nil
}

// AppendTable appends a table's name, qualified by its schema when sch is
// not "": "sch"."t".
func AppendTable(d Dialect, b []byte, sch, name string) []byte {
	if sch != "" {
		b = d.AppendIdent(b, sch)
		b = append(b, '.')
	}
	return d.AppendIdent(b, name)
}

// CheckSchema returns an error matching sqlerr.ErrUnsupported when t, or
// a table one of its foreign keys references, is in a named schema and d
// has no [Schemas] (MariaDB, where a schema is a database; SQLite).
func CheckSchema(d Dialect, t *schema.Table) error {
	if d.Features().Has(Schemas) {
		return nil
	}
	if t.Schema != "" {
		return sqlerr.Unsupported(d.Name(), fmt.Sprintf("put table %s in schema %s (tables in named schemas are PostgreSQL's)", t.Name, t.Schema))
	}
	for _, fk := range t.ForeignKeys {
		if fk.RefSchema != "" {
			return sqlerr.Unsupported(d.Name(), fmt.Sprintf("reference table %s of schema %s from %s (tables in named schemas are PostgreSQL's)", fk.RefTable, fk.RefSchema, t.Name))
		}
	}
	return nil
}

// AppendForeignKey appends CONSTRAINT "name" FOREIGN KEY ("a") REFERENCES
// "t" ("id") with its actions and deferrability. Actions equal to the
// default (NO ACTION) are left out.
func AppendForeignKey(d Dialect, b []byte, fk *schema.ForeignKey) []byte {
	b = append(b, "CONSTRAINT "...)
	b = d.AppendIdent(b, fk.Name)
	b = append(b, " FOREIGN KEY ("...)
	b = AppendIdents(d, b, fk.Columns)
	b = append(b, ") REFERENCES "...)
	b = AppendTable(d, b, fk.RefSchema, fk.RefTable)
	b = append(b, " ("...)
	b = AppendIdents(d, b, fk.RefColumns)
	b = append(b, ')')
	if fk.OnDelete != schema.NoAction {
		b = append(b, " ON DELETE "...)
		b = append(b, fk.OnDelete.String()...)
	}
	if fk.OnUpdate != schema.NoAction {
		b = append(b, " ON UPDATE "...)
		b = append(b, fk.OnUpdate.String()...)
	}
	if fk.Deferrable {
		b = append(b, " DEFERRABLE INITIALLY "...)
		if fk.InitiallyDeferred {
			b = append(b, "DEFERRED"...)
		} else {
			b = append(b, "IMMEDIATE"...)
		}
	}
	return b
}

// AppendDefault appends a server default's SQL (without the DEFAULT
// keyword): literals escaped by the dialect, expressions in parentheses.
func AppendDefault(d Dialect, b []byte, def *schema.Default) []byte {
	switch def.Kind {
	case schema.DefaultString:
		return d.AppendString(b, def.Value)
	case schema.DefaultNumber:
		return append(b, def.Value...) // validated by schema as a plain number
	case schema.DefaultBool:
		if def.Value == "true" {
			return append(b, "TRUE"...)
		}
		return append(b, "FALSE"...)
	case schema.DefaultCurrentTimestamp:
		return append(b, "CURRENT_TIMESTAMP"...)
	case schema.DefaultCurrentDate:
		return append(b, "CURRENT_DATE"...)
	}
	b = append(b, '(')
	b = append(b, def.Value...)
	return append(b, ')')
}

// TableStyle is how a dialect writes the parts of CREATE TABLE that differ.
type TableStyle struct {
	// Column appends one column's whole definition.
	Column func(b []byte, t *schema.Table, c *schema.Column) ([]byte, error)
	// PrimaryKeyInColumn is true when Column already wrote the primary key
	// (SQLite's INTEGER PRIMARY KEY AUTOINCREMENT).
	PrimaryKeyInColumn func(t *schema.Table) bool
	// Suffix is appended after the closing parenthesis.
	Suffix string
}

// CreateTableSQL renders CREATE TABLE for t in the given style: columns,
// primary key, unique constraints, checks, then the foreign keys for which
// inline returns true.
func CreateTableSQL(d Dialect, t *schema.Table, inline func(*schema.ForeignKey) bool, st TableStyle) (string, error) {
	b := make([]byte, 0, 256)
	if err := CheckSchema(d, t); err != nil {
		return "", err
	}
	b = append(b, "CREATE TABLE "...)
	b = AppendTable(d, b, t.Schema, t.Name)
	b = append(b, " (\n"...)
	sep := func() { b = append(b, ",\n"...) }
	for i, c := range t.Columns {
		if i > 0 {
			sep()
		}
		b = append(b, '\t')
		var err error
		if b, err = st.Column(b, t, c); err != nil {
			return "", err
		}
	}
	if t.PrimaryKey != nil && (st.PrimaryKeyInColumn == nil || !st.PrimaryKeyInColumn(t)) {
		sep()
		b = append(b, '\t')
		b = AppendPrimaryKey(d, b, t.PrimaryKey)
	}
	for _, u := range t.Uniques {
		sep()
		b = append(b, '\t')
		b = AppendUnique(d, b, u)
	}
	for _, c := range t.Checks {
		sep()
		b = append(b, '\t')
		b = AppendCheck(d, b, c)
	}
	for _, fk := range t.ForeignKeys {
		if inline != nil && !inline(fk) {
			continue
		}
		if err := CheckForeignKey(d, t, fk); err != nil {
			return "", err
		}
		sep()
		b = append(b, '\t')
		b = AppendForeignKey(d, b, fk)
	}
	b = append(b, "\n)"...)
	b = append(b, st.Suffix...)
	return string(b), nil
}

// CreateIndexSQL renders CREATE [UNIQUE] INDEX "name" ON "t" ("a") [WHERE p].
func CreateIndexSQL(d Dialect, t *schema.Table, x *schema.Index) (string, error) {
	if x.Where != "" && !d.Features().Has(PartialIndexes) {
		return "", sqlerr.Unsupported(d.Name(), fmt.Sprintf("create partial index %s on table %s", x.Name, t.Name))
	}
	b := []byte("CREATE ")
	if x.Unique {
		b = append(b, "UNIQUE "...)
	}
	b = append(b, "INDEX "...)
	b = d.AppendIdent(b, x.Name)
	b = append(b, " ON "...)
	b = AppendTable(d, b, t.Schema, t.Name)
	b = append(b, " ("...)
	b = AppendIdents(d, b, x.Columns)
	b = append(b, ')')
	if x.Where != "" {
		b = append(b, " WHERE "...)
		b = append(b, x.Where...)
	}
	return string(b), nil
}

// AlterAddForeignKeySQL renders ALTER TABLE "t" ADD CONSTRAINT ... FOREIGN KEY.
func AlterAddForeignKeySQL(d Dialect, t *schema.Table, fk *schema.ForeignKey) (string, error) {
	if !d.Features().Has(AlterConstraints) {
		return "", sqlerr.Unsupported(d.Name(), "add a foreign key to an existing table")
	}
	if err := CheckForeignKey(d, t, fk); err != nil {
		return "", err
	}
	b := []byte("ALTER TABLE ")
	b = AppendTable(d, b, t.Schema, t.Name)
	b = append(b, " ADD "...)
	b = AppendForeignKey(d, b, fk)
	return string(b), nil
}

// DropTableSQL renders DROP TABLE "t".
func DropTableSQL(d Dialect, t *schema.Table) string {
	return string(AppendTable(d, []byte("DROP TABLE "), t.Schema, t.Name))
}

// AppendPlaceholderDollar appends $n (PostgreSQL).
func AppendPlaceholderDollar(b []byte, n int) []byte {
	b = append(b, '$')
	return strconv.AppendInt(b, int64(n), 10)
}

// AppendQuoted appends s between q characters, doubling any q inside it:
// the identifier quoting of all three databases (with '"' or '`') and the
// string literal quoting of PostgreSQL and SQLite (with the single quote).
func AppendQuoted(b []byte, s string, q byte) []byte {
	b = append(b, q)
	for i := 0; i < len(s); i++ {
		if s[i] == q {
			b = append(b, q)
		}
		b = append(b, s[i])
	}
	return append(b, q)
}
