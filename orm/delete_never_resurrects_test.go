package orm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// A chat thread with steps (nested), elements and
// feedback. Deleting the thread removes every dependent row in one flush,
// one transaction, with no ON DELETE CASCADE in the database: the ORM's
// cascade does it. A late update of the deleted thread, or of a thread
// that never existed, is an error and inserts nothing.

type ChatThread struct {
	ID       string                `db:"id,pk,size:36"`
	Name     string                `db:"name"`
	Metadata string                `db:"metadata"`
	Version  int32                 `db:"version,version"`
	Steps    orm.List[ChatStep]    `rel:"cascade:all+delete-orphan"`
	Elements orm.List[ChatElement] `rel:"cascade:all+delete-orphan"`
}

type ChatStep struct {
	ID       int64                  `db:"id,pk"`
	ThreadID string                 `db:"thread_id,size:36,fk:chat_thread.id"`
	ParentID *int64                 `db:"parent_id,fk:chat_step.id"`
	Output   string                 `db:"output"`
	Thread   orm.Ref[ChatThread]    `rel:"backref:Steps"`
	Parent   orm.Ref[ChatStep]      `rel:"via:parent_id,backref:Children"`
	Children orm.List[ChatStep]     `rel:"via:parent_id,cascade:all+delete-orphan"`
	Feedback orm.List[ChatFeedback] `rel:"cascade:all+delete-orphan"`
}

type ChatElement struct {
	ID       int64  `db:"id,pk"`
	ThreadID string `db:"thread_id,size:36,fk:chat_thread.id"`
	StepID   *int64 `db:"step_id,fk:chat_step.id"`
	URL      string `db:"url"`
}

type ChatFeedback struct {
	ID     int64 `db:"id,pk"`
	StepID int64 `db:"step_id,fk:chat_step.id"`
	Value  int32 `db:"value"`
}

func setupChat(t *testing.T, tg testdb.Target) (*orm.Factory, *recorder) {
	t.Helper()
	return openModels(t, tg, func(reg *orm.Registry) {
		orm.MustRegister[ChatThread](reg)
		orm.MustRegister[ChatStep](reg)
		orm.MustRegister[ChatElement](reg)
		orm.MustRegister[ChatFeedback](reg)
	})
}

// chatThread builds a thread: 3 top-level steps, each with 2 child
// steps, feedback on every step, and elements on some.
func chatThread(id string) *ChatThread {
	th := &ChatThread{ID: id, Name: "thread " + id, Metadata: "{}"}
	for i := range 3 {
		st := &ChatStep{Output: fmt.Sprint("step ", i)}
		for j := range 2 {
			child := &ChatStep{Output: fmt.Sprintf("step %d.%d", i, j)}
			child.Feedback.Append(&ChatFeedback{Value: 1})
			st.Children.Append(child)
			th.Steps.Append(child)
		}
		st.Feedback.Append(&ChatFeedback{Value: -1})
		th.Steps.Append(st)
		th.Elements.Append(&ChatElement{URL: fmt.Sprint("file", i)})
	}
	return th
}

func chatCounts(t *testing.T, f *orm.Factory) string {
	t.Helper()
	return fmt.Sprint(countRows(t, f, "chat_thread"), countRows(t, f, "chat_step"),
		countRows(t, f, "chat_element"), countRows(t, f, "chat_feedback"))
}

func TestDeleteThreadNeverResurrects(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setupChat(t, tg)
		s := f.New()
		defer s.Close(ctx)
		keep, doomed := chatThread("keep"), chatThread("doomed")
		if err := s.Add(keep); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(doomed); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// child steps point at their parents, and everything at its thread
		steps, _ := doomed.Steps.All()
		for _, st := range steps {
			if st.ThreadID != "doomed" || st.ID == 0 {
				t.Fatalf("step after insert: %+v", *st)
			}
			if p, _ := st.Parent.Get(); p != nil && (st.ParentID == nil || *st.ParentID != p.ID) {
				t.Fatalf("child step %d: parent_id %v, parent %d", st.ID, st.ParentID, p.ID)
			}
		}
		if got := chatCounts(t, f); got != "2 18 6 18" {
			t.Fatalf("after insert: %s", got)
		}

		// A websocket handler still holds the thread from before the delete.
		late := f.New()
		defer late.Close(ctx)
		stale, err := orm.Get[ChatThread](ctx, late, "doomed")
		if err != nil {
			t.Fatal(err)
		}

		// The delete: a fresh session, nothing loaded but the thread.
		del := f.New()
		defer del.Close(ctx)
		th, err := orm.Get[ChatThread](ctx, del, "doomed")
		if err != nil {
			t.Fatal(err)
		}
		rec.take("")
		if err := del.Delete(th); err != nil {
			t.Fatal(err)
		}
		if err := del.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		_, all := rec.take("")
		begins, commits, deletes := 0, 0, 0
		for _, q := range all {
			switch {
			case q == "BEGIN":
				begins++
			case q == "COMMIT":
				commits++
			case strings.HasPrefix(q, "DELETE"):
				deletes++
			}
		}
		t.Logf("delete of a thread: %q", all)
		if begins != 1 || commits != 1 || all[0] != "BEGIN" || all[len(all)-1] != "COMMIT" {
			t.Errorf("the delete ran in %d transactions (%d commits), want one", begins, commits)
		}
		// one DELETE per table level: feedback, elements, child steps,
		// top steps, thread
		if deletes > 5 {
			t.Errorf("%d DELETE statements, want at most one per table level (5)", deletes)
		}
		if got := chatCounts(t, f); got != "1 9 3 9" {
			t.Fatalf("after deleting a thread: %s, want the other thread's rows only", got)
		}

		// The late update: stale data, and nothing inserted.
		stale.Name = "renamed after delete"
		stale.Metadata = `{"late": true}`
		err = late.Commit(ctx)
		var sd *orm.StaleDataError
		if !errors.As(err, &sd) || sd.Table != "chat_thread" {
			t.Fatalf("late update of a deleted thread: %v, want a StaleDataError", err)
		}
		if got := chatCounts(t, f); got != "1 9 3 9" {
			t.Fatalf("after the late update: %s", got)
		}
		// Merge of the detached thread does not bring it back either.
		m := f.New()
		defer m.Close(ctx)
		if _, err := orm.Merge(ctx, m, &ChatThread{ID: "doomed", Name: "upsert?"}); !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("merge of a deleted thread: %v, want ErrNotFound", err)
		}
		// A thread that never existed: not found, never an insert.
		if _, err := orm.Get[ChatThread](ctx, m, "missing"); !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("get of a missing thread: %v", err)
		}
		if _, err := orm.Merge(ctx, m, &ChatThread{ID: "missing", Name: "x"}); !errors.Is(err, sqlerr.ErrNotFound) {
			t.Fatalf("merge of a missing thread: %v, want ErrNotFound", err)
		}
		if err := m.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := chatCounts(t, f); got != "1 9 3 9" {
			t.Fatalf("at the end: %s", got)
		}
	})
}
