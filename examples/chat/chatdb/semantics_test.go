package chatdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
)

// TestMigrationsMatchModels fails when the models changed and no revision
// was generated for the change.
func TestMigrationsMatchModels(t *testing.T) {
	dir, err := migrate.OpenDir(MigrationsFS())
	if err != nil {
		t.Fatal(err)
	}
	g, err := migrate.NewGraph(dir.Revisions())
	if err != nil {
		t.Fatal(err)
	}
	head, _, err := g.HeadSchema()
	if err != nil {
		t.Fatal(err)
	}
	models, err := Models()
	if err != nil {
		t.Fatal(err)
	}
	ops, err := migrate.Plan(head, models, migrate.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		t.Errorf("models differ from the head revision: %v; run go run ./examples/chat migrate revision --dir examples/chat/chatdb/migrations -m ... --autogenerate", op)
	}
}

// TestConcurrentOpensMigrateOnce opens the Store from several goroutines
// on one empty database: the migration lock lets one apply the revision,
// the others find it applied, and the live schema has no drift.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		var wg sync.WaitGroup
		stores := make([]*Store, 4)
		errs := make([]error, len(stores))
		for i := range stores {
			wg.Go(func() {
				stores[i], errs[i] = Open(ctx, tg.DSN, Options{BlobDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Open %d: %v", i, err)
			}
			defer stores[i].Close()
		}
		dir, _ := migrate.OpenDir(MigrationsFS())
		g, _ := migrate.NewGraph(dir.Revisions())
		m, err := migrate.New(stores[0].DB(), g)
		if err != nil {
			t.Fatal(err)
		}
		cur, err := m.Current(ctx)
		if err != nil || len(cur) != 1 || cur[0] != g.Heads()[0] {
			t.Fatalf("current %v %v, want the head %v", cur, err, g.Heads())
		}
		drift, err := m.Check(ctx)
		if err != nil || len(drift) > 0 {
			t.Fatalf("drift after Open: %v %v", drift, err)
		}
	})
}

func TestListThreadsPagesSearchesAndFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		ada, err := s.CreateUser(ctx, "ada", nil)
		if err != nil {
			t.Fatal(err)
		}
		bob, err := s.CreateUser(ctx, "bob", nil)
		if err != nil {
			t.Fatal(err)
		}
		// 7 threads of ada's, three of them created at the same instant
		// (the id breaks the tie), and one of bob's.
		base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		names := []string{"Plain", "100% Sure", "snake_case talk", "plain again", "Other", "UPPER plain", "last"}
		var ids []uuid.UUID
		for i, n := range names {
			at := base.Add(time.Duration(i) * time.Minute)
			if i >= 2 && i <= 4 {
				at = base.Add(2 * time.Minute)
			}
			th := mustThread(t, s, Thread{Name: n, CreatedAt: at, UserID: &ada.ID, Tags: []string{fmt.Sprint("n", i%2), "all"}})
			ids = append(ids, th.ID)
		}
		bobs := mustThread(t, s, Thread{Name: "plain of bob", UserID: &bob.ID, CreatedAt: base})
		step := Step{ID: uuid.New(), ThreadID: ids[4], Type: "user_message", Input: "Where is the PLAIN text?", Output: "in 50%_off"}
		if err := s.CreateStep(ctx, step); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpsertFeedback(ctx, Feedback{ForID: step.ID, Value: 1}); err != nil {
			t.Fatal(err)
		}
		zero := Step{ID: uuid.New(), ThreadID: ids[6], Type: "assistant_message", Output: "meh"}
		if err := s.CreateStep(ctx, zero); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpsertFeedback(ctx, Feedback{ForID: zero.ID, Value: 0}); err != nil {
			t.Fatal(err)
		}

		list := func(q ListQuery) []string {
			t.Helper()
			var out []string
			for pages := 0; ; pages++ {
				p, err := s.ListThreads(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, th := range p.Data {
					out = append(out, th.Name)
				}
				if len(p.Data) > 0 && p.EndCursor == "" {
					t.Fatal("no end cursor")
				}
				if !p.HasNextPage {
					return out
				}
				q.Cursor = p.EndCursor
			}
		}
		// Newest first; the three of one instant by id, descending.
		tied := []uuid.UUID{ids[2], ids[3], ids[4]}
		slicesSortDesc(tied)
		want := []string{"last", "UPPER plain"}
		for _, id := range tied {
			want = append(want, names[indexOf(ids, id)])
		}
		want = append(want, "100% Sure", "Plain")
		for _, first := range []int{1, 2, 3, 100} {
			got := list(ListQuery{UserID: &ada.ID, First: first})
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("pages of %d: %q, want %q", first, got, want)
			}
		}
		if got := list(ListQuery{}); len(got) != 8 {
			t.Fatalf("all threads: %q", got)
		}
		// in list order
		only := func(names ...string) string {
			var out []string
			for _, n := range want {
				if slices.Contains(names, n) {
					out = append(out, n)
				}
			}
			return fmt.Sprint(out)
		}
		for _, c := range []struct {
			search string
			want   string
		}{
			{"plain", only("UPPER plain", "Other", "plain again", "Plain")}, // names and step input, any case
			{"PLAIN", only("UPPER plain", "Other", "plain again", "Plain")},
			{"%", only("Other", "100% Sure")}, // literal %: a name and a step output
			{"_", only("Other", "snake_case talk")},
			{"0%_", "[Other]"},
			{"e_c", "[snake_case talk]"},
			{"nothing like it", "[]"},
		} {
			if got := fmt.Sprint(list(ListQuery{UserID: &ada.ID, Search: c.search, First: 2})); got != c.want {
				t.Errorf("search %q: %s, want %s", c.search, got, c.want)
			}
		}
		if got := fmt.Sprint(list(ListQuery{Search: "plain"})); !strings.Contains(got, "plain of bob") {
			t.Errorf("search across users: %s", got)
		}
		if got := fmt.Sprint(list(ListQuery{Feedback: ptr(1)})); got != "[Other]" {
			t.Errorf("feedback 1: %s", got)
		}
		if got := fmt.Sprint(list(ListQuery{Feedback: ptr(0), UserID: &ada.ID})); got != "[last]" {
			t.Errorf("feedback 0: %s", got)
		}
		if got := fmt.Sprint(list(ListQuery{Tag: "n1", First: 1})); got != only(names[1], names[3], names[5]) {
			t.Errorf("tag n1: %s", got)
		}
		if got := fmt.Sprint(list(ListQuery{Tag: "n", Search: "plain"})); got != "[]" {
			t.Errorf("tag n (a prefix of tags, not a tag): %s", got)
		}
		if got := fmt.Sprint(list(ListQuery{UserID: &bob.ID})); got != "[plain of bob]" || bobs.UserIdentifier != "bob" {
			t.Errorf("bob's: %s", got)
		}
		for _, q := range []ListQuery{{First: -1}, {First: MaxPage + 1}, {Cursor: "garbage"}, {Cursor: "e30"}, {Search: strings.Repeat("x", MaxSearch+1)}, {Tag: strings.Repeat("x", MaxTag+1)}} {
			if _, err := s.ListThreads(ctx, q); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v, want a validation error", q, err)
			}
		}
	})
}

func slicesSortDesc(ids []uuid.UUID) {
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			if ids[j].String() > ids[i].String() {
				ids[i], ids[j] = ids[j], ids[i]
			}
		}
	}
}

func indexOf(ids []uuid.UUID, id uuid.UUID) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

func TestUpsertFeedbackKeepsOneRowPerStep(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		fx := buildThread(t, s, "fb")
		step := fx.steps[0]
		id1, err := s.UpsertFeedback(ctx, Feedback{ForID: step, Value: 1, Comment: ptr("good")})
		if err != nil {
			t.Fatal(err)
		}
		id2, err := s.UpsertFeedback(ctx, Feedback{ID: uuid.New(), ForID: step, Value: 0})
		if err != nil {
			t.Fatal(err)
		}
		if id1 != id2 {
			t.Fatalf("second upsert returned %s, want the row's id %s", id2, id1)
		}
		th, err := s.GetThread(ctx, fx.thread)
		if err != nil {
			t.Fatal(err)
		}
		fb := th.Steps[0].Feedback
		if fb == nil || fb.ID != id1 || fb.Value != 0 || fb.Comment != nil || fb.ThreadID != fx.thread {
			t.Fatalf("feedback after two upserts: %+v", fb)
		}
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM feedbacks WHERE for_id = "+placeholder(s), step).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d feedback rows for the step (%v), want 1", n, err)
		}
		if _, err := s.UpsertFeedback(ctx, Feedback{ForID: uuid.New(), Value: 1}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("feedback on a missing step: %v", err)
		}
		if _, err := s.UpsertFeedback(ctx, Feedback{ForID: step, ThreadID: uuid.New(), Value: 1}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("feedback naming another thread: %v", err)
		}
		if _, err := s.UpsertFeedback(ctx, Feedback{ForID: step, Value: 5}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("value 5: %v", err)
		}
		if ok, err := s.DeleteFeedback(ctx, id1); !ok || err != nil {
			t.Fatalf("DeleteFeedback: %v %v", ok, err)
		}
		if ok, err := s.DeleteFeedback(ctx, id1); ok || err != nil {
			t.Fatalf("second DeleteFeedback: %v %v", ok, err)
		}
	})
}

