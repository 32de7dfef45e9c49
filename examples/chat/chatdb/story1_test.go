package chatdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// Story 1: a thread deleted while late writers (an "update thread" from a
// websocket disconnect, a step still being streamed, the disconnect's
// persist) are in flight must stay deleted: no row of it in any table, no
// blob of it on disk, and the late writers told "not found", never
// turned into inserts.

// fixture is a thread with nested steps, feedback and elements with blobs.
type fixture struct {
	thread   uuid.UUID
	steps    []uuid.UUID // root, child, grandchild, second root
	elements []uuid.UUID
	feedback uuid.UUID
}

func buildThread(t testing.TB, s *Store, name string) fixture {
	t.Helper()
	ctx := context.Background()
	th, err := s.CreateThread(ctx, Thread{Name: name, Tags: []string{"story1"}, Metadata: map[string]any{"n": name}})
	if err != nil {
		t.Fatal(err)
	}
	fx := fixture{thread: th.ID}
	var parent *uuid.UUID
	for i := range 4 {
		if i == 3 {
			parent = nil // a second root
		}
		st := Step{ID: uuid.New(), ThreadID: th.ID, ParentID: parent, Name: fmt.Sprint("step ", i), Type: "assistant_message",
			Input: "question " + name, Output: fmt.Sprintf("answer %d of %s", i, name), CreatedAt: time.Now().Add(time.Duration(i) * time.Millisecond)}
		if err := s.CreateStep(ctx, st); err != nil {
			t.Fatal(err)
		}
		fx.steps = append(fx.steps, st.ID)
		parent = &fx.steps[len(fx.steps)-1]
	}
	if fx.feedback, err = s.UpsertFeedback(ctx, Feedback{ForID: fx.steps[1], Value: 1, Comment: ptr("good")}); err != nil {
		t.Fatal(err)
	}
	for i, forID := range []*uuid.UUID{nil, &fx.steps[2]} {
		e := Element{ID: uuid.New(), ThreadID: th.ID, ForID: forID, Type: "file", Name: fmt.Sprint("file", i), Mime: "text/plain", Display: "inline"}
		if err := s.CreateElement(ctx, e, []byte(fmt.Sprintf("content %d of %s", i, name))); err != nil {
			t.Fatal(err)
		}
		fx.elements = append(fx.elements, e.ID)
	}
	return fx
}

// leftovers lists what is left of the threads in the database and the
// blob directory: rows of any table that belong to them, and blob files.
// An empty list means the threads are entirely gone.
func leftovers(t testing.TB, s *Store, threads ...uuid.UUID) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, q := range []struct{ table, col string }{
		{"threads", "id"}, {"steps", "thread_id"}, {"elements", "thread_id"}, {"feedbacks", "thread_id"},
	} {
		for _, id := range threads {
			var n int
			// the id is bound, as the ORM binds it
			sql := "SELECT COUNT(*) FROM " + q.table + " WHERE " + q.col + " = " + placeholder(s)
			if err := s.db.QueryRow(ctx, sql, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				out = append(out, fmt.Sprintf("%s: %d rows of thread %s", q.table, n, id))
			}
		}
	}
	for _, id := range threads {
		out = append(out, blobFiles(t, s.threadDir(id))...)
	}
	return out
}

func placeholder(s *Store) string {
	if s.dialect == "postgres" {
		return "$1"
	}
	return "?"
}

