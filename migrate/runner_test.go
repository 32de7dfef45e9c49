package migrate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
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

func runsModels() *schema.MetaData {
	return md(&schema.Table{Name: "runs", Columns: []*schema.Column{id(), {Name: "note", Type: schema.Varchar(20)}}, PrimaryKey: pk()})
}

// TestConcurrentUpgrade runs two upgrades at once from two pools (two
// processes, as far as the database can tell): the lock makes each
// revision apply exactly once.
func TestConcurrentUpgrade(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		r1, err := migrate.Autogenerate(schema.NewMetaData(), runsModels(), "0001", "runs", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2 := &migrate.Revision{ID: "0002", Parents: []string{"0001"}, Message: "data", Snapshot: r1.Snapshot,
			Upgrade: []migrate.Op{
				migrate.RawSQL{SQL: []string{"INSERT INTO runs (note) VALUES ('sql')"}},
				migrate.GoStep{Func: "note_go"},
			},
			Downgrade: []migrate.Op{migrate.RawSQL{SQL: []string{"DELETE FROM runs"}}},
		}
		g := writeDir(t, r1, r2)
		var calls atomic.Int32
		funcs := migrate.Funcs{"note_go": func(ctx context.Context, ex engine.Executor) error {
			calls.Add(1)
			_, err := engine.ExecStmt(ctx, ex, expr.Insert(expr.T("runs")).Columns("note").Values("go"))
			return err
		}}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			db := open(t, tg)
			m := newMigrator(t, db, g, migrate.WithFuncs(funcs))
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = m.Upgrade(ctx, "head")
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		db := open(t, tg)
		if n := count(t, db, "runs"); n != 2 || calls.Load() != 1 {
			t.Fatalf("%d rows and %d Go calls; want 2 and 1", n, calls.Load())
		}
	})
}

// TestFailedRevision checks what a failing statement leaves: nothing on
// databases with transactional DDL; on MariaDB the statements before it,
// recorded, so that the next run resumes at the failed statement.
func TestFailedRevision(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		snap := md(&schema.Table{Name: "a", Columns: []*schema.Column{{Name: "x", Type: schema.Integer()}}})
		r := &migrate.Revision{ID: "0001", Message: "fails", Snapshot: snap,
			Upgrade: []migrate.Op{migrate.RawSQL{SQL: []string{
				"CREATE TABLE a (x INTEGER NOT NULL)",
				"INSERT INTO b VALUES (1)", // b does not exist yet
				"INSERT INTO a VALUES (2)",
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
		live, ierr := engine.Inspect(ctx, db, m.InspectOptions())
		if ierr != nil {
			t.Fatal(ierr)
		}
		transactional := tg.Dialect.Features().Has(dialect.TransactionalDDL)
		if transactional {
			if pe.Done != 0 || live.Table("a") != nil {
				t.Fatalf("a failed revision left something behind: applied %d, tables %v", pe.Done, live.Tables())
			}
		} else if pe.Done != 1 || live.Table("a") == nil || pe.Total != 3 {
			t.Fatalf("MariaDB: applied %d of %d, tables %v", pe.Done, pe.Total, live.Tables())
		}
		if pe.Step != 2 || pe.Statement != "INSERT INTO b VALUES (1)" {
			t.Fatalf("the error names step %d (%q), want step 2", pe.Step, pe.Statement)
		}
		// Fix the cause and run again: MariaDB resumes at the failed
		// statement (CREATE TABLE a would fail if it ran twice).
		if _, err := db.Exec(ctx, "CREATE TABLE b (x INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if count(t, db, "a") != 1 || count(t, db, "b") != 1 {
			t.Fatal("the resumed revision did not finish")
		}
		if cur, err := m.Current(ctx); err != nil || len(cur) != 1 {
			t.Fatalf("current %v %v", cur, err)
		}
	})
}

func TestUpgradeRefusals(t *testing.T) {
	tg := testdb.New(t, "sqlite")
	ctx := context.Background()
	r1, err := migrate.Autogenerate(schema.NewMetaData(), runsModels(), "0001", "runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := migrate.Autogenerate(r1.Snapshot, schema.NewMetaData(), "0002", "drop runs", []string{"0001"})
	if err != nil {
		t.Fatal(err)
	}
	g := writeDir(t, r1, r2)
	m := newMigrator(t, open(t, tg), g)
	if _, err := m.Upgrade(ctx, "head"); !errors.Is(err, migrate.ErrUnacknowledged) {
		t.Fatalf("unacknowledged destructive revision: %v", err)
	}
	// pending revisions are all checked before any runs
	if cur, _ := m.Current(ctx); len(cur) != 0 {
		t.Fatalf("current %v; nothing should have run", cur)
	}
	r3 := &migrate.Revision{ID: "0003", Parents: []string{"0001"}, Message: "go", Snapshot: r1.Snapshot, Upgrade: []migrate.Op{migrate.GoStep{Func: "missing"}}}
	g2 := writeDir(t, r1, r3)
	if _, err := newMigrator(t, open(t, tg), g2).Upgrade(ctx, "head"); !errors.Is(err, migrate.ErrMissingFunc) {
		t.Fatalf("missing Go function: %v", err)
	}
}

// TestRoundTripCatchesWrongDowngrade: a revision whose downgrade does not
// undo its upgrade fails the round trip.
func TestRoundTripCatchesWrongDowngrade(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1, v2 := cascadeModels(schema.NoAction), cascadeModels(schema.Cascade)
		r1, _ := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "parent and child", nil)
		r2, _ := migrate.Autogenerate(v1, v2, "0002", "cascade", []string{"0001"})
		r2.Downgrade = nil
		m := newMigrator(t, open(t, tg), writeDir(t, r1, r2))
		if err := m.RoundTrip(ctx); err == nil {
			t.Fatal("round trip passed with a downgrade that does nothing")
		}
	})
}