// TestOverlongInputIsRefusedAndWritesNothing sends every over-long or
// malformed field to the method that takes it: each is a *ValidationError
// naming the field, and nothing is written.
func TestOverlongInputIsRefusedAndWritesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		fx := buildThread(t, s, "limits")
		before := snapshot(t, s, fx)
		rows := countRows(t, s)
		long := func(n int) string { return strings.Repeat("é", n+1) }
		tags := make([]string, MaxTags+1)
		cases := []struct {
			field string
			call  func() error
		}{
			{"identifier", func() error { _, err := s.CreateUser(ctx, long(MaxIdentifier), nil); return err }},
			{"identifier", func() error { _, err := s.CreateUser(ctx, "", nil); return err }},
			{"name", func() error { _, err := s.CreateThread(ctx, Thread{Name: long(MaxName)}); return err }},
			{"tags", func() error { _, err := s.CreateThread(ctx, Thread{Tags: tags}); return err }},
			{"tags", func() error { _, err := s.CreateThread(ctx, Thread{Tags: []string{long(MaxTag)}}); return err }},
			{"metadata", func() error {
				_, err := s.CreateThread(ctx, Thread{Metadata: map[string]any{"big": long(MaxMetadata)}})
				return err
			}},
			{"metadata", func() error {
				_, err := s.CreateThread(ctx, Thread{Metadata: map[string]any{"ch": make(chan int)}})
				return err
			}},
			{"name", func() error {
				_, err := s.UpdateThread(ctx, fx.thread, ThreadUpdate{Name: ptr(long(MaxName))})
				return err
			}},
			{"name", func() error {
				_, err := s.UpdateThread(ctx, fx.thread, ThreadUpdate{Name: ptr("\xff")})
				return err
			}},
			{"userId", func() error {
				_, err := s.UpdateThread(ctx, fx.thread, ThreadUpdate{UserID: ptr(uuid.New())})
				return err
			}},
			{"output", func() error {
				return s.CreateStep(ctx, Step{ID: uuid.New(), ThreadID: fx.thread, Output: strings.Repeat("x", MaxText+1)})
			}},
			{"type", func() error { return s.CreateStep(ctx, Step{ID: uuid.New(), ThreadID: fx.thread, Type: long(MaxType)}) }},
			{"id", func() error { return s.CreateStep(ctx, Step{ThreadID: fx.thread}) }},
			{"parentId", func() error {
				id := uuid.New()
				return s.CreateStep(ctx, Step{ID: id, ThreadID: fx.thread, ParentID: &id})
			}},
			{"input", func() error {
				return s.UpdateStep(ctx, Step{ID: fx.steps[0], ThreadID: fx.thread, Input: strings.Repeat("x", MaxText+1)})
			}},
			{"steps", func() error {
				return s.PersistOnDisconnect(ctx, fx.thread, ThreadUpdate{Name: ptr("ok")}, []Step{{ID: fx.steps[0], Name: long(MaxName)}})
			}},
			{"steps", func() error {
				return s.PersistOnDisconnect(ctx, fx.thread, ThreadUpdate{}, []Step{{ID: uuid.New(), ThreadID: uuid.New()}})
			}},
			{"url", func() error { return s.CreateElement(ctx, Element{ThreadID: fx.thread, URL: long(MaxURL)}, nil) }},
			{"mime", func() error {
				return s.CreateElement(ctx, Element{ThreadID: fx.thread, Mime: long(MaxMime)}, []byte("x"))
			}},
			{"comment", func() error {
				_, err := s.UpsertFeedback(ctx, Feedback{ForID: fx.steps[0], Value: 1, Comment: ptr(long(MaxComment))})
				return err
			}},
		}
		for i, c := range cases {
			err := c.call()
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(ve.Field, c.field) {
				t.Errorf("case %d (%s): %v, want a validation error of %s", i, c.field, err, c.field)
			}
		}
		if after := snapshot(t, s, fx); after != before {
			t.Errorf("refused input changed the thread:\n%s\nwant\n%s", after, before)
		}
		if after := countRows(t, s); after != rows {
			t.Errorf("refused input wrote rows: %s, before %s", after, rows)
		}
		if files := blobFiles(t, s.BlobDir()); len(files) != 2 {
			t.Errorf("blobs: %v", files)
		}
	})
}

