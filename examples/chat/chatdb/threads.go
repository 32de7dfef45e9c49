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

// GetUser returns the user with this identifier, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, identifier string) (*User, error) {
	if err := checkLen("identifier", identifier, MaxIdentifier); err != nil {
		return nil, err
	}
	sess := s.f.NewReadOnly()
	defer sess.Close(ctx)
	u, err := orm.Select[userRow](sess).FilterBy("Identifier", identifier).First(ctx)
	if err != nil {
		return nil, outcome(err, "user "+identifier)
	}
	return u.api(), nil
}

// CreateUser creates the user, or returns the existing user with this
// identifier unchanged.
func (s *Store) CreateUser(ctx context.Context, identifier string, metadata map[string]any) (*User, error) {
	if identifier == "" {
		return nil, invalid("identifier", "missing")
	}
	if err := first(checkLen("identifier", identifier, MaxIdentifier), checkMetadata("metadata", metadata)); err != nil {
		return nil, err
	}
	var out *userRow
	err := s.transact(ctx, "CreateUser", func(ctx context.Context, sess *orm.Session) error {
		row := &userRow{ID: uuid.New(), Identifier: identifier, Metadata: object(metadata), CreatedAt: now()}
		got, err := orm.Upsert(ctx, sess, row, orm.OnConflict("Identifier").DoNothing())
		out = got
		return err
	})
	if err != nil {
		return nil, outcome(err, "user "+identifier)
	}
	return out.api(), nil
}

func (u *userRow) api() *User {
	return &User{ID: u.ID, Identifier: u.Identifier, Metadata: object(u.Metadata), CreatedAt: u.CreatedAt}
}

func (t *Thread) validate() error {
	return first(checkLen("name", t.Name, MaxName), checkLen("userIdentifier", t.UserIdentifier, MaxIdentifier),
		checkTags("tags", t.Tags), checkMetadata("metadata", t.Metadata))
}

func (u *ThreadUpdate) validate() error {
	var errs []error
	if u.Name != nil {
		errs = append(errs, checkLen("name", *u.Name, MaxName))
	}
	if u.Tags != nil {
		errs = append(errs, checkTags("tags", *u.Tags))
	}
	if u.UserID != nil {
		errs = append(errs, checkID("userId", *u.UserID))
	}
	errs = append(errs, checkMetadata("metadata", u.Metadata))
	return first(errs...)
}

// author resolves a thread's author: the user UserID names (who must
// exist), or the user with that identifier.
func author(ctx context.Context, sess *orm.Session, id *uuid.UUID, identifier string) (*uuid.UUID, string, error) {
	var (
		u   *userRow
		err error
	)
	switch {
	case id != nil:
		u, err = orm.Get[userRow](ctx, sess, *id)
	case identifier != "":
		u, err = orm.Select[userRow](sess).FilterBy("Identifier", identifier).First(ctx)
	default:
		return nil, "", nil
	}
	if errors.Is(err, sqlerr.ErrNotFound) {
		return nil, "", invalid("userId", "no such user")
	}
	if err != nil {
		return nil, "", err
	}
	if identifier != "" && identifier != u.Identifier {
		return nil, "", invalid("userIdentifier", "is not the identifier of userId")
	}
	return &u.ID, u.Identifier, nil
}

// CreateThread creates the thread; it is idempotent by ID: when a thread
// with this ID exists, it is returned unchanged. A zero ID is given a new
// one, a zero CreatedAt the current time. The author, if any, is named by
// UserID or UserIdentifier and must exist. Steps and Elements are ignored:
// create them with CreateStep and CreateElement.
func (s *Store) CreateThread(ctx context.Context, t Thread) (*Thread, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	if t.ID == uuid.Nil {
		t.ID = uuid.New()
	}
	var out *threadRow
	err := s.transact(ctx, "CreateThread", func(ctx context.Context, sess *orm.Session) error {
		uid, ident, err := author(ctx, sess, t.UserID, t.UserIdentifier)
		if err != nil {
			return err
		}
		row := &threadRow{ID: t.ID, CreatedAt: stamp(t.CreatedAt), Name: t.Name, UserID: uid, UserIdentifier: ident,
			Tags: list(slices.Clone(t.Tags)), Metadata: object(t.Metadata)}
		out, err = orm.Upsert(ctx, sess, row, orm.OnConflict("ID").DoNothing())
		return err
	})
	if err != nil {
		return nil, outcome(err, "thread "+t.ID.String())
	}
	return out.api(), nil
}

