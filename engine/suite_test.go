package engine_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/schematest"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// This file is the cross-database behavioural suite of the foundation: each
// test runs as subtests sqlite, postgres and mariadb (the latter two when
// STRATA_TEST_POSTGRES / STRATA_TEST_MARIADB are set).

func open(t *testing.T, tg testdb.Target, opts ...engine.Option) *engine.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := engine.Open(ctx, tg.Dialect, tg.DSN, opts...)
	if err != nil {
		t.Fatalf("open %s: %v", tg.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func normalized(d dialect.Dialect, m *schema.MetaData) *schema.MetaData {
	out := schema.NewMetaData()
	for _, t := range m.Tables() {
		out.MustAdd(d.Normalize(t))
	}
	return out
}

func count(t *testing.T, ex engine.Executor, table string) int {
	t.Helper()
	var n int
	if err := engine.QueryRowStmt(context.Background(), ex, expr.Select(expr.CountAll()).From(expr.T(table))).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestCreateInspectDropAll(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		md := testdb.RichSchema(tg.Dialect.Features())
		if err := engine.CreateAll(ctx, db, md); err != nil {
			t.Fatal(err)
		}
		got, err := engine.Inspect(ctx, db, dialect.InspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := schematest.Diff(normalized(tg.Dialect, md), got); len(diff) > 0 {
			t.Fatalf("introspected schema differs from the created one:\n%s", strings.Join(diff, "\n"))
		}

		// Fill the cycle and the self-reference so drop-all must cope with rows.
		must := func(_ dialect.Result, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(engine.ExecStmt(ctx, db, expr.Insert(expr.T("departments")).Columns("id", "code", "name").Values(1, "ENGR", "Engineering")))
		must(engine.ExecStmt(ctx, db, expr.Insert(expr.T("employees")).Columns("id", "department_id", "email").Values(10, 1, "boss@x")))
		must(engine.ExecStmt(ctx, db, expr.Insert(expr.T("employees")).Columns("id", "department_id", "manager_id", "email").Values(11, 1, 10, "dev@x")))
		must(engine.ExecStmt(ctx, db, expr.Update(expr.T("departments")).Set("head_id", 10).Where(expr.Eq(expr.C("id"), 1))))
		must(engine.ExecStmt(ctx, db, expr.Insert(expr.T("orders")).Columns("region", "number", "employee_id", "dept_code").Values("eu", 1, 11, "ENGR")))
		must(engine.ExecStmt(ctx, db, expr.Insert(expr.T("order_lines")).Columns("region", "number", "line", "price").Values("eu", 1, 1, 9.5)))

		// Server defaults were applied.
		var status string
		var active bool
		if err := db.QueryRow(ctx, "SELECT status FROM orders").Scan(&status); err != nil || status != "new 'open'" {
			t.Fatalf("status default: %q %v", status, err)
		}
		if err := engine.QueryRowStmt(ctx, db, expr.Select(expr.C("active")).From(expr.T("employees")).Where(expr.Eq(expr.C("id"), 11))).Scan(&active); err != nil || !active {
			t.Fatalf("active default: %v %v", active, err)
		}

		// Every action does what it says: ON UPDATE CASCADE through a unique key,
		// ON DELETE CASCADE through a composite key, SET NULL on a self-reference.
		must(engine.ExecStmt(ctx, db, expr.Update(expr.T("departments")).Set("code", "ENG2").Where(expr.Eq(expr.C("id"), 1))))
		var code string
		if err := db.QueryRow(ctx, "SELECT dept_code FROM orders").Scan(&code); err != nil || code != "ENG2" {
			t.Fatalf("ON UPDATE CASCADE via unique key: %q %v", code, err)
		}
		must(engine.ExecStmt(ctx, db, expr.Delete(expr.T("orders")).Where(expr.Eq(expr.C("region"), "eu"))))
		if n := count(t, db, "order_lines"); n != 0 {
			t.Fatalf("ON DELETE CASCADE left %d lines", n)
		}
		_, err = engine.ExecStmt(ctx, db, expr.Delete(expr.T("departments")).Where(expr.Eq(expr.C("id"), 1)))
		var ie *sqlerr.IntegrityError
		if !errors.As(err, &ie) || ie.Kind != sqlerr.ForeignKey {
			t.Fatalf("ON DELETE RESTRICT: got %v", err)
		}

		if err := engine.DropAll(ctx, db, md); err != nil {
			t.Fatal(err)
		}
		left, err := engine.Inspect(ctx, db, dialect.InspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(left.Tables()); n != 0 {
			t.Fatalf("drop-all left %d tables: %v", n, left.Tables()[0].Name)
		}
		// Enum types are gone too: creating everything again works.
		if err := engine.CreateAll(ctx, db, md); err != nil {
			t.Fatalf("create after drop: %v", err)
		}
	})
}

func TestHostileIdentifiers(t *testing.T) {
	names := []string{`we"ird`, "back`tick", "semi;colon; DROP TABLE x; --", "it's", "Ünïcødé 表", "with space"}
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		tbl := &schema.Table{
			Name:       `t"; DROP TABLE users; --`,
			Columns:    []*schema.Column{{Name: "id", Type: schema.Integer()}},
			PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		}
		for _, n := range names {
			tbl.Columns = append(tbl.Columns, &schema.Column{Name: n, Type: schema.Varchar(50), Nullable: true})
		}
		tbl.Indexes = []*schema.Index{{Columns: []string{names[0], names[1]}}}
		md := schema.NewMetaData()
		md.MustAdd(tbl)
		if err := engine.CreateAll(ctx, db, md); err != nil {
			t.Fatal(err)
		}
		ins := expr.Insert(expr.T(tbl.Name)).Columns(append([]string{"id"}, names...)...)
		row := []any{1}
		for _, n := range names {
			row = append(row, "v:"+n+"'\"`;")
		}
		if _, err := engine.ExecStmt(ctx, db, ins.Values(row...)); err != nil {
			t.Fatal(err)
		}
		tr := expr.T(tbl.Name).As(`a"lias`)
		for _, n := range names {
			var v string
			q := expr.Select(tr.C(n)).From(tr).Where(expr.Eq(tr.C(n), "v:"+n+"'\"`;"))
			if err := engine.QueryRowStmt(ctx, db, q).Scan(&v); err != nil || v != "v:"+n+"'\"`;" {
				t.Fatalf("column %q: %q %v", n, v, err)
			}
		}
		got, err := engine.Inspect(ctx, db, dialect.InspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := schematest.Diff(normalized(tg.Dialect, md), got); len(diff) > 0 {
			t.Fatalf("hostile names do not round-trip:\n%s", strings.Join(diff, "\n"))
		}
		if err := engine.DropAll(ctx, db, md); err != nil {
			t.Fatal(err)
		}
		if left, _ := engine.Inspect(ctx, db, dialect.InspectOptions{}); len(left.Tables()) != 0 {
			t.Fatal("table left behind")
		}
	})
}

func integritySchema() *schema.MetaData {
	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{
		Name:       "parents",
		Columns:    []*schema.Column{{Name: "id", Type: schema.Integer()}, {Name: "email", Type: schema.Varchar(100)}},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		Uniques:    []*schema.Unique{{Columns: []string{"email"}}},
	}, &schema.Table{
		Name: "kids",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.Integer()},
			{Name: "parent_id", Type: schema.Integer()},
			{Name: "age", Type: schema.Integer()},
		},
		PrimaryKey:  &schema.PrimaryKey{Columns: []string{"id"}},
		ForeignKeys: []*schema.ForeignKey{{Columns: []string{"parent_id"}, RefTable: "parents", RefColumns: []string{"id"}}},
		Checks:      []*schema.Check{{Name: "ck_kids_age", Expr: "age >= 0"}},
	})
	return md
}

