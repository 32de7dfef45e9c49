package sqlitedialect_test

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

func TestFeatures(t *testing.T) {
	f := sqlitedialect.New().Features()
	for _, x := range []dialect.Feature{dialect.InsertReturning, dialect.UpdateReturning, dialect.DeleteReturning,
		dialect.TransactionalDDL, dialect.DeferrableConstraints, dialect.PartialIndexes, dialect.OnConflict,
		dialect.ForwardReferences, dialect.SetDefaultAction, dialect.NamedPrimaryKeys, dialect.LastInsertID, dialect.DefaultValues} {
		if !f.Has(x) {
			t.Errorf("missing %s", x)
		}
	}
	for _, x := range []dialect.Feature{dialect.AlterConstraints, dialect.Comments, dialect.NamedEnums,
		dialect.InlineEnums, dialect.ArrayParams, dialect.OnDuplicateKey, dialect.RowLocking, dialect.DeleteUsing} {
		if f&x != 0 {
			t.Errorf("unexpected %s", x)
		}
	}
	d := sqlitedialect.New()
	if d.Name() != "sqlite" || d.MaxParams() != 32766 {
		t.Errorf("name %q, max params %d", d.Name(), d.MaxParams())
	}
	if got := string(d.AppendPlaceholder(d.AppendPlaceholder(nil, 1), 2)); got != "??" {
		t.Errorf("placeholders %q", got)
	}
}

func TestTypeSQL(t *testing.T) {
	d := sqlitedialect.New()
	cases := []struct {
		typ  schema.Type
		want string
	}{
		{schema.SmallInt(), "SMALLINT"},
		{schema.Integer(), "INTEGER"},
		{schema.BigInt(), "BIGINT"},
		{schema.Boolean(), "BOOLEAN"},
		{schema.Text(), "TEXT"},
		{schema.Varchar(40), "VARCHAR(40)"},
		{schema.Char(4), "CHAR(4)"},
		{schema.Numeric(12, 2), "NUMERIC(12,2)"},
		{schema.Numeric(0, 0), "NUMERIC"},
		{schema.Float(), "REAL"},
		{schema.Double(), "DOUBLE"},
		{schema.Date(), "DATE"},
		{schema.Time(), "TIME"},
		{schema.Timestamp(), "TIMESTAMP"},
		{schema.TimestampTZ(), "DATETIME"},
		{schema.UUID(), "UUID_TEXT"},
		{schema.JSON(), "JSON_TEXT"},
		{schema.Bytes(), "BLOB"},
		{schema.Enum("mood", "a", "b"), "TEXT"},
		{schema.Custom("INT8 UNSIGNED"), "INT8 UNSIGNED"},
		{schema.Array(schema.Text()), "JSON_TEXT_ARRAY_TEXT"},
		{schema.Array(schema.BigInt()), "JSON_TEXT_ARRAY_I64"},
		{schema.Array(schema.Integer()), "JSON_TEXT_ARRAY_I32"},
		{schema.Array(schema.Double()), "JSON_TEXT_ARRAY_F64"},
		{schema.Array(schema.Boolean()), "JSON_TEXT_ARRAY_BOOL"},
		{schema.Array(schema.UUID()), "JSON_TEXT_ARRAY_UUID"},
	}
	for _, c := range cases {
		got, err := d.TypeSQL(c.typ)
		if err != nil || got != c.want {
			t.Errorf("TypeSQL(%s) = %q, %v; want %q", c.typ, got, err, c.want)
			continue
		}
		// Every declared type maps back to the same portable type (enums
		// through their CHECK, tested with the database).
		if c.typ.Kind == schema.KindEnum {
			continue
		}
		want := c.typ
		if want.Kind == schema.KindCustom {
			want = schema.Custom(c.want)
		}
		if back := sqlitedialect.TypeFromDecl(got); !back.Equal(want) {
			t.Errorf("TypeFromDecl(%q) = %s, want %s", got, back, want)
		}
	}
	for _, bad := range []schema.Type{{}, schema.Varchar(0), schema.Custom(" "), {Kind: 200}, {Kind: schema.KindNumeric, Scale: 2},
		schema.Array(schema.Array(schema.Text())), schema.Array(schema.Enum("e", "a")), {Kind: schema.KindArray}} {
		if s, err := d.TypeSQL(bad); err == nil {
			t.Errorf("TypeSQL(%#v) = %q, want an error", bad, s)
		}
	}
}

