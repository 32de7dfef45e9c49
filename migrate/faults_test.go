package migrate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/faultproxy"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// TestMigrationSurvivesConnectionCut cuts the runner's connection (a real
// TCP cut, through internal/faultproxy) right after the server received a
// revision's CREATE TABLE (the first statement naming its table), and again right after a data step's INSERT.
// Each failed run is a PartialError over a lost connection; the next run,
// through a healthy connection, finishes the revision without running a
// step twice.
func TestMigrationSurvivesConnectionCut(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		if tg.Name == "sqlite" {
			t.Skip("SQLite has no connection to cut")
		}
		ctx := context.Background()
		notes := &schema.Table{Name: "cut_notes", Columns: []*schema.Column{id(), {Name: "src", Type: schema.Varchar(10)}}, PrimaryKey: pk()}
		r := &migrate.Revision{ID: "0001", Message: "notes", Snapshot: md(notes.Clone()),
			Upgrade: []migrate.Op{
				migrate.CreateTable{Table: notes.Clone()},
				migrate.RawSQL{SQL: []string{"INSERT INTO cut_notes (src) VALUES ('sql')"}},
				migrate.GoStep{Func: "note_go"},
			},
			Downgrade: []migrate.Op{migrate.DropTable{Table: notes.Clone()}},
		}
		g := writeDir(t, r)
		funcs := migrate.WithFuncs(migrate.Funcs{"note_go": func(ctx context.Context, ex engine.Executor) error {
			_, err := engine.ExecStmt(ctx, ex, expr.Insert(expr.T("cut_notes")).Columns("src").Values("go"))
			return err
		}})
		p, err := faultproxy.Start(tg.Addr(t))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		viaProxy := open(t, tg.Via(t, p.Addr()))
		for _, pattern := range []string{"cut_notes", "INSERT INTO cut_notes (src) VALUES ('sql')"} {
			p.CutOn(pattern, faultproxy.After, true)
			_, err := newMigrator(t, viaProxy, g, funcs).Upgrade(ctx, "head")
			p.Clear()
			var pe *migrate.PartialError
			if !errors.As(err, &pe) || !errors.Is(err, sqlerr.ErrConnLost) {
				t.Fatalf("cut after %q: want a PartialError over a lost connection, got %v", pattern, err)
			}
		}
		db := open(t, tg)
		if _, err := newMigrator(t, db, g, funcs).Upgrade(ctx, "head"); err != nil {
			t.Fatalf("the run after the cuts: %v", err)
		}
		var sqlRows, goRows int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM cut_notes WHERE src = 'sql'").Scan(&sqlRows); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM cut_notes WHERE src = 'go'").Scan(&goRows); err != nil {
			t.Fatal(err)
		}
		if sqlRows != 1 || goRows != 1 {
			t.Fatalf("data steps ran %d (sql) and %d (go) times; want once each", sqlRows, goRows)
		}
		if cur, err := newMigrator(t, db, g).Current(ctx); err != nil || len(cur) != 1 {
			t.Fatalf("current %v %v", cur, err)
		}
	})
}
