package mysqldialect_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	drv "github.com/go-sql-driver/mysql"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/internal/schematest"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

func TestIdentity(t *testing.T) {
	d := mysqldialect.New()
	if d.Name() != "mysql" {
		t.Errorf("Name() = %q", d.Name())
	}
	if d.MaxParams() != 65535 {
		t.Errorf("MaxParams() = %d", d.MaxParams())
	}
	f := d.Features()
	for _, x := range []dialect.Feature{dialect.InsertReturning, dialect.DeleteReturning, dialect.AlterConstraints,
		dialect.InlineEnums, dialect.Comments, dialect.OnDuplicateKey, dialect.LastInsertID, dialect.RowLocking} {
		if !f.Has(x) {
			t.Errorf("features %s lack %s", f, x)
		}
	}
	for _, x := range []dialect.Feature{dialect.UpdateReturning, dialect.TransactionalDDL, dialect.DeferrableConstraints,
		dialect.PartialIndexes, dialect.SetDefaultAction, dialect.NamedPrimaryKeys, dialect.ForwardReferences,
		dialect.ArrayParams, dialect.NamedEnums, dialect.OnConflict, dialect.DeleteUsing, dialect.DefaultValues, dialect.AlterKeyColumnType} {
		if f&x != 0 {
			t.Errorf("features %s include %s", f, x)
		}
	}
	if got := string(d.AppendPlaceholder(nil, 7)); got != "?" {
		t.Errorf("placeholder %q", got)
	}
}

func TestTypeSQL(t *testing.T) {
	d := mysqldialect.New()
	tests := []struct {
		typ  schema.Type
		want string
	}{
		{schema.SmallInt(), "SMALLINT"},
		{schema.Integer(), "INT"},
		{schema.BigInt(), "BIGINT"},
		{schema.Boolean(), "BOOLEAN"},
		{schema.Text(), "LONGTEXT"},
		{schema.Varchar(40), "VARCHAR(40)"},
		{schema.Char(2), "CHAR(2)"},
		{schema.Numeric(12, 2), "DECIMAL(12,2)"},
		{schema.Numeric(0, 0), "DECIMAL"},
		{schema.Float(), "FLOAT"},
		{schema.Double(), "DOUBLE"},
		{schema.Date(), "DATE"},
		{schema.Time(), "TIME(6)"},
		{schema.Timestamp(), "DATETIME(6)"},
		{schema.TimestampTZ(), "DATETIME(6)"},
		{schema.UUID(), "CHAR(36)"},
		{schema.JSON(), "JSON"},
		{schema.Bytes(), "LONGBLOB"},
		{schema.Enum("mood", "sad", "it's", `back\slash`), `ENUM('sad','it''s','back\\slash')`},
		{schema.Custom("MEDIUMINT UNSIGNED"), "MEDIUMINT UNSIGNED"},
		{schema.Array(schema.Text()), "JSON"},
		{schema.Array(schema.BigInt()), "JSON"},
		{schema.Array(schema.UUID()), "JSON"},
	}
	for _, tt := range tests {
		got, err := d.TypeSQL(tt.typ)
		if err != nil || got != tt.want {
			t.Errorf("TypeSQL(%s) = %q, %v; want %q", tt.typ, got, err, tt.want)
		}
	}
	for _, bad := range []schema.Type{schema.Char(256), schema.Varchar(70000), schema.Numeric(70, 2), {},
		schema.Array(schema.Array(schema.Text())), schema.Array(schema.Varchar(3)), {Kind: schema.KindArray}} {
		if got, err := d.TypeSQL(bad); err == nil {
			t.Errorf("TypeSQL(%s) = %q, want an error", bad, got)
		}
	}
	if _, err := d.TypeSQL(schema.Char(256)); !errors.Is(err, sqlerr.ErrUnsupported) {
		t.Errorf("CHAR(256): %v, want ErrUnsupported", err)
	}
}

