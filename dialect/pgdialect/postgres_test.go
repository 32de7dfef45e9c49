package pgdialect_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// These tests need no server.

func TestBasics(t *testing.T) {
	d := pgdialect.New()
	if d.Name() != "postgres" {
		t.Errorf("Name() = %q", d.Name())
	}
	if d.MaxParams() != 65535 {
		t.Errorf("MaxParams() = %d", d.MaxParams())
	}
	want := []dialect.Feature{dialect.InsertReturning, dialect.UpdateReturning, dialect.DeleteReturning,
		dialect.TransactionalDDL, dialect.AlterConstraints, dialect.DeferrableConstraints, dialect.PartialIndexes,
		dialect.NamedEnums, dialect.Comments, dialect.ArrayParams, dialect.OnConflict, dialect.SetDefaultAction,
		dialect.NamedPrimaryKeys, dialect.DeleteUsing, dialect.RowLocking, dialect.DefaultValues, dialect.AlterKeyColumnType}
	for _, f := range want {
		if !d.Features().Has(f) {
			t.Errorf("missing feature %s", f)
		}
	}
	for _, f := range []dialect.Feature{dialect.InlineEnums, dialect.OnDuplicateKey, dialect.ForwardReferences, dialect.LastInsertID} {
		if d.Features().Has(f) {
			t.Errorf("unexpected feature %s", f)
		}
	}
	if got := string(d.AppendPlaceholder([]byte("x = "), 12)); got != "x = $12" {
		t.Errorf("placeholder: %q", got)
	}
}

