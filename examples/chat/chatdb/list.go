package chatdb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
)

// cursor is the position after a thread in the list's order (createdAt
// descending, then id descending): keyset pagination, so a page does not
// shift when threads before it are created or deleted.
type cursor struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"id"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == uuid.Nil || c.CreatedAt.IsZero() {
		return c, invalid("cursor", "not a cursor this service returned")
	}
	return c, nil
}

// ListThreads returns a page of threads, newest first, without their
// steps and elements. Search matches thread names and the input and
// output of their steps, case-insensitively and literally (% and _ are
// characters, not wildcards); Feedback keeps the threads with a feedback
// of that value; Tag the threads with that tag; UserID one user's threads.
func (s *Store) ListThreads(ctx context.Context, lq ListQuery) (*Page, error) {
	n := lq.First
	switch {
	case n == 0:
		n = DefaultPage
	case n < 0 || n > MaxPage:
		return nil, invalid("first", "%d, want 1 to %d", n, MaxPage)
	}
	if err := first(checkLen("search", lq.Search, MaxSearch), checkLen("tag", lq.Tag, MaxTag)); err != nil {
		return nil, err
	}
	sess := s.f.NewReadOnly()
	defer sess.Close(ctx)
	q := orm.Select[threadRow](sess)
	id, created := q.C("ID"), q.C("CreatedAt")
	if lq.UserID != nil {
		q = q.Where(expr.Eq(q.C("UserID"), *lq.UserID))
	}
	if search := strings.TrimSpace(lq.Search); search != "" {
		st := expr.T("steps")
		inSteps := expr.Select(expr.Raw("1")).From(st).Where(expr.Eq(st.C("thread_id"), id),
			expr.Or(expr.IContains(st.C("input"), search), expr.IContains(st.C("output"), search)))
		q = q.Where(expr.Or(expr.IContains(q.C("Name"), search), expr.Exists(inSteps)))
	}
	if lq.Feedback != nil {
		fb := expr.T("feedbacks")
		q = q.Where(expr.Exists(expr.Select(expr.Raw("1")).From(fb).Where(
			expr.Eq(fb.C("thread_id"), id), expr.Eq(fb.C("value"), *lq.Feedback))))
	}
	if lq.Tag != "" {
		q = q.Where(expr.ArrayHas(q.C("Tags"), lq.Tag)) // text[] on PostgreSQL, a JSON array elsewhere
	}
	if lq.Cursor != "" {
		c, err := parseCursor(lq.Cursor)
		if err != nil {
			return nil, err
		}
		q = q.Where(expr.Or(expr.Lt(created, c.CreatedAt), expr.And(expr.Eq(created, c.CreatedAt), expr.Lt(id, c.ID))))
	}
	rows, err := q.OrderBy(expr.Desc(created), expr.Desc(id)).Limit(int64(n + 1)).All(ctx)
	if err != nil {
		return nil, outcome(err, "list threads")
	}
	p := &Page{Data: []Thread{}, HasNextPage: len(rows) > n}
	if p.HasNextPage {
		rows = rows[:n]
	}
	for _, r := range rows {
		p.Data = append(p.Data, *r.api())
	}
	if len(rows) > 0 {
		p.StartCursor = cursor{rows[0].CreatedAt, rows[0].ID}.String()
		p.EndCursor = cursor{rows[len(rows)-1].CreatedAt, rows[len(rows)-1].ID}.String()
	}
	return p, nil
}
