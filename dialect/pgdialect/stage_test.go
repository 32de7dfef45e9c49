package pgdialect_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/internal/testdb"
)

// CopyInsert writes rows through a staging table and returns the
// generated columns one row per row written, keys ascending in the rows'
// order; a second staged insert in the same transaction returns only its
// own rows, a new transaction starts with an empty staging table, and a
// column named like the staging table's row number is carried as any
// other. It does so with cached statements and with the simple protocol.
func TestCopyInsertReturnsWhatTheDatabaseGeneratedInRowOrder(t *testing.T) {
	tg := testdb.New(t, "postgres")
	for _, mode := range []string{"cache_statement", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			ctx := testCtx(t)
			sep := "?"
			if strings.Contains(tg.DSN, "?") {
				sep = "&"
			}
			p, err := pgdialect.New().Open(ctx, tg.DSN+sep+"default_query_exec_mode="+mode)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() }) // after the transactions' cleanups
			table := "staged " + mode
			mustExec(t, ctx, p, `CREATE TABLE "`+table+`" (id bigserial PRIMARY KEY, strata_ord text NOT NULL, "N" integer NOT NULL,
				tag varchar(10) NOT NULL DEFAULT 'fresh', UNIQUE ("N"))`)
			cols, ret := []string{"strata_ord", "N"}, []string{"id", "tag"}
			stage := func(tx dialect.Tx, from, n int) []int64 {
				t.Helper()
				rows, err := tx.(dialect.CopyInserter).CopyInsert(ctx, "", table, cols, ret, n, func(i int, row []any) error {
					row[0], row[1] = fmt.Sprint("row ", from+i), int32(from+i)
					return nil
				})
				if err != nil {
					t.Fatalf("staging %d rows from %d: %v", n, from, err)
				}
				defer rows.Close()
				var keys []int64
				for rows.Next() {
					var id int64
					var tag string
					if err := rows.Scan(&id, &tag); err != nil {
						t.Fatal(err)
					}
					if tag != "fresh" || (len(keys) > 0 && id <= keys[len(keys)-1]) {
						t.Fatalf("row %d: key %d after %v, tag %q", len(keys), id, keys[max(0, len(keys)-1):], tag)
					}
					keys = append(keys, id)
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if len(keys) != n {
					t.Fatalf("staging %d rows from %d returned %d", n, from, len(keys))
				}
				return keys
			}
			tx := beginTx(t, ctx, p, dialect.TxOptions{})
			first := stage(tx, 0, 300)
			second := stage(tx, 300, 20) // the first insert's rows are still staged
			if second[0] <= first[len(first)-1] {
				t.Fatalf("the second insert's keys start at %d, the first's end at %d", second[0], first[len(first)-1])
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			stage(beginTx(t, ctx, p, dialect.TxOptions{}), 320, 5) // ON COMMIT DELETE ROWS emptied it
			var wrong int
			queryValue(t, ctx, p, &wrong, `SELECT count(*) FROM "`+table+`" WHERE strata_ord <> 'row ' || "N"`)
			var n int
			queryValue(t, ctx, p, &n, `SELECT count(*) FROM "`+table+`"`)
			if wrong != 0 || n != 320 {
				t.Fatalf("%d rows (want 320), %d with another row's values", n, wrong)
			}

			// a unique violation fails the insert and aborts the transaction
			tx = beginTx(t, ctx, p, dialect.TxOptions{})
			rows, err := tx.(dialect.CopyInserter).CopyInsert(ctx, "", table, cols, ret, 2, func(i int, row []any) error {
				row[0], row[1] = "dup", int32(7)
				return nil
			})
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if err == nil {
				t.Fatal("a staged insert over a unique key succeeded")
			}
			if err := tx.Rollback(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}
