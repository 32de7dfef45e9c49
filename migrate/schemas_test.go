package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// schemaModels is customers in schema sales, orders in schema audit with a
// foreign key to sales.customers, a table events of the same name in both
// schemas (indexes of the same name too: index names are per schema), and
// notes in the current schema referencing audit.orders.
func schemaModels(sales, audit string) *schema.MetaData {
	events := func(sch string) *schema.Table {
		return &schema.Table{Schema: sch, Name: "events", Columns: []*schema.Column{id(), {Name: "kind", Type: schema.Varchar(20)}}, PrimaryKey: pk(),
			Indexes: []*schema.Index{{Columns: []string{"kind"}}}}
	}
	return md(
		&schema.Table{Schema: sales, Name: "customers", Columns: []*schema.Column{id(), {Name: "name", Type: schema.Varchar(40)}}, PrimaryKey: pk()},
		&schema.Table{Schema: audit, Name: "orders", Columns: []*schema.Column{id(), {Name: "customer_id", Type: schema.BigInt()}}, PrimaryKey: pk(),
			ForeignKeys: []*schema.ForeignKey{{Columns: []string{"customer_id"}, RefSchema: sales, RefTable: "customers", RefColumns: []string{"id"}, OnDelete: schema.Cascade}},
			Indexes:     []*schema.Index{{Columns: []string{"customer_id"}}}},
		events(sales), events(audit),
		&schema.Table{Name: "notes", Columns: []*schema.Column{id(), {Name: "order_id", Type: schema.BigInt(), Nullable: true}}, PrimaryKey: pk(),
			ForeignKeys: []*schema.ForeignKey{{Columns: []string{"order_id"}, RefSchema: audit, RefTable: "orders", RefColumns: []string{"id"}}}},
	)
}

