package migrate_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// faulty is a middleware that fails one statement with driver.ErrBadConn
// (what database/sql drivers report for a connection lost before an
// answer): the first statement for which fail returns true.
type faulty struct {
	next dialect.Querier
	fail func(q string) bool
}

func (f faulty) Exec(ctx context.Context, q string, args ...any) (dialect.Result, error) {
	if f.fail(q) {
		return dialect.Result{}, driver.ErrBadConn
	}
	return f.next.Exec(ctx, q, args...)
}

func (f faulty) Query(ctx context.Context, q string, args ...any) (dialect.Rows, error) {
	if f.fail(q) {
		return nil, driver.ErrBadConn
	}
	return f.next.Query(ctx, q, args...)
}

// loseRecordAfter returns a middleware that lets every statement through
// until one for which after is true has run, then fails the next write to
// the version table once: the step took effect, its record was lost.
func loseRecordAfter(after func(q string) bool, fired *atomic.Bool) engine.Middleware {
	var armed atomic.Bool
	return func(next dialect.Querier) dialect.Querier {
		return faulty{next: next, fail: func(q string) bool {
			if after(q) {
				armed.Store(true)
				return false
			}
			writes := strings.HasPrefix(q, "UPDATE") || strings.HasPrefix(q, "INSERT")
			if armed.Load() && writes && strings.Contains(q, migrate.DefaultVersionTable) {
				return fired.CompareAndSwap(false, true)
			}
			return false
		}}
	}
}

func openWith(t *testing.T, tg testdb.Target, opts ...engine.Option) *engine.DB {
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

// TestResumeAfterLostRecordRunsEachStepOnce loses the connection's answer
// to the version-table write that follows a step (a typed CREATE TABLE, a
// raw INSERT, a Go step that inserts): the step took effect, its record
// did not. The failed run returns a PartialError naming that step; the
// next run finishes the revision, and no step has run twice (no "table
// already exists", one row per data step).
func TestResumeAfterLostRecordRunsEachStepOnce(t *testing.T) {
	notes := &schema.Table{Name: "notes", Columns: []*schema.Column{id(), {Name: "src", Type: schema.Varchar(10)}}, PrimaryKey: pk()}
	cases := []struct {
		name  string
		after func(q string) bool
		step  int
	}{
		{"create table", func(q string) bool { return strings.HasPrefix(q, "CREATE TABLE") && strings.Contains(q, "notes") }, 1},
		{"raw insert", func(q string) bool { return strings.HasPrefix(q, "INSERT INTO notes (src) VALUES ('sql')") }, 2},
		{"go step", func(q string) bool {
			return strings.HasPrefix(q, "INSERT INTO") && strings.Contains(q, "notes") && !strings.Contains(q, "'sql'")
		}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, tg testdb.Target) {
				ctx := context.Background()
				r := &migrate.Revision{ID: "0001", Message: "notes", Snapshot: md(notes.Clone()),
					Upgrade: []migrate.Op{
						migrate.CreateTable{Table: notes.Clone()},
						migrate.RawSQL{SQL: []string{"INSERT INTO notes (src) VALUES ('sql')"}},
						migrate.GoStep{Func: "note_go"},
					},
					Downgrade: []migrate.Op{migrate.DropTable{Table: notes.Clone()}},
				}
				g := writeDir(t, r)
				funcs := migrate.WithFuncs(migrate.Funcs{"note_go": func(ctx context.Context, ex engine.Executor) error {
					_, err := engine.ExecStmt(ctx, ex, expr.Insert(expr.T("notes")).Columns("src").Values("go"))
					return err
				}})
				var fired atomic.Bool
				db := openWith(t, tg, engine.WithMiddleware(loseRecordAfter(c.after, &fired)))
				_, err := newMigrator(t, db, g, funcs).Upgrade(ctx, "head")
				var pe *migrate.PartialError
				if !fired.Load() || !errors.As(err, &pe) || !errors.Is(err, driver.ErrBadConn) {
					t.Fatalf("fault fired %v; want a PartialError over driver.ErrBadConn, got %v", fired.Load(), err)
				}
				transactional := tg.Dialect.Features().Has(dialect.TransactionalDDL)
				if transactional && (pe.Step != 4 || pe.Done != 0) {
					// the record of the whole revision is its last statement
					t.Fatalf("step %d done %d; want step 4 (recording), done 0", pe.Step, pe.Done)
				}
				if !transactional && (pe.Step != c.step || pe.Done != c.step-1) {
					t.Fatalf("step %d done %d; want step %d done %d", pe.Step, pe.Done, c.step, c.step-1)
				}
				res, err := newMigrator(t, db, g, funcs).Upgrade(ctx, "head")
				if err != nil {
					t.Fatalf("resume: %v", err)
				}
				if len(res) != 1 || res[0].Revision != "0001" || res[0].Ran+res[0].Skipped+pe.Done != 3 {
					t.Fatalf("results %+v after %d done", res, pe.Done)
				}
				if !transactional && c.step == 1 && (res[0].Skipped != 1 || !res[0].Resumed) {
					t.Fatalf("MariaDB: the CREATE TABLE that took effect was not recognised: %+v", res[0])
				}
				var sqlRows, goRows int
				if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM notes WHERE src = 'sql'").Scan(&sqlRows); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM notes WHERE src = 'go'").Scan(&goRows); err != nil {
					t.Fatal(err)
				}
				if sqlRows != 1 || goRows != 1 {
					t.Fatalf("data steps ran %d (sql) and %d (go) times; want once each", sqlRows, goRows)
				}
				if cur, err := newMigrator(t, db, g).Current(ctx); err != nil || len(cur) != 1 {
					t.Fatalf("current %v %v", cur, err)
				}
			})
		})
	}
}