// blobFiles lists the regular files under dir.
func blobFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, "blob "+p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lateOps are the writers of story 1, each run on a thread that may be
// deleted already.
var lateOps = map[string]func(ctx context.Context, s *Store, fx fixture) error{
	"delete": func(ctx context.Context, s *Store, fx fixture) error { return s.DeleteThread(ctx, fx.thread) },
	"update_thread": func(ctx context.Context, s *Store, fx fixture) error {
		_, err := s.UpdateThread(ctx, fx.thread, ThreadUpdate{Name: ptr("renamed late"), Metadata: map[string]any{"late": true}})
		return err
	},
	"create_step": func(ctx context.Context, s *Store, fx fixture) error {
		return s.CreateStep(ctx, Step{ID: uuid.New(), ThreadID: fx.thread, ParentID: &fx.steps[0], Type: "assistant_message", Output: "streamed late"})
	},
	"persist": func(ctx context.Context, s *Store, fx fixture) error {
		return s.PersistOnDisconnect(ctx, fx.thread, ThreadUpdate{Metadata: map[string]any{"disconnected": true}},
			[]Step{{ID: fx.steps[3], Type: "assistant_message", Output: "final answer"}, {ID: uuid.New(), Type: "run", Output: "new on disconnect"}})
	},
}

func permutations(xs []string) [][]string {
	if len(xs) <= 1 {
		return [][]string{slices.Clone(xs)}
	}
	var out [][]string
	for i := range xs {
		rest := append(slices.Clone(xs[:i]), xs[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{xs[i]}, p...))
		}
	}
	return out
}

// TestDeletedThreadStaysDeletedInEveryOrder runs the four writers of story
// 1 in each of the 24 orders on a thread of its own: the writers before
// the delete succeed, the ones after it get ErrNotFound, and afterwards
// nothing of the thread is left.
func TestDeletedThreadStaysDeletedInEveryOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		keep := buildThread(t, s, "bystander")
		orders := permutations([]string{"delete", "update_thread", "create_step", "persist"})
		if len(orders) != 24 {
			t.Fatalf("%d orders", len(orders))
		}
		var all []uuid.UUID
		for _, order := range orders {
			fx := buildThread(t, s, strings.Join(order, ","))
			all = append(all, fx.thread)
			if l := leftovers(t, s, fx.thread); len(l) != 6 { // 4 tables and 2 blobs: the checker sees a live thread
				t.Fatalf("a live thread's leftovers: %v", l)
			}
			deleted := false
			for _, op := range order {
				err := lateOps[op](ctx, s, fx)
				switch {
				case !deleted && err != nil:
					t.Errorf("%v: %s before the delete: %v", order, op, err)
				case deleted && !errors.Is(err, ErrNotFound):
					t.Errorf("%v: %s after the delete: %v, want ErrNotFound", order, op, err)
				}
				deleted = deleted || op == "delete"
			}
			if l := leftovers(t, s, fx.thread); len(l) > 0 {
				t.Errorf("%v: the deleted thread came back:\n  %s", order, strings.Join(l, "\n  "))
			}
		}
		// The bystander is untouched, blobs and all.
		got, err := s.GetThread(ctx, keep.thread)
		if err != nil || len(got.Steps) != 4 || len(got.Elements) != 2 || got.Steps[1].Feedback == nil {
			t.Fatalf("bystander: %+v %v", got, err)
		}
		for _, e := range keep.elements {
			if b, err := s.ElementContent(ctx, keep.thread, e); err != nil || !strings.Contains(string(b), "bystander") {
				t.Fatalf("bystander blob: %q %v", b, err)
			}
		}
		if l := leftovers(t, s, all...); len(l) > 0 {
			t.Fatalf("left over: %v", l)
		}
	})
}

// outcomes counts what each kind of writer got.
type outcomes struct {
	mu sync.Mutex
	n  map[string]map[string]int
}

func (o *outcomes) add(op string, err error) string {
	kind := "ok"
	switch {
	case err == nil:
	case errors.Is(err, ErrNotFound):
		kind = "not-found"
	case errors.Is(err, ErrConflict):
		kind = "conflict"
	default:
		kind = "error"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]map[string]int{}
	}
	if o.n[op] == nil {
		o.n[op] = map[string]int{}
	}
	o.n[op][kind]++
	return kind
}

