package sqlitedialect_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/internal/schematest"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// open returns a pool on a fresh database file.
func open(t *testing.T) (dialect.Pool, testdb.Target) {
	t.Helper()
	tg := testdb.New(t, "sqlite")
	return tg.Open(t), tg
}

// execAll runs statements in one transaction.
func execAll(t *testing.T, p dialect.Pool, stmts []string) {
	t.Helper()
	ctx := context.Background()
	tx, err := p.Begin(ctx, dialect.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			tx.Rollback(ctx)
			t.Fatalf("%v\n%s", err, s)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func mustExec(t *testing.T, q dialect.Querier, query string, args ...any) dialect.Result {
	t.Helper()
	res, err := q.Exec(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return res
}

func normalized(d dialect.Dialect, m *schema.MetaData) *schema.MetaData {
	out := schema.NewMetaData()
	for _, t := range m.Tables() {
		out.MustAdd(d.Normalize(t))
	}
	return out
}

func createAll(t *testing.T, p dialect.Pool, md *schema.MetaData) {
	t.Helper()
	stmts, err := dialect.CreateAllSQL(sqlitedialect.New(), md)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, p, stmts)
}

func inspect(t *testing.T, q dialect.Querier, opts dialect.InspectOptions) *schema.MetaData {
	t.Helper()
	got, err := sqlitedialect.New().Inspect(context.Background(), q, opts)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func requireSame(t *testing.T, want, got *schema.MetaData) {
	t.Helper()
	if diff := schematest.Diff(want, got); len(diff) > 0 {
		t.Fatalf("introspected schema differs:\n%s", strings.Join(diff, "\n"))
	}
}

func TestRoundTripRichSchema(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	p, _ := open(t)
	md := testdb.RichSchema(d.Features())
	createAll(t, p, md)

	got := inspect(t, p, dialect.InspectOptions{})
	requireSame(t, normalized(d, md), got)

	// A few facts that only the DDL text holds.
	emp := got.Table("employees")
	if c := emp.Column("mood"); c.Type.Kind != schema.KindEnum || !slices.Equal(c.Type.Values, []string{"sad", "ok", "happy"}) || c.Type.EnumName != "" {
		t.Errorf("enum read back as %s", c.Type)
	}
	if c := emp.Column("id"); !c.AutoIncrement || !c.Type.Equal(schema.Integer()) {
		t.Errorf("autoincrement key read back as %s autoincrement=%v", c.Type, c.AutoIncrement)
	}
	if fk := got.Table("orders").ForeignKey("fk_orders_employee_id_employees"); fk == nil || !fk.Deferrable || !fk.InitiallyDeferred {
		t.Errorf("deferrable foreign key read back as %+v", fk)
	}

	// Inspect is deterministic and honours the options.
	if again := inspect(t, p, dialect.InspectOptions{}); len(schematest.Diff(got, again)) != 0 {
		t.Error("a second Inspect differs")
	}
	some := inspect(t, p, dialect.InspectOptions{Tables: []string{"orders", "employees"}, Exclude: []string{"employees"}})
	if tabs := some.Tables(); len(tabs) != 1 || tabs[0].Name != "orders" {
		t.Errorf("options not honoured: %d tables", len(tabs))
	}

	// Rows in the cycle and the self-reference; the deferred foreign key
	// is checked at commit.
	tx, err := p.Begin(ctx, dialect.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx, `INSERT INTO orders (region, number, employee_id) VALUES ('eu', 1, 10)`) // employee 10 does not exist yet
	mustExec(t, tx, `INSERT INTO departments (id, code, name) VALUES (1, 'ENGR', 'Engineering')`)
	mustExec(t, tx, `INSERT INTO employees (id, department_id, email) VALUES (10, 1, 'boss@x')`)
	mustExec(t, tx, `INSERT INTO employees (id, department_id, manager_id, email) VALUES (11, 1, 10, 'dev@x')`)
	mustExec(t, tx, `UPDATE departments SET head_id = 10 WHERE id = 1`)
	mustExec(t, tx, `INSERT INTO order_lines (region, number, line, price, packer_id) VALUES ('eu', 1, 1, 9.5, 11)`)
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("commit with a deferred reference satisfied: %v", err)
	}
	var active bool
	var hired, created time.Time
	var mood string
	row, err := p.Query(ctx, `SELECT active, hired_on, created_at, mood FROM employees WHERE id = 11`)
	if err != nil {
		t.Fatal(err)
	}
	if !row.Next() {
		t.Fatal("no row")
	}
	if err := row.Scan(&active, &hired, &created, &mood); err != nil {
		t.Fatal(err)
	}
	row.Close()
	if !active || mood != "ok" || time.Since(created) > time.Hour || created.After(time.Now().Add(time.Minute)) || hired.IsZero() {
		t.Errorf("defaults: active=%v mood=%q created=%v hired=%v", active, mood, created, hired)
	}
	// ON DELETE RESTRICT (which SQLite reports with SQLITE_CONSTRAINT_TRIGGER)
	_, err = p.Exec(ctx, `DELETE FROM departments WHERE id = 1`)
	var ie *sqlerr.IntegrityError
	if !errors.As(d.TranslateError(err), &ie) || ie.Kind != sqlerr.ForeignKey {
		t.Fatalf("ON DELETE RESTRICT: %v", d.TranslateError(err))
	}
	// The deferred foreign key is enforced at commit.
	tx, err = p.Begin(ctx, dialect.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx, `INSERT INTO orders (region, number, employee_id) VALUES ('eu', 2, 999)`)
	err = tx.Commit(ctx)
	if !errors.As(d.TranslateError(err), &ie) || ie.Kind != sqlerr.ForeignKey {
		t.Fatalf("commit with a dangling deferred reference: %v", err)
	}

	drop, err := dialect.DropAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, p, drop)
	if left := inspect(t, p, dialect.InspectOptions{}); len(left.Tables()) != 0 {
		t.Fatalf("drop-all left %d tables", len(left.Tables()))
	}
	// and everything can be created again
	createAll(t, p, md)
}

// TestInspectHandWritten reads a schema written by hand the way people
// write SQLite DDL: unnamed constraints, column-level references, a
// reference without columns, typeless columns, odd spacing and case.
func TestInspectHandWritten(t *testing.T) {
	p, _ := open(t)
	mustExec(t, p, `create table Parent (
		ID integer primary key,   -- rowid alias, no AUTOINCREMENT
		code text unique not null,
		misc,
		price decimal( 10 , 2 ) default (0.0),
		n int default -3,
		b bool default 1,
		s varchar(3) default "dq",
		t text default CURRENT_TIME,
		v blob default x'00',
		check (n < 100)
	)`)
	mustExec(t, p, `CREATE TABLE child (
		id INTEGER NOT NULL,
		parent_id INTEGER REFERENCES parent ON DELETE CASCADE,
		code TEXT CONSTRAINT fk_code REFERENCES "PARENT" (CODE) DEFERRABLE,
		qty INTEGER CHECK (qty > 0),
		PRIMARY KEY (id)
	) WITHOUT ROWID`)
	mustExec(t, p, `CREATE INDEX child_expr ON child (lower(code))`)
	mustExec(t, p, `CREATE UNIQUE INDEX child_qty ON child (qty DESC) WHERE qty IS NOT NULL`)
	got := inspect(t, p, dialect.InspectOptions{})

	par := got.Table("Parent")
	if par == nil {
		t.Fatalf("tables: %v", got.Tables())
	}
	if par.PrimaryKey == nil || par.PrimaryKey.Name != "pk_Parent" || !slices.Equal(par.PrimaryKey.Columns, []string{"ID"}) {
		t.Errorf("primary key %+v", par.PrimaryKey)
	}
	id := par.Column("ID")
	if id.AutoIncrement || id.Nullable || !id.Type.Equal(schema.Integer()) {
		t.Errorf("ID: %+v", id)
	}
	wantTypes := map[string]schema.Type{"code": schema.Text(), "misc": schema.Custom("BLOB"), "price": schema.Numeric(10, 2), "n": schema.Integer(), "b": schema.Boolean(), "s": schema.Varchar(3)}
	for n, want := range wantTypes {
		if c := par.Column(n); !c.Type.Equal(want) {
			t.Errorf("column %s: %s, want %s", n, c.Type, want)
		}
	}
	wantDefaults := map[string]*schema.Default{
		"price": schema.DefaultSQL("0.0"),
		"n":     schema.DefaultInt(-3),
		"b":     schema.DefaultBoolean(true),
		"s":     schema.DefaultStr("dq"),
		"t":     schema.DefaultSQL("CURRENT_TIME"),
		"v":     schema.DefaultSQL("x'00'"),
		"misc":  nil,
	}
	for n, want := range wantDefaults {
		if c := par.Column(n); !c.Default.Equal(want) {
			t.Errorf("column %s default %s, want %s", n, c.Default, want)
		}
	}
	if len(par.Uniques) != 1 || par.Uniques[0].Name != "uq_Parent_code" || !slices.Equal(par.Uniques[0].Columns, []string{"code"}) {
		t.Errorf("uniques %+v", par.Uniques)
	}
	if len(par.Checks) != 1 || par.Checks[0].Expr != "n < 100" {
		t.Errorf("checks %+v", par.Checks)
	}

	ch := got.Table("child")
	if len(ch.ForeignKeys) != 2 {
		t.Fatalf("foreign keys %+v", ch.ForeignKeys)
	}
	f0, f1 := ch.ForeignKeys[0], ch.ForeignKeys[1]
	if f0.RefTable != "Parent" || !slices.Equal(f0.RefColumns, []string{"ID"}) || f0.OnDelete != schema.Cascade || f0.Name != "fk_child_parent_id_Parent" {
		t.Errorf("reference without columns: %+v", f0)
	}
	if f1.Name != "fk_code" || f1.RefTable != "Parent" || !slices.Equal(f1.RefColumns, []string{"code"}) || !f1.Deferrable || f1.InitiallyDeferred {
		t.Errorf("named column-level reference: %+v", f1)
	}
	if len(ch.Checks) != 1 || ch.Checks[0].Expr != "qty > 0" {
		t.Errorf("column-level check: %+v", ch.Checks)
	}
	if len(ch.Indexes) != 1 || ch.Indexes[0].Name != "child_qty" || !ch.Indexes[0].Unique || ch.Indexes[0].Where != "qty IS NOT NULL" {
		t.Errorf("indexes (the expression index is skipped): %+v", ch.Indexes)
	}
	if ch.PrimaryKey == nil || !slices.Equal(ch.PrimaryKey.Columns, []string{"id"}) {
		t.Errorf("WITHOUT ROWID primary key: %+v", ch.PrimaryKey)
	}
}

func TestForeignKeysOnEveryConnection(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	p, _ := open(t)
	mustExec(t, p, `CREATE TABLE parent (id INTEGER PRIMARY KEY)`)
	mustExec(t, p, `CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id))`)
	var conns []dialect.Conn
	for range sqlitedialect.DefaultMaxOpen() { // the pool's limit
		c, err := p.Conn(ctx) // held, so each is a different connection
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, err := c.Query(ctx, "PRAGMA foreign_keys")
			if err != nil {
				t.Error(err)
				return
			}
			var on int
			for rows.Next() {
				rows.Scan(&on)
			}
			rows.Close()
			if on != 1 {
				t.Errorf("connection %d: foreign_keys = %d", i, on)
			}
			_, err = c.Exec(ctx, `INSERT INTO child (id, parent_id) VALUES (?, 99)`, i)
			var ie *sqlerr.IntegrityError
			if !errors.As(d.TranslateError(err), &ie) || ie.Kind != sqlerr.ForeignKey {
				t.Errorf("connection %d: dangling reference gave %v", i, err)
			}
		}()
	}
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
}

