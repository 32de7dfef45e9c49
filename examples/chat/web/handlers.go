package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/strata-go/strata/examples/chat/chatdb"
)

func (s *Server) authConfig(w http.ResponseWriter, r *http.Request) {
	mode := "header"
	if s.cfg.Tokens != nil {
		mode = "token"
	}
	writeJSON(w, http.StatusOK, map[string]any{"requireLogin": true, "mode": mode})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c caller) error {
	writeJSON(w, http.StatusOK, c.User)
	return nil
}

// listRequest is Chainlit's GetThreadsRequest.
type listRequest struct {
	Pagination struct {
		First  *int    `json:"first"`
		Cursor *string `json:"cursor"`
	} `json:"pagination"`
	Filter struct {
		Search   *string `json:"search"`
		Feedback *int    `json:"feedback"`
		Tag      *string `json:"tag"` // not Chainlit's: only threads with this tag
		UserID   *string `json:"userId"`
	} `json:"filter"`
}

// pageInfo and pageBody are Chainlit's PaginatedResponse.
type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	StartCursor string `json:"startCursor"`
	EndCursor   string `json:"endCursor"`
}

type pageBody struct {
	PageInfo pageInfo        `json:"pageInfo"`
	Data     []chatdb.Thread `json:"data"`
}

// listThreads answers a page of the caller's threads: only the caller's,
// whatever the filter says (a filter naming another user is refused).
func (s *Server) listThreads(w http.ResponseWriter, r *http.Request, c caller) error {
	var req listRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		return err
	}
	if req.Filter.UserID != nil && *req.Filter.UserID != c.ID.String() {
		return fmt.Errorf("filter.userId: the threads of another user: %w", chatdb.ErrForbidden)
	}
	q := chatdb.ListQuery{UserID: &c.ID, Feedback: req.Filter.Feedback}
	if req.Pagination.First != nil {
		if *req.Pagination.First < 1 {
			return badRequest("first", "pagination.first: want at least 1, got %d", *req.Pagination.First)
		}
		q.First = *req.Pagination.First
	}
	if req.Pagination.Cursor != nil {
		q.Cursor = *req.Pagination.Cursor
	}
	if req.Filter.Search != nil {
		q.Search = *req.Filter.Search
	}
	if req.Filter.Tag != nil {
		q.Tag = *req.Filter.Tag
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	p, err := s.store.ListThreads(ctx, q)
	if err != nil {
		return err
	}
	data := p.Data
	if data == nil {
		data = []chatdb.Thread{}
	}
	writeJSON(w, http.StatusOK, pageBody{
		PageInfo: pageInfo{HasNextPage: p.HasNextPage, StartCursor: p.StartCursor, EndCursor: p.EndCursor},
		Data:     data,
	})
	return nil
}

func (s *Server) getThread(w http.ResponseWriter, r *http.Request, c caller) error {
	id, err := pathID(r, "thread_id")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	t, err := s.store.GetThread(ctx, id)
	if err != nil {
		return err
	}
	if t.UserIdentifier != c.Identifier {
		return fmt.Errorf("thread %s belongs to another user: %w", id, chatdb.ErrForbidden)
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// createThreadRequest creates a thread of the caller. Without an id the
// server picks one; with one, the call is idempotent.
type createThreadRequest struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Tags     []string       `json:"tags"`
	Metadata map[string]any `json:"metadata"`
}

func (s *Server) createThread(w http.ResponseWriter, r *http.Request, c caller) error {
	var req createThreadRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		return err
	}
	id := uuid.New()
	if req.ID != "" {
		var err error
		if id, err = bodyID("id", req.ID); err != nil {
			return err
		}
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	t, err := s.store.CreateThread(ctx, chatdb.Thread{
		ID: id, Name: req.Name, UserID: &c.ID, UserIdentifier: c.Identifier,
		Tags: req.Tags, Metadata: req.Metadata,
	})
	if err != nil {
		return err
	}
	if t.UserIdentifier != c.Identifier {
		// The id is another user's thread, left unchanged.
		return fmt.Errorf("thread %s belongs to another user: %w", id, chatdb.ErrForbidden)
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

// renameRequest is Chainlit's UpdateThreadRequest.
type renameRequest struct {
	ThreadID string  `json:"threadId"`
	Name     *string `json:"name"`
}

func (s *Server) renameThread(w http.ResponseWriter, r *http.Request, c caller) error {
	var req renameRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		return err
	}
	id, err := bodyID("threadId", req.ThreadID)
	if err != nil {
		return err
	}
	if req.Name == nil {
		return badRequest("name", "name is required")
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, id); err != nil {
		return err
	}
	t, err := s.store.UpdateThread(ctx, id, chatdb.ThreadUpdate{Name: req.Name})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "thread": t})
	return nil
}