func (o *outcomes) String() string {
	var ops []string
	for op := range o.n {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	var b strings.Builder
	for _, op := range ops {
		fmt.Fprintf(&b, "\n  %-14s", op)
		for _, k := range []string{"ok", "not-found", "conflict", "error"} {
			fmt.Fprintf(&b, " %s=%d", k, o.n[op][k])
		}
	}
	return b.String()
}

// smallThread is a thread with one step, its feedback and one element
// with a blob: what the storm deletes.
func smallThread(s *Store, name string) (fixture, error) {
	ctx := context.Background()
	th, err := s.CreateThread(ctx, Thread{Name: name})
	if err != nil {
		return fixture{}, err
	}
	st := Step{ID: uuid.New(), ThreadID: th.ID, Type: "user_message", Input: name}
	if err := s.CreateStep(ctx, st); err != nil {
		return fixture{}, err
	}
	fb, err := s.UpsertFeedback(ctx, Feedback{ForID: st.ID, Value: 0})
	if err != nil {
		return fixture{}, err
	}
	e := Element{ThreadID: th.ID, ForID: &st.ID, Type: "file", Name: "f"}
	if err := s.CreateElement(ctx, e, []byte(name)); err != nil {
		return fixture{}, err
	}
	return fixture{thread: th.ID, steps: []uuid.UUID{st.ID, st.ID, st.ID, st.ID}, feedback: fb}, nil
}

// TestDeleteStormWithLateWriters runs 64 goroutines over 100 rounds: in
// each round, on a few fresh threads at once, deletes race with late
// thread updates, late steps, disconnect persists, late elements (with
// blobs) and late feedback. Every thread is deleted exactly once; every
// writer succeeds (it came first) or gets ErrNotFound (or ErrConflict);
// and afterwards no row and no blob of any thread is left.
func TestDeleteStormWithLateWriters(t *testing.T) {
	const goroutines, rounds, threadsPerRound = 64, 100, 4
	writers := []string{"delete", "update_thread", "create_step", "persist", "create_element", "feedback", "update_thread", "create_step"}
	ops := map[string]func(ctx context.Context, s *Store, fx fixture) error{
		"create_element": func(ctx context.Context, s *Store, fx fixture) error {
			return s.CreateElement(ctx, Element{ThreadID: fx.thread, Type: "file", Name: "late"}, []byte("late blob"))
		},
		"feedback": func(ctx context.Context, s *Store, fx fixture) error {
			_, err := s.UpsertFeedback(ctx, Feedback{ForID: fx.steps[0], Value: 1})
			return err
		},
	}
	for k, v := range lateOps {
		ops[k] = v
	}
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		var res outcomes
		var all []uuid.UUID
		start := time.Now()
		for round := range rounds {
			fxs := make([]fixture, threadsPerRound)
			errs := make([]error, threadsPerRound)
			var setup sync.WaitGroup
			for i := range fxs {
				setup.Go(func() { fxs[i], errs[i] = smallThread(s, fmt.Sprintf("r%d t%d", round, i)) })
			}
			setup.Wait()
			for i := range fxs {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				all = append(all, fxs[i].thread)
			}
			var deletes [threadsPerRound]atomic.Int32
			var wg sync.WaitGroup
			gate := make(chan struct{})
			for g := range goroutines {
				// 16 goroutines per thread, each writer twice: two deleters
				th, op := g%threadsPerRound, writers[(g/threadsPerRound+round)%len(writers)]
				wg.Go(func() {
					<-gate
					err := ops[op](ctx, s, fxs[th])
					if res.add(op, err) == "error" {
						t.Errorf("round %d: %s: %v", round, op, err)
					}
					if op == "delete" && err == nil {
						deletes[th].Add(1)
					}
				})
			}
			close(gate)
			wg.Wait()
			for i, fx := range fxs {
				if n := deletes[i].Load(); n != 1 {
					t.Errorf("round %d: thread %d deleted %d times", round, i, n)
				}
				if l := leftovers(t, s, fx.thread); len(l) > 0 {
					t.Fatalf("round %d: a deleted thread came back:\n  %s", round, strings.Join(l, "\n  "))
				}
			}
			if t.Failed() {
				break
			}
		}
		if l := leftovers(t, s, all...); len(l) > 0 {
			t.Fatalf("left over: %v", l)
		}
		if files := blobFiles(t, s.BlobDir()); len(files) > 0 {
			t.Fatalf("blobs left in the blob directory: %v", files)
		}
		t.Logf("%s: %d goroutines x %d rounds (%d threads deleted) in %v; outcomes:%s",
			tg.Name, goroutines, rounds, len(all), time.Since(start).Round(time.Millisecond), &res)
		if n := res.n["delete"]["ok"]; n != len(all) {
			t.Errorf("%d deletes succeeded, want %d", n, len(all))
		}
	})
}

