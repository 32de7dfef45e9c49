package mysqldialect_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/internal/schematest"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// These tests need STRATA_TEST_MARIADB; testdb skips them without it.

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func execAll(t *testing.T, q dialect.Querier, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := q.Exec(ctxT(t), s); err != nil {
			t.Fatalf("%s\n: %v", s, err)
		}
	}
}

func normalized(t *testing.T, d *mysqldialect.Dialect, md *schema.MetaData) *schema.MetaData {
	t.Helper()
	out := schema.NewMetaData()
	for _, tb := range md.Tables() {
		if err := out.Add(d.Normalize(tb)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func inspect(t *testing.T, d *mysqldialect.Dialect, q dialect.Querier, opts dialect.InspectOptions) *schema.MetaData {
	t.Helper()
	md, err := d.Inspect(ctxT(t), q, opts)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func requireSame(t *testing.T, want, got *schema.MetaData) {
	t.Helper()
	if diff := schematest.Diff(want, got); len(diff) > 0 {
		t.Fatalf("inspected schema differs from the normalized declaration:\n%s", strings.Join(diff, "\n"))
	}
}

// dump renders metadata completely, for comparing two inspections.
func dump(md *schema.MetaData) string {
	var b strings.Builder
	for _, t := range md.Tables() {
		fmt.Fprintf(&b, "table %q comment %q\n", t.Name, t.Comment)
		for _, c := range t.Columns {
			fmt.Fprintf(&b, "  column %q %#v null=%v auto=%v default=%#v comment=%q\n", c.Name, c.Type, c.Nullable, c.AutoIncrement, c.Default, c.Comment)
		}
		fmt.Fprintf(&b, "  pk %#v\n", t.PrimaryKey)
		for _, f := range t.ForeignKeys {
			fmt.Fprintf(&b, "  fk %#v\n", *f)
		}
		for _, u := range t.Uniques {
			fmt.Fprintf(&b, "  unique %#v\n", *u)
		}
		for _, x := range t.Indexes {
			fmt.Fprintf(&b, "  index %#v\n", *x)
		}
		for _, c := range t.Checks {
			fmt.Fprintf(&b, "  check %#v\n", *c)
		}
	}
	return b.String()
}

func TestRoundTripRichSchema(t *testing.T) {
	tg := testdb.New(t, "mariadb")
	pool := tg.Open(t)
	d := mysqldialect.New()
	md := testdb.RichSchema(d.Features())
	create, err := dialect.CreateAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, create...)

	got := inspect(t, d, pool, dialect.InspectOptions{})
	requireSame(t, normalized(t, d, md), got)

	// MariaDB made indexes for the foreign keys without one; they are not
	// reported as declared indexes.
	rows, err := pool.Query(ctxT(t), "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = ?", "fk_orders_employee_id_employees")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for rows.Next() {
		rows.Scan(&n)
	}
	rows.Close()
	if n != 1 {
		t.Errorf("expected MariaDB's own index for fk_orders_employee_id_employees, found %d", n)
	}

	// Inspection is deterministic.
	if a, b := dump(got), dump(inspect(t, d, pool, dialect.InspectOptions{})); a != b {
		t.Errorf("two inspections differ:\n%s\n----\n%s", a, b)
	}

	// Options narrow the tables read.
	part := inspect(t, d, pool, dialect.InspectOptions{Tables: []string{"orders", "order_lines"}, Exclude: []string{"order_lines"}})
	if names := tableNames(part); !slices.Equal(names, []string{"orders"}) {
		t.Errorf("Tables/Exclude: got %q", names)
	}
	if diff := schematest.DiffTable(d.Normalize(md.Table("orders")), part.Table("orders")); len(diff) > 0 {
		t.Errorf("orders inspected alone: %q", diff)
	}

	drop, err := dialect.DropAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, drop...)
	if names := tableNames(inspect(t, d, pool, dialect.InspectOptions{})); len(names) != 0 {
		t.Errorf("tables left after DropAllSQL: %q", names)
	}
}

func tableNames(md *schema.MetaData) []string {
	var out []string
	for _, t := range md.Tables() {
		out = append(out, t.Name)
	}
	return out
}

// TestRoundTripEdgeCases covers what RichSchema does not: hostile string
// defaults, number spellings, temporal literals, expression defaults,
// enum values that need escaping, custom types, check spellings MariaDB
// rewrites, unique indexes over foreign keys and foreign keys added,
// dropped and indexed later.
func TestRoundTripEdgeCases(t *testing.T) {
	tg := testdb.New(t, "mariadb")
	pool := tg.Open(t)
	d := mysqldialect.New()
	parent := &schema.Table{
		Name:       "parent",
		Columns:    []*schema.Column{{Name: "id", Type: schema.Integer()}},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	}
	edge := &schema.Table{
		Name:    "edge",
		Comment: "it's \\ a \"table\"\nwith lines",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.Integer()},
			{Name: "s1", Type: schema.Varchar(50), Default: schema.DefaultStr("it's a \\ back'slash\n\ttab \"dq\" %_")},
			{Name: "s2", Type: schema.Varchar(10), Nullable: true, Default: schema.DefaultStr("NULL")},
			{Name: "s3", Type: schema.Varchar(10), Default: schema.DefaultStr("")},
			{Name: "s4", Type: schema.Varchar(10), Default: schema.DefaultInt(42)},
			{Name: "n1", Type: schema.Numeric(10, 3), Default: schema.DefaultFloat(-1.5)},
			{Name: "n2", Type: schema.Numeric(0, 0), Nullable: true, Default: schema.DefaultInt(7)},
			{Name: "f1", Type: schema.Double(), Default: &schema.Default{Kind: schema.DefaultNumber, Value: "1e20"}},
			{Name: "f2", Type: schema.Float(), Default: schema.DefaultFloat(0.1)},
			{Name: "i1", Type: schema.BigInt(), Default: schema.DefaultStr("12")},
			{Name: "i2", Type: schema.SmallInt(), Default: schema.DefaultBoolean(true)},
			{Name: "b1", Type: schema.Boolean(), Nullable: true, Default: schema.DefaultBoolean(false)},
			{Name: "b2", Type: schema.Boolean(), Default: schema.DefaultInt(1)},
			{Name: "d1", Type: schema.Date(), Default: schema.DefaultStr("2020-1-2")},
			{Name: "t1", Type: schema.Time(), Default: schema.DefaultStr("12:30")},
			{Name: "ts1", Type: schema.Timestamp(), Default: schema.DefaultStr("2020-01-02 03:04:05")},
			{Name: "ts2", Type: schema.TimestampTZ(), Nullable: true, Default: schema.DefaultNow()},
			{Name: "x1", Type: schema.Integer(), Default: schema.DefaultSQL("1 + 2")},
			{Name: "x2", Type: schema.Varchar(40), Default: schema.DefaultSQL("uuid()")},
			{Name: "e1", Type: schema.Enum("weird", "it's", `back\slash`, "a,b", "(paren)", "Ünï 表", "trailing "), Default: schema.DefaultStr("it's")},
			{Name: "c1", Type: schema.Custom("TINYINT"), Nullable: true},
			{Name: "c2", Type: schema.Custom("INT UNSIGNED"), Nullable: true},
			{Name: "c3", Type: schema.Custom("DATETIME(6)"), Nullable: true},
			{Name: "c4", Type: schema.Custom("VARBINARY(16)"), Nullable: true},
			{Name: "j1", Type: schema.JSON(), Default: schema.DefaultStr(`{"a": "it's"}`)},
			{Name: "u1", Type: schema.UUID(), Nullable: true, Comment: "ids; it's \\ fine"},
			{Name: "p1", Type: schema.Integer(), Nullable: true},
			{Name: "p2", Type: schema.Integer(), Nullable: true},
			{Name: "p3", Type: schema.Integer(), Nullable: true},
		},
		PrimaryKey: &schema.PrimaryKey{Name: "pk_edge", Columns: []string{"id"}},
		ForeignKeys: []*schema.ForeignKey{
			{Columns: []string{"p1"}, RefTable: "parent", RefColumns: []string{"id"}, OnDelete: schema.Restrict, OnUpdate: schema.NoAction},
			{Columns: []string{"p2"}, RefTable: "parent", RefColumns: []string{"id"}, OnDelete: schema.Cascade},
			{Columns: []string{"p3"}, RefTable: "parent", RefColumns: []string{"id"}, OnDelete: schema.SetNull, OnUpdate: schema.Restrict},
		},
		Uniques: []*schema.Unique{{Columns: []string{"p2"}}},
		Indexes: []*schema.Index{
			{Columns: []string{"p3", "s3"}},
			{Columns: []string{"s1", "s2"}, Unique: true},
		},
		Checks: []*schema.Check{
			{Expr: "s1 != 'it''s \\\\ \"x\"'"},
			{Expr: "b2 = TRUE OR b1 = FALSE"},
			{Expr: "LENGTH(s3) < 10 AND s3 <> \"dq\""},
			{Expr: "i1 IN (1, 2, 12) AND n1 BETWEEN -10 AND 10"},
		},
	}
	md := schema.NewMetaData().MustAdd(parent, edge)
	create, err := dialect.CreateAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, create...)
	requireSame(t, normalized(t, d, md), inspect(t, d, pool, dialect.InspectOptions{}))

	// A row written with every default reads back what the defaults say.
	execAll(t, pool, "INSERT INTO edge (id) VALUES (1)")
	rows, err := pool.Query(ctxT(t), "SELECT s1, e1, j1 FROM edge WHERE id = ?", 1)
	if err != nil {
		t.Fatal(err)
	}
	var s1, e1, j1 string
	for rows.Next() {
		if err := rows.Scan(&s1, &e1, &j1); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if s1 != edge.Columns[1].Default.Value || e1 != "it's" || j1 != `{"a": "it's"}` {
		t.Errorf("defaults read back as %q, %q, %q", s1, e1, j1)
	}

	// Foreign keys and indexes added and dropped later.
	execAll(t, pool, "UPDATE edge SET x1 = id")
	fk := &schema.ForeignKey{Name: "fk_late", Columns: []string{"x1"}, RefTable: "edge", RefColumns: []string{"id"}, OnDelete: schema.Cascade}
	x := &schema.Index{Name: "ix_late", Columns: []string{"x1", "i1"}}
	ux := &schema.Index{Name: "ux_late", Columns: []string{"x2"}, Unique: true}
	stmts, err := d.AddForeignKey(edge, fk)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, stmts...)
	withFK := edge.Clone()
	withFK.ForeignKeys = append(withFK.ForeignKeys, fk)
	got := inspect(t, d, pool, dialect.InspectOptions{Tables: []string{"edge"}})
	if diff := schematest.DiffTable(d.Normalize(withFK), got.Table("edge")); len(diff) > 0 {
		t.Fatalf("after adding a foreign key: %s", strings.Join(diff, "\n"))
	}
	// Dropping it leaves no index behind.
	stmts, err = d.DropForeignKey(withFK, fk)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, stmts...)
	got = inspect(t, d, pool, dialect.InspectOptions{Tables: []string{"edge"}})
	if diff := schematest.DiffTable(d.Normalize(edge), got.Table("edge")); len(diff) > 0 {
		t.Fatalf("after dropping a foreign key: %s", strings.Join(diff, "\n"))
	}
	stmts, err = d.AddForeignKey(edge, fk)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, stmts...)
	// A later index over the same columns replaces MariaDB's own one.
	for _, ix := range []*schema.Index{x, ux} {
		stmts, err = d.CreateIndex(edge, ix)
		if err != nil {
			t.Fatal(err)
		}
		execAll(t, pool, stmts...)
	}
	want := edge.Clone()
	want.ForeignKeys = append(want.ForeignKeys, fk)
	want.Indexes = append(want.Indexes, x, ux)
	got = inspect(t, d, pool, dialect.InspectOptions{Tables: []string{"edge"}})
	if diff := schematest.DiffTable(d.Normalize(want), got.Table("edge")); len(diff) > 0 {
		t.Fatalf("after adding: %s", strings.Join(diff, "\n"))
	}
	stmts, err = d.DropForeignKey(edge, fk)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, stmts...)
	execAll(t, pool, d.DropIndex(edge, x)...)
	execAll(t, pool, d.DropIndex(edge, ux)...)
	got = inspect(t, d, pool, dialect.InspectOptions{Tables: []string{"edge"}})
	if diff := schematest.DiffTable(d.Normalize(edge), got.Table("edge")); len(diff) > 0 {
		t.Fatalf("after dropping: %s", strings.Join(diff, "\n"))
	}
}