func TestUnknownAppliedRevision(t *testing.T) {
	tg := testdb.New(t, "sqlite")
	ctx := context.Background()
	r1, _ := migrate.Autogenerate(schema.NewMetaData(), runsModels(), "0001", "runs", nil)
	db := open(t, tg)
	if _, err := newMigrator(t, db, writeDir(t, r1)).Upgrade(ctx, "head"); err != nil {
		t.Fatal(err)
	}
	empty, _ := migrate.NewGraph(nil)
	if _, err := newMigrator(t, db, empty).Upgrade(ctx, "head"); !errors.Is(err, migrate.ErrUnknownRevision) {
		t.Fatalf("upgrade with a revision missing from the directory: %v", err)
	}
}

// TestLockWaitIsBounded: while one connection holds the migration lock,
// an upgrade gives up after its wait with an error saying so.
func TestLockWaitIsBounded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if c, ok := tg.Dialect.(dialect.Clustered); ok {
			if node, err := c.ClusterNode(ctx, lockQuerier{conn}); err != nil || node {
				t.Skipf("a cluster node (%v): the runner locks with a row there (TestLockRowShowsHolderAndUnlockBreaksIt)", err)
			}
		}
		unlock, err := tg.Dialect.(dialect.Locker).Lock(ctx, lockQuerier{conn}, "strata_migrate", time.Second)
		if err != nil {
			t.Fatal(err)
		}
		r1, _ := migrate.Autogenerate(schema.NewMetaData(), runsModels(), "0001", "runs", nil)
		m := newMigrator(t, open(t, tg), writeDir(t, r1), migrate.WithLockWait(300*time.Millisecond))
		if _, err := m.Upgrade(ctx, "head"); !errors.Is(err, dialect.ErrLockTimeout) {
			t.Fatalf("upgrade while locked: %v", err)
		}
		if err := unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
	})
}

type lockQuerier struct{ c *engine.Conn }

func (q lockQuerier) Exec(ctx context.Context, query string, args ...any) (dialect.Result, error) {
	return q.c.Exec(ctx, query, args...)
}