// failing is a statement middleware that fails the nth statement (1-based)
// of the operations whose context carries a *failPlan, before running it,
// or after running it when after is set.
type failPlan struct {
	nth   int
	after bool
	seen  atomic.Int32
	hit   atomic.Bool
}

type failKey struct{}

var errInjected = errors.New("injected failure")

type failing struct{ next dialect.Querier }

func (q failing) fail(ctx context.Context, run func() error) error {
	p, _ := ctx.Value(failKey{}).(*failPlan)
	if p == nil || int(p.seen.Add(1)) != p.nth {
		return run()
	}
	p.hit.Store(true)
	if p.after {
		if err := run(); err != nil {
			return err
		}
	}
	return errInjected
}

func (q failing) Exec(ctx context.Context, sql string, args ...any) (res dialect.Result, err error) {
	err = q.fail(ctx, func() (err error) { res, err = q.next.Exec(ctx, sql, args...); return err })
	return res, err
}

func (q failing) Query(ctx context.Context, sql string, args ...any) (rows dialect.Rows, err error) {
	err = q.fail(ctx, func() (err error) { rows, err = q.next.Query(ctx, sql, args...); return err })
	if err != nil && rows != nil {
		rows.Close()
		rows = nil
	}
	return rows, err
}

// snapshot is what a thread is, as the Store returns it and on disk.
func snapshot(t *testing.T, s *Store, fx fixture) string {
	t.Helper()
	ctx := context.Background()
	th, err := s.GetThread(ctx, fx.thread)
	if err != nil {
		return "error: " + err.Error()
	}
	out := fmt.Sprintf("%s %v %v", th.Name, th.Metadata, th.CreatedAt.UnixMicro())
	for _, st := range th.Steps {
		out += fmt.Sprintf("\nstep %s parent %v %q feedback %v", st.ID, st.ParentID, st.Output, st.Feedback != nil)
	}
	for _, e := range th.Elements {
		b, err := s.ElementContent(ctx, fx.thread, e.ID)
		out += fmt.Sprintf("\nelement %s %q %v", e.ID, b, err)
	}
	return out
}

