package pgdialect_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/internal/schematest"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// These tests need a server: they run when STRATA_TEST_POSTGRES is set and
// skip otherwise (testdb.New decides). Each gets a schema of its own.

func openPool(t *testing.T) dialect.Pool {
	t.Helper()
	return testdb.New(t, "postgres").Open(t)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// execInTx runs stmts one by one inside one transaction.
func execInTx(t *testing.T, ctx context.Context, p dialect.Pool, stmts []string) {
	t.Helper()
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

func mustExec(t *testing.T, ctx context.Context, q dialect.Querier, query string, args ...any) dialect.Result {
	t.Helper()
	r, err := q.Exec(ctx, query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	return r
}

func normalized(d dialect.Dialect, m *schema.MetaData) *schema.MetaData {
	out := schema.NewMetaData()
	for _, t := range m.Tables() {
		out.MustAdd(d.Normalize(t))
	}
	return out
}

func inspect(t *testing.T, ctx context.Context, q dialect.Querier, opts dialect.InspectOptions) *schema.MetaData {
	t.Helper()
	md, err := pgdialect.New().Inspect(ctx, q, opts)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func dump(t *testing.T, md *schema.MetaData) string {
	t.Helper()
	b, err := json.MarshalIndent(md.Tables(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func requireSame(t *testing.T, want, got *schema.MetaData) {
	t.Helper()
	if diff := schematest.Diff(want, got); len(diff) > 0 {
		t.Fatalf("inspected schema differs from the normalized declaration:\n%s", strings.Join(diff, "\n"))
	}
}

func TestRoundTrip(t *testing.T) {
	p := openPool(t)
	ctx := testCtx(t)
	d := pgdialect.New()
	md := testdb.RichSchema(d.Features())
	create, err := dialect.CreateAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execInTx(t, ctx, p, create)

	got := inspect(t, ctx, p, dialect.InspectOptions{})
	requireSame(t, normalized(d, md), got)
	emp := got.Table("employees")
	if c := emp.Column("mood"); !c.Type.Equal(schema.Enum("mood", "sad", "ok", "happy")) {
		t.Errorf("enum read back as %s", c.Type)
	}
	if c := emp.Column("id"); !c.AutoIncrement || c.Default != nil {
		t.Errorf("identity column read back as autoincrement=%v default=%s", c.AutoIncrement, c.Default)
	}

	t.Run("Determinism", func(t *testing.T) {
		first := dump(t, got)
		for i := 0; i < 3; i++ {
			c, err := p.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			again := dump(t, inspect(t, ctx, c, dialect.InspectOptions{}))
			c.Close()
			if again != first {
				t.Fatalf("second Inspect differs:\n%s\nfirst:\n%s", again, first)
			}
		}
	})

	t.Run("Options", func(t *testing.T) {
		only := inspect(t, ctx, p, dialect.InspectOptions{Tables: []string{"orders", "nope"}})
		if ts := only.Tables(); len(ts) != 1 || ts[0].Name != "orders" {
			t.Fatalf("Tables option: %d tables", len(ts))
		}
		if diff := schematest.DiffTable(d.Normalize(md.Table("orders")), only.Table("orders")); len(diff) > 0 {
			t.Fatalf("orders alone: %s", strings.Join(diff, "\n"))
		}
		rest := inspect(t, ctx, p, dialect.InspectOptions{Exclude: []string{"orders"}})
		if n := len(rest.Tables()); n != 3 || rest.Table("orders") != nil {
			t.Fatalf("Exclude option: %d tables", n)
		}
	})

	t.Run("InTransaction", func(t *testing.T) {
		tx, err := p.Begin(ctx, dialect.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		requireSame(t, normalized(d, md), inspect(t, ctx, tx, dialect.InspectOptions{}))
	})

	drop, err := dialect.DropAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execInTx(t, ctx, p, drop)
	if left := inspect(t, ctx, p, dialect.InspectOptions{}); len(left.Tables()) != 0 {
		t.Fatalf("DropAllSQL left %d tables", len(left.Tables()))
	}
	var types int
	rows, err := p.Query(ctx, `SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = current_schema() AND t.typtype = 'e'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		if err := rows.Scan(&types); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Close(); err != nil || types != 0 {
		t.Fatalf("enum types left: %d %v", types, err)
	}
}

// TestNormalizeAgainstServer checks Normalize's predictions for the
// defaults and types PostgreSQL rewrites.
func TestNormalizeAgainstServer(t *testing.T) {
	p := openPool(t)
	ctx := testCtx(t)
	d := pgdialect.New()
	num := func(v string) *schema.Default { return &schema.Default{Kind: schema.DefaultNumber, Value: v} }
	tbl := &schema.Table{
		Name:    "defaults",
		Comment: "Ünïcødé 'comment' \\ \"x\"",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.SmallInt(), AutoIncrement: true},
			{Name: "i", Type: schema.Integer(), Default: schema.DefaultStr("42")},
			{Name: "j", Type: schema.BigInt(), Default: schema.DefaultInt(-7)},
			{Name: "j2", Type: schema.BigInt(), Default: schema.DefaultInt(-9223372036854775807)},
			{Name: "k", Type: schema.Numeric(0, 0), Default: num("1e3")},
			{Name: "l", Type: schema.Numeric(5, 2), Default: num("1.50")},
			{Name: "l2", Type: schema.Numeric(5, 2), Default: num("-0")},
			{Name: "l3", Type: schema.Numeric(10, 4), Default: num("15e-4")},
			{Name: "m", Type: schema.Double(), Default: schema.DefaultFloat(1e21)},
			{Name: "m2", Type: schema.Double(), Default: schema.DefaultFloat(-1.5)},
			{Name: "n", Type: schema.Double(), Default: schema.DefaultStr("nan")},
			{Name: "o", Type: schema.Float(), Default: schema.DefaultStr("0.1")},
			{Name: "o2", Type: schema.Float(), Default: schema.DefaultStr("1e6")},
			{Name: "p", Type: schema.Boolean(), Default: schema.DefaultStr("yes")},
			{Name: "p2", Type: schema.Boolean(), Default: schema.DefaultBoolean(false)},
			{Name: "q", Type: schema.Text(), Default: schema.DefaultStr("42")},
			{Name: "r", Type: schema.Text(), Nullable: true, Default: schema.DefaultSQL("'x'")},
			{Name: "s", Type: schema.Text(), Nullable: true, Default: schema.DefaultSQL("NULL")},
			{Name: "u", Type: schema.TimestampTZ(), Default: schema.DefaultSQL("NOW()")},
			{Name: "u2", Type: schema.Timestamp(), Default: schema.DefaultNow()},
			{Name: "v", Type: schema.Date(), Default: schema.DefaultSQL("current_date")},
			{Name: "w", Type: schema.UUID(), Default: schema.DefaultSQL("gen_random_uuid()")},
			{Name: "x", Type: schema.UUID(), Default: schema.DefaultStr("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}")},
			{Name: "y", Type: schema.JSON(), Default: schema.DefaultStr(`{"bb":1.50,"a":[1E2, "x\u00e9\n\"", -0.0], "bb": null, "ccc": {}}`)},
			{Name: "z", Type: schema.Bytes(), Default: schema.DefaultStr(`ab\\\001`)},
			{Name: "z2", Type: schema.Bytes(), Default: schema.DefaultStr(`\xDEAD beef`)},
			{Name: "aa", Type: schema.Custom("INT4"), Default: schema.DefaultStr("+5")},
			{Name: "bb", Type: schema.Custom("varchar (20)"), Default: schema.DefaultStr("it's")},
			{Name: "cc", Type: schema.Custom("decimal(10)"), Nullable: true},
			{Name: "dd", Type: schema.Custom("timestamptz(3)"), Nullable: true},
			{Name: "ee", Type: schema.Custom("float8[]"), Nullable: true},
			{Name: "ff", Type: schema.Custom("json"), Default: schema.DefaultStr(`{"b":1,  "a":2}`)},
			{Name: "gg", Type: schema.Enum(`Mo"od 表`, "it's", `a"b`, "c\\d"), Default: schema.DefaultStr("it's")},
			{Name: "hh", Type: schema.Text(), Default: schema.DefaultStr(`back\slash`), Comment: "it's \\ a comment"},
			{Name: "ii", Type: schema.Char(4), Default: schema.DefaultStr("ab")},
			{Name: "jj", Type: schema.Date(), Default: schema.DefaultStr("2020-01-01")},
			{Name: "kk", Type: schema.Text(), Default: num("-1.5")},
			{Name: "ll", Type: schema.SmallInt(), Default: schema.DefaultInt(3)},
			{Name: "mm", Type: schema.Integer(), Default: num("+5")},
			{Name: "nn", Type: schema.Custom("timetz"), Nullable: true},
			{Name: "oo", Type: schema.Custom("character"), Nullable: true},
			{Name: "pp", Type: schema.Custom("int[]"), Nullable: true},
			{Name: "qq", Type: schema.Time(), Default: schema.DefaultStr("12:30:00")},
			{Name: "rr", Type: schema.Varchar(5), Default: schema.DefaultStr("")},
			{Name: "ss", Type: schema.Integer(), Default: schema.DefaultSQL("(1)")},
		},
		PrimaryKey: &schema.PrimaryKey{Name: "pk", Columns: []string{"id"}},
		Checks: []*schema.Check{
			{Name: "ck_in", Expr: "i IN (1, 42)"},
			{Name: "ck_str", Expr: `hh <> 'it''s' AND "bb" IS NOT NULL`},
		},
		Indexes: []*schema.Index{{Name: "ix_partial", Columns: []string{"bb", "i"}, Where: "bb <> 'a%' AND p"}},
	}
	// ck_in: PostgreSQL rewrites IN lists into = ANY (ARRAY[...]), which
	// schema.NormalizeExpr does not undo; compare it separately.
	md := schema.NewMetaData().MustAdd(tbl)
	create, err := dialect.CreateAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execInTx(t, ctx, p, create)
	got := inspect(t, ctx, p, dialect.InspectOptions{})
	gt := got.Table("defaults")
	if gt == nil {
		t.Fatal("table not read back")
	}
	ck := gt.Checks[0]
	if ck.Name != "ck_in" || !strings.Contains(ck.Expr, "ANY") {
		t.Errorf("ck_in read back as %q", ck.Expr)
	}
	want := d.Normalize(tbl)
	want.Checks = want.Checks[1:]
	gt.Checks = gt.Checks[1:]
	if diff := schematest.DiffTable(want, gt); len(diff) > 0 {
		t.Fatalf("Normalize mispredicts:\n%s", strings.Join(diff, "\n"))
	}
	// A row with every default is accepted.
	mustExec(t, ctx, p, `INSERT INTO defaults DEFAULT VALUES`)
}

func TestHostileIdentifiers(t *testing.T) {
	p := openPool(t)
	ctx := testCtx(t)
	d := pgdialect.New()
	names := []string{`we"ird`, "back`tick", "semi;colon; DROP TABLE x; --", "it's", "Ünïcødé 表", "with space", `"`, `\`}
	parent := &schema.Table{
		Name:       `t"; DROP TABLE users; --`,
		Comment:    `it's "hostile"`,
		Columns:    []*schema.Column{{Name: "id", Type: schema.Integer(), AutoIncrement: true}},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	}
	for _, n := range names {
		parent.Columns = append(parent.Columns, &schema.Column{Name: n, Type: schema.Varchar(50), Nullable: true, Comment: n})
	}
	parent.Columns = append(parent.Columns, &schema.Column{Name: "mood 'x'", Type: schema.Enum(`e"n;um`, "a'b", `c"d`, "Ü"), Default: schema.DefaultStr("a'b")})
	parent.Indexes = []*schema.Index{{Columns: []string{names[0], names[1]}}, {Columns: []string{names[4]}, Where: `"with space" <> 'x''y'`}}
	parent.Uniques = []*schema.Unique{{Columns: []string{names[2], names[3]}}}
	parent.Checks = []*schema.Check{{Name: `ck "q"`, Expr: `"we""ird" <> 'x'`}}
	child := &schema.Table{
		Name:        "Ünïcødé 表 `child`",
		Columns:     []*schema.Column{{Name: "a;b", Type: schema.BigInt()}, {Name: `p"id`, Type: schema.Integer(), Nullable: true}},
		PrimaryKey:  &schema.PrimaryKey{Name: `pk "child"`, Columns: []string{"a;b"}},
		ForeignKeys: []*schema.ForeignKey{{Columns: []string{`p"id`}, RefTable: parent.Name, RefColumns: []string{"id"}, OnDelete: schema.Cascade}},
	}
	md := schema.NewMetaData().MustAdd(parent, child)
	create, err := dialect.CreateAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execInTx(t, ctx, p, create)

	// Insert with bind parameters and read every value back.
	ins := d.AppendIdent([]byte("INSERT INTO "), parent.Name)
	ins = append(ins, " ("...)
	ins = dialect.AppendIdents(d, ins, names)
	ins = append(ins, ") VALUES ("...)
	var args []any
	for i, n := range names {
		if i > 0 {
			ins = append(ins, ", "...)
		}
		ins = d.AppendPlaceholder(ins, i+1)
		args = append(args, "v:"+n+"'\"`;")
	}
	ins = append(ins, ") RETURNING "...)
	ins = d.AppendIdent(ins, "id")
	rows, err := p.Query(ctx, string(ins), args...)
	if err != nil {
		t.Fatal(err)
	}
	var id int
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Close(); err != nil || id != 1 {
		t.Fatalf("insert: id %d, %v", id, err)
	}
	for _, n := range names {
		q := d.AppendIdent([]byte("SELECT "), n)
		q = append(q, ", "...)
		q = d.AppendIdent(q, "mood 'x'")
		q = append(q, " FROM "...)
		q = d.AppendIdent(q, parent.Name)
		q = append(q, " WHERE "...)
		q = d.AppendIdent(q, n)
		q = append(q, " = $1"...)
		rows, err := p.Query(ctx, string(q), "v:"+n+"'\"`;")
		if err != nil {
			t.Fatal(err)
		}
		if cols := rows.Columns(); len(cols) != 2 || cols[0] != n || cols[1] != "mood 'x'" {
			t.Errorf("result columns %q", cols)
		}
		var v, mood string
		for rows.Next() {
			if err := rows.Scan(&v, &mood); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Close(); err != nil || v != "v:"+n+"'\"`;" || mood != "a'b" {
			t.Fatalf("column %q: %q %q %v", n, v, mood, err)
		}
	}

	got := inspect(t, ctx, p, dialect.InspectOptions{})
	requireSame(t, normalized(d, md), got)
	gp := got.Table(parent.Name)
	for i, c := range gp.Columns[1 : len(names)+1] {
		if c.Name != names[i] || c.Comment != names[i] {
			t.Errorf("column %d read back as %q (comment %q), want %q", i, c.Name, c.Comment, names[i])
		}
	}
	if c := gp.Columns[len(gp.Columns)-1]; c.Type.EnumName != `e"n;um` || strings.Join(c.Type.Values, "|") != `a'b|c"d|Ü` {
		t.Errorf("enum read back as %s", c.Type)
	}

	drop, err := dialect.DropAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execInTx(t, ctx, p, drop)
	if left := inspect(t, ctx, p, dialect.InspectOptions{}); len(left.Tables()) != 0 {
		t.Fatal("tables left behind")
	}
}

func integritySchema() *schema.MetaData {
	return schema.NewMetaData().MustAdd(&schema.Table{
		Name:       "parents",
		Columns:    []*schema.Column{{Name: "id", Type: schema.Integer()}, {Name: "email", Type: schema.Varchar(100)}},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		Uniques:    []*schema.Unique{{Columns: []string{"email"}}},
	}, &schema.Table{
		Name: "kids",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.Integer()},
			{Name: "parent_id", Type: schema.Integer()},
			{Name: "late_parent_id", Type: schema.Integer(), Nullable: true},
			{Name: "age", Type: schema.Integer()},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		ForeignKeys: []*schema.ForeignKey{
			{Columns: []string{"parent_id"}, RefTable: "parents", RefColumns: []string{"id"}},
			{Columns: []string{"late_parent_id"}, RefTable: "parents", RefColumns: []string{"id"}, Deferrable: true, InitiallyDeferred: true},
		},
		Checks:  []*schema.Check{{Expr: "age >= 0"}},
		Indexes: []*schema.Index{{Name: "ix_kids_age_unique", Columns: []string{"parent_id", "age"}, Unique: true}},
	})
}

func TestIntegrityErrors(t *testing.T) {
	p := openPool(t)
	ctx := testCtx(t)
	d := pgdialect.New()
	md := integritySchema()
	create, err := dialect.CreateAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execInTx(t, ctx, p, create)
	mustExec(t, ctx, p, `INSERT INTO parents (id, email) VALUES ($1, $2)`, 1, "a@x")
	mustExec(t, ctx, p, `INSERT INTO kids (id, parent_id, age) VALUES ($1, $2, $3)`, 1, 1, 5)
	checkName := md.Table("kids").Checks[0].Name

	for _, tc := range []struct {
		name, query string
		args        []any
		kind        sqlerr.ConstraintKind
		constraint  string
	}{
		{"unique", `INSERT INTO parents (id, email) VALUES ($1, $2)`, []any{2, "a@x"}, sqlerr.Unique, "uq_parents_email"},
		{"primary key", `INSERT INTO parents (id, email) VALUES ($1, $2)`, []any{1, "b@x"}, sqlerr.Unique, "pk_parents"},
		{"unique index", `INSERT INTO kids (id, parent_id, age) VALUES ($1, $2, $3)`, []any{2, 1, 5}, sqlerr.Unique, "ix_kids_age_unique"},
		{"foreign key", `INSERT INTO kids (id, parent_id, age) VALUES ($1, $2, $3)`, []any{3, 99, 1}, sqlerr.ForeignKey, "fk_kids_parent_id_parents"},
		{"foreign key on delete", `DELETE FROM parents WHERE id = $1`, []any{1}, sqlerr.ForeignKey, "fk_kids_parent_id_parents"},
		{"not null", `INSERT INTO parents (id) VALUES ($1)`, []any{3}, sqlerr.NotNull, "email"},
		{"check", `UPDATE kids SET age = $1`, []any{-1}, sqlerr.Check, checkName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, raw := p.Exec(ctx, tc.query, tc.args...)
			err := d.TranslateError(raw)
			var ie *sqlerr.IntegrityError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an IntegrityError", err)
			}
			if ie.Kind != tc.kind || ie.Constraint != tc.constraint {
				t.Fatalf("got kind %s constraint %q, want %s %q", ie.Kind, ie.Constraint, tc.kind, tc.constraint)
			}
			if !errors.Is(err, sqlerr.ErrIntegrity) || sqlerr.IsRetryable(err) {
				t.Fatalf("errors.Is(ErrIntegrity) false or retryable: %v", err)
			}
			if ie.Table == "" {
				t.Errorf("no table in %v", err)
			}
		})
	}

	t.Run("deferred foreign key at commit", func(t *testing.T) {
		tx, err := p.Begin(ctx, dialect.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, ctx, tx, `INSERT INTO kids (id, parent_id, late_parent_id, age) VALUES (10, 1, 77, 1)`)
		err = d.TranslateError(tx.Commit(ctx))
		var ie *sqlerr.IntegrityError
		if !errors.As(err, &ie) || ie.Kind != sqlerr.ForeignKey || ie.Constraint != "fk_kids_late_parent_id_parents" {
			t.Fatalf("commit: %v", err)
		}
	})

	t.Run("no rows", func(t *testing.T) {
		var id int
		raw := p.Driver().(*pgxpool.Pool).QueryRow(ctx, `SELECT id FROM parents WHERE id = $1`, 404).Scan(&id)
		err := d.TranslateError(raw)
		if !errors.Is(err, sqlerr.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) || !errors.Is(err, pgx.ErrNoRows) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestRetryable(t *testing.T) {
	p := openPool(t)
	ctx := testCtx(t)
	d := pgdialect.New()
	mustExec(t, ctx, p, `CREATE TABLE acct (id integer PRIMARY KEY, n integer NOT NULL)`)
	mustExec(t, ctx, p, `INSERT INTO acct VALUES (1, 0), (2, 0)`)

	t.Run("serialization failure", func(t *testing.T) {
		for _, level := range []sql.IsolationLevel{sql.LevelRepeatableRead, sql.LevelSerializable} {
			c1, err := p.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c1.Close()
			c2, err := p.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c2.Close()
			tx1, err := c1.Begin(ctx, dialect.TxOptions{Isolation: level})
			if err != nil {
				t.Fatal(err)
			}
			tx2, err := c2.Begin(ctx, dialect.TxOptions{Isolation: level})
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, ctx, tx1, `SELECT n FROM acct WHERE id = 1`)
			mustExec(t, ctx, tx2, `SELECT n FROM acct WHERE id = 1`) // takes tx2's snapshot
			mustExec(t, ctx, tx1, `UPDATE acct SET n = n + 1 WHERE id = 1`)
			if err := tx1.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			_, raw := tx2.Exec(ctx, `UPDATE acct SET n = n + 1 WHERE id = 1`)
			err = d.TranslateError(raw)
			var re *sqlerr.RetryableError
			if !sqlerr.IsRetryable(err) || !errors.As(err, &re) || re.Reason != "serialization failure" {
				t.Fatalf("%s: got %v, want a serialization failure", level, err)
			}
			if err := tx2.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if err := tx2.Rollback(ctx); !errors.Is(err, pgx.ErrTxClosed) {
				t.Errorf("second rollback: %v", err)
			}
		}
	})

	t.Run("deadlock", func(t *testing.T) {
		tx1, err := p.Begin(ctx, dialect.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer tx1.Rollback(ctx)
		tx2, err := p.Begin(ctx, dialect.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer tx2.Rollback(ctx)
		mustExec(t, ctx, tx1, `UPDATE acct SET n = n + 1 WHERE id = 1`)
		mustExec(t, ctx, tx2, `UPDATE acct SET n = n + 1 WHERE id = 2`)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, errs[0] = tx1.Exec(ctx, `UPDATE acct SET n = n + 1 WHERE id = 2`)
			if errs[0] != nil {
				tx1.Rollback(ctx) // release the locks so the other side proceeds
			}
		}()
		go func() {
			defer wg.Done()
			_, errs[1] = tx2.Exec(ctx, `UPDATE acct SET n = n + 1 WHERE id = 1`)
			if errs[1] != nil {
				tx2.Rollback(ctx)
			}
		}()
		wg.Wait()
		var re *sqlerr.RetryableError
		found := 0
		for _, e := range errs {
			if e == nil {
				continue
			}
			if err := d.TranslateError(e); errors.As(err, &re) && re.Reason == "deadlock" {
				found++
			} else {
				t.Errorf("unexpected error %v", err)
			}
		}
		if found != 1 {
			t.Fatalf("got %d deadlock errors: %v", found, errs)
		}
	})
}

func TestPool(t *testing.T) {
	p := openPool(t)
	ctx := testCtx(t)
	if err := p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Driver().(*pgxpool.Pool); !ok {
		t.Fatalf("Driver() is %T", p.Driver())
	}
	mustExec(t, ctx, p, `CREATE TABLE t (id integer PRIMARY KEY, s text)`)
	if r := mustExec(t, ctx, p, `INSERT INTO t VALUES ($1, $2), ($3, $4)`, 1, "a", 2, "b"); r.RowsAffected != 2 {
		t.Errorf("RowsAffected = %d", r.RowsAffected)
	}
	rows, err := p.Query(ctx, `SELECT id, s AS "the s" FROM t WHERE id = ANY($1) ORDER BY id`, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if cols := rows.Columns(); strings.Join(cols, ",") != "id,the s" {
		t.Errorf("Columns() = %q", cols)
	}
	var got []string
	for rows.Next() {
		var id int
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := rows.Close(); err != nil || strings.Join(got, ",") != "a,b" {
		t.Fatalf("rows %q %v", got, err)
	}
	if err := rows.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Query(ctx, `SELEKT 1`); err == nil {
		t.Error("syntax error not reported by Query")
	}

	for level, want := range map[sql.IsolationLevel]string{
		sql.LevelDefault:        "read committed",
		sql.LevelReadCommitted:  "read committed",
		sql.LevelRepeatableRead: "repeatable read",
		sql.LevelSnapshot:       "repeatable read",
		sql.LevelSerializable:   "serializable",
	} {
		tx, err := p.Begin(ctx, dialect.TxOptions{Isolation: level, ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var iso, ro string
		rows, err := tx.Query(ctx, `SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			if err := rows.Scan(&iso, &ro); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		if iso != want || ro != "on" {
			t.Errorf("%s: isolation %q read only %q", level, iso, ro)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO t VALUES (9, 'x')`); err == nil {
			t.Error("write in a read-only transaction succeeded")
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); !errors.Is(err, pgx.ErrTxClosed) {
			t.Errorf("commit after rollback: %v", err)
		}
	}
	if _, err := p.Begin(ctx, dialect.TxOptions{Isolation: sql.LevelLinearizable}); !errors.Is(err, sqlerr.ErrUnsupported) {
		t.Errorf("linearizable: %v", err)
	}

	c, err := p.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, ctx, c, `SET application_name = 'strata-conn-test'`)
	tx, err := c.Begin(ctx, dialect.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, ctx, tx, `INSERT INTO t VALUES (3, 'c')`)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var app string
	rows, err = c.Query(ctx, `SELECT current_setting('application_name')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		rows.Scan(&app)
	}
	rows.Close()
	if app != "strata-conn-test" {
		t.Errorf("Conn does not keep its session: %q", app)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestInspectForeignShapes reads tables Strata did not create: serial keys,
// generated columns, expression and covering indexes, arrays, views and
// sequences that are not tables.
func TestInspectForeignShapes(t *testing.T) {
	p := openPool(t)
	ctx := testCtx(t)
	for _, s := range []string{
		`CREATE TABLE legacy (
			id serial PRIMARY KEY,
			code text NOT NULL DEFAULT 'x' || 'y',
			total numeric GENERATED ALWAYS AS (1.5) STORED,
			tags int[],
			at timestamp(3) DEFAULT LOCALTIMESTAMP,
			CONSTRAINT ck_code CHECK (code <> '') NO INHERIT
		)`,
		`ALTER TABLE legacy ADD CONSTRAINT ck_late CHECK (length(code) < 10) NOT VALID`,
		`CREATE INDEX ix_legacy_lower ON legacy (lower(code))`,
		`CREATE INDEX ix_legacy_incl ON legacy USING btree (code DESC) INCLUDE (id)`,
		`CREATE VIEW legacy_view AS SELECT id FROM legacy`,
		`CREATE SEQUENCE loose_seq`,
		`CREATE TABLE always (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)`,
	} {
		mustExec(t, ctx, p, s)
	}
	md := inspect(t, ctx, p, dialect.InspectOptions{})
	if n := len(md.Tables()); n != 2 {
		t.Fatalf("%d tables", n)
	}
	lg := md.Table("legacy")
	if c := lg.Column("id"); !c.AutoIncrement || c.Default != nil || c.Type.Kind != schema.KindInteger {
		t.Errorf("serial column: %s autoincrement=%v default=%s", c.Type, c.AutoIncrement, c.Default)
	}
	if c := lg.Column("code"); c.Default == nil || c.Default.Kind != schema.DefaultExpr || c.Default.Value != "'x'::text || 'y'::text" {
		t.Errorf("expression default: %s", c.Default)
	}
	if c := lg.Column("total"); c.Default != nil || !c.Nullable {
		t.Errorf("generated column: default %s", c.Default)
	}
	if c := lg.Column("tags"); !c.Type.Equal(schema.Array(schema.Integer())) {
		t.Errorf("array column: %s", c.Type)
	}
	if c := lg.Column("at"); !c.Type.Equal(schema.Custom("timestamp(3) without time zone")) || !c.Default.Equal(schema.DefaultSQL("LOCALTIMESTAMP")) {
		t.Errorf("timestamp(3) column: %s default %s", c.Type, c.Default)
	}
	if len(lg.Checks) != 2 || lg.Checks[0].Expr != "code <> ''::text" || lg.Checks[1].Expr != "length(code) < 10" {
		for _, c := range lg.Checks {
			t.Errorf("check %s: %q", c.Name, c.Expr)
		}
	}
	if len(lg.Indexes) != 1 || lg.Indexes[0].Name != "ix_legacy_incl" || strings.Join(lg.Indexes[0].Columns, ",") != "code" {
		t.Errorf("indexes: %+v", lg.Indexes)
	}
	if c := md.Table("always").Column("id"); !c.AutoIncrement {
		t.Error("GENERATED ALWAYS identity is not autoincrement")
	}

	// A table package schema cannot describe makes Inspect fail and say why.
	mustExec(t, ctx, p, `CREATE TABLE "no columns" ()`)
	if _, err := pgdialect.New().Inspect(ctx, p, dialect.InspectOptions{}); err == nil || !strings.Contains(err.Error(), "no columns") {
		t.Errorf("table without columns: %v", err)
	}
}