func TestIntegrityErrorsNameTheConstraint(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		if err := engine.CreateAll(ctx, db, integritySchema()); err != nil {
			t.Fatal(err)
		}
		if _, err := engine.ExecStmt(ctx, db, expr.Insert(expr.T("parents")).Columns("id", "email").Values(1, "a@x")); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name       string
			stmt       expr.Statement
			kind       sqlerr.ConstraintKind
			constraint string
		}{
			{"duplicate unique", expr.Insert(expr.T("parents")).Columns("id", "email").Values(2, "a@x"), sqlerr.Unique, "uq_parents_email"},
			{"foreign key", expr.Insert(expr.T("kids")).Columns("id", "parent_id", "age").Values(1, 99, 3), sqlerr.ForeignKey, "fk_kids_parent_id_parents"},
			{"not null", expr.Insert(expr.T("kids")).Columns("id", "parent_id", "age").Values(2, 1, nil), sqlerr.NotNull, "age"},
			{"check", expr.Insert(expr.T("kids")).Columns("id", "parent_id", "age").Values(3, 1, -1), sqlerr.Check, "ck_kids_age"},
		}
		for _, c := range cases {
			// inside a transaction too: the executor is the same for both
			for _, inTx := range []bool{false, true} {
				var ex engine.Executor = db
				var tx *engine.Tx
				if inTx {
					var err error
					if tx, err = db.Begin(ctx); err != nil {
						t.Fatal(err)
					}
					ex = tx
				}
				_, err := engine.ExecStmt(ctx, ex, c.stmt)
				var ie *sqlerr.IntegrityError
				if !errors.As(err, &ie) || !errors.Is(err, sqlerr.ErrIntegrity) {
					t.Fatalf("%s (tx=%v): got %v, want an IntegrityError", c.name, inTx, err)
				}
				if ie.Kind != c.kind {
					t.Errorf("%s: kind %s, want %s", c.name, ie.Kind, c.kind)
				}
				if ie.Constraint != c.constraint {
					if c.kind == sqlerr.ForeignKey && tg.Name == "sqlite" {
						// SQLite does not say which foreign key failed.
						if ie.Constraint != "" {
							t.Errorf("%s: constraint %q, want it empty or %q", c.name, ie.Constraint, c.constraint)
						}
					} else {
						t.Errorf("%s (tx=%v): constraint %q, want %q", c.name, inTx, ie.Constraint, c.constraint)
					}
				}
				if tx != nil {
					if err := tx.Rollback(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}

func TestNotFoundMatchesErrNoRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		if err := engine.CreateAll(ctx, db, integritySchema()); err != nil {
			t.Fatal(err)
		}
		var id int
		err := engine.QueryRowStmt(ctx, db, expr.Select(expr.C("id")).From(expr.T("parents")).Where(expr.Eq(expr.C("id"), 42))).Scan(&id)
		if !errors.Is(err, sqlerr.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("got %v, want ErrNotFound matching sql.ErrNoRows", err)
		}
	})
}

