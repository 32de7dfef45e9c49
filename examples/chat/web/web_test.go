package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/strata-go/strata/examples/chat/chatdb"
	"github.com/strata-go/strata/internal/testdb"
)

// newTestServer opens a Store on the target (a fresh namespace, blobs in a
// temporary directory) and serves it with httptest.
func newTestServer(t *testing.T, tg testdb.Target, cfg Config) (*httptest.Server, *chatdb.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := chatdb.Open(ctx, tg.DSN, chatdb.Options{BlobDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, cfg))
	t.Cleanup(func() {
		srv.Close()
		store.Close()
	})
	return srv, store
}

// client calls the API as one user.
type client struct {
	t    testing.TB
	base string
	user string
	hc   *http.Client
}

func as(t testing.TB, srv *httptest.Server, user string) *client {
	return &client{t: t, base: srv.URL, user: user, hc: srv.Client()}
}

// raw sends body (a string is sent as it is, anything else as JSON) and
// returns the status and the answer.
func (c *client) raw(method, path string, body any) (int, []byte) {
	c.t.Helper()
	status, b, err := c.try(method, path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return status, b
}

// try is raw for other goroutines than the test's: it returns the error.
func (c *client) try(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if c.user != "" {
		req.Header.Set("X-User", c.user)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// call expects the status and decodes the answer into out (if not nil).
func (c *client) call(method, path string, body any, want int, out any) {
	c.t.Helper()
	got, b := c.raw(method, path, body)
	if got != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func (c *client) createThread(name string) chatdb.Thread {
	c.t.Helper()
	var th chatdb.Thread
	c.call("POST", "/project/thread", map[string]any{"name": name, "tags": []string{"t"}, "metadata": map[string]any{"k": "v"}}, http.StatusCreated, &th)
	return th
}

func (c *client) createStep(thread uuid.UUID, body map[string]any) chatdb.Step {
	c.t.Helper()
	var st chatdb.Step
	c.call("POST", "/project/thread/"+thread.String()+"/step", body, http.StatusCreated, &st)
	return st
}

func (c *client) thread(id uuid.UUID) chatdb.Thread {
	c.t.Helper()
	var th chatdb.Thread
	c.call("GET", "/project/thread/"+id.String(), nil, http.StatusOK, &th)
	return th
}

func (c *client) list(body any) pageBody {
	c.t.Helper()
	var p pageBody
	c.call("POST", "/project/threads", body, http.StatusOK, &p)
	return p
}

func names(p pageBody) []string {
	var out []string
	for _, th := range p.Data {
		out = append(out, th.Name)
	}
	return out
}

// TestThreadLifecycleThroughTheAPI walks Chainlit's routes: create a
// thread with nested steps, an element and feedback, read it back, list
// with search, feedback filter and cursor, rename (createdAt kept), and
// delete, after which every route answers 404 for it and late writers
// change nothing.
func TestThreadLifecycleThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		srv, store := newTestServer(t, tg, Config{})
		alice := as(t, srv, "alice")
		th := alice.createThread("First chat")
		tid := th.ID.String()
		if th.UserIdentifier != "alice" || th.Name != "First chat" {
			t.Fatalf("created %+v", th)
		}
		root := alice.createStep(th.ID, map[string]any{"name": "user", "type": "user_message", "output": "What is a Zebra_50%?"})
		child := alice.createStep(th.ID, map[string]any{"name": "tool", "type": "tool", "parentId": root.ID.String(), "input": "lookup"})
		content := []byte("\x89PNG not really")
		var el chatdb.Element
		alice.call("POST", "/project/thread/"+tid+"/element", map[string]any{
			"name": "pic.png", "type": "image", "mime": "image/png", "display": "inline", "forId": root.ID.String(),
			"content": base64.StdEncoding.EncodeToString(content),
		}, http.StatusCreated, &el)
		if el.Size != int64(len(content)) {
			t.Errorf("element size %d, want %d", el.Size, len(content))
		}
		var fb struct {
			Success    bool      `json:"success"`
			FeedbackID uuid.UUID `json:"feedbackId"`
		}
		alice.call("PUT", "/feedback", map[string]any{"feedback": map[string]any{"forId": root.ID.String(), "threadId": tid, "value": 1, "comment": "nice"}}, http.StatusOK, &fb)
		// The same step again: the row is updated, not doubled.
		var fb2 struct {
			FeedbackID uuid.UUID `json:"feedbackId"`
		}
		alice.call("PUT", "/feedback", map[string]any{"feedback": map[string]any{"forId": root.ID.String(), "threadId": tid, "value": 0}}, http.StatusOK, &fb2)
		if fb2.FeedbackID != fb.FeedbackID {
			t.Errorf("second feedback id %s, want the first %s", fb2.FeedbackID, fb.FeedbackID)
		}

		got := alice.thread(th.ID)
		if len(got.Steps) != 2 || got.Steps[0].ID != root.ID || got.Steps[1].ID != child.ID || *got.Steps[1].ParentID != root.ID {
			t.Fatalf("steps %+v", got.Steps)
		}
		if f := got.Steps[0].Feedback; f == nil || f.Value != 0 || f.ID != fb.FeedbackID {
			t.Errorf("feedback %+v", f)
		}
		if len(got.Elements) != 1 || got.Elements[0].ID != el.ID {
			t.Errorf("elements %+v", got.Elements)
		}
		var gotEl chatdb.Element
		alice.call("GET", "/project/thread/"+tid+"/element/"+el.ID.String(), nil, http.StatusOK, &gotEl)
		if gotEl.Name != "pic.png" || gotEl.Mime != "image/png" {
			t.Errorf("element %+v", gotEl)
		}
		if status, b := alice.raw("GET", "/project/thread/"+tid+"/element/"+el.ID.String()+"/content", nil); status != 200 || !bytes.Equal(b, content) {
			t.Errorf("content: %d %q", status, b)
		}

		// A second thread, for the list.
		other := alice.createThread("Second chat")
		if n := names(alice.list(map[string]any{})); len(n) != 2 || n[0] != "Second chat" {
			t.Errorf("list: %v, want both, newest first", n)
		}
		// Search in step text, literally (the _ and % are not wildcards).
		if n := names(alice.list(map[string]any{"filter": map[string]any{"search": "zebra_50%"}})); len(n) != 1 || n[0] != "First chat" {
			t.Errorf("search in steps: %v", n)
		}
		if n := names(alice.list(map[string]any{"filter": map[string]any{"search": "zebra_5%x"}})); len(n) != 0 {
			t.Errorf("search with a wildcard-looking miss: %v", n)
		}
		if n := names(alice.list(map[string]any{"filter": map[string]any{"feedback": 0}})); len(n) != 1 || n[0] != "First chat" {
			t.Errorf("feedback filter: %v", n)
		}
		if n := names(alice.list(map[string]any{"filter": map[string]any{"tag": "t"}})); len(n) != 2 {
			t.Errorf("tag filter t: %v, want both", n)
		}
		if n := names(alice.list(map[string]any{"filter": map[string]any{"tag": "T"}})); len(n) != 0 {
			t.Errorf("tag filter T (tags are exact): %v", n)
		}
		p1 := alice.list(map[string]any{"pagination": map[string]any{"first": 1}})
		p2 := alice.list(map[string]any{"pagination": map[string]any{"first": 1, "cursor": p1.PageInfo.EndCursor}})
		if !p1.PageInfo.HasNextPage || p2.PageInfo.HasNextPage || names(p1)[0] != "Second chat" || names(p2)[0] != "First chat" {
			t.Errorf("pages: %v %+v, %v %+v", names(p1), p1.PageInfo, names(p2), p2.PageInfo)
		}

		// Rename keeps createdAt; PATCH merges metadata (null deletes).
		alice.call("PUT", "/project/thread", map[string]any{"threadId": tid, "name": "Renamed"}, http.StatusOK, nil)
		var patched chatdb.Thread
		alice.call("PATCH", "/project/thread/"+tid, map[string]any{"metadata": map[string]any{"k": nil, "n": 2}}, http.StatusOK, &patched)
		if patched.Name != "Renamed" || !patched.CreatedAt.Equal(th.CreatedAt) || fmt.Sprint(patched.Metadata) != "map[n:2]" {
			t.Errorf("after rename and patch: %+v (created %v)", patched, th.CreatedAt)
		}

		// Deleting a step takes its child; feedback can be removed.
		alice.call("DELETE", "/feedback", map[string]any{"feedbackId": fb.FeedbackID.String(), "threadId": tid}, http.StatusOK, nil)
		alice.call("DELETE", "/feedback", map[string]any{"feedbackId": fb.FeedbackID.String(), "threadId": tid}, http.StatusNotFound, nil)

		// Delete, then every route is 404 and late writers insert nothing.
		alice.call("DELETE", "/project/thread", map[string]any{"threadId": tid}, http.StatusOK, nil)
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/project/thread/" + tid, nil},
			{"PUT", "/project/thread", map[string]any{"threadId": tid, "name": "late"}},
			{"PATCH", "/project/thread/" + tid, map[string]any{"name": "late"}},
			{"POST", "/project/thread/" + tid + "/disconnect", map[string]any{"name": "late", "steps": []any{map[string]any{"name": "s", "type": "run"}}}},
			{"POST", "/project/thread/" + tid + "/step", map[string]any{"name": "late", "type": "run"}},
			{"GET", "/project/thread/" + tid + "/element/" + el.ID.String(), nil},
			{"GET", "/project/thread/" + tid + "/element/" + el.ID.String() + "/content", nil},
			{"DELETE", "/project/thread", map[string]any{"threadId": tid}},
		} {
			alice.call(c.method, c.path, c.body, http.StatusNotFound, nil)
		}
		if _, err := store.GetThread(context.Background(), th.ID); err == nil {
			t.Fatal("the deleted thread is back")
		}
		if n := names(alice.list(map[string]any{})); len(n) != 1 || n[0] != other.Name {
			t.Errorf("list after delete: %v", n)
		}
	})
}

