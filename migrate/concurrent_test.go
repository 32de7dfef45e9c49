package migrate_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// indexedModels is items, then (indexed) with a note column, a unique
// index on code and an index on qty.
func indexedModels(indexed bool) *schema.MetaData {
	t := &schema.Table{Name: "items", Columns: []*schema.Column{id(),
		{Name: "code", Type: schema.Varchar(10)},
		{Name: "qty", Type: schema.Integer()},
	}, PrimaryKey: pk()}
	if indexed {
		t.Columns = append(t.Columns, &schema.Column{Name: "note", Type: schema.Varchar(20), Nullable: true})
		t.Indexes = []*schema.Index{
			{Name: "ux_items_code", Columns: []string{"code"}, Unique: true},
			{Name: "ix_items_qty", Columns: []string{"qty"}},
		}
	}
	return md(t)
}

// concurrentRevisions are the revision creating items and the one adding
// the column and the two indexes, built concurrently, acknowledged.
func concurrentRevisions(t *testing.T) (*migrate.Revision, *migrate.Revision) {
	t.Helper()
	r1, err := migrate.Autogenerate(schema.NewMetaData(), indexedModels(false), "0001", "items", nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := migrate.Autogenerate(r1.Snapshot, indexedModels(true), "0002", "indexes", []string{"0001"})
	if err != nil {
		t.Fatal(err)
	}
	r2.Upgrade = migrate.ConcurrentIndexes(r2.Upgrade)
	r2.Downgrade = migrate.ConcurrentIndexes(r2.Downgrade)
	r2.Acknowledged = true
	return r1, r2
}

// TestConcurrentIndexesRendered: the revision file carries
// "concurrently": true on both directions, the lint no longer flags the
// index builds, and the SQL per dialect is the golden one: PostgreSQL
// CREATE INDEX CONCURRENTLY as steps outside the transaction (the offline
// script commits before them and begins after), MariaDB online DDL
// (ALGORITHM=INPLACE LOCK=NONE), SQLite a plain CREATE INDEX.
func TestConcurrentIndexesRendered(t *testing.T) {
	r1, r2 := concurrentRevisions(t)
	var b strings.Builder
	b.WriteString(string(mustMarshal(t, r2)))
	for _, d := range dialects {
		lint, err := migrate.LockImpacts(d, r1.Snapshot, r2.Upgrade)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lint {
			if strings.Contains(l, "creates index") {
				t.Errorf("%s: a concurrent index build is flagged: %s", d.Name(), l)
			}
		}
		for _, dir := range []struct {
			name   string
			before *schema.MetaData
			ops    []migrate.Op
		}{{"upgrade", r1.Snapshot, r2.Upgrade}, {"downgrade", r2.Snapshot, r2.Downgrade}} {
			steps, err := migrate.Render(d, dir.before, dir.ops)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "-- %s %s\n", d.Name(), dir.name)
			for _, st := range steps {
				tx := ""
				if st.NoTx {
					tx = "  -- outside the transaction"
					if st.Cleanup != "" {
						tx += "; after a failed attempt: " + st.Cleanup
					}
				}
				fmt.Fprintf(&b, "%s;%s\n", st, tx)
			}
		}
	}
	g := writeDir(t, r1, r2)
	b.WriteString("-- postgres offline upgrade 0001:0002\n")
	if err := migrate.WriteSQL(&b, dialects[0], g, migrate.Up, "0001", "0002"); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "concurrent_index.golden", b.String())

	back, err := migrate.ParseRevision(mustMarshal(t, r2))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range append(back.Upgrade, back.Downgrade...) {
		switch o := op.(type) {
		case migrate.CreateIndex:
			if !o.Concurrently {
				t.Errorf("parsed %s lost concurrently", o)
			}
		case migrate.DropIndex:
			if !o.Concurrently {
				t.Errorf("parsed %s lost concurrently", o)
			}
		}
	}
	if !bytes.Contains(mustMarshal(t, r2), []byte(`"concurrently": true`)) {
		t.Error(`the revision file has no "concurrently": true`)
	}
}