func TestHostileIdentifiers(t *testing.T) {
	tg := testdb.New(t, "mariadb")
	pool := tg.Open(t)
	d := mysqldialect.New()
	names := []string{`a"b`, "c`d", "e;f", "g'h", "i j", "Ünïcødé 表", `k\l`, "x;DROP TABLE y; --"}
	tb := &schema.Table{Name: "t`a\"b;'c d Ü表", Comment: "`;'\"", PrimaryKey: &schema.PrimaryKey{Columns: []string{names[0]}}}
	for i, n := range names {
		c := &schema.Column{Name: n, Type: schema.Varchar(50), Comment: n}
		if i > 0 {
			c.Nullable = true
			c.Default = schema.DefaultStr(n)
		}
		tb.Columns = append(tb.Columns, c)
	}
	tb.Uniques = []*schema.Unique{{Name: "uq`'\" ;", Columns: []string{names[1], names[2]}}}
	tb.Indexes = []*schema.Index{{Name: "ix`'\" ;", Columns: []string{names[5]}}}
	tb.Checks = []*schema.Check{{Name: "ck`'\" ;", Expr: string(d.AppendIdent(nil, names[3])) + " <> 'x''y'"}}
	tb.ForeignKeys = []*schema.ForeignKey{{Name: "fk`'\" ;", Columns: []string{names[4]}, RefTable: tb.Name, RefColumns: []string{names[0]}}}
	md := schema.NewMetaData().MustAdd(tb)
	create, err := dialect.CreateAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, create...)

	// insert and select with bind parameters
	ins := []byte("INSERT INTO ")
	ins = d.AppendIdent(ins, tb.Name)
	ins = append(ins, " ("...)
	ins = dialect.AppendIdents(d, ins, names)
	ins = append(ins, ") VALUES ("...)
	args := make([]any, len(names))
	for i, n := range names {
		if i > 0 {
			ins = append(ins, ", "...)
		}
		ins = d.AppendPlaceholder(ins, i+1)
		args[i] = "v:" + n
	}
	args[4] = nil // the foreign key column
	ins = append(ins, ')')
	if _, err := pool.Exec(ctxT(t), string(ins), args...); err != nil {
		t.Fatalf("%s: %v", ins, err)
	}
	sel := []byte("SELECT ")
	sel = dialect.AppendIdents(d, sel, names)
	sel = append(sel, " FROM "...)
	sel = d.AppendIdent(sel, tb.Name)
	sel = append(sel, " WHERE "...)
	sel = d.AppendIdent(sel, names[7])
	sel = append(sel, " = "...)
	sel = d.AppendPlaceholder(sel, 1)
	rows, err := pool.Query(ctxT(t), string(sel), args[7])
	if err != nil {
		t.Fatalf("%s: %v", sel, err)
	}
	got := make([]*string, len(names))
	dest := make([]any, len(names))
	for i := range dest {
		dest[i] = &got[i]
	}
	found := 0
	for rows.Next() {
		found++
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if found != 1 {
		t.Fatalf("selected %d rows", found)
	}
	for i, n := range names {
		switch {
		case i == 4 && got[i] != nil:
			t.Errorf("column %q: got %q, want NULL", n, *got[i])
		case i != 4 && (got[i] == nil || *got[i] != args[i]):
			t.Errorf("column %q: got %v, want %q", n, got[i], args[i])
		}
	}

	insp := inspect(t, d, pool, dialect.InspectOptions{})
	requireSame(t, normalized(t, d, md), insp)
	if names := tableNames(insp); !slices.Equal(names, []string{tb.Name}) {
		t.Errorf("table names %q", names)
	}

	drop, err := dialect.DropAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, drop...)
	if n := tableNames(inspect(t, d, pool, dialect.InspectOptions{})); len(n) != 0 {
		t.Errorf("left: %q", n)
	}
}

