package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-go/strata/cmd/strata/cli"
	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

func models(onDelete schema.Action, withChild bool) *schema.MetaData {
	m := schema.NewMetaData()
	m.MustAdd(&schema.Table{Name: "parent", Columns: []*schema.Column{
		{Name: "id", Type: schema.BigInt(), AutoIncrement: true}, {Name: "name", Type: schema.Varchar(40)}},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}}})
	if withChild {
		m.MustAdd(&schema.Table{Name: "child", Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true}, {Name: "parent_id", Type: schema.BigInt()}},
			PrimaryKey:  &schema.PrimaryKey{Columns: []string{"id"}},
			ForeignKeys: []*schema.ForeignKey{{Columns: []string{"parent_id"}, RefTable: "parent", RefColumns: []string{"id"}, OnDelete: onDelete}}})
	}
	return m
}

// TestEndToEndSQLite drives the command line in process through a whole
// life cycle on SQLite and keeps the transcript as a golden file.
func TestEndToEndSQLite(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "migrations")
	writeModels := func(name string, m *schema.MetaData) string {
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
	v1 := writeModels("v1.json", models(schema.NoAction, true))
	v2 := writeModels("v2.json", models(schema.Cascade, true))
	v3 := writeModels("v3.json", models(schema.Cascade, false))
	db := "file:" + filepath.Join(tmp, "app.db")
	scratch := "file:" + filepath.Join(tmp, "scratch.db")

	var transcript strings.Builder
	run := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code := cli.Run(context.Background(), append([]string{"--dir", dir}, args...), &out, &errb, cli.Config{})
		clean := func(s string) string { return strings.ReplaceAll(s, tmp, "$TMP") }
		fmt.Fprintf(&transcript, "$ strata %s\n%s", clean(strings.Join(args, " ")), clean(out.String()))
		if errb.Len() > 0 {
			fmt.Fprintf(&transcript, "[stderr] %s", clean(errb.String()))
		}
		fmt.Fprintf(&transcript, "[exit %d]\n\n", code)
		if code != want {
			t.Fatalf("strata %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String()
	}

	run(0, "init")
	run(0, "revision", "-m", "parent and child", "--autogenerate", "--models", v1, "--rev-id", "0001")
	run(0, "revision", "-m", "cascade children", "--autogenerate", "--models", v2, "--rev-id", "0002")
	run(0, "revision", "-m", "again", "--autogenerate", "--models", v2, "--rev-id", "0009")
	run(0, "history")
	run(0, "heads")
	run(0, "sql", "0002", "--dialect", "sqlite")
	run(0, "sql", "0001:0002", "--dialect", "postgres")
	run(0, "sql", "--downgrade", "0002:0001", "--dialect", "mysql")
	run(0, "current", "--db", db)
	run(0, "upgrade", "--db", db)
	run(0, "current", "--db", db)
	run(0, "check", "--db", db, "--models", v2)
	run(1, "check", "--models", v1)
	run(0, "downgrade", "--db", db, "--", "-1")
	run(0, "current", "--db", db)
	run(2, "downgrade", "--db", db)
	run(0, "check", "--roundtrip", "--db", scratch)

	// A destructive revision must be acknowledged, and editing it needs a
	// new checksum.
	run(0, "revision", "-m", "drop child", "--autogenerate", "--models", v3, "--rev-id", "0003")
	run(1, "upgrade", "--db", db)
	matches, _ := filepath.Glob(filepath.Join(dir, "0003_*.json"))
	data, _ := os.ReadFile(matches[0])
	if err := os.WriteFile(matches[0], bytes.Replace(data, []byte(`"acknowledged": false`), []byte(`"acknowledged": true`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	run(1, "upgrade", "--db", db)
	run(0, "hash")
	run(0, "upgrade", "--db", db)
	run(0, "current", "--db", db)
	// A branch from 0001 and a merge of the two heads.
	run(0, "revision", "-m", "side branch", "--head", "0001", "--rev-id", "0004")
	run(1, "upgrade", "--db", db)
	run(0, "heads")
	run(0, "merge", "-m", "join", "--rev-id", "0005")
	run(0, "revision", "-m", "after merge", "--depends-on", "0004", "--rev-id", "0006")
	run(0, "history")
	run(0, "upgrade", "--db", db)
	run(0, "current", "--db", db)
	run(0, "check", "--db", db, "--models", v3)
	run(0, "stamp", "base", "--db", db)
	run(0, "current", "--db", db)
	run(2, "upgrade", "--db", db, "--bogus")
	golden.Check(t, "end_to_end_sqlite.txt", transcript.String())
}

// TestEndToEndEachDatabase runs the main commands against every configured
// database (SQLite always; PostgreSQL and MariaDB when their variables are
// set), checking exit codes.
func TestEndToEndEachDatabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		tmp := t.TempDir()
		dir := filepath.Join(tmp, "migrations")
		write := func(name string, m *schema.MetaData) string {
			data, _ := migrate.MarshalSnapshot(m)
			p := filepath.Join(tmp, name)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		v1, v2 := write("v1.json", models(schema.NoAction, true)), write("v2.json", models(schema.Cascade, true))
		scratch := testdb.New(t, tg.Name)
		run := func(want int, args ...string) {
			t.Helper()
			var out, errb bytes.Buffer
			if code := cli.Run(context.Background(), append([]string{"--dir", dir}, args...), &out, &errb, cli.Config{}); code != want {
				t.Fatalf("strata %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
			}
		}
		run(0, "init")
		run(0, "revision", "-m", "one", "--autogenerate", "--models", v1)
		run(0, "revision", "-m", "two", "--autogenerate", "--models", v2)
		run(0, "upgrade", "--db", tg.DSN, "--dialect", tg.Dialect.Name())
		run(0, "check", "--db", tg.DSN, "--dialect", tg.Dialect.Name(), "--models", v2)
		run(0, "check", "--roundtrip", "--db", scratch.DSN, "--dialect", tg.Dialect.Name())
		run(0, "check", "--roundtrip", "--seed", "--db", testdb.New(t, tg.Name).DSN, "--dialect", tg.Dialect.Name())
		run(0, "downgrade", "base", "--db", tg.DSN, "--dialect", tg.Dialect.Name())
		run(0, "current", "--db", tg.DSN, "--dialect", tg.Dialect.Name())
	})
}

// TestRevisionNotesForDialect: with --dialect mysql, RESTRICT -> NO ACTION
// is no change (InnoDB enforces both alike): autogenerate writes nothing
// and prints the note; without a dialect it is an operation.
func TestRevisionNotesForDialect(t *testing.T) {
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
	restrict, noAction := write("r.json", models(schema.Restrict, true)), write("n.json", models(schema.NoAction, true))
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := cli.Run(context.Background(), append([]string{"--dir", dir}, args...), &out, &errb, cli.Config{}); code != 0 {
			t.Fatalf("strata %v: exit %d\n%s%s", args, code, out.String(), errb.String())
		}
		return out.String()
	}
	run("init")
	run("revision", "-m", "first", "--autogenerate", "--models", restrict, "--rev-id", "0001", "--dialect", "mysql")
	out := run("revision", "-m", "no action", "--autogenerate", "--models", noAction, "--rev-id", "0002", "--dialect", "mysql")
	want := "  note: alter foreign key fk_child_parent_id_parent on child: on delete RESTRICT -> NO ACTION, on update NO ACTION -> NO ACTION: no change on mysql, which stores both the same way\n" +
		"No changes detected; no revision written.\n"
	if out != want {
		t.Fatalf("got\n%swant\n%s", out, want)
	}
	if out := run("revision", "-m", "no action", "--autogenerate", "--models", noAction, "--rev-id", "0002", "--dialect", "postgres"); !strings.Contains(out, "Generated") ||
		!strings.Contains(out, "  ! lock: re-adds foreign key fk_child_parent_id_parent on child with new actions") {
		t.Fatalf("on postgres: %s", out)
	}
	// check shows the lock impact of what is not applied, for the database named.
	if out := run("check", "--dialect", "postgres"); !strings.Contains(out, "lock impact of 0002: re-adds foreign key") {
		t.Fatalf("check on postgres: %s", out)
	}
	if out := run("check", "--dialect", "mysql"); strings.Contains(out, "lock impact") {
		t.Fatalf("check on mysql: %s", out)
	}
}

// TestRevisionFromDatabase adopts a database made by hand on every
// database: revision --autogenerate --from-db writes a baseline of what is
// there (stamped, not run) and a revision from it to the models; upgrade
// applies it, the models then match, a second --from-db finds nothing,
// and a database at the wrong revision is refused.
func TestRevisionFromDatabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		tmp := t.TempDir()
		dir := filepath.Join(tmp, "migrations")
		pool := tg.Open(t)
		for _, s := range []string{
			"CREATE TABLE parent (id BIGINT NOT NULL, name VARCHAR(40) NOT NULL, PRIMARY KEY (id))",
			"INSERT INTO parent (id, name) VALUES (1, 'kept')",
		} {
			if _, err := pool.Exec(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		data, err := migrate.MarshalSnapshot(models(schema.Cascade, true))
		if err != nil {
			t.Fatal(err)
		}
		v := filepath.Join(tmp, "models.json")
		if err := os.WriteFile(v, data, 0o644); err != nil {
			t.Fatal(err)
		}
		n := 0
		cfg := cli.Config{NewID: func() string { n++; return fmt.Sprintf("%04d", n) }}
		db := []string{"--db", tg.DSN, "--dialect", tg.Dialect.Name()}
		run := func(want int, args ...string) string {
			t.Helper()
			var out, errb bytes.Buffer
			if code := cli.Run(ctx, append([]string{"--dir", dir}, args...), &out, &errb, cfg); code != want {
				t.Fatalf("strata %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
			}
			return out.String()
		}
		run(0, "init")
		out := run(0, append([]string{"revision", "-m", "adopt", "--autogenerate", "--from-db", "--models", v}, db...)...)
		for _, want := range []string{"baseline: 1 tables", "Stamped 0001", "Generated", "create table child"} {
			if !strings.Contains(out, want) {
				t.Fatalf("output lacks %q:\n%s", want, out)
			}
		}
		if cur := run(0, append([]string{"current"}, db...)...); !strings.HasPrefix(cur, "0001 ") {
			t.Fatalf("current after adopting: %s", cur)
		}
		// Not at the head: refused.
		run(1, append([]string{"revision", "-m", "again", "--autogenerate", "--from-db", "--models", v}, db...)...)
		run(0, append([]string{"upgrade"}, db...)...)
		run(0, append([]string{"check", "--models", v}, db...)...)
		if out := run(0, append([]string{"revision", "-m", "again", "--autogenerate", "--from-db", "--models", v}, db...)...); !strings.Contains(out, "No changes detected") {
			t.Fatalf("second --from-db: %s", out)
		}
		var name string
		if err := dialect.QueryEach(ctx, pool, "SELECT name FROM parent WHERE id = 1", nil, func(r dialect.Rows) error { return r.Scan(&name) }); err != nil || name != "kept" {
			t.Fatalf("the adopted row: %q %v", name, err)
		}
		run(2, "revision", "-m", "x", "--from-db", "--models", v)
	})
}

// TestModelsCommand: strata models prints Go models for a database's
// tables (the generator is tested in internal/modelgen, down to zero
// operations against the database it read).
func TestModelsCommand(t *testing.T) {
	tg := testdb.New(t, "sqlite")
	pool := tg.Open(t)
	if _, err := pool.Exec(context.Background(), "CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := cli.Run(context.Background(), []string{"models", "--db", tg.DSN, "--package", "app"}, &out, &errb, cli.Config{}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"package app", "type Notes struct", "`db:\"body,type:text\"`", "orm.TableName(\"notes\")"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %s:\n%s", want, out.String())
		}
	}
}

// TestRevisionFlagsKeptIndexes: with --dialect mysql, adding an index on a
// foreign key column says its downgrade keeps the foreign key's own index,
// and dropping it again says the upgrade does.
func TestRevisionFlagsKeptIndexes(t *testing.T) {
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
	plain := models(schema.Cascade, true)
	indexed := plain.Clone()
	indexed.Table("child").Indexes = []*schema.Index{{Name: "ix_child_parent_id", Columns: []string{"parent_id"}}}
	v1, v2 := write("v1.json", plain), write("v2.json", indexed)
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := cli.Run(context.Background(), append([]string{"--dir", dir, "--dialect", "mysql"}, args...), &out, &errb, cli.Config{}); code != 0 {
			t.Fatalf("strata %v: exit %d\n%s%s", args, code, out.String(), errb.String())
		}
		return out.String()
	}
	run("init")
	run("revision", "-m", "tables", "--autogenerate", "--models", v1, "--rev-id", "0001")
	if out := run("revision", "-m", "index", "--autogenerate", "--models", v2, "--rev-id", "0002"); !strings.Contains(out,
		"  kept index (downgrade): drop index ix_child_parent_id on child: foreign key fk_child_parent_id_parent needs an index") {
		t.Fatalf("adding the index:\n%s", out)
	}
	if out := run("revision", "-m", "no index", "--autogenerate", "--models", v1, "--rev-id", "0003"); !strings.Contains(out,
		"  kept index: drop index ix_child_parent_id on child") {
		t.Fatalf("dropping the index:\n%s", out)
	}
}