func TestTypeFromDecl(t *testing.T) {
	cases := map[string]schema.Type{
		"integer":              schema.Integer(),
		"INT":                  schema.Integer(),
		"varchar( 10 )":        schema.Varchar(10),
		"Character Varying(5)": schema.Varchar(5),
		"decimal(10, 3)":       schema.Numeric(10, 3),
		"NUMERIC(7)":           schema.Numeric(7, 0),
		"double  precision":    schema.Double(),
		"FLOAT":                schema.Float(),
		"json":                 schema.JSON(),
		"UUID":                 schema.UUID(),
		"BOOL":                 schema.Boolean(),
		"":                     schema.Custom("BLOB"),
		"VARCHAR":              schema.Custom("VARCHAR"),
		"VARCHAR(0)":           schema.Custom("VARCHAR(0)"),
		"NUMERIC(2,5)":         schema.Custom("NUMERIC(2,5)"),
		"INTEGER(3)":           schema.Custom("INTEGER(3)"),
		"TINYINT":              schema.Custom("TINYINT"),
		"VARCHAR(10":           schema.Custom("VARCHAR(10"),
	}
	for decl, want := range cases {
		if got := sqlitedialect.TypeFromDecl(decl); !got.Equal(want) {
			t.Errorf("TypeFromDecl(%q) = %s, want %s", decl, got, want)
		}
	}
}