// TestFailureRecordsStatement: a revision whose second of four steps
// fails returns a PartialError naming step 2 and its SQL, and the version
// table keeps the error and the statement (as a "failed" row where the
// revision rolled back, beside the recorded steps on MariaDB). After the
// cause is fixed the revision applies.
func TestFailureRecordsStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		snap := md(&schema.Table{Name: "a", Columns: []*schema.Column{{Name: "x", Type: schema.Integer()}}})
		bad := "INSERT INTO missing_table VALUES (1)"
		r := &migrate.Revision{ID: "0001", Message: "fails", Snapshot: snap,
			Upgrade: []migrate.Op{migrate.RawSQL{SQL: []string{
				"CREATE TABLE a (x INTEGER NOT NULL)", bad, "INSERT INTO a VALUES (2)", "INSERT INTO a VALUES (3)",
			}}},
			Downgrade: []migrate.Op{migrate.RawSQL{SQL: []string{"DROP TABLE a"}}},
		}
		g := writeDir(t, r)
		db := open(t, tg)
		m := newMigrator(t, db, g)
		_, err := m.Upgrade(ctx, "head")
		var pe *migrate.PartialError
		if !errors.As(err, &pe) {
			t.Fatalf("want a PartialError, got %v", err)
		}
		if pe.Step != 2 || pe.Total != 4 || pe.Statement != bad || !strings.Contains(pe.Error(), "step 2 of 4") {
			t.Fatalf("the error names the wrong step: %+v (%v)", pe, pe)
		}
		var state, msg, stmt string
		if err := db.QueryRow(ctx, `SELECT state, error, statement FROM strata_version WHERE revision = '0001'`).Scan(&state, &msg, &stmt); err != nil {
			t.Fatal(err)
		}
		if stmt != bad || msg == "" {
			t.Fatalf("version row (%s) records statement %q, error %q", state, stmt, msg)
		}
		if cur, err := m.Current(ctx); err != nil || len(cur) != 0 {
			t.Fatalf("current %v %v; nothing is applied", cur, err)
		}
		if _, err := db.Exec(ctx, "CREATE TABLE missing_table (x INTEGER)"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "a"); n != 2 {
			t.Fatalf("%d rows in a, want 2", n)
		}
		if cur, err := m.Current(ctx); err != nil || len(cur) != 1 {
			t.Fatalf("current %v %v", cur, err)
		}
		if d, err := m.Check(ctx); err != nil {
			t.Fatalf("check after a recorded failure: %v %v", d, err)
		}
	})
}

// TestUpgradeReturnsResults: one result per revision run, in order, and a
// PartialError keeps the revisions applied before the failing one.
func TestUpgradeReturnsResults(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		r1, err := migrate.Autogenerate(schema.NewMetaData(), runsModels(), "0001", "runs", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2 := &migrate.Revision{ID: "0002", Parents: []string{"0001"}, Message: "data", Snapshot: r1.Snapshot,
			Upgrade:   []migrate.Op{migrate.RawSQL{SQL: []string{"INSERT INTO runs (note) VALUES ('a')", "INSERT INTO runs (note) VALUES ('b')"}}},
			Downgrade: []migrate.Op{migrate.RawSQL{SQL: []string{"DELETE FROM runs"}}},
		}
		r3 := &migrate.Revision{ID: "0003", Parents: []string{"0002"}, Message: "fails", Snapshot: r1.Snapshot,
			Upgrade:   []migrate.Op{migrate.RawSQL{SQL: []string{"INSERT INTO nowhere VALUES (1)"}}},
			Downgrade: []migrate.Op{migrate.RawSQL{SQL: []string{"SELECT 1"}}},
		}
		db := open(t, tg)
		res, err := newMigrator(t, db, writeDir(t, r1, r2)).Upgrade(ctx, "head")
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0].Revision != "0001" || res[1].Revision != "0002" || res[1].Total != 2 || res[1].Ran != 2 || res[1].Direction != migrate.Up {
			t.Fatalf("results %+v", res)
		}
		down, err := newMigrator(t, db, writeDir(t, r1, r2)).Downgrade(ctx, "base")
		if err != nil {
			t.Fatal(err)
		}
		if len(down) != 2 || down[0].Revision != "0002" || down[1].Revision != "0001" || down[0].Direction != migrate.Down {
			t.Fatalf("downgrade results %+v", down)
		}
		res, err = newMigrator(t, db, writeDir(t, r1, r2, r3)).Upgrade(ctx, "head")
		var pe *migrate.PartialError
		if !errors.As(err, &pe) || pe.Revision != "0003" || len(pe.Applied) != 2 || len(res) != 2 || pe.Applied[1].Revision != "0002" {
			t.Fatalf("partial %+v results %+v err %v", pe, res, err)
		}
	})
}

// TestGarbageChecksumFile: a strata.sum that is not a checksum file is
// ErrChecksum, not a parse error, and nothing is read as valid.
func TestGarbageChecksumFile(t *testing.T) {
	r1, err := migrate.Autogenerate(schema.NewMetaData(), runsModels(), "0001", "runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, garbage := range map[string]string{
		"binary":      "\x00\xff\xfe garbage",
		"one line":    "nonsense",
		"no spaces":   "h1:abc\nfile-without-sum\n",
		"empty":       "",
		"wrong first": "h1:AAAA\n0001_runs.json h1:AAAA\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := migrate.WriteRevision(dir, r1); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, migrate.SumFile), []byte(garbage), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := migrate.OpenDir(os.DirFS(dir))
			if !errors.Is(err, migrate.ErrChecksum) {
				t.Fatalf("want ErrChecksum, got %v", err)
			}
		})
	}
}