func TestIntegrityErrors(t *testing.T) {
	tg := testdb.New(t, "mariadb")
	pool := tg.Open(t)
	d := mysqldialect.New()
	md := testdb.RichSchema(d.Features())
	create, err := dialect.CreateAllSQL(d, md)
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, pool, create...)
	execAll(t, pool,
		"INSERT INTO departments (id, code, name) VALUES (1, 'ENG', 'Engineering')",
		"INSERT INTO employees (id, department_id, email) VALUES (1, 1, 'a@example.com')",
	)
	tests := []struct {
		name       string
		stmt       string
		args       []any
		kind       sqlerr.ConstraintKind
		constraint string
	}{
		{"unique", "INSERT INTO employees (department_id, email) VALUES (?, ?)", []any{1, "a@example.com"}, sqlerr.Unique, "uq_employees_email"},
		{"primary key", "INSERT INTO departments (id, code, name) VALUES (?, ?, ?)", []any{1, "OPS", "Ops"}, sqlerr.Unique, "PRIMARY"},
		{"foreign key child", "INSERT INTO employees (department_id, email) VALUES (?, ?)", []any{99, "b@example.com"}, sqlerr.ForeignKey, "fk_employees_department_id_departments"},
		{"foreign key parent", "DELETE FROM departments WHERE id = ?", []any{1}, sqlerr.ForeignKey, "fk_employees_department_id_departments"},
		{"not null", "INSERT INTO departments (code, name) VALUES (?, ?)", []any{"X", nil}, sqlerr.NotNull, "name"},
		{"no default", "INSERT INTO departments (code) VALUES (?)", []any{"Y"}, sqlerr.NotNull, "name"},
		{"check", "UPDATE departments SET budget = ? WHERE id = ?", []any{-5, 1}, sqlerr.Check, "ck_departments_budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pool.Exec(ctxT(t), tt.stmt, tt.args...)
			if err == nil {
				t.Fatal("no error")
			}
			var ie *sqlerr.IntegrityError
			if !errors.As(d.TranslateError(err), &ie) {
				t.Fatalf("%v: not an IntegrityError", err)
			}
			if ie.Kind != tt.kind || ie.Constraint != tt.constraint {
				t.Errorf("%v: got %s %q, want %s %q", err, ie.Kind, ie.Constraint, tt.kind, tt.constraint)
			}
		})
	}
	// a unique index (normalized into a unique constraint) and a check on
	// another table
	execAll(t, pool,
		"INSERT INTO orders (region, number) VALUES ('eu', 1)",
		"INSERT INTO order_lines (region, number, line, price, sku) VALUES ('eu', 1, 1, 9.5, '00000000-0000-0000-0000-000000000001')",
	)
	for _, tt := range []struct {
		stmt       string
		kind       sqlerr.ConstraintKind
		constraint string
	}{
		{"INSERT INTO order_lines (region, number, line, price, sku) VALUES ('eu', 1, 2, 1, '00000000-0000-0000-0000-000000000001')", sqlerr.Unique, "ix_order_lines_sku"},
		{"INSERT INTO order_lines (region, number, line, price, qty) VALUES ('eu', 1, 3, 1, 0)", sqlerr.Check, "ck_order_lines_qty"},
		{"INSERT INTO order_lines (region, number, line, price, attrs) VALUES ('eu', 1, 4, 1, 'not json')", sqlerr.Check, "attrs"},
		{"INSERT INTO order_lines (region, number, line, price) VALUES ('us', 1, 1, 1)", sqlerr.ForeignKey, "fk_order_lines_region_number_orders"},
	} {
		_, err := pool.Exec(ctxT(t), tt.stmt)
		var ie *sqlerr.IntegrityError
		if !errors.As(d.TranslateError(err), &ie) || ie.Kind != tt.kind || ie.Constraint != tt.constraint {
			t.Errorf("%s: %v (%+v), want %s %q", tt.stmt, err, ie, tt.kind, tt.constraint)
		}
	}
}