// lockThread reads the thread and locks its row until the transaction
// ends (FOR UPDATE on PostgreSQL and MariaDB; SQLite's BEGIN IMMEDIATE
// holds the database's write lock already): a concurrent delete waits for
// this transaction, or this read waits for the delete and finds nothing.
func lockThread(ctx context.Context, sess *orm.Session, id uuid.UUID) (*threadRow, error) {
	q := orm.Select[threadRow](sess)
	th, err := q.Where(expr.Eq(q.C("ID"), id)).ForUpdate().First(ctx)
	if errors.Is(err, sqlerr.ErrNotFound) {
		return nil, fmt.Errorf("%w: thread %s", ErrNotFound, id)
	}
	return th, err
}

// apply changes th as u says.
func (u *ThreadUpdate) apply(ctx context.Context, sess *orm.Session, th *threadRow) error {
	if u.Name != nil {
		th.Name = *u.Name
	}
	if u.Tags != nil {
		th.Tags = list(slices.Clone(*u.Tags))
	}
	if u.Metadata != nil {
		th.Metadata = merge(th.Metadata, u.Metadata)
	}
	if u.UserID != nil {
		uid, ident, err := author(ctx, sess, u.UserID, "")
		if err != nil {
			return err
		}
		th.UserID, th.UserIdentifier = uid, ident
	}
	return nil
}

// UpdateThread changes the thread and returns it. It never inserts: a
// thread that does not exist (or was deleted meanwhile) is ErrNotFound.
// The UPDATE is conditional on the version read; a concurrent change makes
// the transaction run again, and if the retries run out the error is
// ErrConflict. CreatedAt never changes.
func (s *Store) UpdateThread(ctx context.Context, id uuid.UUID, u ThreadUpdate) (*Thread, error) {
	if err := u.validate(); err != nil {
		return nil, err
	}
	var out *threadRow
	err := s.transact(ctx, "UpdateThread", func(ctx context.Context, sess *orm.Session) error {
		th, err := lockThread(ctx, sess, id)
		if err != nil {
			return err
		}
		out = th
		return u.apply(ctx, sess, th)
	})
	if err != nil {
		return nil, outcome(err, "thread "+id.String())
	}
	return out.api(), nil
}

// PersistOnDisconnect is the write a websocket disconnect makes late: it
// updates the thread and creates or updates its steps, in one transaction
// that holds the thread's row, and never creates the thread. When the
// thread was deleted first it is ErrNotFound and writes nothing.
func (s *Store) PersistOnDisconnect(ctx context.Context, id uuid.UUID, u ThreadUpdate, steps []Step) error {
	if err := u.validate(); err != nil {
		return err
	}
	if len(steps) > MaxSteps {
		return invalid("steps", "%d steps, at most %d", len(steps), MaxSteps)
	}
	steps = slices.Clone(steps) // the caller's steps are left as they are
	for i := range steps {
		if steps[i].ThreadID == uuid.Nil {
			steps[i].ThreadID = id
		}
		if steps[i].ThreadID != id {
			return invalid(fmt.Sprintf("steps[%d].threadId", i), "step %s belongs to thread %s", steps[i].ID, steps[i].ThreadID)
		}
		if err := steps[i].validate(); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				return invalid(fmt.Sprintf("steps[%d].%s", i, ve.Field), "%s", ve.Reason)
			}
			return err
		}
	}
	err := s.transact(ctx, "PersistOnDisconnect", func(ctx context.Context, sess *orm.Session) error {
		th, err := lockThread(ctx, sess, id)
		if err != nil {
			return err
		}
		if err := u.apply(ctx, sess, th); err != nil {
			return err
		}
		for _, st := range steps {
			if err := putStep(ctx, sess, st, true); err != nil {
				return err
			}
		}
		return nil
	})
	return outcome(err, "thread "+id.String())
}

