package migrate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// TestRoundTripKeepsRows seeds rows before every step of a round trip
// (generated per column type) and checks none is lost by a
// non-destructive upgrade or downgrade; a revision that deletes rows
// behind a harmless-looking raw SQL step passes the schema round trip but
// not the data one.
func TestRoundTripKeepsRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		v1 := cascadeModels(schema.NoAction)
		v2 := cascadeModels(schema.Cascade)
		v2.Table("parent").Column("name").Type = schema.Varchar(80)
		c := v2.Table("child")
		c.Columns = append(c.Columns, &schema.Column{Name: "note", Type: schema.Varchar(40), Nullable: true},
			&schema.Column{Name: "at", Type: schema.TimestampTZ(), Nullable: true},
			&schema.Column{Name: "ok", Type: schema.Boolean(), Default: schema.DefaultBoolean(true)})
		c.Indexes = []*schema.Index{{Columns: []string{"parent_id", "note"}}}
		r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "tables", nil)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := migrate.Autogenerate(r1.Snapshot, v2, "0002", "changes", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		g := writeDir(t, r1, r2)
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g).RoundTripWith(ctx, migrate.RoundTripOptions{Seed: true}); err != nil {
			t.Fatal(err)
		}
		// A step that loses rows without saying so.
		r3 := &migrate.Revision{ID: "0003", Parents: []string{"0002"}, Message: "loses rows", Snapshot: r2.Snapshot,
			Upgrade:   []migrate.Op{migrate.RawSQL{SQL: []string{"DELETE FROM child"}, Reverse: &migrate.RawSQL{SQL: []string{"UPDATE child SET note = note"}}}},
			Downgrade: []migrate.Op{migrate.RawSQL{SQL: []string{"UPDATE child SET note = note"}, Reverse: &migrate.RawSQL{SQL: []string{"DELETE FROM child"}}}}}
		g3 := writeDir(t, r1, r2, r3)
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g3).RoundTrip(ctx); err != nil {
			t.Fatalf("the schema round trip: %v", err)
		}
		err = newMigrator(t, open(t, testdb.New(t, tg.Name)), g3).RoundTripWith(ctx, migrate.RoundTripOptions{Seed: true})
		if err == nil || !strings.Contains(err.Error(), "lost rows of table child") {
			t.Fatalf("rows deleted by a revision: %v", err)
		}
	})
}