func TestOpenDSNForms(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	dir := t.TempDir()
	for _, dsn := range []string{
		filepath.Join(dir, "plain.db"),
		"file:" + filepath.Join(dir, "uri.db"),
		filepath.Join(dir, "we ird#%?.db"), // '?' starts the parameters: the file is "we ird#%"
		":memory:",
	} {
		p, err := d.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		mustExec(t, p, `CREATE TABLE t (a INTEGER)`)
		mustExec(t, p, `INSERT INTO t VALUES (1)`)
		// a second connection sees the table, for :memory: too
		c, err := p.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `INSERT INTO t VALUES (2)`); err != nil {
			t.Errorf("%s: %v", dsn, err)
		}
		c.Close()
		p.Close()
	}
	if _, err := d.Open(ctx, filepath.Join(dir, "x.db")+"?_pragma=foreign_keys(0)"); err == nil {
		t.Error("a DSN turning foreign keys off was accepted")
	}
	// WAL for file databases
	p, err := d.Open(ctx, filepath.Join(dir, "wal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rows, err := p.Query(ctx, "PRAGMA journal_mode")
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	for rows.Next() {
		rows.Scan(&mode)
	}
	rows.Close()
	if mode != "wal" {
		t.Errorf("journal_mode %q", mode)
	}
}

func TestHostileIdentifiers(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	p, _ := open(t)
	names := []string{`we"ird`, "back`tick", "semi;colon; DROP TABLE x; --", "it's", "Ünïcødé 表", "with space", "[br]", "a.b", "p(a,r)en"}
	parent := &schema.Table{
		Name:       `pa"rent.x`,
		Columns:    []*schema.Column{{Name: `i"d`, Type: schema.Integer(), AutoIncrement: true}},
		PrimaryKey: &schema.PrimaryKey{Name: `pk "odd", (name)`, Columns: []string{`i"d`}},
	}
	tbl := &schema.Table{
		Name:       `t"; DROP TABLE users; --`,
		Columns:    []*schema.Column{{Name: "id", Type: schema.Integer()}, {Name: "ref", Type: schema.Integer(), Nullable: true}},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		ForeignKeys: []*schema.ForeignKey{{Name: `fk 'x' "y"`, Columns: []string{"ref"}, RefTable: parent.Name, RefColumns: []string{`i"d`},
			OnDelete: schema.Cascade, Deferrable: true, InitiallyDeferred: true}},
		Checks: []*schema.Check{{Name: `ck "; --`, Expr: `"it's" <> 'CONSTRAINT x CHECK (1)'`}},
	}
	for _, n := range names {
		tbl.Columns = append(tbl.Columns, &schema.Column{Name: n, Type: schema.Varchar(50), Nullable: true, Default: schema.DefaultStr(n + "'")})
	}
	tbl.Columns = append(tbl.Columns, &schema.Column{Name: "e n'um", Type: schema.Enum("e", `x"y`, "it's", "a, b)"), Nullable: true})
	tbl.Uniques = []*schema.Unique{{Name: `uq "u"`, Columns: []string{names[2], names[4]}}}
	tbl.Indexes = []*schema.Index{{Columns: []string{names[0], names[1]}}, {Name: "ix (partial)", Columns: []string{names[3]}, Where: `"it's" <> ')'`}}
	md := schema.NewMetaData()
	md.MustAdd(parent, tbl)
	createAll(t, p, md)

	mustExec(t, p, `INSERT INTO "pa""rent.x" DEFAULT VALUES`)
	var b []byte
	b = append(b, "INSERT INTO "...)
	b = d.AppendIdent(b, tbl.Name)
	b = append(b, " (id, ref"...)
	args := []any{1, 1}
	for _, n := range names {
		b = append(b, ", "...)
		b = d.AppendIdent(b, n)
		args = append(args, "v:"+n+"'\"`;")
	}
	b = append(b, ") VALUES (?, ?"...)
	for range names {
		b = append(b, ", ?"...)
	}
	b = append(b, ')')
	mustExec(t, p, string(b), args...)
	for _, n := range names {
		q := string(d.AppendIdent([]byte("SELECT "), n)) + " FROM " + string(d.AppendIdent(nil, tbl.Name)) + " WHERE " + string(d.AppendIdent(nil, n)) + " = ?"
		rows, err := p.Query(ctx, q, "v:"+n+"'\"`;")
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var v string
		if !rows.Next() {
			t.Fatalf("column %q: no row", n)
		}
		rows.Scan(&v)
		rows.Close()
		if v != "v:"+n+"'\"`;" {
			t.Fatalf("column %q: %q", n, v)
		}
	}
	got := inspect(t, p, dialect.InspectOptions{})
	requireSame(t, normalized(d, md), got)
	if c := got.Table(tbl.Name).Column("e n'um"); !slices.Equal(c.Type.Values, []string{`x"y`, "it's", "a, b)"}) {
		t.Errorf("enum values %q", c.Type.Values)
	}

	drop, err := dialect.DropAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, p, drop)
	if left := inspect(t, p, dialect.InspectOptions{}); len(left.Tables()) != 0 {
		t.Fatal("tables left behind")
	}
}