func TestQuoting(t *testing.T) {
	d := sqlitedialect.New()
	idents := map[string]string{
		"plain":          `"plain"`,
		`a"b`:            `"a""b"`,
		"back`tick":      "\"back`tick\"",
		"x;drop":         `"x;drop"`,
		"it's":           `"it's"`,
		"Ünïcødé 表":      `"Ünïcødé 表"`,
		`""`:             `""""""`,
		"with space ":    `"with space "`,
		"[brackets]":     `"[brackets]"`,
		`-- comment`:     `"-- comment"`,
		`t"; DROP TABLE`: `"t""; DROP TABLE"`,
	}
	for in, want := range idents {
		if got := string(d.AppendIdent([]byte("x="), in)); got != "x="+want {
			t.Errorf("AppendIdent(%q) = %s, want x=%s", in, got, want)
		}
		// The tokenizer that reads DDL back reads each one as one name.
		if toks := sqlitedialect.Tokens(want); len(toks) != 1 || toks[0] != in {
			t.Errorf("Tokens(%s) = %q", want, toks)
		}
	}
	literals := map[string]string{
		"":               `''`,
		"abc":            `'abc'`,
		"it's":           `'it''s'`,
		`''`:             `''''''`,
		`a"b`:            `'a"b'`,
		`\'`:             `'\'''`,
		"line\nbreak":    "'line\nbreak'",
		"Ünïcødé 表":      `'Ünïcødé 表'`,
		"'); DROP x; --": `'''); DROP x; --'`,
	}
	for in, want := range literals {
		if got := string(d.AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
		if toks := sqlitedialect.Tokens(want); len(toks) != 1 || toks[0] != in {
			t.Errorf("Tokens(%s) = %q", want, toks)
		}
	}
}

func TestNormalize(t *testing.T) {
	d := sqlitedialect.New()
	tbl := &schema.Table{
		Name:    "t",
		Comment: "a table",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true, Comment: "key"},
			{Name: "mood", Type: schema.Enum("mood", "a", "b")},
			{Name: "flag", Type: schema.Boolean(), Default: schema.DefaultInt(1)},
			{Name: "off", Type: schema.Boolean(), Default: schema.DefaultInt(0)},
			{Name: "n", Type: schema.Integer(), Default: schema.DefaultInt(1)},
			{Name: "c", Type: schema.Custom("varchar(20)")},
			{Name: "x", Type: schema.Custom("POINT")},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	}
	schema.NewMetaData().MustAdd(tbl)
	n := d.Normalize(tbl)
	if n == tbl || n.Columns[0] == tbl.Columns[0] {
		t.Fatal("Normalize must copy")
	}
	if n.Comment != "" || n.Columns[0].Comment != "" {
		t.Error("comments kept")
	}
	if !n.Columns[0].Type.Equal(schema.Integer()) || !n.Columns[0].AutoIncrement {
		t.Errorf("autoincrement key: %s", n.Columns[0].Type)
	}
	if n.Columns[1].Type.EnumName != "" || len(n.Columns[1].Type.Values) != 2 {
		t.Errorf("enum: %s", n.Columns[1].Type)
	}
	if !n.Columns[2].Default.Equal(schema.DefaultBoolean(true)) || !n.Columns[3].Default.Equal(schema.DefaultBoolean(false)) {
		t.Errorf("boolean defaults: %s %s", n.Columns[2].Default, n.Columns[3].Default)
	}
	if !n.Columns[4].Default.Equal(schema.DefaultInt(1)) {
		t.Errorf("integer default: %s", n.Columns[4].Default)
	}
	if !n.Columns[5].Type.Equal(schema.Varchar(20)) || !n.Columns[6].Type.Equal(schema.Custom("POINT")) {
		t.Errorf("custom types: %s %s", n.Columns[5].Type, n.Columns[6].Type)
	}
	// the original is untouched
	if tbl.Comment == "" || tbl.Columns[1].Type.EnumName != "mood" || !tbl.Columns[0].Type.Equal(schema.BigInt()) {
		t.Error("Normalize changed its argument")
	}
}

