package sqlitedialect_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect/sqlitedialect"
)

func TestTokenize(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`"a""b" 'it''s' [x y] ` + "`q``r`", []string{`a"b`, `it's`, `x y`, "q`r"}},
		{"a -- comment ( ,\n b /* ( ' */ c", []string{"a", "b", "c"}},
		{"1e+06 -1.5 .5 0x1F x'00ff'", []string{"1e+06", "-", "1.5", ".5", "0x1F", "x'00ff'"}},
		{`"unterminated`, []string{"unterminated"}},
		{"'unterminated", []string{"unterminated"}},
		{"/* unterminated", nil},
		{"Ünïcødé_表 $x ?1 :n", []string{"Ünïcødé_表", "$x", "?1", ":n"}},
	}
	for _, c := range cases {
		if got := sqlitedialect.Tokens(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Tokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseCreateTable(t *testing.T) {
	ddl := `CREATE TABLE "we""ird (table), x" (
	"id" INTEGER NOT NULL CONSTRAINT "pk, (odd)" PRIMARY KEY AUTOINCREMENT,
	[a,b] VARCHAR( 10 ) NOT NULL DEFAULT 'CONSTRAINT x CHECK (1), ''quoted''', -- a comment, with CONSTRAINT c CHECK (
	` + "`c)d`" + ` NUMERIC(12, 2) DEFAULT -1.5 /* UNIQUE (x) */,
	mood TEXT DEFAULT (lower('OK')) CHECK ("mood" IN ('sad', 'o''k', 'happy, really')),
	ref BIGINT CONSTRAINT fk_inline REFERENCES other(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
	flag BOOLEAN DEFAULT TRUE, ts DATETIME DEFAULT CURRENT_TIMESTAMP, w DEFAULT bareword,
	CONSTRAINT "uq (a, b)" UNIQUE ([a,b], "c)d" COLLATE NOCASE DESC),
	UNIQUE (mood),
	CONSTRAINT ck_paren CHECK ((length("a,b") > 0) AND "c)d" <> ')'),
	CONSTRAINT "fk, two" FOREIGN KEY ("A,B", ref) REFERENCES "par""ent" ("x", y) ON UPDATE CASCADE ON DELETE RESTRICT MATCH SIMPLE NOT DEFERRABLE,
	FOREIGN KEY (mood) REFERENCES moods ON DELETE SET DEFAULT DEFERRABLE
) WITHOUT ROWID, STRICT`
	pt, err := sqlitedialect.ParseCreateTable(ddl)
	if err != nil {
		t.Fatal(err)
	}
	if pt.Name != `we"ird (table), x` {
		t.Errorf("name %q", pt.Name)
	}
	var names, types []string
	for _, c := range pt.Columns {
		names = append(names, c.Name)
		types = append(types, c.Type)
	}
	if want := []string{"id", "a,b", "c)d", "mood", "ref", "flag", "ts", "w"}; !slices.Equal(names, want) {
		t.Errorf("columns %q, want %q", names, want)
	}
	if want := []string{"INTEGER", "VARCHAR( 10 )", "NUMERIC(12, 2)", "TEXT", "BIGINT", "BOOLEAN", "DATETIME", ""}; !slices.Equal(types, want) {
		t.Errorf("types %q, want %q", types, want)
	}
	id := pt.Columns[0]
	if !id.PrimaryKey || !id.AutoIncrement || !id.NotNull || id.PKName != "pk, (odd)" {
		t.Errorf("id column: %+v", id)
	}
	if pt.PrimaryKey == nil || pt.PrimaryKey.Name != "pk, (odd)" || !slices.Equal(pt.PrimaryKey.Columns, []string{"id"}) {
		t.Errorf("primary key %+v", pt.PrimaryKey)
	}
	defaults := map[string][2]string{
		"a,b":  {"string", "CONSTRAINT x CHECK (1), 'quoted'"},
		"c)d":  {"number", "-1.5"},
		"mood": {"expr", "lower('OK')"},
		"flag": {"word", "TRUE"},
		"ts":   {"word", "CURRENT_TIMESTAMP"},
		"w":    {"string", "bareword"},
		"id":   {"", ""},
	}
	for _, c := range pt.Columns {
		want, ok := defaults[c.Name]
		if !ok {
			continue
		}
		if k, v := sqlitedialect.DefaultOf(c); k != want[0] || v != want[1] {
			t.Errorf("column %q default (%s, %q), want (%s, %q)", c.Name, k, v, want[0], want[1])
		}
	}
	if !pt.Columns[1].NotNull || pt.Columns[2].NotNull {
		t.Errorf("NOT NULL misread")
	}
	mood := pt.Columns[3]
	if len(mood.Checks) != 1 || mood.Checks[0].Expr != `"mood" IN ('sad', 'o''k', 'happy, really')` {
		t.Errorf("mood checks %+v", mood.Checks)
	}
	vals, ok := sqlitedialect.ParseEnumCheck(mood.Checks[0].Expr, "mood")
	if !ok || !slices.Equal(vals, []string{"sad", "o'k", "happy, really"}) {
		t.Errorf("enum values %q %v", vals, ok)
	}
	wantU := []struct {
		name string
		cols []string
	}{{"uq (a, b)", []string{"a,b", "c)d"}}, {"", []string{"mood"}}}
	if len(pt.Uniques) != len(wantU) {
		t.Fatalf("uniques %+v", pt.Uniques)
	}
	for i, u := range pt.Uniques {
		if u.Name != wantU[i].name || !slices.Equal(u.Columns, wantU[i].cols) {
			t.Errorf("unique %d: %+v, want %+v", i, u, wantU[i])
		}
	}
	if len(pt.Checks) != 1 || pt.Checks[0].Name != "ck_paren" || pt.Checks[0].Expr != `(length("a,b") > 0) AND "c)d" <> ')'` {
		t.Errorf("checks %+v", pt.Checks)
	}
	if len(pt.ForeignKeys) != 3 {
		t.Fatalf("foreign keys %+v", pt.ForeignKeys)
	}
	fk := pt.ForeignKeys[0]
	if fk.Name != "fk_inline" || !slices.Equal(fk.Columns, []string{"ref"}) || fk.RefTable != "other" ||
		!slices.Equal(fk.RefColumns, []string{"id"}) || fk.OnDelete != "SET NULL" || !fk.Deferrable || !fk.InitiallyDeferred {
		t.Errorf("inline fk %+v", fk)
	}
	fk = pt.ForeignKeys[1]
	if fk.Name != "fk, two" || !slices.Equal(fk.Columns, []string{"A,B", "ref"}) || fk.RefTable != `par"ent` ||
		!slices.Equal(fk.RefColumns, []string{"x", "y"}) || fk.OnUpdate != "CASCADE" || fk.OnDelete != "RESTRICT" || fk.Deferrable {
		t.Errorf("table fk %+v", fk)
	}
	fk = pt.ForeignKeys[2]
	if fk.Name != "" || fk.RefTable != "moods" || fk.RefColumns != nil || fk.OnDelete != "SET DEFAULT" || !fk.Deferrable || fk.InitiallyDeferred {
		t.Errorf("unnamed fk %+v", fk)
	}
	if !pt.WithoutRowID || !pt.Strict {
		t.Errorf("table options not read")
	}
}

func TestParseCreateTableOutline(t *testing.T) {
	for _, bad := range []string{"", "CREATE VIEW v AS SELECT 1", "CREATE TABLE", "CREATE TABLE t AS SELECT 1", "SELECT 1"} {
		if _, err := sqlitedialect.ParseCreateTable(bad); err == nil {
			t.Errorf("ParseCreateTable(%q): no error", bad)
		}
	}
	pt, err := sqlitedialect.ParseCreateTable(`create temp table if not exists main."t" (a, b int primary key desc on conflict replace, c generated always as (a + 1) stored, d as (b) virtual check (d > 0))`)
	if err != nil {
		t.Fatal(err)
	}
	if pt.Name != "t" || len(pt.Columns) != 4 || !pt.Columns[1].PrimaryKey || pt.Columns[1].AutoIncrement {
		t.Fatalf("%+v", pt)
	}
	if c := pt.Columns[3]; c.Type != "" || len(c.Checks) != 1 || c.Checks[0].Expr != "d > 0" {
		t.Errorf("generated column: %+v", c)
	}
}

func TestParseCreateIndex(t *testing.T) {
	cases := []struct {
		in   string
		want sqlitedialect.ParsedIndex
	}{
		{`CREATE INDEX "ix" ON "t" ("a", "b")`, sqlitedialect.ParsedIndex{Name: "ix", Table: "t", Columns: []string{"a", "b"}}},
		{`CREATE UNIQUE INDEX IF NOT EXISTS main."i""x" ON [t t] (a COLLATE NOCASE DESC, lower(b)) WHERE weight > 10 AND "w" IN ('WHERE', ')')`,
			sqlitedialect.ParsedIndex{Name: `i"x`, Table: "t t", Unique: true, Columns: []string{"a", ""}, Where: `weight > 10 AND "w" IN ('WHERE', ')')`}},
		{"CREATE INDEX ix ON t (a) WHERE a -- trailing\n IS NOT NULL", sqlitedialect.ParsedIndex{Name: "ix", Table: "t", Columns: []string{"a"}, Where: "a -- trailing\n IS NOT NULL"}},
	}
	for _, c := range cases {
		got, err := sqlitedialect.ParseCreateIndex(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.in, *got, c.want)
		}
	}
}

func TestParseEnumCheck(t *testing.T) {
	cases := []struct {
		expr, col string
		want      []string
	}{
		{`"mood" IN ('a', 'b')`, "mood", []string{"a", "b"}},
		{`MOOD in ('a')`, "mood", []string{"a"}},
		{`"mood" IN ('a', 'b') AND 1`, "mood", nil},
		{`"other" IN ('a')`, "mood", nil},
		{`'mood' IN ('a')`, "mood", nil},
		{`"mood" IN ('a', 1)`, "mood", nil},
		{`"mood" IN ()`, "mood", nil},
		{`"mood" IN (SELECT x FROM y)`, "mood", nil},
		{`"mood" > 0`, "mood", nil},
	}
	for _, c := range cases {
		got, ok := sqlitedialect.ParseEnumCheck(c.expr, c.col)
		if ok != (c.want != nil) || !slices.Equal(got, c.want) {
			t.Errorf("ParseEnumCheck(%q) = %q, %v; want %q", c.expr, got, ok, c.want)
		}
	}
}

// FuzzParseCreateTable checks that the DDL parsers never panic and that
// whatever they return is well formed.
func FuzzParseCreateTable(f *testing.F) {
	seeds := []string{
		`CREATE TABLE "t" ("id" INTEGER NOT NULL CONSTRAINT "pk_t" PRIMARY KEY AUTOINCREMENT, "a" TEXT DEFAULT 'x' CHECK ("a" IN ('x', 'y')))`,
		`CREATE TABLE t (a, b, CONSTRAINT f FOREIGN KEY (a) REFERENCES u (b) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, UNIQUE (b))`,
		`CREATE TABLE [x] (` + "`a`" + ` NUMERIC(1,2) DEFAULT (1 + (2)), CHECK (a > 0)) WITHOUT ROWID`,
		`CREATE TABLE t (a /* ( */ INT -- )`,
		`CREATE TABLE t ("a`,
		`CREATE TABLE t (a DEFAULT -`,
		`CREATE UNIQUE INDEX x ON t (a) WHERE a > 0`,
		`CREATE TABLE t (a REFERENCES`,
		`CREATE TABLE t (CONSTRAINT`,
		`CREATE TABLE t (a CONSTRAINT c)`,
		`CREATE TABLE t (,,,)`,
		"CREATE TABLE t (a x'", "'", `"`, "[", "x'", "0x", "1e+", "?", ":",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if pt, err := sqlitedialect.ParseCreateTable(s); err == nil {
			if pt == nil {
				t.Fatal("nil table without error")
			}
			for _, c := range pt.Columns {
				if c == nil {
					t.Fatal("nil column")
				}
				for _, ck := range c.Checks {
					sqlitedialect.ParseEnumCheck(ck.Expr, c.Name)
				}
				sqlitedialect.DefaultOf(c)
				sqlitedialect.TypeFromDecl(c.Type)
			}
			if pt.PrimaryKey != nil && !strings.Contains(strings.ToUpper(s), "PRIMARY") {
				t.Fatal("primary key out of nowhere")
			}
		}
		if x, err := sqlitedialect.ParseCreateIndex(s); err == nil && x == nil {
			t.Fatal("nil index without error")
		}
		sqlitedialect.ParseEnumCheck(s, "a")
		sqlitedialect.TypeFromDecl(s)
		sqlitedialect.Tokens(s)
	})
}