func integritySchema() *schema.MetaData {
	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{
		Name: "parents",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.Integer()},
			{Name: "email", Type: schema.Varchar(100)},
			{Name: "a", Type: schema.Integer(), Nullable: true},
			{Name: "b", Type: schema.Integer(), Nullable: true},
			{Name: "nick", Type: schema.Text(), Nullable: true},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		Uniques:    []*schema.Unique{{Columns: []string{"email"}}, {Name: "uq_pair", Columns: []string{"b", "a"}}},
		Indexes:    []*schema.Index{{Name: "ux_nick", Columns: []string{"nick"}, Unique: true}},
	}, &schema.Table{
		Name: "kids",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "parent_id", Type: schema.Integer()},
			{Name: "age", Type: schema.Integer()},
			{Name: "mood", Type: schema.Enum("mood", "sad", "ok"), Nullable: true},
			{Name: "friend_id", Type: schema.Integer(), Nullable: true},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		ForeignKeys: []*schema.ForeignKey{
			{Columns: []string{"parent_id"}, RefTable: "parents", RefColumns: []string{"id"}},
			{Columns: []string{"friend_id"}, RefTable: "kids", RefColumns: []string{"id"}},
		},
		Checks: []*schema.Check{{Name: "ck_kids_age", Expr: "age >= 0"}},
	})
	return md
}