// deleteRequest is Chainlit's DeleteThreadRequest.
type deleteRequest struct {
	ThreadID string `json:"threadId"`
}

func (s *Server) deleteThread(w http.ResponseWriter, r *http.Request, c caller) error {
	var req deleteRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		return err
	}
	id, err := bodyID("threadId", req.ThreadID)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, id); err != nil {
		return err
	}
	if err := s.store.DeleteThread(ctx, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
	return nil
}

// threadChange is a change of a thread: absent fields are kept; in
// metadata, a key set to null is deleted and other keys are kept.
type threadChange struct {
	Name     *string        `json:"name"`
	Tags     *[]string      `json:"tags"`
	Metadata map[string]any `json:"metadata"`
}

func (tc threadChange) update() chatdb.ThreadUpdate {
	return chatdb.ThreadUpdate{Name: tc.Name, Tags: tc.Tags, Metadata: tc.Metadata}
}

// updateThread is Chainlit's update_thread as a route: it never creates a
// thread (a deleted one is 404).
func (s *Server) updateThread(w http.ResponseWriter, r *http.Request, c caller) error {
	id, err := pathID(r, "thread_id")
	if err != nil {
		return err
	}
	var req threadChange
	if err := decode(w, r, MaxBody, &req); err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, id); err != nil {
		return err
	}
	t, err := s.store.UpdateThread(ctx, id, req.update())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// disconnectRequest is what a websocket disconnect persists: a change of
// the thread and the steps the session still held.
type disconnectRequest struct {
	threadChange
	Steps []stepRequest `json:"steps"`
}

// persistOnDisconnect is the late write of a websocket disconnect: it
// updates the thread and writes its steps, and answers 404 (writing
// nothing) when the thread was deleted meanwhile.
func (s *Server) persistOnDisconnect(w http.ResponseWriter, r *http.Request, c caller) error {
	id, err := pathID(r, "thread_id")
	if err != nil {
		return err
	}
	var req disconnectRequest
	if err := decode(w, r, MaxDisconnect, &req); err != nil {
		return err
	}
	if len(req.Steps) > chatdb.MaxSteps {
		return badRequest("steps", "steps: at most %d, got %d", chatdb.MaxSteps, len(req.Steps))
	}
	steps := make([]chatdb.Step, len(req.Steps))
	for i, sr := range req.Steps {
		if steps[i], err = sr.step(id, uuid.Nil, "steps["+strconv.Itoa(i)+"]."); err != nil {
			return err
		}
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, id); err != nil {
		return err
	}
	if err := s.store.PersistOnDisconnect(ctx, id, req.update(), steps); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
	return nil
}

// stepRequest is a step as a client sends it; its thread is the route's.
type stepRequest struct {
	ID        string         `json:"id"`
	ParentID  *string        `json:"parentId"`
	Name      string         `json:"name"`
	Type      string         `json:"type"`
	Input     string         `json:"input"`
	Output    string         `json:"output"`
	Metadata  map[string]any `json:"metadata"`
	Tags      []string       `json:"tags"`
	IsError   bool           `json:"isError"`
	CreatedAt *time.Time     `json:"createdAt"`
	Start     *time.Time     `json:"start"`
	End       *time.Time     `json:"end"`
}

// step converts the request into a step of thread; id, when not nil, is
// the route's step id (a different id in the body is refused).
func (sr stepRequest) step(thread, id uuid.UUID, prefix string) (chatdb.Step, error) {
	st := chatdb.Step{
		ID: id, ThreadID: thread, Name: sr.Name, Type: sr.Type, Input: sr.Input, Output: sr.Output,
		Metadata: sr.Metadata, Tags: sr.Tags, IsError: sr.IsError, Start: sr.Start, End: sr.End,
	}
	if sr.ID != "" {
		bid, err := bodyID(prefix+"id", sr.ID)
		if err != nil {
			return st, err
		}
		if id != uuid.Nil && bid != id {
			return st, badRequest(prefix+"id", "%sid %s is not the step of the route (%s)", prefix, bid, id)
		}
		st.ID = bid
	}
	if st.ID == uuid.Nil {
		st.ID = uuid.New()
	}
	if sr.ParentID != nil {
		pid, err := bodyID(prefix+"parentId", *sr.ParentID)
		if err != nil {
			return st, err
		}
		st.ParentID = &pid
	}
	if sr.CreatedAt != nil {
		st.CreatedAt = *sr.CreatedAt
	} else {
		st.CreatedAt = time.Now().UTC()
	}
	return st, nil
}

