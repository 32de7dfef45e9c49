package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// newTestApp opens the app on the target: SQLite in a temporary file
// always, PostgreSQL and MariaDB when STRATA_TEST_POSTGRES /
// STRATA_TEST_MARIADB name a server (a fresh schema or database each).
func newTestApp(t *testing.T, tg testdb.Target) *App {
	t.Helper()
	dsn := tg.DSN
	if tg.Name == "sqlite" {
		dsn = SQLiteDSN(filepath.Join(t.TempDir(), "notes.db"))
	}
	app, err := NewApp(context.Background(), tg.Dialect, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.DB.Close() })
	return app
}

// TestConcurrentRequestsAndJobs sends a burst of concurrent requests to
// the API, each served with a session of its own, while background jobs
// (a session each) index notes, and checks that every write landed and
// none was lost.
func TestConcurrentRequestsAndJobs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		app := newTestApp(t, tg)
		app.Start(ctx, 4)
		srv := httptest.NewServer(app.Handler())
		load := Load{Authors: 4, Creates: 60, Likes: 40, Reindexes: 10}
		start := time.Now()
		res, err := load.Run(ctx, srv.Client(), srv.URL)
		if err != nil {
			srv.Close()
			t.Fatal(err)
		}
		app.WaitJobs()
		t.Logf("%s: %d requests and their jobs in %v; retried %d stale, %d busy",
			tg.Name, load.Creates+load.Likes+load.Reindexes+1, time.Since(start).Round(time.Millisecond), app.Stale.Load(), app.Busy.Load())
		if n := app.JobErrors.Load(); n != 0 {
			t.Errorf("%d jobs failed", n)
		}
		if got, want := app.Indexed.Load(), int64(load.Creates+1+load.Reindexes); got != want {
			t.Errorf("%d job runs, want %d", got, want)
		}
		if len(res.Created) != load.Creates {
			t.Fatalf("%d distinct notes created, want %d", len(res.Created), load.Creates)
		}

		// Every author's notes, read back through the API: each indexed
		// once, written twice (insert, then the job's update).
		byAuthor := map[string][]int64{}
		for id, author := range res.Created {
			byAuthor[author] = append(byAuthor[author], id)
		}
		for author, ids := range byAuthor {
			var notes []Note
			if err := call(ctx, srv.Client(), "GET", srv.URL+"/notes?author="+author, nil, http.StatusOK, &notes); err != nil {
				t.Fatal(err)
			}
			if len(notes) != len(ids) {
				t.Errorf("%s has %d notes, want %d", author, len(notes), len(ids))
			}
			for i, n := range notes {
				if i > 0 && n.ID <= notes[i-1].ID {
					t.Errorf("%s: notes not ordered by id: %d after %d", author, n.ID, notes[i-1].ID)
				}
				words := int32(len(strings.Fields(n.Title + " " + n.Body)))
				if res.Created[n.ID] != author || !n.Indexed || n.Words != words || n.Indexes != 1 || n.Version != 2 || n.Created.IsZero() {
					t.Errorf("%s: %+v; want indexed once with %d words, version 2 (1 at insert)", author, n, words)
				}
			}
		}

		// The hot note: every like and every indexing counted once.
		var hot Note
		if err := call(ctx, srv.Client(), "GET", fmt.Sprintf("%s/notes/%d", srv.URL, res.Hot), nil, http.StatusOK, &hot); err != nil {
			t.Fatal(err)
		}
		if hot.Likes != int64(load.Likes) || res.Likes != int64(load.Likes) {
			t.Errorf("hot note has %d likes (last reply said %d), want %d: lost updates", hot.Likes, res.Likes, load.Likes)
		}
		if hot.Indexes != int32(1+load.Reindexes) || int64(hot.Version) != 1+hot.Likes+int64(hot.Indexes) {
			t.Errorf("hot note indexed %d times, version %d; want %d and %d", hot.Indexes, hot.Version, 1+load.Reindexes, 1+load.Likes+1+load.Reindexes)
		}
		if err := call(ctx, srv.Client(), "GET", srv.URL+"/notes/999999", nil, http.StatusNotFound, nil); err != nil {
			t.Error(err)
		}
		srv.Close()
		app.Drain()
	})
}

// TestSharedSessionMisuse checks the demonstration: a second goroutine's
// call into a session that is busy is refused, naming both operations.
func TestSharedSessionMisuse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		app := newTestApp(t, tg)
		if _, err := SharedSessionMisuse(ctx, app.F); err == nil {
			t.Fatal("no error with no note to query")
		}
		s := app.F.New()
		s.Add(&Note{Author: "ann", Title: "t"})
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close(ctx)
		ce, err := SharedSessionMisuse(ctx, app.F)
		if err != nil {
			t.Fatal(err)
		}
		if ce.Op != "Get" || ce.Running != "Query" || !errors.Is(ce, orm.ErrConcurrentUse) {
			t.Errorf("got %#v, want Get refused while Query runs", ce)
		}
		if msg := ce.Error(); !strings.Contains(msg, "Get") || !strings.Contains(msg, "Query") {
			t.Errorf("message does not name both operations: %s", msg)
		}
	})
}

// TestSharedSessionNeverCorrupts shares one session between goroutines
// hammering it, the mistake the factory pattern avoids: each call either
// runs alone or is refused with a *ConcurrentUseError; what runs sees a
// consistent identity map (the same pointer for the same row), and the
// race detector finds nothing.
func TestSharedSessionNeverCorrupts(t *testing.T) {
	ctx := context.Background()
	app := newTestApp(t, testdb.New(t, "sqlite"))
	seed := app.F.New()
	notes := make([]*Note, 5)
	for i := range notes {
		notes[i] = &Note{Author: "ann", Title: fmt.Sprint("n", i)}
		seed.Add(notes[i])
	}
	if err := seed.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	seed.Close(ctx)

	shared := app.F.New()
	defer shared.Close(ctx)
	var (
		mu      sync.Mutex
		ptrs    = map[int64]*Note{}
		ok, ref int
		wg      sync.WaitGroup
	)
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				id := notes[(g+i)%len(notes)].ID
				n, err := orm.Get[Note](ctx, shared, id)
				mu.Lock()
				switch {
				case err == nil:
					ok++
					if p := ptrs[id]; p != nil && p != n {
						t.Errorf("note %d: two objects for one row", id)
					}
					ptrs[id] = n
					if n.ID != id {
						t.Errorf("Get(%d) returned note %d", id, n.ID)
					}
				case errors.Is(err, orm.ErrConcurrentUse):
					ref++
				default:
					t.Errorf("Get: %v", err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%d calls ran, %d refused as concurrent use", ok, ref)
	if ok == 0 {
		t.Error("no call ran")
	}
	// Used by one goroutine again, the session is fine.
	if n, err := orm.Select[Note](shared).Count(ctx); err != nil || n != int64(len(notes)) {
		t.Errorf("count after the hammering: %d, %v", n, err)
	}
}
