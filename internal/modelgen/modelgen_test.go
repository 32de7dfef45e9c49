package modelgen_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/internal/modelgen"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// shop is a schema with what the tags and options must carry: keys
// (composite too), foreign keys with actions, uniques, indexes, checks,
// defaults, comments, nullable columns of many types.
func shop() *schema.MetaData {
	m := schema.NewMetaData()
	m.MustAdd(
		&schema.Table{Name: "customers", Comment: "who buys", Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "email", Type: schema.Varchar(120)},
			{Name: "active", Type: schema.Boolean(), Default: schema.DefaultBoolean(true)},
			{Name: "joined", Type: schema.TimestampTZ(), Default: schema.DefaultNow()},
			{Name: "note", Type: schema.Text(), Nullable: true, Comment: "free text"},
		}, PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}}, Uniques: []*schema.Unique{{Columns: []string{"email"}}}},
		&schema.Table{Name: "orders", Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "customer_id", Type: schema.BigInt()},
			{Name: "total", Type: schema.Numeric(12, 2), Default: schema.DefaultInt(0)},
			{Name: "status", Type: schema.Varchar(20), Default: schema.DefaultStr("new")},
			{Name: "placed", Type: schema.Date(), Nullable: true},
			{Name: "data", Type: schema.Bytes(), Nullable: true},
			{Name: "labels", Type: schema.Array(schema.Text())},
			{Name: "sizes", Type: schema.Array(schema.BigInt()), Nullable: true},
			{Name: "meta", Type: schema.JSON(), Nullable: true},
		}, PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
			ForeignKeys: []*schema.ForeignKey{{Columns: []string{"customer_id"}, RefTable: "customers", RefColumns: []string{"id"}, OnDelete: schema.Cascade}},
			Indexes:     []*schema.Index{{Columns: []string{"status", "placed"}}},
			Checks:      []*schema.Check{{Name: "ck_orders_total", Expr: "total >= 0"}}},
		&schema.Table{Name: "order_tags", Columns: []*schema.Column{
			{Name: "order_id", Type: schema.BigInt()},
			{Name: "tag", Type: schema.Varchar(30)},
		}, PrimaryKey: &schema.PrimaryKey{Columns: []string{"order_id", "tag"}},
			ForeignKeys: []*schema.ForeignKey{{Columns: []string{"order_id"}, RefTable: "orders", RefColumns: []string{"id"}, OnDelete: schema.Cascade}}},
	)
	return m
}

// TestGenerateGolden: the source for the shop schema, kept as a golden
// file (go/format has parsed it).
func TestGenerateGolden(t *testing.T) {
	src, err := modelgen.Generate(shop(), "models")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "shop.go.golden", string(src))
}

// TestGenerateRefuses: what a struct tag cannot say is an error naming it.
func TestGenerateRefuses(t *testing.T) {
	m := schema.NewMetaData()
	m.MustAdd(&schema.Table{Name: "t", Columns: []*schema.Column{{Name: "g", Type: schema.Type{Kind: schema.KindCustom, Custom: "geometry"}}}})
	if _, err := modelgen.Generate(m, "models"); err == nil || !strings.Contains(err.Error(), "table t, column g") {
		t.Fatalf("custom type: %v", err)
	}
}

// TestGeneratedModelsMatchTheDatabase builds the generated models into a
// program on every database: the schema is created by a migration, the
// models are generated from the database, and autogenerate from the same
// database against the registered models plans nothing.
func TestGeneratedModelsMatchTheDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir, err := os.MkdirTemp("testdata", "gen")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(t.TempDir(), "check")
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db, err := engine.Open(ctx, tg.Dialect, tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		r, err := migrate.Autogenerate(schema.NewMetaData(), shop(), "0001", "shop", nil)
		if err != nil {
			t.Fatal(err)
		}
		g, err := migrate.NewGraph([]*migrate.Revision{r})
		if err != nil {
			t.Fatal(err)
		}
		m, err := migrate.New(db, g)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		live, err := m.Inspect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		src, err := modelgen.Generate(live, "main")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "models.go"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(checkProgram), 0o644); err != nil {
			t.Fatal(err)
		}
		// The generated source differs per database (types as each reports
		// them), so the program is built for each.
		out, err := exec.Command("go", "build", "-o", bin, "./"+dir).CombinedOutput()
		if err != nil {
			t.Fatalf("build the generated models: %v\n%s\n%s", err, out, src)
		}
		out, err = exec.Command(bin, tg.Dialect.Name(), tg.DSN).CombinedOutput()
		if err != nil {
			t.Fatalf("the generated models against the database: %v\n%s\n%s", err, out, src)
		}
		if got := strings.TrimSpace(string(out)); got != "0 operations" {
			t.Fatalf("autogenerate with the generated models:\n%s\n%s", got, src)
		}
	})
}

const checkProgram = `package main

import (
	"context"
	"fmt"
	"os"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/orm"
)

func main() {
	d := map[string]dialect.Dialect{"postgres": pgdialect.New(), "mysql": mysqldialect.New(), "sqlite": sqlitedialect.New()}[os.Args[1]]
	ctx := context.Background()
	db, err := engine.Open(ctx, d, os.Args[2])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer db.Close()
	reg := orm.NewRegistry()
	if err := Register(reg); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	live, err := engine.Inspect(ctx, db, dialect.InspectOptions{Exclude: []string{migrate.DefaultVersionTable, "strata_lock"}})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	ops, err := migrate.Plan(live, reg.MetaData(), migrate.PlanOptions{Normalize: d.Normalize})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	for _, op := range ops {
		fmt.Println(op)
	}
	fmt.Printf("%d operations\n", len(ops))
}
`
