package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/sqlerr"
)

// CopyFrom bulk-loads rows with COPY on PostgreSQL, inside a transaction
// too (rolled back with it), arrays included; elsewhere it is unsupported
// and sends nothing.
func TestCopyFromLoadsRowsWhereTheDatabaseHasCopy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		if _, err := db.Exec(ctx, `CREATE TABLE copied (id BIGINT PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Exec(context.Background(), `DROP TABLE copied`) })
		rows := [][]any{{int64(1), "a"}, {int64(2), "b's \"quoted\""}, {int64(3), "ünï"}}
		n, err := engine.CopyFrom(ctx, db, "", "copied", []string{"id", "name"}, rows)
		if tg.Name != "postgres" {
			if !errors.Is(err, sqlerr.ErrUnsupported) || engine.CanCopy(db) {
				t.Fatalf("%s: CopyFrom gave %v", tg.Name, err)
			}
			return
		}
		if err != nil || n != 3 {
			t.Fatalf("CopyFrom: %d %v", n, err)
		}
		var name string
		if err := db.QueryRow(ctx, `SELECT name FROM copied WHERE id = 2`).Scan(&name); err != nil || name != `b's "quoted"` {
			t.Fatalf("row 2: %q %v", name, err)
		}
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := engine.CopyFrom(ctx, tx, "", "copied", []string{"id", "name"}, [][]any{{int64(4), "d"}}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		// a duplicate key fails the whole COPY with a typed error
		_, err = engine.CopyFrom(ctx, db, "", "copied", []string{"id", "name"}, [][]any{{int64(5), "e"}, {int64(1), "dup"}})
		var ie *sqlerr.IntegrityError
		if !errors.As(err, &ie) || ie.Kind != sqlerr.Unique {
			t.Fatalf("duplicate key: %v", err)
		}
		var count int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM copied`).Scan(&count); err != nil || count != 3 {
			t.Fatalf("%d rows (%v), want the first three", count, err)
		}
	})
}
