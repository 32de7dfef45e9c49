package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// Note is the one model: written by requests, liked by requests, indexed
// by the background job. Every writer goes through the version column, so
// none of them overwrites another's change unseen.
type Note struct {
	ID      int64     `db:"id,pk" json:"id"`
	Author  string    `db:"author,size:40,index" json:"author"`
	Title   string    `db:"title,size:200" json:"title"`
	Body    string    `db:"body" json:"body"`
	Likes   int64     `db:"likes" json:"likes"`
	Words   int32     `db:"words" json:"words"`     // set by the job
	Indexed bool      `db:"indexed" json:"indexed"` // set by the job
	Indexes int32     `db:"indexes" json:"indexes"` // how many times the job ran on it
	Created time.Time `db:"created_at,default:now" json:"created_at"`
	Version int32     `db:"version,version" json:"version"`
}

// App is what a service holds for its whole life: one engine.DB (a pool)
// and one orm.Factory, both shared by every goroutine. Sessions are never
// shared: each request and each job opens its own.
type App struct {
	DB *engine.DB
	F  *orm.Factory

	jobs    chan int64 // note ids to index
	pending sync.WaitGroup
	workers sync.WaitGroup
	closing sync.Once

	// Counters, for the demo's summary and the test.
	Stale, Busy, Indexed, JobErrors atomic.Int64
}

// NewApp opens the database, registers the model and creates its table.
func NewApp(ctx context.Context, d dialect.Dialect, dsn string, opts ...engine.Option) (*App, error) {
	db, err := engine.Open(ctx, d, dsn, opts...)
	if err != nil {
		return nil, err
	}
	reg := orm.NewRegistry()
	if _, err := orm.Register[Note](reg); err != nil {
		db.Close()
		return nil, err
	}
	if err := engine.CreateAll(ctx, db, reg.MetaData()); err != nil {
		db.Close()
		return nil, err
	}
	return &App{DB: db, F: orm.NewFactory(db, reg), jobs: make(chan int64, 256)}, nil
}

// SQLiteDSN is the DSN of the SQLite file: a plain path. Strata's SQLite
// defaults are made for a concurrent service (WAL, synchronous=NORMAL, a
// 10 s busy timeout, write transactions that take the write lock at
// BEGIN, a pool of a few connections kept open); see the sqlitedialect
// package documentation.
func SQLiteDSN(path string) string { return "file:" + path }

// Start runs n background job goroutines; each job opens its own session.
func (a *App) Start(ctx context.Context, n int) {
	for range n {
		a.workers.Add(1)
		go func() {
			defer a.workers.Done()
			for id := range a.jobs {
				if err := a.indexNote(ctx, id); err != nil {
					// A real service would requeue; the test sees the
					// note left unindexed and the error counted.
					a.JobErrors.Add(1)
					log.Printf("job: indexing note %d: %v", id, err)
				}
				a.pending.Done()
			}
		}()
	}
}

// enqueue queues the indexing of a note.
func (a *App) enqueue(ctx context.Context, id int64) bool {
	a.pending.Add(1)
	select {
	case a.jobs <- id:
		return true
	case <-ctx.Done():
		a.pending.Done()
		return false
	}
}

// WaitJobs waits until every queued job has run. Call it once the
// requests that queue jobs have been answered.
func (a *App) WaitJobs() { a.pending.Wait() }

// Drain stops taking jobs and waits for the queued ones to finish. Stop
// the HTTP server first: a request queueing a job after Drain panics.
func (a *App) Drain() {
	a.closing.Do(func() { close(a.jobs) })
	a.workers.Wait()
}

// DropTables drops what NewApp created.
func (a *App) DropTables(ctx context.Context) error {
	return engine.DropAll(ctx, a.DB, a.F.Registry().MetaData())
}

// Handler routes the HTTP API:
//
//	POST /notes             {"author","title","body"} -> 201 the note; queues its indexing
//	GET  /notes/{id}        -> the note
//	GET  /notes?author=NAME -> that author's notes, by id
//	POST /notes/{id}/like   -> the note, one like more
//	POST /notes/{id}/index  -> 202; queues its indexing again
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /notes", a.createNote)
	mux.HandleFunc("GET /notes/{id}", a.getNote)
	mux.HandleFunc("GET /notes", a.listNotes)
	mux.HandleFunc("POST /notes/{id}/like", a.likeNote)
	mux.HandleFunc("POST /notes/{id}/index", a.reindexNote)
	return mux
}