// TestAuthorByThread checks that a user reaches only its own threads:
// another user gets 403 on every route and changes nothing, the list
// holds only the caller's threads, and a request without identity is 401.
func TestAuthorByThread(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		srv, _ := newTestServer(t, tg, Config{})
		alice, bob := as(t, srv, "alice"), as(t, srv, "bob")
		th := alice.createThread("alice's")
		tid := th.ID.String()
		st := alice.createStep(th.ID, map[string]any{"name": "m", "type": "user_message", "output": "hi"})
		var el chatdb.Element
		alice.call("POST", "/project/thread/"+tid+"/element", map[string]any{"name": "a.txt", "type": "file", "mime": "text/plain", "content": base64.StdEncoding.EncodeToString([]byte("x"))}, http.StatusCreated, &el)
		var fb struct {
			FeedbackID uuid.UUID `json:"feedbackId"`
		}
		alice.call("PUT", "/feedback", map[string]any{"feedback": map[string]any{"forId": st.ID.String(), "threadId": tid, "value": 1}}, http.StatusOK, &fb)
		before := alice.thread(th.ID)

		eid, sid := el.ID.String(), st.ID.String()
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/project/thread/" + tid, nil},
			{"PUT", "/project/thread", map[string]any{"threadId": tid, "name": "bob's now"}},
			{"DELETE", "/project/thread", map[string]any{"threadId": tid}},
			{"PATCH", "/project/thread/" + tid, map[string]any{"name": "x"}},
			{"POST", "/project/thread/" + tid + "/disconnect", map[string]any{"name": "x"}},
			{"POST", "/project/thread/" + tid + "/step", map[string]any{"name": "x", "type": "run"}},
			{"PUT", "/project/thread/" + tid + "/step/" + sid, map[string]any{"name": "x", "type": "run"}},
			{"DELETE", "/project/thread/" + tid + "/step/" + sid, nil},
			{"POST", "/project/thread/" + tid + "/element", map[string]any{"name": "b", "type": "file"}},
			{"GET", "/project/thread/" + tid + "/element/" + eid, nil},
			{"GET", "/project/thread/" + tid + "/element/" + eid + "/content", nil},
			{"DELETE", "/project/thread/" + tid + "/element/" + eid, nil},
			{"PUT", "/feedback", map[string]any{"feedback": map[string]any{"forId": sid, "threadId": tid, "value": 0}}},
			{"DELETE", "/feedback", map[string]any{"feedbackId": fb.FeedbackID.String(), "threadId": tid}},
			// Creating with the id of alice's thread returns nothing of it.
			{"POST", "/project/thread", map[string]any{"id": tid, "name": "mine"}},
		} {
			status, b := bob.raw(c.method, c.path, c.body)
			if status != http.StatusForbidden {
				t.Errorf("bob %s %s: %d %s, want 403", c.method, c.path, status, b)
			}
			if bytes.Contains(b, []byte("hi")) || !bytes.Contains(b, []byte(`"detail"`)) {
				t.Errorf("bob %s %s: answer %s", c.method, c.path, b)
			}
		}
		if n := names(bob.list(map[string]any{})); len(n) != 0 {
			t.Errorf("bob lists %v", n)
		}
		bob.call("POST", "/project/threads", map[string]any{"filter": map[string]any{"userId": th.UserID.String()}}, http.StatusForbidden, nil)
		anon := as(t, srv, "")
		anon.call("POST", "/project/threads", map[string]any{}, http.StatusUnauthorized, nil)
		anon.call("GET", "/project/thread/"+tid, nil, http.StatusUnauthorized, nil)

		after := alice.thread(th.ID)
		bj, _ := json.Marshal(before)
		aj, _ := json.Marshal(after)
		if !bytes.Equal(bj, aj) {
			t.Errorf("bob changed alice's thread:\n%s\n%s", bj, aj)
		}
	})
}