func TestStatementsRunEverywhere(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		md := schema.NewMetaData()
		md.MustAdd(&schema.Table{
			Name: "items",
			Columns: []*schema.Column{
				{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
				{Name: "name", Type: schema.Varchar(40)},
				{Name: "qty", Type: schema.Integer(), Default: schema.DefaultInt(0)},
				{Name: "flag", Type: schema.Boolean(), Default: schema.DefaultBoolean(false)},
			},
			PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
			Uniques:    []*schema.Unique{{Columns: []string{"name"}}},
		})
		if err := engine.CreateAll(ctx, db, md); err != nil {
			t.Fatal(err)
		}
		items := expr.T("items")
		ins := expr.Insert(items).Columns("name", "qty")
		for i := range 5 {
			ins.Values(fmt.Sprintf("n%d", i), i*10)
		}
		res, err := engine.ExecStmt(ctx, db, ins)
		if err != nil || res.RowsAffected != 5 {
			t.Fatalf("multi-row insert: %+v %v", res, err)
		}
		f := tg.Dialect.Features()
		if f.Has(dialect.InsertReturning) {
			var id int64
			var qty int
			q := expr.Insert(items).Columns("name").Values("ret").Returning(expr.C("id"), expr.C("qty"))
			if err := engine.QueryRowStmt(ctx, db, q).Scan(&id, &qty); err != nil {
				t.Fatalf("INSERT RETURNING: %v", err)
			}
			// The returned id is the row's, whatever the server's id step
			// (a Galera node steps ids by the cluster size).
			var want int64
			if err := engine.QueryRowStmt(ctx, db, expr.Select(expr.C("id")).From(items).Where(expr.Eq(expr.C("name"), "ret"))).Scan(&want); err != nil {
				t.Fatal(err)
			}
			var maxBefore int64
			if err := engine.QueryRowStmt(ctx, db, expr.Select(expr.C("id")).From(items).Where(expr.Eq(expr.C("name"), "n4"))).Scan(&maxBefore); err != nil {
				t.Fatal(err)
			}
			if id != want || id <= maxBefore || qty != 0 {
				t.Fatalf("INSERT RETURNING: id=%d (row has %d, last before %d) qty=%d", id, want, maxBefore, qty)
			}
		}
		// IN with a slice (= ANY on PostgreSQL), ordering, limit/offset.
		rows, err := engine.QueryStmt(ctx, db, expr.Select(expr.C("name")).From(items).
			Where(expr.In(expr.C("qty"), []int{10, 20, 30, 40})).OrderBy(expr.Desc(expr.C("qty"))).Limit(2).Offset(1))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if !slices.Equal(got, []string{"n3", "n2"}) {
			t.Fatalf("select = %v", got)
		}
		// Upsert, only when asked: the plain insert fails, the upsert updates.
		if _, err := engine.ExecStmt(ctx, db, expr.Insert(items).Columns("name", "qty").Values("n1", 99)); !errors.Is(err, sqlerr.ErrIntegrity) {
			t.Fatalf("plain insert of a duplicate: %v", err)
		}
		if _, err := engine.ExecStmt(ctx, db, expr.Insert(items).Columns("name", "qty").Values("n1", 99).OnConflict("name").DoUpdateColumns("qty")); err != nil {
			t.Fatal(err)
		}
		if _, err := engine.ExecStmt(ctx, db, expr.Insert(items).Columns("name", "qty").Values("n2", 77).OnConflict("name").DoNothing()); err != nil {
			t.Fatal(err)
		}
		add := expr.Insert(items).Columns("name", "qty").Values("n4", 5).
			OnConflict("name").DoUpdate(expr.Set("qty", expr.Add(items.C("qty"), expr.Excluded("qty"))))
		if _, err := engine.ExecStmt(ctx, db, add); err != nil {
			t.Fatal(err)
		}
		var q1, q2, q4 int
		db.QueryRow(ctx, "SELECT qty FROM items WHERE name = 'n1'").Scan(&q1)
		db.QueryRow(ctx, "SELECT qty FROM items WHERE name = 'n2'").Scan(&q2)
		db.QueryRow(ctx, "SELECT qty FROM items WHERE name = 'n4'").Scan(&q4)
		if q1 != 99 || q2 != 20 || q4 != 45 {
			t.Fatalf("upserts: n1=%d (want 99) n2=%d (want 20) n4=%d (want 45)", q1, q2, q4)
		}
		// Group/having, subquery, exists.
		var n int
		sub := expr.Select(expr.C("qty")).From(items).Where(expr.Gt(expr.C("qty"), 15))
		if err := engine.QueryRowStmt(ctx, db, expr.Select(expr.CountAll()).From(items).Where(expr.In(expr.C("qty"), sub))).Scan(&n); err != nil || n != 4 {
			t.Fatalf("IN subquery: %d %v", n, err)
		}
		// Update and delete, with RETURNING where the dialect has it.
		upd := expr.Update(items).Set("flag", true).Set("qty", expr.Add(expr.C("qty"), 1)).Where(expr.Eq(expr.C("name"), "n0"))
		if f.Has(dialect.UpdateReturning) {
			var qty int
			if err := engine.QueryRowStmt(ctx, db, upd.Returning(expr.C("qty"))).Scan(&qty); err != nil || qty != 1 {
				t.Fatalf("UPDATE RETURNING: %d %v", qty, err)
			}
		} else if res, err := engine.ExecStmt(ctx, db, upd); err != nil || res.RowsAffected != 1 {
			t.Fatalf("UPDATE: %+v %v", res, err)
		}
		del := expr.Delete(items).Where(expr.Eq(expr.C("flag"), true))
		if f.Has(dialect.DeleteReturning) {
			var name string
			if err := engine.QueryRowStmt(ctx, db, del.Returning(expr.C("name"))).Scan(&name); err != nil || name != "n0" {
				t.Fatalf("DELETE RETURNING: %q %v", name, err)
			}
		} else if res, err := engine.ExecStmt(ctx, db, del); err != nil || res.RowsAffected != 1 {
			t.Fatalf("DELETE: %+v %v", res, err)
		}
		// Rows affected counts matched rows, also when nothing changes
		// (MariaDB needs clientFoundRows for that): the ORM relies on it.
		same := expr.Update(items).Set("name", "n1").Where(expr.Eq(expr.C("name"), "n1"))
		if res, err := engine.ExecStmt(ctx, db, same); err != nil || res.RowsAffected != 1 {
			t.Fatalf("UPDATE to the same value: %+v %v", res, err)
		}
		if _, err := engine.ExecStmt(ctx, db, expr.Delete(items)); !errors.Is(err, expr.ErrNoWhere) {
			t.Fatalf("DELETE without WHERE: %v", err)
		}
	})
}

func TestTransactionsAndSavepoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		if err := engine.CreateAll(ctx, db, integritySchema()); err != nil {
			t.Fatal(err)
		}
		ins := func(ex engine.Executor, id int) error {
			_, err := engine.ExecStmt(ctx, ex, expr.Insert(expr.T("parents")).Columns("id", "email").Values(id, fmt.Sprint(id)))
			return err
		}
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := ins(tx, 1); err != nil {
			t.Fatal(err)
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := ins(sp, 2); err != nil {
			t.Fatal(err)
		}
		if err := sp.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		// a failed statement inside a savepoint does not doom the transaction
		sp2, _ := tx.Begin(ctx)
		if err := ins(sp2, 1); !errors.Is(err, sqlerr.ErrIntegrity) {
			t.Fatalf("duplicate in savepoint: %v", err)
		}
		if err := sp2.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if err := ins(tx, 3); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); !errors.Is(err, engine.ErrTxDone) {
			t.Fatalf("second commit: %v", err)
		}
		if n := count(t, db, "parents"); n != 2 {
			t.Fatalf("%d parents, want 2 (1 and 3)", n)
		}
		// RunInTx rolls back on error and on panic.
		boom := errors.New("boom")
		err = db.RunInTx(ctx, dialect.TxOptions{}, func(ctx context.Context, tx *engine.Tx) error {
			if err := ins(tx, 4); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || count(t, db, "parents") != 2 {
			t.Fatalf("RunInTx error: %v, rows %d", err, count(t, db, "parents"))
		}
		func() {
			defer func() { recover() }()
			db.RunInTx(ctx, dialect.TxOptions{}, func(ctx context.Context, tx *engine.Tx) error {
				ins(tx, 5)
				panic("x")
			})
		}()
		if n := count(t, db, "parents"); n != 2 {
			t.Fatalf("panic left %d rows", n)
		}
		// A retryable failure is retried, then succeeds.
		attempts := 0
		err = db.RunInTx(ctx, dialect.TxOptions{}, func(ctx context.Context, tx *engine.Tx) error {
			attempts++
			if err := ins(tx, 10+attempts); err != nil {
				return err
			}
			if attempts < 3 {
				return &sqlerr.RetryableError{Reason: "deadlock", Err: errors.New("simulated")}
			}
			return nil
		})
		if err != nil || attempts != 3 || count(t, db, "parents") != 3 {
			t.Fatalf("retry: err=%v attempts=%d rows=%d", err, attempts, count(t, db, "parents"))
		}
	})
}