// createNote: one request, one session, one INSERT.
func (a *App) createNote(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in struct{ Author, Title, Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Author == "" || in.Title == "" {
		http.Error(w, "want a JSON body with author, title and body", http.StatusBadRequest)
		return
	}
	s := a.F.New()
	defer s.Close(ctx)
	n := &Note{Author: in.Author, Title: in.Title, Body: in.Body}
	if err := s.Add(n); err != nil {
		fail(w, err)
		return
	}
	if err := s.Commit(ctx); err != nil { // n.ID, n.Created are filled in
		fail(w, err)
		return
	}
	a.enqueue(ctx, n.ID)
	w.WriteHeader(http.StatusCreated)
	reply(w, n)
}

func (a *App) getNote(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	s := a.F.New()
	defer s.Close(ctx)
	n, err := orm.Get[Note](ctx, s, id)
	if err != nil {
		fail(w, err)
		return
	}
	reply(w, n)
}

func (a *App) listNotes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := a.F.New()
	defer s.Close(ctx)
	q := orm.Select[Note](s).FilterBy("Author", r.URL.Query().Get("author"))
	notes, err := q.OrderBy(expr.Asc(q.C("ID"))).All(ctx)
	if err != nil {
		fail(w, err)
		return
	}
	if notes == nil {
		notes = []*Note{}
	}
	reply(w, notes)
}

func (a *App) reindexNote(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	if a.enqueue(r.Context(), id) {
		w.WriteHeader(http.StatusAccepted)
	}
}

// likeNote is a read-modify-write of a row that many requests write at
// once. Its transaction locks the row first (SELECT ... FOR UPDATE where
// the database has row locks; SQLite's BEGIN IMMEDIATE serializes writers
// anyway), so concurrent likes queue instead of colliding. Transact opens
// the session, commits it, and re-runs the function on a serialization
// failure or deadlock.
func (a *App) likeNote(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	var n *Note
	err = a.F.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
		q := orm.Select[Note](s)
		got, err := q.Where(expr.Eq(q.C("ID"), id)).ForUpdate().One(ctx)
		if err != nil {
			return err
		}
		got.Likes++ // written at commit: UPDATE note SET likes, version WHERE id AND version
		n = got
		return nil
	})
	if err != nil {
		fail(w, err)
		return
	}
	reply(w, n)
}

// indexNote is the background job: a session of its own per job (per
// attempt), reading outside any transaction and writing at Commit with the
// version check. If a like committed in between, the UPDATE matches no row
// and fails with stale data; the job then starts over on the new row. That
// is optimistic concurrency: no lock held while the job works.
func (a *App) indexNote(ctx context.Context, id int64) error {
	err := a.retry(ctx, func() error {
		s := a.F.New()
		defer s.Close(ctx)
		n, err := orm.Get[Note](ctx, s, id)
		if err != nil {
			return err
		}
		n.Words = int32(len(strings.Fields(n.Title + " " + n.Body)))
		n.Indexed = true
		n.Indexes++
		return s.Commit(ctx)
	})
	if err == nil {
		a.Indexed.Add(1)
	}
	return err
}

// retry runs attempt until it succeeds, starting over after stale data
// (another session changed the row first) or a retryable database error
// (serialization failure, deadlock, SQLite busy), with a short random
// pause; other errors end it. Every attempt must use a fresh session.
func (a *App) retry(ctx context.Context, attempt func() error) error {
	const maxAttempts = 100
	var err error
	for i := range maxAttempts {
		if i > 0 {
			t := time.NewTimer(time.Duration(rand.IntN(1+min(i, 10))) * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return errors.Join(err, ctx.Err())
			case <-t.C:
			}
		}
		err = attempt()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, orm.ErrStaleData):
			a.Stale.Add(1)
		case sqlerr.IsRetryable(err):
			a.Busy.Add(1)
		default:
			return err
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, err)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing left to tell it
}

func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, sqlerr.ErrNotFound):
		http.Error(w, "not found", http.StatusNotFound)
	case errors.Is(err, orm.ErrStaleData):
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// SharedSessionMisuse shows what sharing one session between two
// goroutines does: the second call is refused with a *orm.ConcurrentUseError
// naming both operations, and the session is left intact. The first
// goroutine is held inside a query (Each is running) while the second calls
// Get, so the collision happens every time rather than by luck. It needs at
// least one note in the database.
func SharedSessionMisuse(ctx context.Context, f *orm.Factory) (*orm.ConcurrentUseError, error) {
	s := f.New()
	defer s.Close(ctx)
	inside := make(chan int64)
	second := make(chan error, 1)
	go func() { // the second goroutine, wrongly given the same session
		id, ok := <-inside
		if !ok {
			second <- nil
			return
		}
		_, err := orm.Get[Note](ctx, s, id)
		second <- err
	}()
	var got error
	var seen bool
	err := orm.Select[Note](s).Limit(1).Each(ctx, func(n *Note) error {
		seen = true
		inside <- n.ID // the first goroutine is inside the session now
		got = <-second
		return nil
	})
	if !seen {
		close(inside)
		<-second //nolint:errcheck // the other goroutine's error is moot: there was nothing to race on
		if err == nil {
			err = errors.New("no note to query: create one first")
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	var ce *orm.ConcurrentUseError
	if !errors.As(got, &ce) {
		return nil, fmt.Errorf("the second goroutine's Get returned %v, want a *orm.ConcurrentUseError", got)
	}
	// The session is intact: once the query is over, it works as before.
	if _, err := orm.Select[Note](s).Count(ctx); err != nil {
		return nil, fmt.Errorf("the session after the refused call: %w", err)
	}
	return ce, nil
}