func TestDeadlockIsRetryable(t *testing.T) {
	tg := testdb.New(t, "mariadb")
	pool := tg.Open(t)
	d := mysqldialect.New()
	execAll(t, pool,
		"CREATE TABLE `locks` (`id` INT NOT NULL, `v` INT NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB",
		"INSERT INTO `locks` VALUES (1, 0), (2, 0)",
	)
	ctx := ctxT(t)
	var txs [2]dialect.Tx
	for i := range txs {
		c, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if txs[i], err = c.Begin(ctx, dialect.TxOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { txs[i].Rollback(ctx) })
	}
	lock := "UPDATE `locks` SET `v` = `v` + 1 WHERE `id` = ?"
	if _, err := txs[0].Exec(ctx, lock, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := txs[1].Exec(ctx, lock, 2); err != nil {
		t.Fatal(err)
	}
	// Each now wants the other's row: one blocks, the other closes the
	// cycle and InnoDB kills one of them with a deadlock.
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, id := range []int{2, 1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				time.Sleep(200 * time.Millisecond) // let the first one block
			}
			_, errs[i] = txs[i].Exec(ctx, lock, id)
			if errs[i] != nil {
				txs[i].Rollback(ctx) // frees the winner at once
			}
		}()
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 {
		t.Fatalf("want exactly one deadlock victim, got errors %v", errs)
	}
	got := d.TranslateError(failed[0])
	if !sqlerr.IsRetryable(got) {
		t.Fatalf("%v: not retryable", failed[0])
	}
	var re *sqlerr.RetryableError
	if errors.As(got, &re); re.Reason != "deadlock" {
		t.Errorf("reason %q", re.Reason)
	}
}