func (s *Server) createStep(w http.ResponseWriter, r *http.Request, c caller) error {
	tid, err := pathID(r, "thread_id")
	if err != nil {
		return err
	}
	var req stepRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		return err
	}
	st, err := req.step(tid, uuid.Nil, "")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, tid); err != nil {
		return err
	}
	if err := s.store.CreateStep(ctx, st); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

func (s *Server) updateStep(w http.ResponseWriter, r *http.Request, c caller) error {
	tid, err := pathID(r, "thread_id")
	if err != nil {
		return err
	}
	sid, err := pathID(r, "step_id")
	if err != nil {
		return err
	}
	var req stepRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		return err
	}
	st, err := req.step(tid, sid, "")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, tid); err != nil {
		return err
	}
	// UpdateStep refuses a step of another thread (ErrNotFound).
	if err := s.store.UpdateStep(ctx, st); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) deleteStep(w http.ResponseWriter, r *http.Request, c caller) error {
	tid, err := pathID(r, "thread_id")
	if err != nil {
		return err
	}
	sid, err := pathID(r, "step_id")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, tid); err != nil {
		return err
	}
	if err := s.threadHasStep(ctx, tid, sid); err != nil {
		return err
	}
	if err := s.store.DeleteStep(ctx, sid); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
	return nil
}

// elementRequest creates an element; content is base64 in JSON.
type elementRequest struct {
	ID      string  `json:"id"`
	ForID   *string `json:"forId"`
	Type    string  `json:"type"`
	Name    string  `json:"name"`
	Mime    string  `json:"mime"`
	Display string  `json:"display"`
	URL     string  `json:"url"`
	Content []byte  `json:"content"`
}

func (s *Server) createElement(w http.ResponseWriter, r *http.Request, c caller) error {
	tid, err := pathID(r, "thread_id")
	if err != nil {
		return err
	}
	var req elementRequest
	if err := decode(w, r, MaxElementBody, &req); err != nil {
		return err
	}
	e := chatdb.Element{
		ID: uuid.New(), ThreadID: tid, Type: req.Type, Name: req.Name, Mime: req.Mime,
		Display: req.Display, URL: req.URL, Size: int64(len(req.Content)),
	}
	if req.ID != "" {
		if e.ID, err = bodyID("id", req.ID); err != nil {
			return err
		}
	}
	if req.ForID != nil {
		fid, err := bodyID("forId", *req.ForID)
		if err != nil {
			return err
		}
		e.ForID = &fid
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, tid); err != nil {
		return err
	}
	if err := s.store.CreateElement(ctx, e, req.Content); err != nil {
		return err
	}
	got, err := s.store.GetElement(ctx, tid, e.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, got)
	return nil
}

func (s *Server) elementIDs(w http.ResponseWriter, r *http.Request, c caller) (tid, eid uuid.UUID, err error) {
	if tid, err = pathID(r, "thread_id"); err != nil {
		return
	}
	if eid, err = pathID(r, "element_id"); err != nil {
		return
	}
	err = s.authorize(r.Context(), c, tid)
	return
}

