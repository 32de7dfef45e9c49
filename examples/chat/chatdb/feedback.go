package chatdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

func (f *feedbackRow) api() *Feedback {
	return &Feedback{ID: f.ID, ForID: f.ForID, ThreadID: f.ThreadID, Value: int(f.Value), Comment: f.Comment}
}

// UpsertFeedback sets the feedback of the step f.ForID: the step's one
// feedback row is created or, when there is one, its value and comment
// are updated (orm.Upsert on ForID). It returns the row's id: f.ID (or a
// new one when zero) for a new row, the existing row's id otherwise. The
// thread is the step's; a non-zero f.ThreadID must match it. A step that
// does not exist is ErrNotFound.
func (s *Store) UpsertFeedback(ctx context.Context, f Feedback) (uuid.UUID, error) {
	if f.Value != 0 && f.Value != 1 {
		return uuid.Nil, invalid("value", "%d, want 0 or 1", f.Value)
	}
	if err := checkID("forId", f.ForID); err != nil {
		return uuid.Nil, err
	}
	if f.Comment != nil {
		if err := checkLen("comment", *f.Comment, MaxComment); err != nil {
			return uuid.Nil, err
		}
	}
	if f.ID == uuid.Nil {
		f.ID = uuid.New()
	}
	var id uuid.UUID
	err := s.transact(ctx, "UpsertFeedback", func(ctx context.Context, sess *orm.Session) error {
		st, err := orm.Get[stepRow](ctx, sess, f.ForID)
		if errors.Is(err, sqlerr.ErrNotFound) {
			return fmt.Errorf("%w: step %s", ErrNotFound, f.ForID)
		}
		if err != nil {
			return err
		}
		if f.ThreadID != uuid.Nil && f.ThreadID != st.ThreadID {
			return fmt.Errorf("%w: step %s in thread %s", ErrNotFound, f.ForID, f.ThreadID)
		}
		row := &feedbackRow{ID: f.ID, ForID: f.ForID, ThreadID: st.ThreadID, Value: int32(f.Value), Comment: f.Comment}
		got, err := orm.Upsert(ctx, sess, row, orm.OnConflict("ForID").DoUpdate("Value", "Comment"))
		if err != nil {
			return err
		}
		id = got.ID
		return nil
	})
	if err != nil {
		return uuid.Nil, outcome(err, "feedback for step "+f.ForID.String())
	}
	return id, nil
}

// DeleteFeedback deletes the feedback row and reports whether there was
// one.
func (s *Store) DeleteFeedback(ctx context.Context, id uuid.UUID) (bool, error) {
	var n int64
	err := s.transact(ctx, "DeleteFeedback", func(ctx context.Context, sess *orm.Session) (err error) {
		q := orm.DeleteWhere[feedbackRow](sess)
		n, err = q.Where(expr.Eq(q.C("ID"), id)).Exec(ctx)
		return err
	})
	if err != nil {
		return false, outcome(err, "feedback "+id.String())
	}
	return n > 0, nil
}
