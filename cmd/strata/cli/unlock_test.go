package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/cmd/strata/cli"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
)

// TestUnlockShowsAndBreaksADeadHolder: `strata unlock --dry-run` shows
// who holds the migration lock row and since when, `strata unlock` breaks
// it, and a second unlock says nothing is held; on every database.
func TestUnlockShowsAndBreaksADeadHolder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "migrations")
		run := func(args ...string) string {
			t.Helper()
			var out, errb bytes.Buffer
			if code := cli.Run(ctx, append([]string{"--dir", dir}, args...), &out, &errb, cli.Config{}); code != 0 {
				t.Fatalf("strata %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
			}
			return out.String()
		}
		run("init")
		db, err := engine.Open(ctx, tg.Dialect, tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		g, err := migrate.NewGraph(nil)
		if err != nil {
			t.Fatal(err)
		}
		// A runner that took the lock row and died.
		m, err := migrate.New(db, g, migrate.WithLockRow(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Upgrade(ctx, "heads"); err != nil {
			t.Fatal(err)
		}
		since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		if _, err := engine.ExecStmt(ctx, db, expr.Insert(expr.T(migrate.DefaultLockTable)).Columns("name", "holder", "acquired_at", "heartbeat_at", "expires_at").
			Values("strata_migrate", "deadhost:4242:beef", since.UnixMilli(), since.UnixMilli(), time.Now().Add(time.Hour).UnixMilli())); err != nil {
			t.Fatal(err)
		}
		flags := []string{"--db", tg.DSN, "--dialect", tg.Dialect.Name()}
		if out := run(append([]string{"unlock", "--dry-run"}, flags...)...); !strings.Contains(out, "deadhost:4242:beef since 2026-01-02T03:04:05Z") {
			t.Fatalf("unlock --dry-run: %q", out)
		}
		if out := run(append([]string{"unlock"}, flags...)...); !strings.Contains(out, "Broke the lock held by deadhost:4242:beef since 2026-01-02T03:04:05Z") {
			t.Fatalf("unlock: %q", out)
		}
		if out := run(append([]string{"unlock"}, flags...)...); !strings.Contains(out, "not held") {
			t.Fatalf("second unlock: %q", out)
		}
	})
}