func TestIntegrityErrors(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	p, _ := open(t)
	createAll(t, p, integritySchema())
	mustExec(t, p, `INSERT INTO parents (id, email, a, b, nick) VALUES (1, 'a@x', 1, 2, 'n')`)
	mustExec(t, p, `INSERT INTO kids (id, parent_id, age) VALUES (1, 1, 3)`)
	cases := []struct {
		name              string
		sql               string
		kind              sqlerr.ConstraintKind
		raw, rawTable     string // as TranslateError gives them
		constraint, table string // after ResolveConstraint
	}{
		{"unique", `INSERT INTO parents (id, email) VALUES (2, 'a@x')`, sqlerr.Unique, "parents.email", "parents", "uq_parents_email", "parents"},
		{"composite unique", `INSERT INTO parents (id, email, a, b) VALUES (2, 'b@x', 1, 2)`, sqlerr.Unique, "parents.b, parents.a", "parents", "uq_pair", "parents"},
		{"unique index", `INSERT INTO parents (id, email, nick) VALUES (2, 'b@x', 'n')`, sqlerr.Unique, "parents.nick", "parents", "ux_nick", "parents"},
		{"primary key", `INSERT INTO parents (id, email) VALUES (1, 'b@x')`, sqlerr.Unique, "parents.id", "parents", "pk_parents", "parents"},
		{"rowid primary key", `INSERT INTO kids (id, parent_id, age) VALUES (1, 1, 3)`, sqlerr.Unique, "kids.id", "kids", "pk_kids", "kids"},
		{"not null", `INSERT INTO kids (parent_id, age) VALUES (1, NULL)`, sqlerr.NotNull, "age", "kids", "age", "kids"},
		{"check", `INSERT INTO kids (parent_id, age) VALUES (1, -1)`, sqlerr.Check, "ck_kids_age", "", "ck_kids_age", "kids"},
		{"enum", `INSERT INTO kids (parent_id, age, mood) VALUES (1, 1, 'glad')`, sqlerr.Check, "mood", "", "mood", "kids"},
		// two foreign keys in the database: SQLite does not say which failed
		{"foreign key", `INSERT INTO kids (parent_id, age) VALUES (99, 1)`, sqlerr.ForeignKey, "", "", "", ""},
		{"foreign key on delete", `DELETE FROM parents WHERE id = 1`, sqlerr.ForeignKey, "", "", "", ""},
	}
	for _, c := range cases {
		for _, inTx := range []bool{false, true} {
			var q dialect.Querier = p
			var tx dialect.Tx
			if inTx {
				var err error
				if tx, err = p.Begin(ctx, dialect.TxOptions{}); err != nil {
					t.Fatal(err)
				}
				q = tx
			}
			_, err := q.Exec(ctx, c.sql)
			err = d.TranslateError(err)
			var ie *sqlerr.IntegrityError
			if !errors.As(err, &ie) || !errors.Is(err, sqlerr.ErrIntegrity) {
				t.Fatalf("%s: %v is not an IntegrityError", c.name, err)
			}
			if ie.Kind != c.kind || ie.Constraint != c.raw || ie.Table != c.rawTable {
				t.Errorf("%s: translated to kind %s, constraint %q, table %q; want %s, %q, %q", c.name, ie.Kind, ie.Constraint, ie.Table, c.kind, c.raw, c.rawTable)
			}
			if err := d.ResolveConstraint(ctx, q, ie); err != nil {
				t.Fatalf("%s: resolve: %v", c.name, err)
			}
			if ie.Constraint != c.constraint || ie.Table != c.table {
				t.Errorf("%s (tx=%v): resolved to constraint %q, table %q; want %q, %q", c.name, inTx, ie.Constraint, ie.Table, c.constraint, c.table)
			}
			// resolving twice changes nothing
			if err := d.ResolveConstraint(ctx, q, ie); err != nil || ie.Constraint != c.constraint || ie.Table != c.table {
				t.Errorf("%s: second resolve: %q %q %v", c.name, ie.Constraint, ie.Table, err)
			}
			if tx != nil {
				if err := tx.Rollback(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func TestResolveConstraintSoleForeignKeyAndDottedNames(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	p, _ := open(t)
	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{
		Name: "a.b",
		Columns: []*schema.Column{
			{Name: "c.d", Type: schema.Integer()},
			{Name: "x", Type: schema.Integer()},
			{Name: "y", Type: schema.Integer(), Nullable: true},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"c.d"}},
		Uniques:    []*schema.Unique{{Name: "uq_dotted", Columns: []string{"x"}}, {Name: "uq_y", Columns: []string{"y"}}},
	}, &schema.Table{
		Name: "a",
		Columns: []*schema.Column{
			{Name: "b.y", Type: schema.Integer()},
			{Name: "b.x", Type: schema.Integer(), Nullable: true},
			{Name: "ref", Type: schema.Integer(), Nullable: true},
		},
		PrimaryKey:  &schema.PrimaryKey{Name: "pk_plain", Columns: []string{"b.y"}},
		ForeignKeys: []*schema.ForeignKey{{Name: "fk_only", Columns: []string{"ref"}, RefTable: "a.b", RefColumns: []string{"c.d"}}},
	})
	createAll(t, p, md)
	mustExec(t, p, `INSERT INTO "a.b" VALUES (1, 1, 1)`)
	mustExec(t, p, `INSERT INTO "a" VALUES (1, NULL, NULL)`)
	resolve := func(query string) *sqlerr.IntegrityError {
		t.Helper()
		_, err := p.Exec(ctx, query)
		var ie *sqlerr.IntegrityError
		if !errors.As(d.TranslateError(err), &ie) {
			t.Fatalf("%s: %v", query, err)
		}
		if err := d.ResolveConstraint(ctx, p, ie); err != nil {
			t.Fatal(err)
		}
		return ie
	}
	// SQLite says "a.b.x": table "a" column "b.x", or table "a.b" column
	// "x". Only the second is a key.
	if ie := resolve(`INSERT INTO "a.b" VALUES (2, 1, NULL)`); ie.Constraint != "uq_dotted" || ie.Table != "a.b" {
		t.Errorf("dotted unique: %q %q", ie.Constraint, ie.Table)
	}
	// "a.b.y" fits a's primary key and a.b's uq_y: no guess.
	if ie := resolve(`INSERT INTO "a.b" VALUES (3, 3, 1)`); ie.Constraint != "a.b.y" || ie.Table != "a" {
		t.Errorf("ambiguous unique: %q %q", ie.Constraint, ie.Table)
	}
	// Only one of "a"."b.x" and "a.b"."x" is NOT NULL.
	if ie := resolve(`INSERT INTO "a.b" VALUES (4, NULL, NULL)`); ie.Kind != sqlerr.NotNull || ie.Constraint != "x" || ie.Table != "a.b" {
		t.Errorf("dotted not null: %s %q %q", ie.Kind, ie.Constraint, ie.Table)
	}
	// The database's only foreign key.
	if ie := resolve(`INSERT INTO "a" VALUES (2, NULL, 42)`); ie.Kind != sqlerr.ForeignKey || ie.Constraint != "fk_only" || ie.Table != "a" {
		t.Errorf("sole foreign key: %s %q %q", ie.Kind, ie.Constraint, ie.Table)
	}
}

func TestBusyIsRetryable(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	tg := testdb.New(t, "sqlite")
	p, err := d.Open(ctx, tg.DSN+"?_pragma=busy_timeout(50)")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mustExec(t, p, `CREATE TABLE t (a INTEGER)`)
	holder, err := p.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	mustExec(t, holder, "BEGIN IMMEDIATE")
	mustExec(t, holder, "INSERT INTO t VALUES (1)")
	start := time.Now()
	_, err = p.Exec(ctx, "INSERT INTO t VALUES (2)") // another connection: the holder has it
	if err == nil {
		t.Fatal("a second writer was let in")
	}
	terr := d.TranslateError(err)
	if !sqlerr.IsRetryable(terr) {
		t.Fatalf("%v is not retryable", terr)
	}
	if !errors.Is(terr, err) {
		t.Error("driver error lost")
	}
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Errorf("busy_timeout from the DSN not applied: gave up after %v", waited)
	}
	mustExec(t, holder, "COMMIT")
	mustExec(t, p, "INSERT INTO t VALUES (2)")
}

func TestTimeValues(t *testing.T) {
	ctx := context.Background()
	p, _ := open(t)
	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{
		Name: "times",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.Integer(), AutoIncrement: true},
			{Name: "d", Type: schema.Date(), Nullable: true},
			{Name: "ts", Type: schema.Timestamp(), Nullable: true},
			{Name: "tz", Type: schema.TimestampTZ(), Nullable: true},
			{Name: "tm", Type: schema.Time(), Nullable: true},
			{Name: "now", Type: schema.TimestampTZ(), Default: schema.DefaultNow()},
			{Name: "today", Type: schema.Date(), Default: schema.DefaultToday()},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	})
	createAll(t, p, md)
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	in := time.Date(2024, 2, 29, 23, 59, 58, 123456789, zone)
	date := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	mustExec(t, p, `INSERT INTO times (d, ts, tz, tm) VALUES (?, ?, ?, ?)`, date, in, in, "12:34:56.5")
	later := in.Add(time.Second)
	mustExec(t, p, `INSERT INTO times (d, ts, tz) VALUES (?, ?, ?)`, date, later, later.UTC())
	rows, err := p.Query(ctx, `SELECT d, ts, tz, tm, now, today FROM times WHERE id = 1`)
	if err != nil {
		t.Fatal(err)
	}
	var d, ts, tz, now, today time.Time
	var tm string
	if !rows.Next() {
		t.Fatal("no row")
	}
	if err := rows.Scan(&d, &ts, &tz, &tm, &now, &today); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if !d.Equal(date) || !ts.Equal(in) || !tz.Equal(in) {
		t.Errorf("read back %v, %v, %v; wrote %v, %v", d, ts, tz, date, in)
	}
	if tz.Location() != time.UTC || tz.Nanosecond() != 123456789 {
		t.Errorf("want UTC with nanoseconds, got %v", tz)
	}
	if tm != "12:34:56.5" {
		t.Errorf("time of day %q", tm)
	}
	if time.Since(now) > time.Hour || now.After(time.Now().Add(time.Minute)) || today.IsZero() {
		t.Errorf("defaults: now %v, today %v", now, today)
	}
	// Stored text sorts in time order whatever the zone written.
	rows, err = p.Query(ctx, `SELECT id FROM times WHERE tz > ? ORDER BY tz DESC`, in)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for rows.Next() {
		var id int
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if !slices.Equal(ids, []int{2}) {
		t.Errorf("comparison on stored times: %v", ids)
	}
}

func TestAutoIncrementNeverReusesIDs(t *testing.T) {
	ctx := context.Background()
	p, _ := open(t)
	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{
		Name:       "items",
		Columns:    []*schema.Column{{Name: "id", Type: schema.BigInt(), AutoIncrement: true}, {Name: "name", Type: schema.Text(), Default: schema.DefaultStr("x")}},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	})
	createAll(t, p, md)
	var last int64
	for range 3 {
		res := mustExec(t, p, `INSERT INTO items DEFAULT VALUES`)
		last = res.LastInsertID
	}
	mustExec(t, p, `DELETE FROM items WHERE id = ?`, last)
	rows, err := p.Query(ctx, `INSERT INTO items (name) VALUES ('y') RETURNING id`)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if !rows.Next() {
		t.Fatal("no RETURNING row")
	}
	rows.Scan(&id)
	rows.Close()
	if last != 3 || id != 4 {
		t.Errorf("ids: last %d, then %d (a deleted id was reused)", last, id)
	}
}

