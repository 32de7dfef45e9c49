package migrate_test

import (
	"context"
	"testing"

	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// restrictModels is parent and child with ON DELETE onDelete, and a note
// column on child when withNote.
func restrictModels(onDelete schema.Action, withNote bool) *schema.MetaData {
	m := cascadeModels(onDelete)
	if withNote {
		c := m.Table("child")
		c.Columns = append(c.Columns, &schema.Column{Name: "note", Type: schema.Text(), Nullable: true})
	}
	return m
}

// TestEquivalentChangesAreNotes autogenerates from a snapshot for each
// database: RESTRICT -> NO ACTION is an operation on PostgreSQL and SQLite
// (RESTRICT is checked at once even when constraints are deferred) and no
// operation on MariaDB, where InnoDB enforces both alike; there the
// revision carries it as a note, its snapshot holds the model, it
// verifies, upgrades without drift and round-trips.
func TestEquivalentChangesAreNotes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		d := tg.Dialect
		v1, v2 := restrictModels(schema.Restrict, false), restrictModels(schema.NoAction, false)
		r1, err := migrate.AutogenerateFor(d, schema.NewMetaData(), v1, "0001", "restrict", nil)
		if err != nil {
			t.Fatal(err)
		}
		only, err := migrate.AutogenerateFor(d, r1.Snapshot, v2, "0002", "no action", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		equivalent := tg.Name == "mariadb" // InnoDB enforces RESTRICT and NO ACTION alike
		if equivalent {
			if len(only.Upgrade) != 0 || len(only.Downgrade) != 0 || len(only.Notes) != 1 {
				t.Fatalf("RESTRICT -> NO ACTION on %s: upgrade %v, downgrade %v, notes %v", tg.Name, only.Upgrade, only.Downgrade, only.Notes)
			}
		} else if len(only.Upgrade) != 1 || len(only.Notes) != 0 {
			t.Fatalf("RESTRICT -> NO ACTION on %s: upgrade %v, notes %v", tg.Name, only.Upgrade, only.Notes)
		}
		// With another change, the revision carries the note.
		v3 := restrictModels(schema.NoAction, true)
		r2, err := migrate.AutogenerateFor(d, r1.Snapshot, v3, "0002", "note column", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		r2.Acknowledged = true // on PostgreSQL re-adding the foreign key has a lock impact
		data, err := r2.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "revision_notes_"+tg.Name+".json", string(data))
		back, err := migrate.ParseRevision(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Notes) != len(r2.Notes) {
			t.Fatalf("notes after parsing: %v, want %v", back.Notes, r2.Notes)
		}
		g := writeDir(t, r1, r2)
		if v := g.Verify(); len(v) > 0 {
			t.Fatalf("verify: %v", v)
		}
		m := newMigrator(t, open(t, tg), g)
		if _, err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if dr, err := m.Check(ctx); err != nil || len(dr) > 0 {
			t.Fatalf("drift: %v %v", dr, err)
		}
		if again, err := migrate.AutogenerateFor(d, g.Revision("0002").Snapshot, v3, "0003", "none", []string{"0002"}); err != nil || len(again.Upgrade)+len(again.Notes) != 0 {
			t.Fatalf("second autogenerate: %v %v %v", again.Upgrade, again.Notes, err)
		}
		if err := newMigrator(t, open(t, testdb.New(t, tg.Name)), g).RoundTrip(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