func TestSessionAndFeatures(t *testing.T) {
	tg := testdb.New(t, "mariadb")
	pool := tg.Open(t)
	ctx := ctxT(t)
	rows, err := pool.Query(ctx, "SELECT @@SESSION.sql_mode, NOW(6)")
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	var now time.Time // parseTime is forced on
	for rows.Next() {
		if err := rows.Scan(&mode, &now); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if !strings.Contains(mode, "STRICT_TRANS_TABLES") || strings.Contains(mode, "NO_BACKSLASH_ESCAPES") || strings.Contains(mode, "ANSI_QUOTES") {
		t.Errorf("sql_mode %q", mode)
	}
	if now.IsZero() {
		t.Error("NOW(6) scanned as zero time")
	}
	// Multi-statements are off.
	if _, err := pool.Exec(ctx, "SELECT 1; SELECT 2"); err == nil {
		t.Error("a multi-statement query was accepted")
	}
	// RETURNING and LastInsertID, as the features say.
	execAll(t, pool, "CREATE TABLE `r` (`id` BIGINT NOT NULL AUTO_INCREMENT, `s` VARCHAR(10) NOT NULL, PRIMARY KEY (`id`))")
	res, err := pool.Exec(ctx, "INSERT INTO `r` (`s`) VALUES (?)", "a")
	// Ids are not assumed consecutive: a Galera node steps them by the
	// cluster size (auto_increment_increment) from its own offset.
	if err != nil || res.LastInsertID < 1 {
		t.Fatalf("LastInsertID: %+v, %v", res, err)
	}
	first := res.LastInsertID
	var id int64
	var s string
	rows, err = pool.Query(ctx, "INSERT INTO `r` (`s`) VALUES (?) RETURNING `id`, `s`", "it's \\")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		rows.Scan(&id, &s)
	}
	rows.Close()
	if id <= first || s != "it's \\" {
		t.Errorf("INSERT RETURNING gave %d %q (after id %d)", id, s, first)
	}
	second := id
	rows, err = pool.Query(ctx, "DELETE FROM `r` WHERE `id` = ? RETURNING `id`", second)
	if err != nil {
		t.Fatal(err)
	}
	id = 0
	for rows.Next() {
		rows.Scan(&id)
	}
	rows.Close()
	if id != second {
		t.Errorf("DELETE RETURNING gave %d, want %d", id, second)
	}
}