func TestAppendIdent(t *testing.T) {
	d := pgdialect.New()
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{"MixedCase", `"MixedCase"`},
		{`a"b`, `"a""b"`},
		{`""`, `""""""`},
		{"x;drop table y; --", `"x;drop table y; --"`},
		{"Ünïcødé 表", `"Ünïcødé 表"`},
		{"back`tick", "\"back`tick\""},
		{"it's", `"it's"`},
		{`back\slash`, `"back\slash"`},
		{"", `""`},
	} {
		if got := string(d.AppendIdent(nil, tc.in)); got != tc.want {
			t.Errorf("AppendIdent(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestAppendString(t *testing.T) {
	d := pgdialect.New()
	for _, tc := range []struct{ in, want string }{
		{"abc", `'abc'`},
		{"", `''`},
		{"it's", `'it''s'`},
		{"''", `''''''`},
		{`back\slash`, `'back\slash'`},
		{`\'`, `'\'''`},
		{"'; DROP TABLE x; --", `'''; DROP TABLE x; --'`},
		{`say "hi"`, `'say "hi"'`},
		{"Ünïcødé 表\n", "'Ünïcødé 表\n'"},
		{"a\x00b", `('a' || chr(0) || 'b')`},
	} {
		got := string(d.AppendString(nil, tc.in))
		if got != tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if strings.ContainsRune(got, 0) {
			t.Errorf("AppendString(%q) wrote a NUL byte", tc.in)
		}
	}
}

func TestTypeSQL(t *testing.T) {
	d := pgdialect.New()
	for _, tc := range []struct {
		typ  schema.Type
		want string
	}{
		{schema.SmallInt(), "smallint"},
		{schema.Integer(), "integer"},
		{schema.BigInt(), "bigint"},
		{schema.Boolean(), "boolean"},
		{schema.Text(), "text"},
		{schema.Varchar(40), "varchar(40)"},
		{schema.Char(4), "char(4)"},
		{schema.Numeric(12, 2), "numeric(12,2)"},
		{schema.Numeric(5, 0), "numeric(5,0)"},
		{schema.Numeric(0, 0), "numeric"},
		{schema.Float(), "real"},
		{schema.Double(), "double precision"},
		{schema.Date(), "date"},
		{schema.Time(), "time"},
		{schema.Timestamp(), "timestamp"},
		{schema.TimestampTZ(), "timestamptz"},
		{schema.UUID(), "uuid"},
		{schema.JSON(), "jsonb"},
		{schema.Bytes(), "bytea"},
		{schema.Enum("mood", "sad", "ok"), `"mood"`},
		{schema.Enum(`we"ird`, "a"), `"we""ird"`},
		{schema.Custom("inet"), "inet"},
		{schema.Custom("integer[]"), "integer[]"},
		{schema.Array(schema.Text()), "text[]"},
		{schema.Array(schema.BigInt()), "bigint[]"},
		{schema.Array(schema.Integer()), "integer[]"},
		{schema.Array(schema.Double()), "double precision[]"},
		{schema.Array(schema.Boolean()), "boolean[]"},
		{schema.Array(schema.UUID()), "uuid[]"},
	} {
		got, err := d.TypeSQL(tc.typ)
		if err != nil || got != tc.want {
			t.Errorf("TypeSQL(%s) = %q, %v; want %q", tc.typ, got, err, tc.want)
		}
	}
	for _, bad := range []schema.Type{{}, schema.Varchar(0), schema.Char(-1), schema.Numeric(2, 3), schema.Enum("", "a"), schema.Custom(" "), {Kind: 200},
		schema.Array(schema.Array(schema.Text())), schema.Array(schema.JSON()), {Kind: schema.KindArray}} {
		if got, err := d.TypeSQL(bad); err == nil {
			t.Errorf("TypeSQL(%#v) = %q, want an error", bad, got)
		}
	}
}

func TestDDL(t *testing.T) {
	d := pgdialect.New()
	tbl := &schema.Table{
		Name:    `my "table"`,
		Comment: "it's mine",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "name", Type: schema.Varchar(10), Default: schema.DefaultStr(`o'neil\`), Comment: "who"},
			{Name: "ok", Type: schema.Boolean(), Nullable: true, Default: schema.DefaultBoolean(false)},
			{Name: "at", Type: schema.TimestampTZ(), Default: schema.DefaultNow()},
			{Name: "n", Type: schema.Numeric(5, 2), Default: schema.DefaultFloat(-1.5)},
			{Name: "e", Type: schema.Text(), Default: schema.DefaultSQL("md5('x')")},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	}
	schema.NewMetaData().MustAdd(tbl)
	got, err := d.CreateTable(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`CREATE TABLE "my ""table""" (
	"id" bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL,
	"name" varchar(10) NOT NULL DEFAULT 'o''neil\',
	"ok" boolean DEFAULT FALSE,
	"at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
	"n" numeric(5,2) NOT NULL DEFAULT -1.5,
	"e" text NOT NULL DEFAULT (md5('x')),
	CONSTRAINT "pk_my ""table""" PRIMARY KEY ("id")
)`,
		`COMMENT ON TABLE "my ""table""" IS 'it''s mine'`,
		`COMMENT ON COLUMN "my ""table"""."name" IS 'who'`,
	}
	if strings.Join(got, "\n;\n") != strings.Join(want, "\n;\n") {
		t.Errorf("CreateTable:\n%s\nwant:\n%s", strings.Join(got, "\n;\n"), strings.Join(want, "\n;\n"))
	}

	e, err := d.CreateEnum(schema.Enum("mood", "sad", "it's ok"))
	if err != nil || len(e) != 1 || e[0] != `CREATE TYPE "mood" AS ENUM ('sad', 'it''s ok')` {
		t.Errorf("CreateEnum: %q %v", e, err)
	}
	if e := d.DropEnum(schema.Enum("mood", "sad")); len(e) != 1 || e[0] != `DROP TYPE "mood"` {
		t.Errorf("DropEnum: %q", e)
	}
	if _, err := d.CreateEnum(schema.Integer()); err == nil {
		t.Error("CreateEnum of an integer: no error")
	}
	if _, err := d.CreateEnum(schema.Enum("", "a")); err == nil {
		t.Error("CreateEnum without a name: no error")
	}
	if _, err := d.CreateEnum(schema.Enum("x", "a\x00b")); err == nil {
		t.Error("CreateEnum with a NUL: no error")
	}
	if s := d.DropTable(tbl); len(s) != 1 || s[0] != `DROP TABLE "my ""table"""` {
		t.Errorf("DropTable: %q", s)
	}
	fk := &schema.ForeignKey{Name: "fk_x", Columns: []string{"a"}, RefTable: "p", RefColumns: []string{"id"},
		OnDelete: schema.SetDefault, OnUpdate: schema.Restrict, Deferrable: true, InitiallyDeferred: true}
	if s, err := d.AddForeignKey(tbl, fk); err != nil || len(s) != 1 || s[0] != `ALTER TABLE "my ""table""" ADD CONSTRAINT "fk_x" FOREIGN KEY ("a") REFERENCES "p" ("id") ON DELETE SET DEFAULT ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED` {
		t.Errorf("AddForeignKey: %q %v", s, err)
	}
	if s, err := d.DropForeignKey(tbl, fk); err != nil || len(s) != 1 || s[0] != `ALTER TABLE "my ""table""" DROP CONSTRAINT "fk_x"` {
		t.Errorf("DropForeignKey: %q %v", s, err)
	}
	x := &schema.Index{Name: "ix_p", Columns: []string{"name", "ok"}, Unique: true, Where: "ok"}
	if s, err := d.CreateIndex(tbl, x); err != nil || len(s) != 1 || s[0] != `CREATE UNIQUE INDEX "ix_p" ON "my ""table""" ("name", "ok") WHERE ok` {
		t.Errorf("CreateIndex: %q %v", s, err)
	}
	if s := d.DropIndex(tbl, x); len(s) != 1 || s[0] != `DROP INDEX "ix_p"` {
		t.Errorf("DropIndex: %q", s)
	}

	nul := tbl.Clone()
	nul.Comment = "a\x00"
	if _, err := d.CreateTable(nul, nil); err == nil {
		t.Error("CreateTable with a NUL in a comment: no error")
	}
	nul = tbl.Clone()
	nul.Columns[1].Default = schema.DefaultStr("\x00")
	if _, err := d.CreateTable(nul, nil); err == nil {
		t.Error("CreateTable with a NUL in a default: no error")
	}
}

func TestNormalize(t *testing.T) {
	d := pgdialect.New()
	col := func(typ schema.Type, def *schema.Default) *schema.Column {
		return &schema.Column{Name: "c", Type: typ, Nullable: true, Default: def}
	}
	for _, tc := range []struct {
		in   *schema.Column
		want *schema.Column
	}{
		{col(schema.Integer(), schema.DefaultStr("42")), col(schema.Integer(), &schema.Default{Kind: schema.DefaultNumber, Value: "42"})},
		{col(schema.BigInt(), schema.DefaultStr(" -007 ")), col(schema.BigInt(), schema.DefaultInt(-7))},
		{col(schema.Numeric(0, 0), schema.DefaultStr("1.50")), col(schema.Numeric(0, 0), &schema.Default{Kind: schema.DefaultNumber, Value: "1.50"})},
		{col(schema.Numeric(0, 0), &schema.Default{Kind: schema.DefaultNumber, Value: "1e3"}), col(schema.Numeric(0, 0), schema.DefaultInt(1000))},
		{col(schema.Numeric(0, 0), &schema.Default{Kind: schema.DefaultNumber, Value: "+15e-1"}), col(schema.Numeric(0, 0), schema.DefaultFloat(1.5))},
		{col(schema.Double(), schema.DefaultFloat(1e21)), col(schema.Double(), &schema.Default{Kind: schema.DefaultNumber, Value: "1000000000000000000000"})},
		{col(schema.Double(), schema.DefaultStr("nan")), col(schema.Double(), schema.DefaultStr("NaN"))},
		{col(schema.Float(), schema.DefaultStr("0.1")), col(schema.Float(), schema.DefaultFloat(0.1))},
		{col(schema.Boolean(), schema.DefaultStr("yes")), col(schema.Boolean(), schema.DefaultBoolean(true))},
		{col(schema.Boolean(), schema.DefaultStr("of")), col(schema.Boolean(), schema.DefaultBoolean(false))},
		{col(schema.Boolean(), schema.DefaultStr("o")), col(schema.Boolean(), schema.DefaultStr("o"))},
		{col(schema.Text(), schema.DefaultStr("42")), col(schema.Text(), schema.DefaultStr("42"))},
		{col(schema.Text(), schema.DefaultSQL("'x'")), col(schema.Text(), schema.DefaultStr("x"))},
		{col(schema.Text(), schema.DefaultSQL("NULL")), col(schema.Text(), nil)},
		{col(schema.TimestampTZ(), schema.DefaultSQL("NOW()")), col(schema.TimestampTZ(), schema.DefaultNow())},
		{col(schema.Date(), schema.DefaultSQL("current_date")), col(schema.Date(), schema.DefaultToday())},
		{col(schema.Text(), schema.DefaultSQL("(md5('x'))")), col(schema.Text(), schema.DefaultSQL("md5('x')"))},
		{col(schema.UUID(), schema.DefaultStr("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}")), col(schema.UUID(), schema.DefaultStr("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))},
		{col(schema.JSON(), schema.DefaultStr(`{"bb":1.50,"a":[1E2, "x\u00e9\n"], "bb": null}`)), col(schema.JSON(), schema.DefaultStr(`{"a": [100, "xé\n"], "bb": null}`))},
		{col(schema.Bytes(), schema.DefaultStr(`ab\\\001`)), col(schema.Bytes(), schema.DefaultStr(`\x61625c01`))},
		{col(schema.Custom("INT4"), nil), col(schema.Integer(), nil)},
		{col(schema.Custom("varchar (20)"), nil), col(schema.Varchar(20), nil)},
		{col(schema.Custom("decimal(10)"), nil), col(schema.Numeric(10, 0), nil)},
		{col(schema.Custom("timestamptz"), nil), col(schema.TimestampTZ(), nil)},
		{col(schema.Custom("float8[]"), nil), col(schema.Array(schema.Double()), nil)},
		{col(schema.Custom("int8 ARRAY"), nil), col(schema.Array(schema.BigInt()), nil)},
		{col(schema.Custom("numeric(5,2)[]"), nil), col(schema.Custom("numeric(5,2)[]"), nil)},
		{col(schema.Custom("int[][]"), nil), col(schema.Array(schema.Integer()), nil)}, // PostgreSQL ignores dimensions
		{col(schema.Array(schema.UUID()), nil), col(schema.Array(schema.UUID()), nil)},
		{col(schema.Custom("timestamptz(3)"), nil), col(schema.Custom("timestamp(3) with time zone"), nil)},
		{col(schema.Custom("json"), nil), col(schema.Custom("json"), nil)},
		{col(schema.Custom(`"MyType"`), nil), col(schema.Custom(`"MyType"`), nil)},
	} {
		tbl := &schema.Table{Name: "t", Columns: []*schema.Column{tc.in}}
		got := d.Normalize(tbl).Columns[0]
		if !got.Type.Equal(tc.want.Type) || !got.Default.Equal(tc.want.Default) {
			t.Errorf("Normalize(%s default %s) = %s default %s; want %s default %s",
				tc.in.Type, tc.in.Default, got.Type, got.Default, tc.want.Type, tc.want.Default)
		}
	}

	// The input is not modified, and the primary key columns are NOT NULL.
	tbl := &schema.Table{
		Name:        "t",
		Columns:     []*schema.Column{{Name: "a", Type: schema.Custom("int"), Default: schema.DefaultStr("1")}},
		PrimaryKey:  &schema.PrimaryKey{Name: "pk", Columns: []string{"a"}},
		Uniques:     []*schema.Unique{{Name: "b", Columns: []string{"a"}}, {Name: "a", Columns: []string{"a"}}},
		ForeignKeys: []*schema.ForeignKey{{Name: "z"}, {Name: "y"}},
	}
	n := d.Normalize(tbl)
	if tbl.Columns[0].Type.Kind != schema.KindCustom || tbl.Columns[0].Default.Kind != schema.DefaultString || tbl.Uniques[0].Name != "b" {
		t.Error("Normalize modified its input")
	}
	if n.Uniques[0].Name != "a" || n.ForeignKeys[0].Name != "y" {
		t.Error("Normalize does not sort constraints by name")
	}
}

func TestTranslateError(t *testing.T) {
	d := pgdialect.New()
	pg := func(code, constraint, column string) error {
		return &pgconn.PgError{Code: code, ConstraintName: constraint, ColumnName: column, TableName: "t", Message: "boom"}
	}
	for _, tc := range []struct {
		err        error
		kind       sqlerr.ConstraintKind
		constraint string
	}{
		{pg("23505", "uq_t_a", ""), sqlerr.Unique, "uq_t_a"},
		{pg("23503", "fk_t_a_p", ""), sqlerr.ForeignKey, "fk_t_a_p"},
		{pg("23502", "", "a"), sqlerr.NotNull, "a"},
		{pg("23514", "ck_t_x", ""), sqlerr.Check, "ck_t_x"},
		{pg("23P01", "ex_t", ""), sqlerr.UnknownConstraint, "ex_t"},
		{fmt.Errorf("wrapped: %w", pg("23505", "uq", "")), sqlerr.Unique, "uq"},
	} {
		got := d.TranslateError(tc.err)
		var ie *sqlerr.IntegrityError
		if !errors.As(got, &ie) || ie.Kind != tc.kind || ie.Constraint != tc.constraint || ie.Table != "t" {
			t.Errorf("TranslateError(%v) = %#v", tc.err, got)
			continue
		}
		var pe *pgconn.PgError
		if !errors.Is(got, sqlerr.ErrIntegrity) || !errors.As(got, &pe) {
			t.Errorf("TranslateError(%v) lost ErrIntegrity or the PgError", tc.err)
		}
		if again := d.TranslateError(got); again != got {
			t.Errorf("TranslateError is not idempotent: %v", again)
		}
	}
	for _, code := range []string{"40001", "40P01", "55P03"} {
		got := d.TranslateError(pg(code, "", ""))
		if !sqlerr.IsRetryable(got) {
			t.Errorf("%s: not retryable: %v", code, got)
		}
	}
	nf := d.TranslateError(fmt.Errorf("query: %w", pgx.ErrNoRows))
	if !errors.Is(nf, sqlerr.ErrNotFound) || !errors.Is(nf, pgx.ErrNoRows) {
		t.Errorf("ErrNoRows: %v", nf)
	}
	for _, e := range []error{errors.New("other"), pg("42P01", "", ""), context.Canceled} {
		if got := d.TranslateError(e); got != e {
			t.Errorf("TranslateError(%v) = %v, want it unchanged", e, got)
		}
	}
	if d.TranslateError(nil) != nil {
		t.Error("TranslateError(nil) != nil")
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := pgdialect.New().Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=5")
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("Open of a closed port: %v", err)
	}
	if _, err := pgdialect.New().Open(ctx, "postgres://%zz"); err == nil {
		t.Fatal("Open of a malformed DSN: no error")
	}
}