func TestCreateTableSQL(t *testing.T) {
	d := sqlitedialect.New()
	tbl := &schema.Table{
		Name: "small",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.SmallInt(), AutoIncrement: true},
			{Name: "s", Type: schema.Varchar(5), Nullable: true, Default: schema.DefaultStr("it's")},
			{Name: "e", Type: schema.Enum("e", "x'y", "z"), Nullable: true},
			{Name: "d", Type: schema.Double(), Default: schema.DefaultFloat(-1.5)},
			{Name: "x", Type: schema.Integer(), Default: schema.DefaultSQL("abs(-3)")},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	}
	schema.NewMetaData().MustAdd(tbl)
	got, err := d.CreateTable(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `CREATE TABLE "small" (
	"id" INTEGER NOT NULL CONSTRAINT "pk_small" PRIMARY KEY AUTOINCREMENT,
	"s" VARCHAR(5) DEFAULT 'it''s',
	"e" TEXT CHECK ("e" IN ('x''y', 'z')),
	"d" DOUBLE NOT NULL DEFAULT -1.5,
	"x" INTEGER NOT NULL DEFAULT (abs(-3))
)`
	if len(got) != 1 || got[0] != want {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	// AddForeignKey and DropForeignKey are not possible in SQLite.
	fk := &schema.ForeignKey{Name: "fk", Columns: []string{"x"}, RefTable: "small", RefColumns: []string{"id"}}
	if _, err := d.AddForeignKey(tbl, fk); !errors.Is(err, sqlerr.ErrUnsupported) {
		t.Errorf("AddForeignKey: %v", err)
	}
	if _, err := d.DropForeignKey(tbl, fk); !errors.Is(err, sqlerr.ErrUnsupported) {
		t.Errorf("DropForeignKey: %v", err)
	}
	if s := d.DropIndex(tbl, &schema.Index{Name: `i"x`}); len(s) != 1 || s[0] != `DROP INDEX "i""x"` {
		t.Errorf("DropIndex: %q", s)
	}
	if s, err := d.CreateEnum(schema.Enum("e", "a")); s != nil || err != nil {
		t.Errorf("CreateEnum: %q %v", s, err)
	}
	if s := d.DropEnum(schema.Enum("e", "a")); s != nil {
		t.Errorf("DropEnum: %q", s)
	}
}

func TestTranslateErrorWithoutDriverError(t *testing.T) {
	d := sqlitedialect.New()
	if d.TranslateError(nil) != nil {
		t.Error("nil")
	}
	err := d.TranslateError(fmt.Errorf("scan: %w", sql.ErrNoRows))
	if !errors.Is(err, sqlerr.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("ErrNoRows: %v", err)
	}
	if again := d.TranslateError(err); again != err {
		t.Errorf("translating twice changed the error: %v", again)
	}
	other := errors.New("something else")
	if d.TranslateError(other) != other {
		t.Error("unknown error changed")
	}
}

func TestBuildDSN(t *testing.T) {
	cases := []struct {
		in, want string
		memory   bool
	}{
		{"/tmp/a.db", "file:/tmp/a.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite&_timezone=UTC", false},
		{"/tmp/a.db?_txlock=deferred", "file:/tmp/a.db?_txlock=deferred&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_time_format=sqlite&_timezone=UTC", false},
		{"file:/tmp/a.db?mode=ro", "file:/tmp/a.db?mode=ro&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_time_format=sqlite&_timezone=UTC", false},
		{"a#b%c.db?_pragma=busy_timeout(5)&_pragma=journal_mode(DELETE)&_time_format=datetime&_timezone=Local",
			"file:a%23b%25c.db?_pragma=busy_timeout(5)&_pragma=journal_mode(DELETE)&_time_format=datetime&_timezone=Local&_pragma=foreign_keys(1)&_txlock=immediate", false},
		{":memory:", "file::memory:?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_time_format=sqlite&_timezone=UTC", true},
		{"file:x?mode=memory&cache=shared", "file:x?mode=memory&cache=shared&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_time_format=sqlite&_timezone=UTC", true},
		{"x.db?_pragma=foreign_keys(ON)&_pragma=busy_timeout(1)", "file:x.db?_pragma=foreign_keys(ON)&_pragma=busy_timeout(1)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite&_timezone=UTC", false},
		{"a.db?_pragma=synchronous(FULL)", "file:a.db?_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate&_time_format=sqlite&_timezone=UTC", false},
	}
	for _, c := range cases {
		got, memory, err := sqlitedialect.BuildDSN(c.in)
		if err != nil || got != c.want || memory != c.memory {
			t.Errorf("BuildDSN(%q) =\n  %q, %v, %v\nwant\n  %q, %v", c.in, got, memory, err, c.want, c.memory)
		}
	}
	for _, bad := range []string{"x.db?_pragma=foreign_keys(0)", "x.db?_pragma=foreign_keys = off", "x.db?_foreign_keys=0", "x.db?_fk=false", "x.db?%zz",
		// mattn/go-sqlite3's parameters, which the driver would ignore
		"x.db?_busy_timeout=5000", "x.db?_journal_mode=WAL", "x.db?_sync=1", "x.db?_txlock=immediate&_timeout=1"} {
		if got, _, err := sqlitedialect.BuildDSN(bad); !errors.Is(err, sqlitedialect.ErrDSN) {
			t.Errorf("BuildDSN(%q) = %q, %v; want an error matching ErrDSN", bad, got, err)
		}
	}
	if _, _, err := sqlitedialect.BuildDSN("x.db?_busy_timeout=5000"); !strings.Contains(fmt.Sprint(err), "_pragma=busy_timeout(5000)") {
		t.Errorf("the error does not say what to write: %v", err)
	}
}
