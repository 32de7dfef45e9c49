package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/sqlerr"
)

// tagging records every statement it sees under its name and refuses
// statements containing "forbidden".
type tagging struct {
	next dialect.Querier
	name string
	mu   *sync.Mutex
	seen *[]string
}

func (q tagging) note(s string) {
	q.mu.Lock()
	*q.seen = append(*q.seen, q.name+": "+s)
	q.mu.Unlock()
}

var errForbidden = errors.New("forbidden by middleware")

func (q tagging) Exec(ctx context.Context, s string, args ...any) (dialect.Result, error) {
	q.note(s)
	if strings.Contains(s, "forbidden") {
		return dialect.Result{}, errForbidden
	}
	return q.next.Exec(ctx, s, args...)
}

func (q tagging) Query(ctx context.Context, s string, args ...any) (dialect.Rows, error) {
	q.note(s)
	return q.next.Query(ctx, s, args...)
}

func TestMiddlewareWrapsEveryStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		var mu sync.Mutex
		var seen []string
		mw := func(name string) engine.Middleware {
			return func(next dialect.Querier) dialect.Querier {
				return tagging{next: next, name: name, mu: &mu, seen: &seen}
			}
		}
		db := open(t, tg, engine.WithMiddleware(mw("outer"), mw("inner")))
		if _, err := db.Exec(ctx, "CREATE TABLE mw (id integer PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO mw (id) VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := sp.QueryRow(ctx, "SELECT COUNT(*) FROM mw").Scan(&n); err != nil || n != 1 {
			t.Fatalf("count in savepoint: %d %v", n, err)
		}
		if err := sp.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SELECT 'forbidden'"); !errors.Is(err, errForbidden) {
			t.Fatalf("refused statement: %v", err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "DROP TABLE mw"); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		want := []string{
			"outer: CREATE TABLE mw (id integer PRIMARY KEY)", "inner: CREATE TABLE mw (id integer PRIMARY KEY)",
			"outer: INSERT INTO mw (id) VALUES (1)", "inner: INSERT INTO mw (id) VALUES (1)",
			"outer: SAVEPOINT strata_sp_1", "inner: SAVEPOINT strata_sp_1",
			"outer: SELECT COUNT(*) FROM mw", "inner: SELECT COUNT(*) FROM mw",
			"outer: RELEASE SAVEPOINT strata_sp_1", "inner: RELEASE SAVEPOINT strata_sp_1",
			"outer: SELECT 'forbidden'", // refused there: inner never sees it
			"outer: DROP TABLE mw", "inner: DROP TABLE mw",
		}
		if strings.Join(seen, "\n") != strings.Join(want, "\n") {
			t.Fatalf("middleware saw\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
		}
		// errors from below the middleware are still translated
		if _, err := db.Exec(ctx, "SELECT * FROM no_such_table_mw"); err == nil || errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("error through middleware: %v", err)
		}
	})
}