func TestLoggingWithSlog(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		var buf bytes.Buffer
		l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		db := open(t, tg, engine.WithLogger(l, slog.LevelDebug))
		if err := engine.CreateAll(ctx, db, integritySchema()); err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		engine.ExecStmt(ctx, db, expr.Insert(expr.T("parents")).Columns("id", "email").Values(7, "secret@x"))
		out := buf.String()
		for _, want := range []string{"INSERT INTO", "secret@x", "duration="} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
		// Off by default.
		quiet := open(t, tg)
		buf.Reset()
		quiet.Exec(ctx, "SELECT 1")
		if buf.Len() != 0 {
			t.Errorf("a DB without WithLogger logged: %s", buf.String())
		}
	})
}

// BeginTx passes its options to the database: a read-only transaction
// refuses writes and a serializable one writes.
func TestBeginTxPassesOptions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		if err := engine.CreateAll(ctx, db, integritySchema()); err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for name, begin := range map[string]func() (*engine.Tx, error){
			"DB":   func() (*engine.Tx, error) { return db.BeginTx(ctx, dialect.TxOptions{ReadOnly: true}) },
			"Conn": func() (*engine.Tx, error) { return conn.BeginTx(ctx, dialect.TxOptions{ReadOnly: true}) },
		} {
			tx, err := begin()
			if err != nil {
				t.Fatalf("%s.BeginTx: %v", name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO parents (id, email) VALUES (1, 'ro@x')"); err == nil {
				t.Errorf("%s.BeginTx(ReadOnly): an INSERT succeeded", name)
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := conn.BeginTx(ctx, dialect.TxOptions{Isolation: sql.LevelSerializable})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO parents (id, email) VALUES (1, 'rw@x')"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "parents"); n != 1 {
			t.Fatalf("%d parents, want 1", n)
		}
	})
}

