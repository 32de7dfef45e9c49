package chatdb

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// TestSchemaDDLGolden renders the embedded revision for each database:
// the tables, keys and the ON DELETE CASCADE foreign keys story 1 relies
// on, as each database gets them.
func TestSchemaDDLGolden(t *testing.T) {
	dir, err := migrate.OpenDir(MigrationsFS())
	if err != nil {
		t.Fatal(err)
	}
	revs := dir.Revisions()
	if len(revs) != 1 {
		t.Fatalf("%d revisions: extend this test to render each", len(revs))
	}
	for _, d := range []dialect.Dialect{sqlitedialect.New(), pgdialect.New(), mysqldialect.New()} {
		steps, err := migrate.Render(d, schema.NewMetaData(), revs[0].Upgrade)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, st := range steps {
			b.WriteString(st.String() + ";\n")
		}
		if !strings.Contains(b.String(), "ON DELETE CASCADE") {
			t.Errorf("%s: no ON DELETE CASCADE in the schema", d.Name())
		}
		golden.Check(t, "schema."+d.Name()+".sql", b.String())
	}
}

// recorder is a statement middleware that keeps the SQL of the
// statements whose context carries it.
type recorder struct {
	mu    sync.Mutex
	stmts []string
}

type recKey struct{}

type recording struct{ next dialect.Querier }

func (q recording) note(ctx context.Context, sql string) {
	if r, _ := ctx.Value(recKey{}).(*recorder); r != nil {
		r.mu.Lock()
		r.stmts = append(r.stmts, sql)
		r.mu.Unlock()
	}
}

func (q recording) Exec(ctx context.Context, sql string, args ...any) (dialect.Result, error) {
	q.note(ctx, sql)
	return q.next.Exec(ctx, sql, args...)
}

func (q recording) Query(ctx context.Context, sql string, args ...any) (dialect.Rows, error) {
	q.note(ctx, sql)
	return q.next.Query(ctx, sql, args...)
}

// TestStatementsGolden records the SQL the Store sends for the writes of
// story 1 and for a searching, filtered, paged list, per database: the
// delete is a locking read and one DELETE (the children go by cascade),
// updates read with a lock and update with a version check, search terms
// are bound and escaped, never interpolated.
func TestStatementsGolden(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{middleware: []engine.Middleware{func(next dialect.Querier) dialect.Querier { return recording{next} }}})
		fx := buildThread(t, s, "golden")
		page, err := s.ListThreads(ctx, ListQuery{First: 1})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		run := func(name string, fn func(ctx context.Context) error) []string {
			t.Helper()
			r := &recorder{}
			if err := fn(context.WithValue(ctx, recKey{}, r)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			fmt.Fprintf(&b, "-- %s\n", name)
			for _, q := range r.stmts {
				b.WriteString(q + ";\n")
			}
			return r.stmts
		}
		run("UpdateThread", func(ctx context.Context) error {
			_, err := s.UpdateThread(ctx, fx.thread, ThreadUpdate{Name: ptr("renamed")})
			return err
		})
		run("CreateStep", func(ctx context.Context) error {
			return s.CreateStep(ctx, Step{ID: uuid.New(), ThreadID: fx.thread, Output: "x"})
		})
		run("ListThreads (search, feedback, cursor)", func(ctx context.Context) error {
			_, err := s.ListThreads(ctx, ListQuery{Search: "50%_off", Feedback: ptr(1), Cursor: page.EndCursor, First: 10})
			return err
		})
		del := run("DeleteThread", func(ctx context.Context) error { return s.DeleteThread(ctx, fx.thread) })
		var kinds []string
		for _, q := range del {
			if kind, _, _ := strings.Cut(q, " "); !strings.Contains(q, "SAVEPOINT") {
				kinds = append(kinds, kind)
			}
		}
		if fmt.Sprint(kinds) != "[SELECT DELETE]" || !strings.Contains(del[0], "FOR UPDATE") && tg.Name != "sqlite" {
			t.Errorf("DeleteThread sent %q; want a locking read and one DELETE (and savepoints)", del)
		}
		if strings.Contains(b.String(), "50%") {
			t.Errorf("the search term is in the SQL text, not bound")
		}
		golden.Check(t, "statements."+tg.Name+".sql", b.String())
	})
}