// DeleteThread deletes the thread and, through ON DELETE CASCADE, its
// steps, elements and feedback: one DELETE in one transaction. The
// element blobs are removed after the commit; a failure before it leaves
// every row and every blob in place.
func (s *Store) DeleteThread(ctx context.Context, id uuid.UUID) error {
	err := s.transact(ctx, "DeleteThread", func(ctx context.Context, sess *orm.Session) error {
		th, err := lockThread(ctx, sess, id)
		if err != nil {
			return err
		}
		return sess.Delete(th) // passive_deletes: the database deletes the children
	})
	if err != nil {
		return outcome(err, "thread "+id.String())
	}
	// Committed: the blobs are garbage now. A failure here leaves files
	// no row points at, never a row without its file.
	// A late CreateElement may be writing its blob into the directory
	// meanwhile (its INSERT will fail and it removes the blob itself):
	// RemoveAll then fails with a directory not empty, and is tried again.
	for try := 0; ; try++ {
		err := os.RemoveAll(s.threadDir(id))
		if err == nil {
			break
		}
		if try == 4 {
			s.log.Warn("chatdb: blobs of a deleted thread left behind", "thread", id, "err", err)
			break
		}
	}
	return nil
}

func (s *Store) threadDir(id uuid.UUID) string { return filepath.Join(s.blobs, id.String()) }

// GetThread returns the thread with its steps (oldest first, each with its
// feedback) and its elements, read in one transaction.
func (s *Store) GetThread(ctx context.Context, id uuid.UUID) (*Thread, error) {
	var out *Thread
	sess := s.f.NewReadOnly()
	defer sess.Close(ctx)
	err := func() error {
		th, err := orm.Get[threadRow](ctx, sess, id)
		if err != nil {
			return err
		}
		out = th.api()
		sq := orm.Select[stepRow](sess)
		steps, err := sq.Where(expr.Eq(sq.C("ThreadID"), id)).OrderBy(expr.Asc(sq.C("CreatedAt")), expr.Asc(sq.C("ID"))).All(ctx)
		if err != nil {
			return err
		}
		fq := orm.Select[feedbackRow](sess)
		fbs, err := fq.Where(expr.Eq(fq.C("ThreadID"), id)).All(ctx)
		if err != nil {
			return err
		}
		byStep := map[uuid.UUID]*Feedback{}
		for _, f := range fbs {
			byStep[f.ForID] = f.api()
		}
		for _, st := range steps {
			a := st.api()
			a.Feedback = byStep[st.ID]
			out.Steps = append(out.Steps, a)
		}
		eq := orm.Select[elementRow](sess)
		els, err := eq.Where(expr.Eq(eq.C("ThreadID"), id)).OrderBy(expr.Asc(eq.C("ID"))).All(ctx)
		if err != nil {
			return err
		}
		for _, e := range els {
			out.Elements = append(out.Elements, e.api())
		}
		return nil
	}()
	if err != nil {
		return nil, outcome(err, "thread "+id.String())
	}
	return out, nil
}

// GetThreadAuthor returns the identifier of the thread's author ("" for a
// thread without one), or ErrNotFound.
func (s *Store) GetThreadAuthor(ctx context.Context, id uuid.UUID) (string, error) {
	sess := s.f.NewReadOnly()
	defer sess.Close(ctx)
	th, err := orm.Get[threadRow](ctx, sess, id)
	if err != nil {
		return "", outcome(err, "thread "+id.String())
	}
	return th.UserIdentifier, nil
}

// CheckAuthor returns nil when identifier is the author of the thread,
// ErrForbidden when it is not (or the thread has no author), and
// ErrNotFound when there is no such thread.
func (s *Store) CheckAuthor(ctx context.Context, id uuid.UUID, identifier string) error {
	a, err := s.GetThreadAuthor(ctx, id)
	if err != nil {
		return err
	}
	if a == "" || a != identifier {
		return fmt.Errorf("%w: thread %s is not %q's", ErrForbidden, id, identifier)
	}
	return nil
}

func (t *threadRow) api() *Thread {
	return &Thread{ID: t.ID, CreatedAt: t.CreatedAt, Name: t.Name, UserID: t.UserID, UserIdentifier: t.UserIdentifier,
		Tags: list(t.Tags), Metadata: object(t.Metadata), Steps: []Step{}, Elements: []Element{}}
}
