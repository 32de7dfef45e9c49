package orm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

type Crate struct {
	ID      int64            `db:"id,pk,autoincrement"`
	Label   string           `db:"label"`
	Bottles orm.List[Bottle] `rel:"cascade:all+delete-orphan"`
}

type Bottle struct {
	ID      int64          `db:"id,pk,autoincrement"`
	CrateID int64          `db:"crate_id"`
	Wine    string         `db:"wine"`
	Crate   orm.Ref[Crate] `rel:"backref:Bottles"`
}

// TestTableSchemaQualifiesStatements: models registered with
// orm.TableSchema live in a named schema (made for the test on
// PostgreSQL, dropped after it), with a foreign key given its RefSchema;
// the ORM creates, inserts, loads (by key, by query and through the
// relationship), updates and deletes through "sch"."t", and no table of
// those names appears in the current schema. MariaDB and SQLite refuse to
// create such tables (sqlerr.ErrUnsupported).
func TestTableSchemaQualifiesStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		db, err := engine.Open(ctx, tg.Dialect, tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		sch := "cellar"
		if tg.Name == "postgres" {
			var cur string
			if err := db.QueryRow(ctx, "SELECT current_schema()").Scan(&cur); err != nil {
				t.Fatal(err)
			}
			sch = cur + "_cellar"
			if _, err := db.Exec(ctx, fmt.Sprintf("CREATE SCHEMA %q", sch)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := db.Exec(context.Background(), fmt.Sprintf("DROP SCHEMA %q CASCADE", sch)); err != nil {
					t.Errorf("drop schema: %v", err)
				}
			})
		}
		reg := orm.NewRegistry()
		orm.MustRegister[Crate](reg, orm.TableSchema(sch))
		orm.MustRegister[Bottle](reg, orm.TableSchema(sch), orm.ForeignKey(schema.ForeignKey{
			Columns: []string{"crate_id"}, RefSchema: sch, RefTable: "crate", RefColumns: []string{"id"}}))
		err = engine.CreateAll(ctx, db, reg.MetaData())
		if tg.Name != "postgres" {
			if !errors.Is(err, sqlerr.ErrUnsupported) {
				t.Fatalf("want ErrUnsupported, got %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		f := orm.NewFactory(db, reg)
		s := f.New()
		c := &Crate{Label: "red"}
		if err := c.Bottles.Append(&Bottle{Wine: "barolo"}, &Bottle{Wine: "rioja"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(c); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close(ctx)

		s = f.New()
		defer s.Close(ctx)
		got, err := orm.Get[Crate](ctx, s, c.ID)
		if err != nil || got.Label != "red" {
			t.Fatalf("get: %+v %v", got, err)
		}
		if err := orm.Load(ctx, s, got, "Bottles"); err != nil {
			t.Fatal(err)
		}
		bottles, err := got.Bottles.All()
		if err != nil || len(bottles) != 2 {
			t.Fatalf("bottles: %v %v", bottles, err)
		}
		all, err := orm.Select[Bottle](s).WithJoined("Crate").All(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("query: %v %v", all, err)
		}
		if cr, err := all[0].Crate.Get(); err != nil || cr != got {
			t.Fatalf("joined crate: %v %v", cr, err)
		}
		got.Label = "white"
		if err := s.Delete(bottles[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		var label string
		var n int
		if err := db.QueryRow(ctx, fmt.Sprintf(`SELECT label, (SELECT count(*) FROM %q.bottle) FROM %q.crate`, sch, sch)).Scan(&label, &n); err != nil || label != "white" || n != 1 {
			t.Fatalf("in %s: label %q, %d bottles, %v", sch, label, n, err)
		}
		if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d tables in the current schema: %v", n, err)
		}
	})
}

// TestTableSchemaRejectsBadNames: an empty schema name or one with a dot
// is a *ModelError at registration.
func TestTableSchemaRejectsBadNames(t *testing.T) {
	for _, sch := range []string{"", "a.b"} {
		_, err := orm.Register[Crate](orm.NewRegistry(), orm.TableSchema(sch))
		var me *orm.ModelError
		if !errors.As(err, &me) {
			t.Fatalf("TableSchema(%q): want a *ModelError, got %v", sch, err)
		}
	}
}