// TestStepsAndElements covers the step and element methods: nesting,
// idempotent creation, updates that never insert, PersistOnDisconnect's
// creates and updates, element content, and DeleteStep removing the
// subtree with its elements' blobs.
func TestStepsAndElements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		fx := buildThread(t, s, "steps")
		other := buildThread(t, s, "other")
		// idempotent creation; an id of another thread is a conflict
		if err := s.CreateStep(ctx, Step{ID: fx.steps[0], ThreadID: fx.thread, Output: "changed?"}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateStep(ctx, Step{ID: fx.steps[0], ThreadID: other.thread}); !errors.Is(err, ErrConflict) {
			t.Fatalf("step id of another thread: %v", err)
		}
		if err := s.CreateStep(ctx, Step{ID: uuid.New(), ThreadID: fx.thread, ParentID: ptr(uuid.New())}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing parent: %v", err)
		}
		// a parent or an element's step in another thread would let that
		// thread's delete cascade into this one
		if err := s.CreateStep(ctx, Step{ID: uuid.New(), ThreadID: fx.thread, ParentID: &other.steps[0]}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("parent in another thread: %v", err)
		}
		if err := s.CreateElement(ctx, Element{ThreadID: fx.thread, ForID: &other.steps[0]}, []byte("x")); !errors.Is(err, ErrInvalid) {
			t.Fatalf("element for a step of another thread: %v", err)
		}
		if err := s.CreateElement(ctx, Element{ThreadID: fx.thread, ForID: ptr(uuid.New())}, []byte("x")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("element for a missing step: %v", err)
		}
		if files := blobFiles(t, s.threadDir(fx.thread)); len(files) != 2 {
			t.Fatalf("refused elements left blobs: %v", files)
		}
		th, _ := s.GetThread(ctx, fx.thread)
		if th.Steps[0].Output != "answer 0 of steps" || *th.Steps[1].ParentID != fx.steps[0] || len(th.Steps) != 4 {
			t.Fatalf("steps: %+v", th.Steps)
		}
		start, end := time.Date(2025, 3, 4, 5, 6, 7, 890000000, time.UTC), time.Date(2025, 3, 4, 5, 6, 9, 0, time.UTC)
		if err := s.UpdateStep(ctx, Step{ID: fx.steps[1], ThreadID: fx.thread, Name: "n", Type: "tool", Output: "updated", IsError: true,
			Tags: []string{"x"}, Metadata: map[string]any{"m": 1.0}, Start: &start, End: &end}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateStep(ctx, Step{ID: fx.steps[1], ThreadID: other.thread}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update naming another thread: %v", err)
		}
		newID := uuid.New()
		if err := s.PersistOnDisconnect(ctx, fx.thread, ThreadUpdate{Name: ptr("persisted")}, []Step{
			{ID: fx.steps[3], Type: "assistant_message", Output: "final"},
			{ID: newID, ParentID: &fx.steps[3], Type: "run", Output: "new"},
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.PersistOnDisconnect(ctx, fx.thread, ThreadUpdate{}, []Step{{ID: other.steps[0]}}); !errors.Is(err, ErrConflict) {
			t.Fatalf("persisting a step of another thread: %v", err)
		}
		th, _ = s.GetThread(ctx, fx.thread)
		byID := map[uuid.UUID]Step{}
		for _, st := range th.Steps {
			byID[st.ID] = st
		}
		if st := byID[fx.steps[1]]; st.Output != "updated" || !st.IsError || st.Type != "tool" || !st.Start.Equal(start) || !st.End.Equal(end) ||
			fmt.Sprint(st.Tags, st.Metadata) != "[x] map[m:1]" || st.Feedback == nil {
			t.Fatalf("updated step: %+v", st)
		}
		if th.Name != "persisted" || byID[fx.steps[3]].Output != "final" || byID[newID].Output != "new" || *byID[newID].ParentID != fx.steps[3] {
			t.Fatalf("after persist: %s %+v", th.Name, th.Steps)
		}

		// elements
		el, plain := th.Elements[0], th.Elements[1]
		if el.ForID == nil {
			el, plain = plain, el // el is the one attached to steps[2]
		}
		if el.ForID == nil || *el.ForID != fx.steps[2] || el.Size != int64(len("content 1 of steps")) || el.ObjectKey == "" {
			t.Fatalf("element: %+v", el)
		}
		if b, err := s.ElementContent(ctx, fx.thread, el.ID); err != nil || string(b) != "content 1 of steps" {
			t.Fatalf("content: %q %v", b, err)
		}
		if _, err := s.GetElement(ctx, other.thread, el.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("element through another thread: %v", err)
		}
		if err := s.CreateElement(ctx, Element{ThreadID: uuid.New(), Name: "orphan"}, []byte("x")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("element of a missing thread: %v", err)
		}
		urlOnly := Element{ID: uuid.New(), ThreadID: fx.thread, URL: "https://example.com/a.png", Type: "image"}
		if err := s.CreateElement(ctx, urlOnly, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateElement(ctx, urlOnly, []byte("again")); !errors.Is(err, ErrConflict) {
			t.Fatalf("an element id taken: %v", err)
		}
		if err := s.CreateElement(ctx, Element{ID: el.ID, ThreadID: fx.thread}, []byte("overwrite?")); !errors.Is(err, ErrConflict) {
			t.Fatalf("an element id taken: %v", err)
		}
		if b, err := s.ElementContent(ctx, fx.thread, el.ID); err != nil || string(b) != "content 1 of steps" {
			t.Fatalf("content after a refused create with its id: %q %v", b, err)
		}
		if _, err := s.ElementContent(ctx, fx.thread, urlOnly.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("content of an element without one: %v", err)
		}
		if err := s.DeleteElement(ctx, plain.ID, fx.thread); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteElement(ctx, plain.ID, fx.thread); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second DeleteElement: %v", err)
		}
		if files := blobFiles(t, s.threadDir(fx.thread)); len(files) != 1 {
			t.Fatalf("blobs after DeleteElement: %v", files)
		}

		// DeleteStep of the root: its child and grandchild go, with the
		// feedback on the child and the element (and blob) on the
		// grandchild; the second root and its new child stay.
		if err := s.DeleteStep(ctx, fx.steps[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteStep(ctx, fx.steps[0]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second DeleteStep: %v", err)
		}
		th, _ = s.GetThread(ctx, fx.thread)
		var left []uuid.UUID
		for _, st := range th.Steps {
			left = append(left, st.ID)
		}
		if fmt.Sprint(left) != fmt.Sprint([]uuid.UUID{fx.steps[3], newID}) || len(th.Elements) != 1 || th.Elements[0].ID != urlOnly.ID {
			t.Fatalf("after DeleteStep: steps %v, elements %+v", left, th.Elements)
		}
		if files := blobFiles(t, s.threadDir(fx.thread)); len(files) != 0 {
			t.Fatalf("blobs after DeleteStep: %v", files)
		}
		if a, err := s.GetThreadAuthor(ctx, fx.thread); a != "" || err != nil {
			t.Fatalf("author: %q %v", a, err)
		}
		if err := s.CheckAuthor(ctx, fx.thread, "anyone"); !errors.Is(err, ErrForbidden) {
			t.Fatalf("CheckAuthor of a thread without author: %v", err)
		}
		if err := s.CheckAuthor(ctx, uuid.New(), "anyone"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("CheckAuthor of a missing thread: %v", err)
		}
	})
}
