package migrate_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// lintModels is items, then (changed) with a wider quantity, a required
// name, an index, a check and a unique code.
func lintModels(changed bool) *schema.MetaData {
	t := &schema.Table{Name: "items", Columns: []*schema.Column{id(),
		{Name: "name", Type: schema.Varchar(40), Nullable: true},
		{Name: "qty", Type: schema.Integer()},
		{Name: "code", Type: schema.Varchar(10)},
		{Name: "note", Type: schema.Varchar(10)},
	}, PrimaryKey: pk()}
	if changed {
		t.Column("name").Nullable = false
		t.Column("qty").Type = schema.BigInt()
		t.Column("note").Type = schema.Varchar(20) // binary compatible: no rewrite
		t.Indexes = []*schema.Index{{Columns: []string{"name"}}}
		t.Checks = []*schema.Check{{Name: "ck_items_qty", Expr: "qty >= 0"}}
		t.Uniques = []*schema.Unique{{Columns: []string{"code"}}}
	}
	return md(t)
}

// TestLockImpactLint: a revision generated for PostgreSQL lists the
// operations that lock or rewrite a filled table (a golden file), and it
// runs only once acknowledged; for MariaDB and SQLite there is no such
// lint.
func TestLockImpactLint(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		r1, err := migrate.AutogenerateFor(tg.Dialect, schema.NewMetaData(), lintModels(false), "0001", "items", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(r1.LockImpact) != 0 {
			t.Fatalf("creating a table flagged: %v", r1.LockImpact)
		}
		r2, err := migrate.AutogenerateFor(tg.Dialect, r1.Snapshot, lintModels(true), "0002", "changes", []string{"0001"})
		if err != nil {
			t.Fatal(err)
		}
		if tg.Name != "postgres" {
			if len(r2.LockImpact) != 0 {
				t.Fatalf("lock lint on %s: %v", tg.Name, r2.LockImpact)
			}
			return
		}
		golden.Check(t, "lint_postgres.golden", strings.Join(r2.LockImpact, "\n")+"\n")
		back, err := migrate.ParseRevision(mustMarshal(t, r2))
		if err != nil || len(back.LockImpact) != len(r2.LockImpact) || back.Acknowledged {
			t.Fatalf("lock impact after parsing: %v %v", back.LockImpact, err)
		}
		db := open(t, tg)
		if _, err := newMigrator(t, db, writeDir(t, r1, r2)).Upgrade(ctx, "head"); !errors.Is(err, migrate.ErrUnacknowledged) {
			t.Fatalf("an unacknowledged lock impact ran: %v", err)
		}
		r2.Acknowledged = true
		if _, err := newMigrator(t, db, writeDir(t, r1, r2)).Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
	})
}

func mustMarshal(t *testing.T, r *migrate.Revision) []byte {
	t.Helper()
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}
