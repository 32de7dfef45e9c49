package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-go/strata/cmd/strata/cli"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// TestRevisionConcurrently: `revision --autogenerate --concurrently` marks
// the index built on an existing table "concurrently" (in the file, in
// the listing), so the PostgreSQL lock lint no longer flags it; without
// the flag the lint names the option; the flag needs --autogenerate.
func TestRevisionConcurrently(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "migrations")
	write := func(name string, m *schema.MetaData) string {
		data, err := migrate.MarshalSnapshot(m)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	indexed := models(schema.NoAction, true)
	indexed.Table("child").Indexes = []*schema.Index{{Name: "ix_child_parent_id", Columns: []string{"parent_id"}}}
	plain, withIndex := write("plain.json", models(schema.NoAction, true)), write("indexed.json", indexed)
	run := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := cli.Run(context.Background(), append([]string{"--dir", dir}, args...), &out, &errb, cli.Config{}); code != want {
			t.Fatalf("strata %v: exit %d, want %d\n%s%s", args, code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
	run(0, "init")
	run(0, "revision", "-m", "first", "--autogenerate", "--models", plain, "--rev-id", "0001", "--dialect", "postgres")
	if out := run(0, "revision", "-m", "index", "--autogenerate", "--models", withIndex, "--rev-id", "0002", "--dialect", "postgres"); !strings.Contains(out,
		`lock: creates index ix_child_parent_id on child without CONCURRENTLY: writes to child wait for the whole build (SHARE lock); set "concurrently": true on the operation (strata revision --concurrently)`) {
		t.Fatalf("without --concurrently: %s", out)
	}
	for _, f := range []string{"0002_index.json"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	run(0, "hash")
	out := run(0, "revision", "-m", "index", "--autogenerate", "--concurrently", "--models", withIndex, "--rev-id", "0002", "--dialect", "postgres")
	if !strings.Contains(out, "  create index ix_child_parent_id on child concurrently\n") || strings.Contains(out, "lock:") {
		t.Fatalf("with --concurrently: %s", out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "0002_index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `"concurrently": true`); n != 2 {
		t.Fatalf("%d operations concurrently; want the create and the downgrade's drop:\n%s", n, data)
	}
	if out := run(2, "revision", "-m", "x", "--concurrently"); !strings.Contains(out, "--concurrently needs --autogenerate") {
		t.Fatalf("without --autogenerate: %s", out)
	}
}