// TestBadInputIs4xxAndWritesNothing sends malformed JSON, trailing data,
// unknown fields, wrong types, over-long fields, bad and unknown ids, too
// big bodies, and unknown routes and methods: each answer is a 4xx JSON
// error, and the thread (and the list) are exactly as before.
func TestBadInputIs4xxAndWritesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		srv, _ := newTestServer(t, tg, Config{})
		alice := as(t, srv, "alice")
		th := alice.createThread("keep me")
		tid := th.ID.String()
		st := alice.createStep(th.ID, map[string]any{"name": "m", "type": "user_message"})
		sid := st.ID.String()
		before := alice.thread(th.ID)
		long := strings.Repeat("x", chatdb.MaxName+1)
		unknown := uuid.NewString()
		goodStep := map[string]any{"name": "ok", "type": "run"}

		cases := []struct {
			name         string
			method, path string
			body         any
			want         int
		}{
			{"malformed JSON", "PUT", "/project/thread", `{"threadId": "` + tid + `", "name": `, 400},
			{"not JSON", "POST", "/project/threads", `hello`, 400},
			{"empty body", "PUT", "/project/thread", ``, 400},
			{"trailing data", "PUT", "/project/thread", `{"threadId":"` + tid + `","name":"a"} {"name":"b"}`, 400},
			{"unknown field", "PUT", "/project/thread", map[string]any{"threadId": tid, "name": "a", "userId": "x"}, 400},
			{"wrong type: name", "PUT", "/project/thread", map[string]any{"threadId": tid, "name": 5}, 400},
			{"wrong type: first", "POST", "/project/threads", map[string]any{"pagination": map[string]any{"first": "ten"}}, 400},
			{"wrong type: tags", "PATCH", "/project/thread/" + tid, map[string]any{"tags": "a,b"}, 400},
			{"wrong type: value", "PUT", "/feedback", map[string]any{"feedback": map[string]any{"forId": sid, "threadId": tid, "value": "good"}}, 400},
			{"wrong type: array body", "DELETE", "/project/thread", `["` + tid + `"]`, 400},
			{"missing threadId", "DELETE", "/project/thread", map[string]any{}, 400},
			{"missing name", "PUT", "/project/thread", map[string]any{"threadId": tid}, 400},
			{"missing value", "PUT", "/feedback", map[string]any{"feedback": map[string]any{"forId": sid, "threadId": tid}}, 400},
			{"bad id in path", "GET", "/project/thread/not-a-uuid", nil, 400},
			{"bad id in body", "DELETE", "/project/thread", map[string]any{"threadId": "42"}, 400},
			{"bad parentId", "POST", "/project/thread/" + tid + "/step", map[string]any{"name": "s", "type": "run", "parentId": "p"}, 400},
			{"step id not the route's", "PUT", "/project/thread/" + tid + "/step/" + sid, map[string]any{"id": unknown, "name": "s", "type": "run"}, 400},
			{"first below 1", "POST", "/project/threads", map[string]any{"pagination": map[string]any{"first": 0}}, 400},
			{"over-long name", "PUT", "/project/thread", map[string]any{"threadId": tid, "name": long}, 422},
			{"over-long patch name", "PATCH", "/project/thread/" + tid, map[string]any{"name": long}, 422},
			{"over-long step name", "POST", "/project/thread/" + tid + "/step", map[string]any{"name": long, "type": "run"}, 422},
			{"over-long step in a disconnect", "POST", "/project/thread/" + tid + "/disconnect",
				map[string]any{"name": "late", "steps": []any{goodStep, map[string]any{"name": long, "type": "run"}}}, 422},
			{"over-long tag", "PATCH", "/project/thread/" + tid, map[string]any{"tags": []string{strings.Repeat("t", chatdb.MaxTag+1)}}, 422},
			{"over-long comment", "PUT", "/feedback", map[string]any{"feedback": map[string]any{"forId": sid, "threadId": tid, "value": 1, "comment": strings.Repeat("c", chatdb.MaxComment+1)}}, 422},
			{"feedback value 2", "PUT", "/feedback", map[string]any{"feedback": map[string]any{"forId": sid, "threadId": tid, "value": 2}}, 422},
			{"over-long search", "POST", "/project/threads", map[string]any{"filter": map[string]any{"search": strings.Repeat("s", chatdb.MaxSearch+1)}}, 422},
			{"bad cursor", "POST", "/project/threads", map[string]any{"pagination": map[string]any{"cursor": "!!"}}, 422},
			{"over-long element name", "POST", "/project/thread/" + tid + "/element", map[string]any{"name": long, "type": "file", "content": "eA=="}, 422},
			{"bad base64", "POST", "/project/thread/" + tid + "/element", map[string]any{"name": "a", "type": "file", "content": "%%%"}, 400},
			{"unknown thread", "GET", "/project/thread/" + unknown, nil, 404},
			{"unknown thread rename", "PUT", "/project/thread", map[string]any{"threadId": unknown, "name": "a"}, 404},
			{"unknown thread disconnect", "POST", "/project/thread/" + unknown + "/disconnect", map[string]any{"steps": []any{goodStep}}, 404},
			{"unknown element", "GET", "/project/thread/" + tid + "/element/" + unknown, nil, 404},
			{"unknown step feedback", "PUT", "/feedback", map[string]any{"feedback": map[string]any{"forId": unknown, "threadId": tid, "value": 1}}, 404},
			{"unknown step update", "PUT", "/project/thread/" + tid + "/step/" + unknown, map[string]any{"name": "s", "type": "run"}, 404},
			{"unknown parent", "POST", "/project/thread/" + tid + "/step", map[string]any{"name": "s", "type": "run", "parentId": unknown}, 404},
			{"unknown feedback", "DELETE", "/feedback", map[string]any{"feedbackId": unknown, "threadId": tid}, 404},
			{"too big", "PUT", "/project/thread", `{"threadId":"` + tid + `","name":"` + strings.Repeat("x", MaxBody) + `"}`, 413},
			{"unknown route", "GET", "/project/nothing", nil, 404},
			{"wrong method", "GET", "/project/threads", nil, 405},
		}
		for _, c := range cases {
			status, b := alice.raw(c.method, c.path, c.body)
			var e errorBody
			if status != c.want || json.Unmarshal(b, &e) != nil || e.Detail == "" {
				t.Errorf("%s: %s %s: %d %s, want %d with a JSON detail", c.name, c.method, c.path, status, b, c.want)
			}
		}
		as(t, srv, strings.Repeat("u", chatdb.MaxIdentifier+1)).call("POST", "/project/threads", map[string]any{}, http.StatusUnauthorized, nil)

		after := alice.thread(th.ID)
		bj, _ := json.Marshal(before)
		aj, _ := json.Marshal(after)
		if !bytes.Equal(bj, aj) {
			t.Errorf("bad input changed the thread:\n%s\n%s", bj, aj)
		}
		if n := names(alice.list(map[string]any{})); len(n) != 1 {
			t.Errorf("threads after bad input: %v", n)
		}
	})
}