func (s *Server) getElement(w http.ResponseWriter, r *http.Request, c caller) error {
	tid, eid, err := s.elementIDs(w, r, c)
	if err != nil {
		return err
	}
	e, err := s.store.GetElement(r.Context(), tid, eid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// elementContent answers the element's blob with its mime type.
func (s *Server) elementContent(w http.ResponseWriter, r *http.Request, c caller) error {
	tid, eid, err := s.elementIDs(w, r, c)
	if err != nil {
		return err
	}
	e, err := s.store.GetElement(r.Context(), tid, eid)
	if err != nil {
		return err
	}
	b, err := s.store.ElementContent(r.Context(), tid, eid)
	if err != nil {
		return err
	}
	mime := e.Mime
	if mime == "" {
		mime = "application/octet-stream"
	}
	w.Header().Set("Content-Type", mime)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // the client went away: nothing to tell it
	return nil
}

func (s *Server) deleteElement(w http.ResponseWriter, r *http.Request, c caller) error {
	tid, eid, err := s.elementIDs(w, r, c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteElement(r.Context(), eid, tid); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
	return nil
}

// feedbackRequest is Chainlit's UpdateFeedbackRequest; threadId is
// required here (it is what the author check needs).
type feedbackRequest struct {
	Feedback struct {
		ID       string  `json:"id"`
		ForID    string  `json:"forId"`
		ThreadID string  `json:"threadId"`
		Value    *int    `json:"value"`
		Comment  *string `json:"comment"`
	} `json:"feedback"`
}

func (s *Server) upsertFeedback(w http.ResponseWriter, r *http.Request, c caller) error {
	var req feedbackRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		return err
	}
	in := req.Feedback
	f := chatdb.Feedback{Comment: in.Comment}
	var err error
	if f.ForID, err = bodyID("forId", in.ForID); err != nil {
		return err
	}
	if f.ThreadID, err = bodyID("threadId", in.ThreadID); err != nil {
		return err
	}
	if in.ID != "" {
		if f.ID, err = bodyID("id", in.ID); err != nil {
			return err
		}
	}
	if in.Value == nil {
		return badRequest("value", "value is required (0 or 1)")
	}
	f.Value = *in.Value
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, f.ThreadID); err != nil {
		return err
	}
	// UpsertFeedback refuses a step of another thread (ErrNotFound).
	id, err := s.store.UpsertFeedback(ctx, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "feedbackId": id})
	return nil
}

// deleteFeedbackRequest is Chainlit's DeleteFeedbackRequest plus the
// thread, for the author check.
type deleteFeedbackRequest struct {
	FeedbackID string `json:"feedbackId"`
	ThreadID   string `json:"threadId"`
}

func (s *Server) deleteFeedback(w http.ResponseWriter, r *http.Request, c caller) error {
	var req deleteFeedbackRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		return err
	}
	fid, err := bodyID("feedbackId", req.FeedbackID)
	if err != nil {
		return err
	}
	tid, err := bodyID("threadId", req.ThreadID)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := s.authorize(ctx, c, tid); err != nil {
		return err
	}
	t, err := s.store.GetThread(ctx, tid)
	if err != nil {
		return err
	}
	found := false
	for _, st := range t.Steps {
		found = found || st.Feedback != nil && st.Feedback.ID == fid
	}
	if !found {
		return fmt.Errorf("feedback %s of thread %s: %w", fid, tid, chatdb.ErrNotFound)
	}
	ok, err := s.store.DeleteFeedback(ctx, fid)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("feedback %s: %w", fid, chatdb.ErrNotFound)
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
	return nil
}

// threadHasStep checks that step is a step of thread (ErrNotFound if not):
// the store's step methods take a step id alone, and the author check is
// by thread.
func (s *Server) threadHasStep(ctx context.Context, thread, step uuid.UUID) error {
	t, err := s.store.GetThread(ctx, thread)
	if err != nil {
		return err
	}
	for _, st := range t.Steps {
		if st.ID == step {
			return nil
		}
	}
	return fmt.Errorf("step %s of thread %s: %w", step, thread, chatdb.ErrNotFound)
}

// page serves the page; threadPage serves it for a thread's URL, with 404
// when the thread does not exist (the page then says so). The check needs
// no identity (a browser's navigation carries none); the thread itself is
// read by the page through the API, which checks the author.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.servePage(w, r, http.StatusOK)
}

func (s *Server) threadPage(w http.ResponseWriter, r *http.Request) {
	status := http.StatusOK
	id, err := uuid.Parse(r.PathValue("thread_id"))
	if err != nil {
		status = http.StatusNotFound
	} else if _, err := s.store.GetThreadAuthor(r.Context(), id); errors.Is(err, chatdb.ErrNotFound) {
		status = http.StatusNotFound
	} else if err != nil {
		s.log.Error("chat: thread page", "thread", id, "err", err)
		status = http.StatusInternalServerError
	}
	s.servePage(w, r, status)
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request, status int) {
	b, err := assets.ReadFile("static/index.html")
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client went away: nothing to tell it
}