// TestFailedDeleteLeavesEverythingInPlace fails DeleteThread in each of
// its statements (the locking read, the savepoint, the DELETE, the
// savepoint's release), before each runs and after it ran (the DELETE
// then cascaded inside the transaction), and right before its COMMIT:
// each time every row and every blob is still there. A delete without a
// failure then removes it all.
func TestFailedDeleteLeavesEverythingInPlace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{middleware: []engine.Middleware{
			func(next dialect.Querier) dialect.Querier { return recording{next} },
			func(next dialect.Querier) dialect.Querier { return failing{next} },
		}})
		fx := buildThread(t, s, "fragile")
		before := snapshot(t, s, fx)
		if strings.Count(before, "\nstep") != 4 || strings.Count(before, "\nelement") != 2 || strings.Count(before, "content") != 2 {
			t.Fatalf("fixture: %s", before)
		}
		check := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, errInjected) {
				t.Fatalf("%s: DeleteThread returned %v, want the injected failure", what, err)
			}
			if after := snapshot(t, s, fx); after != before {
				t.Fatalf("%s: the failed delete changed the thread:\n%s\nwant\n%s", what, after, before)
			}
			if l := leftovers(t, s, fx.thread); len(l) != 6 {
				t.Fatalf("%s: leftovers %v, want every table and both blobs", what, l)
			}
		}
		// The statements of a successful delete, on a twin thread.
		twin := buildThread(t, s, "twin")
		rec := &recorder{}
		if err := s.DeleteThread(context.WithValue(ctx, recKey{}, rec), twin.thread); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(rec.stmts, func(q string) bool { return strings.HasPrefix(q, "DELETE") }) {
			t.Fatalf("no DELETE among %q", rec.stmts)
		}
		for nth, sql := range rec.stmts {
			for _, after := range []bool{false, true} {
				p := &failPlan{nth: nth + 1, after: after}
				err := s.DeleteThread(context.WithValue(ctx, failKey{}, p), fx.thread)
				if !p.hit.Load() {
					t.Fatalf("statement %d (%.40s) was never reached: %v", nth+1, sql, err)
				}
				check(fmt.Sprintf("statement %d, %.40s... (failed after it ran: %v)", nth+1, sql, after), err)
			}
		}
		s.beforeCommit = func(ctx context.Context, op string) error {
			if op == "DeleteThread" {
				return errInjected
			}
			return nil
		}
		check("before COMMIT", s.DeleteThread(ctx, fx.thread))
		s.beforeCommit = nil
		if err := s.DeleteThread(ctx, fx.thread); err != nil {
			t.Fatal(err)
		}
		if l := leftovers(t, s, fx.thread); len(l) > 0 {
			t.Fatalf("after the delete: %v", l)
		}
	})
}

// chainlitUpdateThread is the write of Chainlit's SQLAlchemy data layer
// that brought deleted threads back: "update thread" as an upsert. It is
// here only to show that the checks catch a resurrection.
func chainlitUpdateThread(ctx context.Context, s *Store, id uuid.UUID, name string) error {
	return s.f.Transact(ctx, func(ctx context.Context, sess *orm.Session) error {
		row := &threadRow{ID: id, Name: name, CreatedAt: now(), Metadata: map[string]any{}, Tags: []string{}}
		_, err := orm.Upsert(ctx, sess, row, orm.OnConflict("ID").DoUpdate("Name"))
		return err
	})
}

// TestNegativeControlUpsertResurrects runs the Chainlit-style upsert as the
// late writer: it succeeds after the delete, and the checks the story-1
// tests rely on report the resurrected thread. So they are not vacuous.
func TestNegativeControlUpsertResurrects(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		fx := buildThread(t, s, "doomed")
		if err := s.DeleteThread(ctx, fx.thread); err != nil {
			t.Fatal(err)
		}
		if l := leftovers(t, s, fx.thread); len(l) > 0 {
			t.Fatalf("after the delete: %v", l)
		}
		if _, err := s.UpdateThread(ctx, fx.thread, ThreadUpdate{Name: ptr("late")}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the Store's late update: %v, want ErrNotFound", err)
		}
		if err := chainlitUpdateThread(ctx, s, fx.thread, "late"); err != nil {
			t.Fatalf("the upsert refused to write: %v", err)
		}
		l := leftovers(t, s, fx.thread)
		if len(l) != 1 || !strings.HasPrefix(l[0], "threads: 1 rows") {
			t.Fatalf("the checker missed the resurrection: %v", l)
		}
		th, err := s.GetThread(ctx, fx.thread)
		if err != nil || th.Name != "late" || len(th.Steps) != 0 {
			t.Fatalf("the resurrected thread: %+v %v", th, err)
		}
		t.Logf("%s: the upsert brought thread %s back: %v", tg.Name, fx.thread, l)
	})
}
