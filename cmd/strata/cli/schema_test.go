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
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// TestRevisionFromDatabaseWithSchema (PostgreSQL): a database with a table
// in a named schema (made for the test, dropped after it) and a table of
// the current schema referencing it is adopted with --schema: the
// baseline holds both, the new revision adds the models' third table in
// the named schema; after the upgrade the models match (check) and a
// second --from-db finds nothing, without --schema (the revisions name the
// schema).
func TestRevisionFromDatabaseWithSchema(t *testing.T) {
	tg := testdb.New(t, "postgres")
	ctx := context.Background()
	pool := tg.Open(t)
	var cur string
	if err := dialect.QueryEach(ctx, pool, "SELECT current_schema()", nil, func(r dialect.Rows) error { return r.Scan(&cur) }); err != nil {
		t.Fatal(err)
	}
	crm := cur + "_crm"
	for _, s := range []string{
		fmt.Sprintf(`CREATE SCHEMA %q`, crm),
		fmt.Sprintf(`CREATE TABLE %q.parent (id BIGINT NOT NULL, name VARCHAR(40) NOT NULL, CONSTRAINT pk_parent PRIMARY KEY (id))`, crm),
		fmt.Sprintf(`CREATE TABLE child (id BIGINT NOT NULL, parent_id BIGINT NOT NULL, CONSTRAINT pk_child PRIMARY KEY (id),
			CONSTRAINT fk_child_parent_id_parent FOREIGN KEY (parent_id) REFERENCES %q.parent (id))`, crm),
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), fmt.Sprintf(`DROP SCHEMA %q CASCADE`, crm)); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	m := schema.NewMetaData()
	m.MustAdd(
		&schema.Table{Schema: crm, Name: "parent", Columns: []*schema.Column{{Name: "id", Type: schema.BigInt()}, {Name: "name", Type: schema.Varchar(40)}},
			PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}}},
		&schema.Table{Name: "child", Columns: []*schema.Column{{Name: "id", Type: schema.BigInt()}, {Name: "parent_id", Type: schema.BigInt()}},
			PrimaryKey:  &schema.PrimaryKey{Columns: []string{"id"}},
			ForeignKeys: []*schema.ForeignKey{{Columns: []string{"parent_id"}, RefSchema: crm, RefTable: "parent", RefColumns: []string{"id"}}}},
		&schema.Table{Schema: crm, Name: "contact", Columns: []*schema.Column{{Name: "id", Type: schema.BigInt()}, {Name: "parent_id", Type: schema.BigInt()}},
			PrimaryKey:  &schema.PrimaryKey{Columns: []string{"id"}},
			ForeignKeys: []*schema.ForeignKey{{Columns: []string{"parent_id"}, RefSchema: crm, RefTable: "parent", RefColumns: []string{"id"}}}},
	)
	data, err := migrate.MarshalSnapshot(m)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	dir, v := filepath.Join(tmp, "migrations"), filepath.Join(tmp, "models.json")
	if err := os.WriteFile(v, data, 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	cfg := cli.Config{NewID: func() string { n++; return fmt.Sprintf("%04d", n) }}
	db := []string{"--db", tg.DSN, "--dialect", "postgres"}
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := cli.Run(ctx, append([]string{"--dir", dir}, append(args, db...)...), &out, &errb, cfg); code != 0 {
			t.Fatalf("strata %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		return out.String()
	}
	run("init")
	out := run("revision", "-m", "adopt", "--autogenerate", "--from-db", "--schema", crm, "--models", v)
	for _, want := range []string{"baseline: 2 tables", "create table " + crm + ".contact"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	run("upgrade")
	run("check", "--models", v)
	if out := run("revision", "-m", "again", "--autogenerate", "--from-db", "--models", v); !strings.Contains(out, "No changes detected") {
		t.Fatalf("second --from-db: %s", out)
	}
}