// TestRoundTripDefaultsAndTypes creates every kind of column and default
// and reads them back, inside a transaction.
func TestRoundTripDefaultsAndTypes(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	p, _ := open(t)
	cols := []*schema.Column{
		{Name: "id", Type: schema.SmallInt(), AutoIncrement: true},
		{Name: "s1", Type: schema.Text(), Default: schema.DefaultStr("")},
		{Name: "s2", Type: schema.Varchar(30), Default: schema.DefaultStr("it's \"quoted\"\n(CONSTRAINT x) -- not a comment")},
		{Name: "s3", Type: schema.Char(2), Default: schema.DefaultStr("42")},
		{Name: "n1", Type: schema.Integer(), Default: schema.DefaultInt(-3)},
		{Name: "n2", Type: schema.BigInt(), Default: schema.DefaultInt(9007199254740993)},
		{Name: "n3", Type: schema.Double(), Default: schema.DefaultFloat(1e6)},
		{Name: "n4", Type: schema.Float(), Default: schema.DefaultFloat(-0.25)},
		{Name: "n5", Type: schema.Numeric(0, 0), Default: &schema.Default{Kind: schema.DefaultNumber, Value: "+1.50"}},
		{Name: "b1", Type: schema.Boolean(), Default: schema.DefaultBoolean(false)},
		{Name: "b2", Type: schema.Boolean(), Default: schema.DefaultInt(1)},
		{Name: "b3", Type: schema.Integer(), Default: schema.DefaultBoolean(true)},
		{Name: "t1", Type: schema.Timestamp(), Default: schema.DefaultNow()},
		{Name: "t2", Type: schema.Date(), Default: schema.DefaultToday()},
		{Name: "t3", Type: schema.Time(), Nullable: true, Default: schema.DefaultSQL("CURRENT_TIME")},
		{Name: "e1", Type: schema.Integer(), Default: schema.DefaultSQL("1 + (2 * 3)")},
		{Name: "e2", Type: schema.Text(), Default: schema.DefaultSQL("lower('A)B')")},
		{Name: "e3", Type: schema.Text(), Nullable: true, Default: schema.DefaultSQL("NULL")},
		{Name: "u", Type: schema.UUID(), Nullable: true},
		{Name: "j", Type: schema.JSON(), Nullable: true, Default: schema.DefaultStr(`{"a": [1, 2]}`)},
		{Name: "bl", Type: schema.Bytes(), Nullable: true},
		{Name: "c1", Type: schema.Custom("INT8"), Nullable: true},
		{Name: "c2", Type: schema.Custom("varchar(12)"), Nullable: true},
		{Name: "c3", Type: schema.Custom("DOUBLE PRECISION"), Nullable: true},
		{Name: "en", Type: schema.Enum("e", "one"), Default: schema.DefaultStr("one")},
	}
	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{Name: "all_types", Columns: cols, PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		Comment: "ignored", Checks: []*schema.Check{{Expr: "n1 < 0"}}})
	createAll(t, p, md)
	tx, err := p.Begin(ctx, dialect.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	got := inspect(t, tx, dialect.InspectOptions{})
	requireSame(t, normalized(d, md), got)

	// The affinities keep values as written.
	mustExec(t, tx, `INSERT INTO all_types (u, j, bl, n2) VALUES (?, ?, ?, ?)`, "12345678901234567890123456789012", "12345678901234567890", []byte{0, 1}, int64(9007199254740993))
	rows, err := tx.Query(ctx, `SELECT typeof(u), u, typeof(j), j, typeof(bl), n2, s2, b1, b2, b3, n3 FROM all_types`)
	if err != nil {
		t.Fatal(err)
	}
	var tu, u, tj, j, tbl, s2 string
	var n2 int64
	var b1, b2 bool
	var b3 int
	var n3 float64
	if !rows.Next() {
		t.Fatal("no row")
	}
	if err := rows.Scan(&tu, &u, &tj, &j, &tbl, &n2, &s2, &b1, &b2, &b3, &n3); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if tu != "text" || u != "12345678901234567890123456789012" || tj != "text" || j != "12345678901234567890" || tbl != "blob" {
		t.Errorf("affinity changed values: %s %q, %s %q, %s", tu, u, tj, j, tbl)
	}
	if n2 != 9007199254740993 || !strings.HasPrefix(s2, "it's \"quoted\"\n") || b1 || !b2 || b3 != 1 || n3 != 1e6 {
		t.Errorf("defaults: %d %q %v %v %d %v", n2, s2, b1, b2, b3, n3)
	}
}