// TestLateWritersOverHTTPNeverResurrect deletes a thread through the API
// while goroutines keep sending it PATCHes, disconnect-persists and steps
// (the delete goes out once some of them have succeeded, and each writer
// goes on until it is told 404): every answer is 2xx before the delete and
// 404 or 409 after it, never 500, and afterwards the thread is gone from
// every route.
func TestLateWritersOverHTTPNeverResurrect(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		srv, store := newTestServer(t, tg, Config{})
		alice := as(t, srv, "alice")
		var mu sync.Mutex
		outcomes := map[int]int{}
		for round := range 5 {
			th := alice.createThread(fmt.Sprintf("round %d", round))
			tid := th.ID.String()
			alice.createStep(th.ID, map[string]any{"name": "m", "type": "user_message", "output": "hello"})
			var wg sync.WaitGroup
			var succeeded atomic.Int64
			bad := make(chan string, 64)
			for g := range 12 {
				wg.Go(func() {
					for i := range 500 {
						var status int
						var b []byte
						var err error
						switch (g + i) % 3 {
						case 0:
							status, b, err = alice.try("PATCH", "/project/thread/"+tid, map[string]any{"name": "late", "metadata": map[string]any{"g": g}})
						case 1:
							status, b, err = alice.try("POST", "/project/thread/"+tid+"/disconnect", map[string]any{"name": "late", "steps": []any{map[string]any{"name": "s", "type": "run"}}})
						default:
							status, b, err = alice.try("POST", "/project/thread/"+tid+"/step", map[string]any{"name": "late", "type": "run"})
						}
						mu.Lock()
						outcomes[status]++
						mu.Unlock()
						switch {
						case err != nil:
							bad <- err.Error()
							return
						case status == 404:
							return
						case status == 200 || status == 201:
							succeeded.Add(1)
						case status != 409:
							bad <- fmt.Sprintf("%d %s", status, b)
						}
					}
					bad <- "never told 404 after 500 writes"
				})
			}
			for deadline := time.Now().Add(10 * time.Second); succeeded.Load() < 6 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			alice.call("DELETE", "/project/thread", map[string]any{"threadId": tid}, http.StatusOK, nil)
			wg.Wait()
			close(bad)
			for s := range bad {
				t.Errorf("round %d: late writer got %s", round, s)
			}
			if succeeded.Load() == 0 {
				t.Errorf("round %d: no write succeeded before the delete: nothing raced it", round)
			}
			alice.call("GET", "/project/thread/"+tid, nil, http.StatusNotFound, nil)
			if _, err := store.GetThreadAuthor(context.Background(), th.ID); err == nil {
				t.Fatalf("round %d: the thread is back", round)
			}
		}
		t.Logf("%s: late writers' answers by status: %v", tg.Name, outcomes)
		if n := names(alice.list(map[string]any{})); len(n) != 0 {
			t.Errorf("threads left: %v", n)
		}
	})
}