func TestAppendIdent(t *testing.T) {
	d := mysqldialect.New()
	tests := map[string]string{
		"plain":     "`plain`",
		`a"b`:       "`a\"b`",
		"a`b":       "`a``b`",
		"``":        "``````",
		"x;drop":    "`x;drop`",
		"it's":      "`it's`",
		"Ünïcødé 表": "`Ünïcødé 表`",
		`back\`:     "`back\\`",
	}
	for in, want := range tests {
		if got := string(d.AppendIdent([]byte("<"), in)); got != "<"+want {
			t.Errorf("AppendIdent(%q) = %q, want %q", in, got, "<"+want)
		}
	}
}

func TestAppendString(t *testing.T) {
	d := mysqldialect.New()
	tests := map[string]string{
		"":              `''`,
		"abc":           `'abc'`,
		"it's":          `'it''s'`,
		`back\slash`:    `'back\\slash'`,
		`\'`:            `'\\'''`,
		"nul\x00byte":   `'nul\0byte'`,
		"Ünïcødé 表\n\t": "'Ünïcødé 表\n\t'",
		`"dq"`:          `'"dq"'`,
	}
	for in, want := range tests {
		if got := string(d.AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
		// what AppendString writes, MariaDB's literal rules read back
		if back, ok := mysqldialect.Unquote(want); !ok || back != in {
			t.Errorf("unquote(%s) = %q, %v; want %q", want, back, ok, in)
		}
	}
}

func TestDDLStatements(t *testing.T) {
	d := mysqldialect.New()
	tb := &schema.Table{Name: "t`x", Columns: []*schema.Column{{Name: "id", Type: schema.Integer()}}}
	fk := &schema.ForeignKey{Name: "fk`1", Columns: []string{"id"}, RefTable: "p", RefColumns: []string{"id"}, OnDelete: schema.Cascade}
	check := func(name string, got []string, err error, want ...string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	s, err := d.AddForeignKey(tb, fk)
	check("AddForeignKey", s, err, "ALTER TABLE `t``x` ADD CONSTRAINT `fk``1` FOREIGN KEY (`id`) REFERENCES `p` (`id`) ON DELETE CASCADE")
	s, err = d.DropForeignKey(tb, fk)
	check("DropForeignKey", s, err, "ALTER TABLE `t``x` DROP FOREIGN KEY `fk``1`, DROP INDEX IF EXISTS `fk``1`")
	// another foreign key over a prefix of the columns may use the index
	shared := tb.Clone()
	shared.ForeignKeys = []*schema.ForeignKey{fk, {Name: "fk2", Columns: []string{"id"}, RefTable: "q", RefColumns: []string{"id"}}}
	s, err = d.DropForeignKey(shared, shared.ForeignKeys[0])
	check("DropForeignKey shared", s, err, "ALTER TABLE `t``x` DROP FOREIGN KEY `fk``1`")
	x := &schema.Index{Name: "ix", Columns: []string{"id"}, Unique: true}
	s, err = d.CreateIndex(tb, x)
	check("CreateIndex", s, err, "CREATE UNIQUE INDEX `ix` ON `t``x` (`id`)")
	check("DropIndex", d.DropIndex(tb, x), nil, "DROP INDEX `ix` ON `t``x`")
	check("DropTable", d.DropTable(tb), nil, "DROP TABLE `t``x`")
	s, err = d.CreateEnum(schema.Enum("e", "a"))
	check("CreateEnum", s, err)
	check("DropEnum", d.DropEnum(schema.Enum("e", "a")), nil)

	full := &schema.Table{
		Name:    "t",
		Comment: `it's a \ table`,
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "at", Type: schema.TimestampTZ(), Default: schema.DefaultNow()},
			{Name: "on", Type: schema.Date(), Nullable: true, Default: schema.DefaultToday()},
			{Name: "ok", Type: schema.Boolean(), Default: schema.DefaultBoolean(false), Comment: `say "no"`},
			{Name: "expr", Type: schema.Integer(), Default: schema.DefaultSQL("1 + 2")},
		},
		PrimaryKey: &schema.PrimaryKey{Name: "pk_t", Columns: []string{"id"}},
	}
	s, err = d.CreateTable(full, nil)
	check("CreateTable", s, err, "CREATE TABLE `t` (\n"+
		"\t`id` BIGINT NOT NULL AUTO_INCREMENT,\n"+
		"\t`at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),\n"+
		"\t`on` DATE NULL DEFAULT (CURRENT_DATE),\n"+
		"\t`ok` BOOLEAN NOT NULL DEFAULT FALSE COMMENT 'say \"no\"',\n"+
		"\t`expr` INT NOT NULL DEFAULT (1 + 2),\n"+
		"\tPRIMARY KEY (`id`)\n"+
		`) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='it''s a \\ table'`)
}

func TestUnsupported(t *testing.T) {
	d := mysqldialect.New()
	parent := &schema.Table{Name: "p", Columns: []*schema.Column{{Name: "id", Type: schema.Integer()}}, PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}}}
	mk := func(fk *schema.ForeignKey, x *schema.Index) *schema.Table {
		return &schema.Table{
			Name:        "c",
			Columns:     []*schema.Column{{Name: "pid", Type: schema.Integer(), Nullable: true, Default: schema.DefaultInt(1)}},
			ForeignKeys: []*schema.ForeignKey{fk},
			Indexes:     []*schema.Index{x},
		}
	}
	deferrable := &schema.ForeignKey{Name: "fk_d", Columns: []string{"pid"}, RefTable: "p", RefColumns: []string{"id"}, Deferrable: true, InitiallyDeferred: true}
	setDefault := &schema.ForeignKey{Name: "fk_s", Columns: []string{"pid"}, RefTable: "p", RefColumns: []string{"id"}, OnDelete: schema.SetDefault}
	partial := &schema.Index{Name: "ix_p", Columns: []string{"pid"}, Where: "pid > 0"}
	for _, fk := range []*schema.ForeignKey{deferrable, setDefault} {
		tb := mk(fk, partial)
		if _, err := d.CreateTable(tb, nil); !errors.Is(err, sqlerr.ErrUnsupported) {
			t.Errorf("CreateTable with %s: %v, want ErrUnsupported", fk.Name, err)
		}
		if _, err := d.AddForeignKey(tb, fk); !errors.Is(err, sqlerr.ErrUnsupported) {
			t.Errorf("AddForeignKey %s: %v, want ErrUnsupported", fk.Name, err)
		}
		md := schema.NewMetaData()
		md.MustAdd(parent.Clone(), tb)
		if _, err := dialect.CreateAllSQL(d, md); !errors.Is(err, sqlerr.ErrUnsupported) {
			t.Errorf("CreateAllSQL with %s: %v, want ErrUnsupported", fk.Name, err)
		}
	}
	if _, err := d.CreateIndex(mk(setDefault, partial), partial); !errors.Is(err, sqlerr.ErrUnsupported) {
		t.Errorf("partial index: %v, want ErrUnsupported", err)
	}
}

func TestParseColumnType(t *testing.T) {
	tests := []struct {
		in   string
		want schema.Type
	}{
		{"tinyint(1)", schema.Boolean()},
		{"tinyint(4)", schema.Custom("tinyint")},
		{"TINYINT(3) UNSIGNED ZEROFILL", schema.Custom("tinyint(3) unsigned zerofill")},
		{"smallint(6)", schema.SmallInt()},
		{"int(11)", schema.Integer()},
		{"int", schema.Integer()},
		{"int(10) unsigned", schema.Custom("int unsigned")},
		{"set('A','b')", schema.Custom("set('A','b')")},
		{"bigint(20)", schema.BigInt()},
		{"decimal(12,2)", schema.Numeric(12, 2)},
		{"decimal(10,0)", schema.Numeric(10, 0)},
		{"float", schema.Float()},
		{"float(7,2)", schema.Custom("float(7,2)")},
		{"double", schema.Double()},
		{"date", schema.Date()},
		{"time", schema.Time()},
		{"time(6)", schema.Time()},
		{"time(3)", schema.Custom("time(3)")},
		{"datetime(6)", schema.Timestamp()},
		{"datetime", schema.Custom("datetime")},
		{"timestamp", schema.Custom("timestamp")},
		{"char(36)", schema.Char(36)},
		{"varchar(200)", schema.Varchar(200)},
		{"longtext", schema.Text()},
		{"text", schema.Text()},
		{"longblob", schema.Bytes()},
		{"blob", schema.Bytes()},
		{"json", schema.JSON()},
		{"varbinary(10)", schema.Custom("varbinary(10)")},
		{"enum('sad','o''k','ha\\\\ppy','a,b','(x)')", schema.Type{Kind: schema.KindEnum, Values: []string{"sad", "o'k", `ha\ppy`, "a,b", "(x)"}}},
		{"enum('Ünï','')", schema.Type{Kind: schema.KindEnum, Values: []string{"Ünï", ""}}},
	}
	for _, tt := range tests {
		if got := mysqldialect.ParseColumnType(tt.in); !got.Equal(tt.want) {
			t.Errorf("parseColumnType(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseDefault(t *testing.T) {
	ns := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	tests := []struct {
		typ  schema.Type
		raw  sql.NullString
		want *schema.Default
	}{
		{schema.Integer(), sql.NullString{}, nil},
		{schema.Integer(), ns("NULL"), nil},
		{schema.Varchar(5), ns("'NULL'"), schema.DefaultStr("NULL")},
		{schema.Varchar(20), ns(`'new ''open'' \\ x'`), schema.DefaultStr(`new 'open' \ x`)},
		{schema.Varchar(20), ns(`'a\nb	c\0d'`), schema.DefaultStr("a\nb\tc\x00d")},
		{schema.Varchar(20), ns("''"), schema.DefaultStr("")},
		{schema.Timestamp(), ns("current_timestamp(6)"), schema.DefaultNow()},
		{schema.Custom("datetime"), ns("current_timestamp()"), schema.DefaultNow()},
		{schema.Date(), ns("curdate()"), schema.DefaultToday()},
		{schema.Numeric(12, 2), ns("0.00"), &schema.Default{Kind: schema.DefaultNumber, Value: "0.00"}},
		{schema.Integer(), ns("-3"), schema.DefaultInt(-3)},
		{schema.Double(), ns("1e20"), &schema.Default{Kind: schema.DefaultNumber, Value: "1e+20"}},
		{schema.Boolean(), ns("1"), schema.DefaultBoolean(true)},
		{schema.Boolean(), ns("0"), schema.DefaultBoolean(false)},
		{schema.Boolean(), ns("2"), &schema.Default{Kind: schema.DefaultNumber, Value: "2"}},
		{schema.Integer(), ns("(1 + 2)"), schema.DefaultSQL("1 + 2")},
		{schema.Varchar(40), ns("uuid()"), schema.DefaultSQL("uuid()")},
		{schema.Varchar(40), ns("concat('(',`a`,')')"), schema.DefaultSQL("concat('(',`a`,')')")},
		{schema.Varchar(40), ns("(`a`) + (`b`)"), schema.DefaultSQL("(`a`) + (`b`)")},
	}
	for _, tt := range tests {
		got := mysqldialect.ParseDefault(true, tt.typ, tt.raw, "")
		if !got.Equal(tt.want) {
			t.Errorf("parseDefault(%s, %q) = %#v, want %#v", tt.typ, tt.raw.String, got, tt.want)
		}
	}
	// MySQL 8 writes strings unquoted and flags expressions.
	if got := mysqldialect.ParseDefault(false, schema.Varchar(5), ns("it's"), ""); !got.Equal(schema.DefaultStr("it's")) {
		t.Errorf("mysql string default: %#v", got)
	}
	if got := mysqldialect.ParseDefault(false, schema.Timestamp(), ns("CURRENT_TIMESTAMP(6)"), "DEFAULT_GENERATED"); !got.Equal(schema.DefaultNow()) {
		t.Errorf("mysql now default: %#v", got)
	}
}

func TestCanonExpr(t *testing.T) {
	tests := []struct{ in, want string }{
		{`s <> 'it''s'`, `s <> 'it''s'`},
		{`s <> 'it\'s \\ x'`, `s <> 'it''s \\ x'`},
		{`s <> "dq\"x"`, `s <> 'dq"x'`},
		{"`a!=b` != 1", "`a!=b` <> 1"},
		{"flag = TRUE OR x = false", "flag = 1 OR x = 0"},
		{"LENGTH (s) > 0 AND length_x = 1", "octet_length (s) > 0 AND length_x = 1"},
		{"s <> 'TRUE != LENGTH(x)'", "s <> 'TRUE != LENGTH(x)'"},
	}
	for _, tt := range tests {
		if got := mysqldialect.CanonExpr(tt.in, true); got != tt.want {
			t.Errorf("canonExpr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	d := mysqldialect.New()
	in := &schema.Table{
		Name: "t",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.Integer()},
			{Name: "at", Type: schema.TimestampTZ(), Default: schema.DefaultNow()},
			{Name: "u", Type: schema.UUID()},
			{Name: "m", Type: schema.Enum("mood", "a ", "b")},
			{Name: "n", Type: schema.Numeric(12, 2), Default: schema.DefaultInt(0)},
			{Name: "d", Type: schema.Numeric(0, 0), Default: schema.DefaultFloat(1.5)},
			{Name: "b", Type: schema.Boolean(), Default: schema.DefaultInt(1)},
			{Name: "i", Type: schema.Integer(), Default: schema.DefaultBoolean(true)},
			{Name: "s", Type: schema.Varchar(5), Default: schema.DefaultInt(5)},
			{Name: "k", Type: schema.Integer(), Default: schema.DefaultStr("7")},
			{Name: "tm", Type: schema.Time(), Default: schema.DefaultStr("12:00")},
			{Name: "ts", Type: schema.Timestamp(), Default: schema.DefaultStr("2020-1-2 3:04:05")},
			{Name: "c", Type: schema.Custom("INT")},
		},
		PrimaryKey:  &schema.PrimaryKey{Name: "pk_t", Columns: []string{"id"}},
		ForeignKeys: []*schema.ForeignKey{{Name: "fk", Columns: []string{"id"}, RefTable: "t", RefColumns: []string{"id"}, OnDelete: schema.Restrict, OnUpdate: schema.Cascade}},
		Indexes: []*schema.Index{
			{Name: "ux", Columns: []string{"u"}, Unique: true},
			{Name: "ix", Columns: []string{"m"}},
		},
		Checks: []*schema.Check{{Name: "ck", Expr: "b != TRUE"}},
	}
	orig := in.Clone()
	n := d.Normalize(in)
	if diff := schematest.DiffTable(orig, in); len(diff) > 0 {
		t.Errorf("Normalize changed its argument: %q", diff)
	}
	want := &schema.Table{
		Name: "t",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.Integer()},
			{Name: "at", Type: schema.Timestamp(), Default: schema.DefaultNow()},
			{Name: "u", Type: schema.Char(36)},
			{Name: "m", Type: schema.Type{Kind: schema.KindEnum, Values: []string{"a", "b"}}},
			{Name: "n", Type: schema.Numeric(12, 2), Default: &schema.Default{Kind: schema.DefaultNumber, Value: "0.00"}},
			{Name: "d", Type: schema.Numeric(10, 0), Default: &schema.Default{Kind: schema.DefaultNumber, Value: "2"}},
			{Name: "b", Type: schema.Boolean(), Default: schema.DefaultBoolean(true)},
			{Name: "i", Type: schema.Integer(), Default: schema.DefaultInt(1)},
			{Name: "s", Type: schema.Varchar(5), Default: schema.DefaultStr("5")},
			{Name: "k", Type: schema.Integer(), Default: schema.DefaultInt(7)},
			{Name: "tm", Type: schema.Time(), Default: schema.DefaultStr("12:00:00.000000")},
			{Name: "ts", Type: schema.Timestamp(), Default: schema.DefaultStr("2020-01-02 03:04:05.000000")},
			{Name: "c", Type: schema.Integer()},
		},
		PrimaryKey:  &schema.PrimaryKey{Name: "PRIMARY", Columns: []string{"id"}},
		ForeignKeys: []*schema.ForeignKey{{Name: "fk", Columns: []string{"id"}, RefTable: "t", RefColumns: []string{"id"}, OnDelete: schema.NoAction, OnUpdate: schema.Cascade}},
		Uniques:     []*schema.Unique{{Name: "ux", Columns: []string{"u"}}},
		Indexes:     []*schema.Index{{Name: "ix", Columns: []string{"m"}}},
		Checks:      []*schema.Check{{Name: "ck", Expr: "b <> 1"}},
	}
	if diff := schematest.DiffTable(want, n); len(diff) > 0 {
		t.Errorf("Normalize:\n%s", strings.Join(diff, "\n"))
	}
	if n.Checks[0].Expr != "b <> 1" {
		t.Errorf("check %q", n.Checks[0].Expr)
	}
	if diff := schematest.DiffTable(n, d.Normalize(n)); len(diff) > 0 {
		t.Errorf("Normalize is not idempotent:\n%s", strings.Join(diff, "\n"))
	}
	// Normalized tables stay valid metadata.
	if err := schema.NewMetaData().Add(n); err != nil {
		t.Errorf("normalized table is invalid: %v", err)
	}
}

func myErr(n uint16, msg string) error {
	return fmt.Errorf("exec: %w", &drv.MySQLError{Number: n, Message: msg})
}

func TestTranslateErrorMessages(t *testing.T) {
	d := mysqldialect.New()
	tests := []struct {
		err               error
		kind              sqlerr.ConstraintKind
		constraint, table string
	}{
		{myErr(1062, "Duplicate entry 'a' for key 'uq_p_code'"), sqlerr.Unique, "uq_p_code", ""},
		{myErr(1062, "Duplicate entry '1' for key 'PRIMARY'"), sqlerr.Unique, "PRIMARY", ""},
		{myErr(1062, "Duplicate entry '1' for key 'orders.PRIMARY'"), sqlerr.Unique, "PRIMARY", ""},
		{myErr(1062, "Duplicate entry 'x' for key 'y' for key 'uq`u'"), sqlerr.Unique, "uq`u", ""},
		{myErr(1062, "Duplicate entry '1-2' for key 'uq.dot'"), sqlerr.Unique, "uq.dot", ""},
		{myErr(1452, "Cannot add or update a child row: a foreign key constraint fails (`db`.`ch;'`, CONSTRAINT `fk``a'b` FOREIGN KEY (`x``y`) REFERENCES `p``q\"r` (`i d`))"), sqlerr.ForeignKey, "fk`a'b", "ch;'"},
		{myErr(1451, "Cannot delete or update a parent row: a foreign key constraint fails (`db`.`c`, CONSTRAINT `fk_a` FOREIGN KEY (`a`) REFERENCES `p` (`id`))"), sqlerr.ForeignKey, "fk_a", "c"},
		{myErr(1048, "Column 'it's' cannot be null"), sqlerr.NotNull, "it's", ""},
		{myErr(1364, "Field 'code' doesn't have a default value"), sqlerr.NotNull, "code", ""},
		{myErr(4025, "CONSTRAINT `ck``z` failed for `db`.`x.y`"), sqlerr.Check, "ck`z", "x.y"},
		{myErr(4025, "CONSTRAINT `order_lines.attrs` failed for `db`.`order_lines`"), sqlerr.Check, "attrs", "order_lines"},
		{myErr(3819, "Check constraint 'ck_t_qty' is violated."), sqlerr.Check, "ck_t_qty", ""},
	}
	for _, tt := range tests {
		got := d.TranslateError(tt.err)
		var ie *sqlerr.IntegrityError
		if !errors.As(got, &ie) {
			t.Errorf("%v: got %v, want an IntegrityError", tt.err, got)
			continue
		}
		if ie.Kind != tt.kind || ie.Constraint != tt.constraint || ie.Table != tt.table {
			t.Errorf("%v: got kind %s constraint %q table %q, want %s %q %q", tt.err, ie.Kind, ie.Constraint, ie.Table, tt.kind, tt.constraint, tt.table)
		}
		var me *drv.MySQLError
		if !errors.As(got, &me) || !errors.Is(got, sqlerr.ErrIntegrity) {
			t.Errorf("%v: driver error or ErrIntegrity lost from the chain", tt.err)
		}
		if again := d.TranslateError(got); again != got {
			t.Errorf("translating twice changed the error")
		}
	}
	for _, n := range []uint16{1213, 1205} {
		err := myErr(n, "x")
		got := d.TranslateError(err)
		if !sqlerr.IsRetryable(got) || !errors.Is(got, err.(interface{ Unwrap() error }).Unwrap()) {
			t.Errorf("%d: %v is not retryable", n, got)
		}
	}
	nf := d.TranslateError(fmt.Errorf("get: %w", sql.ErrNoRows))
	if !errors.Is(nf, sqlerr.ErrNotFound) || !errors.Is(nf, sql.ErrNoRows) {
		t.Errorf("ErrNoRows: %v", nf)
	}
	if d.TranslateError(nf) != nf {
		t.Errorf("translating ErrNotFound twice changed it")
	}
	other := myErr(1146, "Table 'x' doesn't exist")
	if d.TranslateError(other) != other {
		t.Errorf("unknown error changed")
	}
	plain := errors.New("boom")
	if d.TranslateError(plain) != plain || d.TranslateError(nil) != nil {
		t.Errorf("non-driver errors changed")
	}
}

func TestOpenErrors(t *testing.T) {
	d := mysqldialect.New()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.Open(ctx, "not a dsn"); err == nil || !strings.Contains(err.Error(), "invalid DSN") {
		t.Errorf("bad DSN: %v", err)
	}
	_, err := d.Open(ctx, "u:secret@tcp(127.0.0.1:1)/db?timeout=2s")
	if err == nil || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("unreachable server: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("error shows the password: %v", err)
	}
}