func (q lockQuerier) Query(ctx context.Context, query string, args ...any) (dialect.Rows, error) {
	r, err := q.c.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func TestRelativeTargets(t *testing.T) {
	ctx := context.Background()
	r1, _ := migrate.Autogenerate(schema.NewMetaData(), chain(), "0001", "chain", nil)
	r2, _ := migrate.Autogenerate(chain(), parentChild(false, false), "0002", "swap", []string{"0001"})
	r2.Acknowledged = true
	r3, _ := migrate.Autogenerate(parentChild(false, false), parentChild(true, true), "0003", "child", []string{"0002"})
	m := newMigrator(t, open(t, testdb.New(t, "sqlite")), writeDir(t, r1, r2, r3))
	for _, step := range []struct {
		up   bool
		rel  string
		want string
	}{{true, "+1", "0001"}, {true, "+2", "0003"}, {false, "-2", "0001"}, {true, "+5", "0003"}, {false, "-3", ""}} {
		var err error
		if step.up {
			_, err = m.Upgrade(ctx, step.rel)
		} else {
			_, err = m.Downgrade(ctx, step.rel)
		}
		if err != nil {
			t.Fatal(step.rel, err)
		}
		cur, _ := m.Current(ctx)
		if got := strings.Join(cur, ","); got != step.want {
			t.Fatalf("after %s: current %q, want %q", step.rel, got, step.want)
		}
	}
}

// TestOptionsValidate: options whose value cannot work make New fail with
// an error matching ErrInvalidOption that names each of them.
func TestOptionsValidate(t *testing.T) {
	db := open(t, testdb.New(t, "sqlite"))
	g := writeDir(t)
	for _, c := range []struct {
		name string
		opts []migrate.Option
		want string
	}{
		{"empty version table", []migrate.Option{migrate.WithVersionTable("")}, `WithVersionTable(""): empty name`},
		{"long version table", []migrate.Option{migrate.WithVersionTable(strings.Repeat("v", 64))}, "longer than 63 bytes"},
		{"negative lock wait", []migrate.Option{migrate.WithLockWait(-time.Second)}, "WithLockWait(-1s): negative"},
		{"nil progress", []migrate.Option{migrate.WithProgress(nil)}, "WithProgress(nil)"},
		{"nil func", []migrate.Option{migrate.WithFuncs(migrate.Funcs{"seed": nil})}, `function "seed" is empty or nil`},
		{"nil option", []migrate.Option{nil}, "nil Option"},
		{"two at once", []migrate.Option{migrate.WithVersionTable(""), migrate.WithLockWait(-1)}, "negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := migrate.New(db, g, c.opts...)
			if m != nil || !errors.Is(err, migrate.ErrInvalidOption) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v, %v; want an ErrInvalidOption naming %q", m, err, c.want)
			}
		})
	}
	if _, err := migrate.New(nil, g); !errors.Is(err, migrate.ErrInvalidOption) {
		t.Fatalf("New without a database: %v", err)
	}
	if m, err := migrate.New(db, g, migrate.WithVersionTable("my_versions"), migrate.WithLockWait(0)); err != nil || m == nil {
		t.Fatalf("valid options: %v", err)
	}
}

// TestDriftIsOperations: a column added by hand shows in Check as the
// typed operation that would undo it, from the same differ autogenerate
// uses.
func TestDriftIsOperations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		r1, err := migrate.Autogenerate(schema.NewMetaData(), cascadeModels(schema.Cascade), "0001", "tables", nil)
		if err != nil {
			t.Fatal(err)
		}
		db := open(t, tg)
		m := newMigrator(t, db, writeDir(t, r1))
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, "ALTER TABLE parent ADD COLUMN extra INTEGER"); err != nil {
			t.Fatal(err)
		}
		drift, err := m.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(drift) != 1 {
			t.Fatalf("drift: %v", drift)
		}
		dc, ok := drift[0].(migrate.DropColumn)
		if !ok || dc.Table != "parent" || dc.Column.Name != "extra" {
			t.Fatalf("drift: %#v", drift[0])
		}
	})
}
