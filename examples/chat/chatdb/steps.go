package chatdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/uuid"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

func (st *Step) validate() error {
	var errs []error
	if st.ParentID != nil {
		errs = append(errs, checkID("parentId", *st.ParentID))
		if *st.ParentID == st.ID {
			errs = append(errs, invalid("parentId", "a step cannot be its own parent"))
		}
	}
	return first(append(errs, checkID("id", st.ID), checkID("threadId", st.ThreadID),
		checkLen("name", st.Name, MaxName), checkLen("type", st.Type, MaxType),
		checkText("input", st.Input), checkText("output", st.Output),
		checkTags("tags", st.Tags), checkMetadata("metadata", st.Metadata))...)
}

func (st *Step) row() *stepRow {
	return &stepRow{ID: st.ID, ThreadID: st.ThreadID, ParentID: st.ParentID, Name: st.Name, Type: st.Type,
		Input: st.Input, Output: st.Output, Metadata: object(st.Metadata), Tags: list(slices.Clone(st.Tags)),
		IsError: st.IsError, CreatedAt: stamp(st.CreatedAt), Start: stampPtr(st.Start), End: stampPtr(st.End)}
}

// set copies what an update may change (not the thread, the parent or
// createdAt).
func (r *stepRow) set(st *Step) {
	r.Name, r.Type, r.Input, r.Output = st.Name, st.Type, st.Input, st.Output
	r.Metadata, r.Tags, r.IsError = object(st.Metadata), list(slices.Clone(st.Tags)), st.IsError
	r.Start, r.End = stampPtr(st.Start), stampPtr(st.End)
}

func (r *stepRow) api() Step {
	return Step{ID: r.ID, ThreadID: r.ThreadID, ParentID: r.ParentID, Name: r.Name, Type: r.Type, Input: r.Input,
		Output: r.Output, Metadata: object(r.Metadata), Tags: list(r.Tags), IsError: r.IsError, CreatedAt: r.CreatedAt,
		Start: r.Start, End: r.End}
}

// putStep creates the step, or finds it; with update, an existing step
// takes st's values. The INSERT names the thread by its foreign key, so a
// thread that is gone makes it fail (ErrNotFound): a step never creates a
// thread.
func putStep(ctx context.Context, sess *orm.Session, st Step, update bool) error {
	got, err := orm.Get[stepRow](ctx, sess, st.ID)
	if errors.Is(err, sqlerr.ErrNotFound) {
		if st.ParentID != nil {
			if err := sameThread(ctx, sess, *st.ParentID, st.ThreadID, "parentId"); err != nil {
				return err
			}
		}
		if got, err = orm.Upsert(ctx, sess, st.row(), orm.OnConflict("ID").DoNothing()); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if got.ThreadID != st.ThreadID {
		return fmt.Errorf("%w: step %s belongs to another thread", ErrConflict, st.ID)
	}
	if update {
		got.set(&st)
	}
	return nil
}

// sameThread checks that the step exists and is one of the thread's: a
// parent or an element's step in another thread would let deleting that
// thread cascade into this one.
func sameThread(ctx context.Context, sess *orm.Session, step, thread uuid.UUID, field string) error {
	st, err := orm.Get[stepRow](ctx, sess, step)
	if errors.Is(err, sqlerr.ErrNotFound) {
		return fmt.Errorf("%w: step %s (%s)", ErrNotFound, step, field)
	}
	if err != nil {
		return err
	}
	if st.ThreadID != thread {
		return invalid(field, "step %s is not in thread %s", step, thread)
	}
	return nil
}

// CreateStep creates the step in its thread; it is idempotent by ID (an
// existing step of the same thread is left as it is). When the thread (or
// the parent step) does not exist, it is ErrNotFound and nothing is
// written: a step never creates a thread. The parent must be a step of
// the same thread.
func (s *Store) CreateStep(ctx context.Context, st Step) error {
	if err := st.validate(); err != nil {
		return err
	}
	err := s.transact(ctx, "CreateStep", func(ctx context.Context, sess *orm.Session) error {
		return putStep(ctx, sess, st, false)
	})
	return outcome(err, "step "+st.ID.String()+" of thread "+st.ThreadID.String())
}

// UpdateStep changes the step's name, type, input, output, metadata,
// tags, isError, start and end. A step that does not exist, or not in
// st.ThreadID, is ErrNotFound: it is never inserted.
func (s *Store) UpdateStep(ctx context.Context, st Step) error {
	if err := st.validate(); err != nil {
		return err
	}
	err := s.transact(ctx, "UpdateStep", func(ctx context.Context, sess *orm.Session) error {
		got, err := orm.Get[stepRow](ctx, sess, st.ID)
		if err != nil {
			return err
		}
		if got.ThreadID != st.ThreadID {
			return fmt.Errorf("%w: step %s in thread %s", ErrNotFound, st.ID, st.ThreadID)
		}
		got.set(&st)
		return nil
	})
	return outcome(err, "step "+st.ID.String())
}

// DeleteStep deletes the step and, through ON DELETE CASCADE, its child
// steps, their feedback and the elements attached to them, in one
// transaction; the elements' blobs are removed after the commit.
func (s *Store) DeleteStep(ctx context.Context, id uuid.UUID) error {
	var keys []string
	err := s.transact(ctx, "DeleteStep", func(ctx context.Context, sess *orm.Session) error {
		q := orm.Select[stepRow](sess)
		st, err := q.Where(expr.Eq(q.C("ID"), id)).ForUpdate().First(ctx)
		if err != nil {
			return err
		}
		// The subtree, level by level, for the keys of its elements.
		ids, level := []uuid.UUID{id}, []uuid.UUID{id}
		for len(level) > 0 {
			cq := orm.Select[stepRow](sess)
			kids, err := cq.Where(expr.In(cq.C("ParentID"), level)).All(ctx)
			if err != nil {
				return err
			}
			level = level[:0:0]
			for _, k := range kids {
				level = append(level, k.ID)
			}
			ids = append(ids, level...)
		}
		eq := orm.Select[elementRow](sess)
		els, err := eq.Where(expr.In(eq.C("ForID"), ids)).ForUpdate().All(ctx)
		if err != nil {
			return err
		}
		keys = keys[:0]
		for _, e := range els {
			if e.ObjectKey != "" {
				keys = append(keys, e.ObjectKey)
			}
		}
		return sess.Delete(st)
	})
	if err != nil {
		return outcome(err, "step "+id.String())
	}
	for _, k := range keys {
		s.removeBlob(k)
	}
	return nil
}

// removeBlob removes the blob, and its thread's directory once empty.
func (s *Store) removeBlob(key string) {
	p := filepath.Join(s.blobs, filepath.FromSlash(key))
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("chatdb: blob left behind", "key", key, "err", err)
	}
	_ = os.Remove(filepath.Dir(p)) // fails while other blobs are there
}