// TestSchemasRendered: the first revision of schemaModels for PostgreSQL
// (a golden file: every name qualified, created parents first, dropped
// children first) and its file, which keeps the schemas; MariaDB and
// SQLite refuse tables in named schemas with sqlerr.ErrUnsupported.
func TestSchemasRendered(t *testing.T) {
	m := schemaModels("sales", "audit")
	for _, d := range dialects {
		r, err := migrate.AutogenerateFor(d, schema.NewMetaData(), m, "0001", "schemas", nil)
		if d.Name() != "postgres" {
			if !errors.Is(err, sqlerr.ErrUnsupported) {
				t.Fatalf("%s: want ErrUnsupported, got %v", d.Name(), err)
			}
			if _, err := migrate.Render(d, schema.NewMetaData(), []migrate.Op{migrate.CreateTable{Table: m.Table("sales.customers")}}); !errors.Is(err, sqlerr.ErrUnsupported) {
				t.Fatalf("%s: render: want ErrUnsupported, got %v", d.Name(), err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, dir := range []struct {
			name   string
			before *schema.MetaData
			ops    []migrate.Op
		}{{"upgrade", schema.NewMetaData(), r.Upgrade}, {"downgrade", r.Snapshot, r.Downgrade}} {
			steps, err := migrate.Render(d, dir.before, dir.ops)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "-- %s\n", dir.name)
			for _, st := range steps {
				fmt.Fprintf(&b, "%s;\n", st)
			}
		}
		// a table of a named schema renamed by a hint, in its schema
		renamed := m.Clone()
		c := renamed.Table("sales.customers").Clone()
		renamed.Remove("sales.customers")
		c.Name, c.RenamedFrom = "clients", "customers"
		renamed.MustAdd(c)
		renamed.Table("audit.orders").ForeignKeys[0].RefTable = "clients"
		r2, err := migrate.AutogenerateFor(d, r.Snapshot, renamed, "0002", "rename", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		steps, err := migrate.Render(d, r.Snapshot, r2.Upgrade)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("-- rename\n")
		for _, st := range steps {
			fmt.Fprintf(&b, "%s;\n", st)
		}
		golden.Check(t, "schemas_postgres.golden", b.String())
		// read back, the revision replays to the models: schemas and the
		// cross-schema reference are in the file
		back := writeDir(t, r).Revision("0001")
		if ops, err := migrate.Plan(back.Snapshot, m, migrate.PlanOptions{}); err != nil || len(ops) > 0 {
			t.Fatalf("the revision read back differs from the models: %v %v", ops, err)
		}
	}
}

// TestSchemasRoundTrip (PostgreSQL): two schemas made for the test (and
// dropped after it); the revision creates tables in both, with a foreign
// key across them and a table of the same name in each; after the upgrade
// Inspect of the current schema and the two named ones gives the models
// back (autogenerate from the database and the drift check find nothing),
// cascades cross schemas, and downgrade and a round trip with generated
// rows work. A second
// revision builds an index of audit.orders concurrently. MariaDB and
// SQLite refuse the models.
func TestSchemasRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		db := open(t, tg)
		if tg.Name != "postgres" {
			if _, err := migrate.AutogenerateFor(tg.Dialect, schema.NewMetaData(), schemaModels("a", "b"), "0001", "x", nil); !errors.Is(err, sqlerr.ErrUnsupported) {
				t.Fatalf("want ErrUnsupported, got %v", err)
			}
			return
		}
		sales, audit := makeSchemas(ctx, t, db, "sales", "audit")
		models := schemaModels(sales, audit)
		r1, err := migrate.AutogenerateFor(tg.Dialect, schema.NewMetaData(), models, "0001", "schemas", nil)
		if err != nil {
			t.Fatal(err)
		}
		withIndex := models.Clone()
		withIndex.Table(audit + ".orders").Indexes = append(withIndex.Table(audit+".orders").Indexes, &schema.Index{Name: "ix_orders_id_customer", Columns: []string{"id", "customer_id"}})
		r2, err := migrate.AutogenerateFor(tg.Dialect, r1.Snapshot, withIndex, "0002", "index", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		r2.Upgrade, r2.Downgrade = migrate.ConcurrentIndexes(r2.Upgrade), migrate.ConcurrentIndexes(r2.Downgrade)
		r2.Acknowledged = true
		g := writeDir(t, r1, r2)
		m := newMigrator(t, db, g)
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		check := func(want *schema.MetaData) {
			t.Helper()
			live, err := engine.Inspect(ctx, db, dialect.InspectOptions{Exclude: []string{"strata_version"}, Schemas: []string{sales, audit}})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(live.Tables()); got != len(want.Tables()) {
				t.Fatalf("%d tables read; want %d", got, len(want.Tables()))
			}
			ops, err := migrate.Plan(live, want, migrate.PlanOptions{Normalize: db.Dialect().Normalize, Dialect: db.Dialect()})
			if err != nil || len(ops) > 0 {
				t.Fatalf("autogenerate from the database: %v %v", ops, err)
			}
			if drift, err := m.Check(ctx); err != nil || len(drift) > 0 {
				t.Fatalf("drift: %v %v", drift, err)
			}
		}
		check(withIndex)
		// a runner over no revisions reads the named schemas it is given
		empty, err := migrate.NewGraph(nil)
		if err != nil {
			t.Fatal(err)
		}
		live, err := newMigrator(t, db, empty, migrate.WithSchemas(sales, audit)).Inspect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(live.Tables()) != len(withIndex.Tables()) {
			t.Fatalf("WithSchemas: %d tables read; want %d", len(live.Tables()), len(withIndex.Tables()))
		}
		if _, err := migrate.New(db, empty, migrate.WithSchemas("a.b")); !errors.Is(err, migrate.ErrInvalidOption) {
			t.Fatalf("WithSchemas(a.b): want ErrInvalidOption, got %v", err)
		}
		for _, q := range []string{
			fmt.Sprintf(`INSERT INTO %q.customers (name) VALUES ('ann')`, sales),
			fmt.Sprintf(`INSERT INTO %q.orders (customer_id) SELECT id FROM %q.customers`, audit, sales),
			fmt.Sprintf(`INSERT INTO %q.events (kind) VALUES ('only in audit')`, audit),
			fmt.Sprintf(`INSERT INTO notes (order_id) SELECT id FROM %q.orders`, audit),
			fmt.Sprintf(`UPDATE notes SET order_id = NULL`),
			fmt.Sprintf(`DELETE FROM %q.customers`, sales),
		} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var n int
		if err := db.QueryRow(ctx, fmt.Sprintf(`SELECT (SELECT count(*) FROM %q.orders) + (SELECT count(*) FROM %q.events)`, audit, sales)).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the cascade across schemas left %d rows (or the events tables are one): %v", n, err)
		}
		if _, err := m.Downgrade(ctx, "base"); err != nil {
			t.Fatal(err)
		}
		check(schema.NewMetaData())
		// the round trip with generated rows in every table, foreign keys
		// across schemas filled from the referenced schema's rows; it ends
		// at the heads
		if err := m.RoundTripWith(ctx, migrate.RoundTripOptions{Seed: true}); err != nil {
			t.Fatal(err)
		}
		check(withIndex)
	})
}

// makeSchemas creates schemas named after the test's own (current)
// schema, dropped (with what is in them) when the test ends, and returns
// their names.
func makeSchemas(ctx context.Context, t *testing.T, db *engine.DB, suffixes ...string) (string, string) {
	t.Helper()
	var cur string
	if err := db.QueryRow(ctx, "SELECT current_schema()").Scan(&cur); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range suffixes {
		n := cur + "_" + s
		if _, err := db.Exec(ctx, fmt.Sprintf("CREATE SCHEMA %q", n)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := db.Exec(ctx, fmt.Sprintf("DROP SCHEMA %q CASCADE", n)); err != nil {
				t.Errorf("drop schema %s: %v", n, err)
			}
		})
		names = append(names, n)
	}
	return names[0], names[1]
}