// TestConcurrentIndexUpgradeDoesNotHang upgrades a filled table with
// indexes built concurrently, under a deadline, holding the migration lock
// as the dialect's session lock and as a lock row: on PostgreSQL CREATE
// INDEX CONCURRENTLY (which fails inside a transaction with SQLSTATE 25001
// and waits for every transaction that could use the table) runs outside
// the revision's transaction and finds nothing of the runner's to wait
// for. The indexes are there and valid; the downgrade drops them (DROP
// INDEX CONCURRENTLY) and a second upgrade builds them again. MariaDB and
// SQLite run the degraded statements.
func TestConcurrentIndexUpgradeDoesNotHang(t *testing.T) {
	for _, lock := range []string{"session lock", "lock row"} {
		t.Run(lock, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, tg testdb.Target) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				db := open(t, tg)
				r1, r2 := concurrentRevisions(t)
				g := writeDir(t, r1, r2)
				var opts []migrate.Option
				if lock == "lock row" {
					opts = append(opts, migrate.WithLockRow(3*time.Second))
				}
				if _, err := newMigrator(t, db, g, opts...).Upgrade(ctx, "0001"); err != nil {
					t.Fatal(err)
				}
				for i := range 20 {
					if _, err := engine.ExecStmt(ctx, db, expr.Insert(expr.T("items")).Columns("code", "qty").Values(fmt.Sprintf("c%d", i), i%3)); err != nil {
						t.Fatal(err)
					}
				}
				for round := range 2 {
					res, err := newMigrator(t, db, g, opts...).Upgrade(ctx, "head")
					if err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
					if len(res) != 1 || res[0].Ran != res[0].Total || res[0].Skipped != 0 {
						t.Fatalf("round %d: %+v", round, res)
					}
					checkIndexes(ctx, t, tg, db, "ux_items_code", "ix_items_qty")
					if _, err := engine.ExecStmt(ctx, db, expr.Insert(expr.T("items")).Columns("code", "qty").Values("c1", 1)); err == nil {
						t.Fatal("the unique index does not hold")
					}
					if _, err := newMigrator(t, db, g, opts...).Downgrade(ctx, "0001"); err != nil {
						t.Fatalf("round %d: downgrade: %v", round, err)
					}
					checkIndexes(ctx, t, tg, db)
				}
				if ctx.Err() != nil {
					t.Fatal("the deadline passed")
				}
			})
		})
	}
}