func TestMaxParams(t *testing.T) {
	ctx := context.Background()
	d := sqlitedialect.New()
	p, _ := open(t)
	for _, n := range []int{d.MaxParams(), d.MaxParams() + 1} {
		if n == d.MaxParams() && raceEnabled {
			// The driver binds in time quadratic in the number of
			// parameters: about 1 s here, 15 s under the race detector.
			continue
		}
		args := make([]any, n)
		var b []byte
		b = append(b, "SELECT count(*) FROM (VALUES "...)
		for i := range args {
			args[i] = i
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '(')
			b = d.AppendPlaceholder(b, i+1)
			b = append(b, ')')
		}
		b = append(b, ')')
		rows, err := p.Query(ctx, string(b), args...)
		if n > d.MaxParams() {
			if err == nil {
				rows.Close()
				t.Errorf("%d parameters accepted; MaxParams is too low", n)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%d parameters: %v", n, err)
		}
		var c int
		for rows.Next() {
			rows.Scan(&c)
		}
		rows.Close()
		if c != n {
			t.Errorf("count %d, want %d", c, n)
		}
	}
}

// TestArrayColumnsHaveTextAffinity stores text that looks like a number in
// a column of every array declared type: under TEXT affinity it stays
// text (INTEGER or NUMERIC affinity would make it a number), and the
// declared type reads back as the array type.
func TestArrayColumnsHaveTextAffinity(t *testing.T) {
	p, _ := open(t)
	d := sqlitedialect.New()
	for i, e := range []schema.Type{schema.Text(), schema.BigInt(), schema.Integer(), schema.Double(), schema.Boolean(), schema.UUID()} {
		typ := schema.Array(e)
		decl, err := d.TypeSQL(typ)
		if err != nil {
			t.Fatal(err)
		}
		table := fmt.Sprintf("a%d", i)
		mustExec(t, p, fmt.Sprintf(`CREATE TABLE %s (c %s)`, table, decl))
		mustExec(t, p, fmt.Sprintf(`INSERT INTO %s VALUES (?)`, table), "0012")
		var class, v string
		rows, err := p.Query(context.Background(), fmt.Sprintf(`SELECT typeof(c), c FROM %s`, table))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			if err := rows.Scan(&class, &v); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		if class != "text" || v != "0012" {
			t.Errorf("%s: '0012' stored as %s %q, want text", decl, class, v)
		}
		md := inspect(t, p, dialect.InspectOptions{Tables: []string{table}})
		if got := md.Table(table).Column("c").Type; !got.Equal(typ) {
			t.Errorf("%s reads back as %s, want %s", decl, got, typ)
		}
	}
}