// TestPageAndThreadURL serves the page at / and at a thread's URL, which
// answers 404 once the thread is gone (and for an id that is not one).
func TestPageAndThreadURL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		srv, _ := newTestServer(t, tg, Config{})
		alice := as(t, srv, "alice")
		th := alice.createThread("page")
		get := func(path string) (int, string) {
			res, err := srv.Client().Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		for path, want := range map[string]int{
			"/": 200, "/thread/" + th.ID.String(): 200, "/thread/" + uuid.NewString(): 404, "/thread/x": 404,
			"/static/app.js": 200, "/static/style.css": 200, "/static/nope.js": 404, "/static/": 404,
		} {
			if status, body := get(path); status != want {
				t.Errorf("GET %s: %d, want %d", path, status, want)
			} else if strings.HasPrefix(path, "/thread/") && !strings.Contains(body, `id="thread-view"`) {
				t.Errorf("GET %s: not the page", path)
			}
		}
		alice.call("DELETE", "/project/thread", map[string]any{"threadId": th.ID.String()}, http.StatusOK, nil)
		if status, _ := get("/thread/" + th.ID.String()); status != 404 {
			t.Errorf("the deleted thread's URL: %d, want 404", status)
		}
	})
}

// TestBearerTokens checks the token mode: a known token names the user,
// X-User is ignored, an unknown token is 401.
func TestBearerTokens(t *testing.T) {
	tg := testdb.New(t, "sqlite")
	srv, _ := newTestServer(t, tg, Config{Tokens: map[string]string{"s3cret": "alice"}})
	do := func(header, value string) (int, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+"/user", nil)
		req.Header.Set(header, value)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	if status, b := do("Authorization", "Bearer s3cret"); status != 200 || !bytes.Contains(b, []byte(`"identifier":"alice"`)) {
		t.Errorf("known token: %d %s", status, b)
	}
	for _, c := range [][2]string{{"Authorization", "Bearer nope"}, {"Authorization", "s3cret"}, {"X-User", "alice"}} {
		if status, b := do(c[0], c[1]); status != 401 {
			t.Errorf("%s: %s: %d %s, want 401", c[0], c[1], status, b)
		}
	}
}
