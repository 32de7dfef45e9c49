package chatdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
)

func (e *Element) validate() error {
	var errs []error
	if e.ForID != nil {
		errs = append(errs, checkID("forId", *e.ForID))
	}
	return first(append(errs, checkID("threadId", e.ThreadID), checkLen("type", e.Type, MaxType),
		checkLen("name", e.Name, MaxName), checkLen("mime", e.Mime, MaxMime),
		checkLen("display", e.Display, MaxDisplay), checkLen("url", e.URL, MaxURL))...)
}

func (r *elementRow) api() Element {
	return Element{ID: r.ID, ThreadID: r.ThreadID, ForID: r.ForID, Type: r.Type, Name: r.Name, Mime: r.Mime,
		Display: r.Display, Size: r.Size, ObjectKey: r.ObjectKey, URL: r.URL}
}

// CreateElement creates the element and, when content is not nil, keeps
// the content as a blob under the key "<thread id>/<element id>-<random>". The
// blob is written before the row and removed again if the row is not
// committed; when the thread is gone it is ErrNotFound and neither is
// left. ForID, if set, must be a step of the thread. A zero ID is given a
// new one; Size and ObjectKey are set by the Store.
func (s *Store) CreateElement(ctx context.Context, e Element, content []byte) error {
	if e.ID == uuid.Nil {
		e.ID = uuid.New()
	}
	if err := e.validate(); err != nil {
		return err
	}
	if len(content) > MaxBlob {
		return invalid("content", "%d bytes, at most %d", len(content), MaxBlob)
	}
	e.ObjectKey, e.Size = "", 0
	if content != nil {
		// A key of this call's own: a failed create (an id already taken)
		// removes its file, never another element's.
		e.ObjectKey = e.ThreadID.String() + "/" + e.ID.String() + "-" + uuid.NewString()[:8]
		e.Size = int64(len(content))
		if err := s.writeBlob(e.ObjectKey, content); err != nil {
			return err
		}
	}
	err := s.transact(ctx, "CreateElement", func(ctx context.Context, sess *orm.Session) error {
		if e.ForID != nil {
			if err := sameThread(ctx, sess, *e.ForID, e.ThreadID, "forId"); err != nil {
				return err
			}
		}
		row := &elementRow{ID: e.ID, ThreadID: e.ThreadID, ForID: e.ForID, Type: e.Type, Name: e.Name, Mime: e.Mime,
			Display: e.Display, Size: e.Size, ObjectKey: e.ObjectKey, URL: e.URL}
		return sess.Add(row)
	})
	if err != nil {
		if e.ObjectKey != "" {
			s.removeBlob(e.ObjectKey)
		}
		return outcome(err, "element "+e.ID.String()+" of thread "+e.ThreadID.String())
	}
	return nil
}

// writeBlob writes the content to a temporary file and renames it into
// place: a reader never sees half a blob.
func (s *Store) writeBlob(key string, content []byte) error {
	p := filepath.Join(s.blobs, filepath.FromSlash(key))
	var err error
	// A DeleteThread that committed may be removing the thread's
	// directory meanwhile (MkdirAll then fails, or the directory vanishes
	// before the file is made): make it again, a few times. Whatever is
	// written then belongs to an element whose INSERT will fail, and is
	// removed again.
	for range 5 {
		if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			if err = writeFileAtomic(p, content); err == nil {
				return nil
			}
		}
	}
	return fmt.Errorf("chatdb: blob %s: %w", key, err)
}

func writeFileAtomic(p string, content []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// GetElement returns the element of the thread, or ErrNotFound.
func (s *Store) GetElement(ctx context.Context, threadID, elementID uuid.UUID) (*Element, error) {
	sess := s.f.NewReadOnly()
	defer sess.Close(ctx)
	q := orm.Select[elementRow](sess)
	r, err := q.Where(expr.Eq(q.C("ID"), elementID), expr.Eq(q.C("ThreadID"), threadID)).First(ctx)
	if err != nil {
		return nil, outcome(err, "element "+elementID.String()+" of thread "+threadID.String())
	}
	e := r.api()
	return &e, nil
}

// ElementContent returns the element's blob, or ErrNotFound (also for an
// element without content).
func (s *Store) ElementContent(ctx context.Context, threadID, elementID uuid.UUID) ([]byte, error) {
	e, err := s.GetElement(ctx, threadID, elementID)
	if err != nil {
		return nil, err
	}
	if e.ObjectKey == "" {
		return nil, fmt.Errorf("%w: element %s has no content", ErrNotFound, elementID)
	}
	b, err := os.ReadFile(filepath.Join(s.blobs, filepath.FromSlash(e.ObjectKey)))
	if errors.Is(err, os.ErrNotExist) { // deleted since the row was read
		return nil, fmt.Errorf("%w: content of element %s", ErrNotFound, elementID)
	}
	return b, err
}

// DeleteElement deletes the element of the thread, then its blob.
func (s *Store) DeleteElement(ctx context.Context, elementID, threadID uuid.UUID) error {
	var key string
	err := s.transact(ctx, "DeleteElement", func(ctx context.Context, sess *orm.Session) error {
		q := orm.Select[elementRow](sess)
		r, err := q.Where(expr.Eq(q.C("ID"), elementID), expr.Eq(q.C("ThreadID"), threadID)).ForUpdate().First(ctx)
		if err != nil {
			return err
		}
		key = r.ObjectKey
		return sess.Delete(r)
	})
	if err != nil {
		return outcome(err, "element "+elementID.String()+" of thread "+threadID.String())
	}
	if key != "" {
		s.removeBlob(key)
	}
	return nil
}