// checkIndexes fails unless items has exactly the named indexes, and on
// PostgreSQL unless each is valid.
func checkIndexes(ctx context.Context, t *testing.T, tg testdb.Target, db *engine.DB, names ...string) {
	t.Helper()
	live, err := engine.Inspect(ctx, db, dialect.InspectOptions{Tables: []string{"items"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range live.Table("items").Indexes {
		got = append(got, x.Name)
	}
	for _, u := range live.Table("items").Uniques { // MariaDB reads a unique index as a unique key
		got = append(got, u.Name)
	}
	slices.Sort(got)
	if strings.Join(got, ",") != strings.Join(slices.Sorted(slices.Values(names)), ",") {
		t.Fatalf("indexes of items: %v; want %v", got, names)
	}
	if tg.Name != "postgres" {
		return
	}
	for _, n := range names {
		if valid := pgIndexValid(ctx, t, db, n); len(valid) != 1 || !valid[0] {
			t.Fatalf("index %s: indisvalid %v; want one valid", n, valid)
		}
	}
}

// pgIndexValid returns pg_index.indisvalid of every index named name in
// the current schema.
func pgIndexValid(ctx context.Context, t *testing.T, db *engine.DB, name string) []bool {
	t.Helper()
	rows, err := db.Query(ctx, `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1 AND n.nspname = current_schema()`, name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []bool
	for rows.Next() {
		var v bool
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConcurrentIndexRetriesAfterInvalidIndex: the unique index is built
// concurrently over duplicate codes and fails, leaving an INVALID index of
// its name; the column added before it stays committed and recorded
// (state upgrading, the steps before it done). Once the duplicates are gone, the next
// run resumes after the column, drops the invalid index and builds it
// again: one valid index of the name, the column not added twice.
func TestConcurrentIndexRetriesAfterInvalidIndex(t *testing.T) {
	tg := testdb.New(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := open(t, tg)
	r1, r2 := concurrentRevisions(t)
	g := writeDir(t, r1, r2)
	if _, err := newMigrator(t, db, g).Upgrade(ctx, "0001"); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"a", "b", "a"} {
		if _, err := engine.ExecStmt(ctx, db, expr.Insert(expr.T("items")).Columns("code", "qty").Values(code, 1)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := newMigrator(t, db, g).Upgrade(ctx, "head")
	var pe *migrate.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("want a PartialError, got %v", err)
	}
	if pe.Revision != "0002" || pe.Done != pe.Step-1 || pe.Done < 1 || !strings.Contains(pe.Statement, "CREATE UNIQUE INDEX CONCURRENTLY") {
		t.Fatalf("failed at step %d (%d done): %s", pe.Step, pe.Done, pe.Statement)
	}
	if v := pgIndexValid(ctx, t, db, "ux_items_code"); len(v) != 1 || v[0] {
		t.Fatalf("after the failed build: indisvalid %v; want one invalid index", v)
	}
	var state string
	var done int
	vt := expr.T(migrate.DefaultVersionTable)
	if err := engine.QueryRowStmt(ctx, db, expr.Select(vt.C("state"), vt.C("done")).From(vt).Where(expr.Eq(vt.C("revision"), "0002"))).Scan(&state, &done); err != nil {
		t.Fatal(err)
	}
	if state != "upgrading" || done != pe.Done {
		t.Fatalf("version row: %s, %d done; want upgrading, %d", state, done, pe.Done)
	}
	if _, err := db.Exec(ctx, "DELETE FROM items WHERE id = 3"); err != nil {
		t.Fatal(err)
	}
	res, err := newMigrator(t, db, g).Upgrade(ctx, "head")
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if len(res) != 1 || !res[0].Resumed || res[0].Ran != res[0].Total-pe.Done {
		t.Fatalf("rerun: %+v; want resumed after step %d", res, pe.Done)
	}
	checkIndexes(ctx, t, tg, db, "ux_items_code", "ix_items_qty")
	drift, err := newMigrator(t, db, g).Check(ctx)
	if err != nil || len(drift) > 0 {
		t.Fatalf("drift after the resumed upgrade: %v %v", drift, err)
	}
}

// TestConcurrentIndexResumeAfterLostRecord loses the version-table write
// after CREATE INDEX CONCURRENTLY finished: the next run finds the index
// in place and valid, records the step without building it again, and
// finishes the revision.
func TestConcurrentIndexResumeAfterLostRecord(t *testing.T) {
	tg := testdb.New(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r1, r2 := concurrentRevisions(t)
	g := writeDir(t, r1, r2)
	var fired atomic.Bool
	db := openWith(t, tg, engine.WithMiddleware(loseRecordAfter(func(q string) bool {
		return strings.HasPrefix(q, "CREATE UNIQUE INDEX CONCURRENTLY")
	}, &fired)))
	_, err := newMigrator(t, db, g).Upgrade(ctx, "head")
	var pe *migrate.PartialError
	if !fired.Load() || !errors.As(err, &pe) {
		t.Fatalf("fault fired %v; want a PartialError, got %v", fired.Load(), err)
	}
	res, err := newMigrator(t, db, g).Upgrade(ctx, "head")
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if len(res) != 1 || !res[0].Resumed || res[0].Skipped != 1 || res[0].Ran != res[0].Total-pe.Step {
		t.Fatalf("resume: %+v; want the index build (step %d) skipped, the steps after it run", res, pe.Step)
	}
	checkIndexes(ctx, t, tg, db, "ux_items_code", "ix_items_qty")
}

// TestConcurrentIndexThenFailingTransaction (PostgreSQL): the index is
// built concurrently and recorded; the check added after it, in the next
// transaction, fails over a row that breaks it and is rolled back alone.
// The version row says 1 step done; once the row is fixed, the rerun runs
// only the check (the index is not built again).
func TestConcurrentIndexThenFailingTransaction(t *testing.T) {
	tg := testdb.New(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := open(t, tg)
	r1, err := migrate.Autogenerate(schema.NewMetaData(), indexedModels(false), "0001", "items", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := indexedModels(false)
	want.Table("items").Indexes = []*schema.Index{{Name: "ix_items_qty", Columns: []string{"qty"}}}
	want.Table("items").Checks = []*schema.Check{{Name: "ck_items_qty", Expr: "qty >= 0"}}
	r2, err := migrate.Autogenerate(r1.Snapshot, want, "0002", "index and check", []string{"0001"})
	if err != nil {
		t.Fatal(err)
	}
	r2.Upgrade, r2.Downgrade = migrate.ConcurrentIndexes(r2.Upgrade), migrate.ConcurrentIndexes(r2.Downgrade)
	if len(r2.Upgrade) != 2 {
		t.Fatalf("upgrade: %v; want a check and an index", r2.Upgrade)
	}
	if _, ok := r2.Upgrade[0].(migrate.CreateIndex); !ok { // as a hand-edited file may order them
		r2.Upgrade[0], r2.Upgrade[1] = r2.Upgrade[1], r2.Upgrade[0]
	}
	g := writeDir(t, r1, r2)
	if _, err := newMigrator(t, db, g).Upgrade(ctx, "0001"); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.ExecStmt(ctx, db, expr.Insert(expr.T("items")).Columns("code", "qty").Values("neg", -1)); err != nil {
		t.Fatal(err)
	}
	_, err = newMigrator(t, db, g).Upgrade(ctx, "head")
	var pe *migrate.PartialError
	if !errors.As(err, &pe) || pe.Step != 2 || pe.Done != 1 {
		t.Fatalf("want a PartialError at step 2 with 1 done, got %v", err)
	}
	if v := pgIndexValid(ctx, t, db, "ix_items_qty"); len(v) != 1 || !v[0] {
		t.Fatalf("the index built before the failure: %v", v)
	}
	if _, err := db.Exec(ctx, "UPDATE items SET qty = 0"); err != nil {
		t.Fatal(err)
	}
	var built []string
	res, err := newMigrator(t, db, g, migrate.WithProgress(func(e migrate.Event) {
		if e.Kind == migrate.StepDone {
			built = append(built, e.SQL)
		}
	})).Upgrade(ctx, "head")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || !res[0].Resumed || res[0].Ran != 1 || len(built) != 1 || !strings.Contains(built[0], "CHECK") {
		t.Fatalf("rerun: %+v, steps %q; want only the check", res, built)
	}
	if drift, err := newMigrator(t, db, g).Check(ctx); err != nil || len(drift) > 0 {
		t.Fatalf("drift: %v %v", drift, err)
	}
}