// counting is an Executor of its own: the statement functions need nothing
// beyond the interface's four methods.
type counting struct {
	engine.Executor
	execs, queries int
}

func (c *counting) Exec(ctx context.Context, q string, args ...any) (dialect.Result, error) {
	c.execs++
	return c.Executor.Exec(ctx, q, args...)
}

func (c *counting) Query(ctx context.Context, q string, args ...any) (*engine.Rows, error) {
	c.queries++
	return c.Executor.Query(ctx, q, args...)
}

func (c *counting) QueryRow(ctx context.Context, q string, args ...any) *engine.Row {
	c.queries++
	return c.Executor.QueryRow(ctx, q, args...)
}

func TestStatementFunctionsRunThroughTheExecutor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		if err := engine.CreateAll(ctx, db, integritySchema()); err != nil {
			t.Fatal(err)
		}
		ex := &counting{Executor: db}
		p := expr.T("parents")
		if _, err := engine.ExecStmt(ctx, ex, expr.Insert(p).Columns("id", "email").Values(1, "a@x").Values(2, "b@x")); err != nil {
			t.Fatal(err)
		}
		var email string
		if err := engine.QueryRowStmt(ctx, ex, expr.Select(p.C("email")).From(p).Where(expr.Eq(p.C("id"), 2))).Scan(&email); err != nil || email != "b@x" {
			t.Fatalf("QueryRowStmt: %q, %v", email, err)
		}
		rows, err := engine.QueryStmt(ctx, ex, expr.Select(p.C("id")).From(p).OrderBy(expr.Asc(p.C("id"))))
		if err != nil {
			t.Fatal(err)
		}
		var ids []int
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil || !slices.Equal(ids, []int{1, 2}) {
			t.Fatalf("QueryStmt: %v, %v", ids, err)
		}
		if ex.execs != 1 || ex.queries != 2 {
			t.Fatalf("%d Exec and %d Query calls, want 1 and 2", ex.execs, ex.queries)
		}
		// A statement that does not build runs nothing.
		if _, err := engine.ExecStmt(ctx, ex, expr.Delete(p)); !errors.Is(err, expr.ErrNoWhere) {
			t.Fatalf("ExecStmt of a DELETE without WHERE: %v", err)
		}
		if _, err := engine.QueryStmt(ctx, ex, expr.Update(p).Set("email", "z")); !errors.Is(err, expr.ErrNoWhere) {
			t.Fatalf("QueryStmt of an UPDATE without WHERE: %v", err)
		}
		if err := engine.QueryRowStmt(ctx, ex, expr.Delete(p)).Scan(&email); !errors.Is(err, expr.ErrNoWhere) {
			t.Fatalf("QueryRowStmt of a DELETE without WHERE: %v", err)
		}
		if ex.execs != 1 || ex.queries != 2 || count(t, db, "parents") != 2 {
			t.Fatalf("a statement that failed to build ran: %d Exec, %d Query", ex.execs, ex.queries)
		}
	})
}
