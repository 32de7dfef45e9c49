package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/strata-go/strata/examples/chat/chatdb"
)

// Limits of a request body. JSON bodies are read through
// http.MaxBytesReader: a bigger one is refused with 413 before anything is
// decoded, let alone written.
const (
	MaxBody        = 2<<20 + 64<<10              // a JSON body: the largest step text (chatdb.MaxText) and change
	MaxDisconnect  = 8 << 20                     // the body of a disconnect-persist (many steps)
	MaxElementBody = chatdb.MaxBlob/3*4 + 64<<10 // an element: its content in base64 and its fields
)

// Config configures a [Server].
type Config struct {
	// Tokens maps bearer tokens to user identifiers. When it is nil the
	// caller is who the X-User header says (a development setup, or one
	// behind a proxy that authenticates and sets the header); when it is
	// not, only "Authorization: Bearer TOKEN" with a known token is
	// accepted and X-User is ignored.
	Tokens map[string]string
	// Logger receives the errors answered with 500; nil discards them.
	Logger *slog.Logger
}

// Server is the chat service's HTTP handler: the JSON API and the page.
type Server struct {
	store  *chatdb.Store
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	static http.Handler
	users  sync.Map // identifier -> *chatdb.User, created on first sight
}

// New returns the handler of the service over store.
func New(store *chatdb.Store, cfg Config) *Server {
	s := &Server{store: store, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	s.static = http.FileServerFS(sub)

	// Chainlit's routes (backend/chainlit/server.py).
	s.mux.HandleFunc("GET /auth/config", s.authConfig)
	s.mux.HandleFunc("GET /user", s.authed(s.getUser))
	s.mux.HandleFunc("POST /project/threads", s.authed(s.listThreads))
	s.mux.HandleFunc("GET /project/thread/{thread_id}", s.authed(s.getThread))
	s.mux.HandleFunc("PUT /project/thread", s.authed(s.renameThread))
	s.mux.HandleFunc("DELETE /project/thread", s.authed(s.deleteThread))
	s.mux.HandleFunc("GET /project/thread/{thread_id}/element/{element_id}", s.authed(s.getElement))
	s.mux.HandleFunc("PUT /feedback", s.authed(s.upsertFeedback))
	s.mux.HandleFunc("DELETE /feedback", s.authed(s.deleteFeedback))
	// What Chainlit does over its websocket, as plain routes.
	s.mux.HandleFunc("POST /project/thread", s.authed(s.createThread))
	s.mux.HandleFunc("PATCH /project/thread/{thread_id}", s.authed(s.updateThread))
	s.mux.HandleFunc("POST /project/thread/{thread_id}/disconnect", s.authed(s.persistOnDisconnect))
	s.mux.HandleFunc("POST /project/thread/{thread_id}/step", s.authed(s.createStep))
	s.mux.HandleFunc("PUT /project/thread/{thread_id}/step/{step_id}", s.authed(s.updateStep))
	s.mux.HandleFunc("DELETE /project/thread/{thread_id}/step/{step_id}", s.authed(s.deleteStep))
	s.mux.HandleFunc("POST /project/thread/{thread_id}/element", s.authed(s.createElement))
	s.mux.HandleFunc("GET /project/thread/{thread_id}/element/{element_id}/content", s.authed(s.elementContent))
	s.mux.HandleFunc("DELETE /project/thread/{thread_id}/element/{element_id}", s.authed(s.deleteElement))
	// The page.
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET /thread/{thread_id}", s.threadPage)
	s.mux.Handle("GET /static/{file}", http.StripPrefix("/static/", s.static)) // files only, no listing
	return s
}

// ServeHTTP serves the API and the page. Every API answer is JSON; an
// error is {"detail": "..."} (and "field" when a field was refused).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.Error("chat: panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	// The mux answers an unknown path (404) or method (405) in plain
	// text; answer them in JSON like everything else.
	if h, pattern := s.mux.Handler(r); pattern == "" {
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if allow := rec.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		writeError(w, cmp.Or(rec.status, http.StatusNotFound), "no route %s %s", r.Method, r.URL.Path)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// statusRecorder keeps the status and headers of the mux's own answer.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(status int)      { r.status = status }

// caller is the authenticated user of a request.
type caller struct{ *chatdb.User }

type handler func(w http.ResponseWriter, r *http.Request, c caller) error

// authed resolves the caller (401 without one), runs h, and maps the
// error it returns to a status.
func (s *Server) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ident, err := s.identify(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="chat"`)
			writeError(w, http.StatusUnauthorized, "%v", err)
			return
		}
		u, err := s.user(r.Context(), ident)
		if err == nil {
			err = h(w, r, caller{u})
		}
		if err != nil {
			s.fail(w, r, err)
		}
	}
}

// identify returns the identifier of the caller.
func (s *Server) identify(r *http.Request) (string, error) {
	if s.cfg.Tokens != nil {
		auth := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || tok == "" {
			return "", errors.New("want an Authorization: Bearer token")
		}
		ident, ok := s.cfg.Tokens[tok]
		if !ok {
			return "", errors.New("unknown token")
		}
		return ident, nil
	}
	ident := strings.TrimSpace(r.Header.Get("X-User"))
	switch {
	case ident == "":
		return "", errors.New("want an X-User header naming the user")
	case len(ident) > chatdb.MaxIdentifier:
		return "", fmt.Errorf("X-User is longer than %d bytes", chatdb.MaxIdentifier)
	}
	return ident, nil
}

// user returns the user named ident, creating it on first sight.
func (s *Server) user(ctx context.Context, ident string) (*chatdb.User, error) {
	if u, ok := s.users.Load(ident); ok {
		return u.(*chatdb.User), nil
	}
	u, err := s.store.GetUser(ctx, ident)
	if errors.Is(err, chatdb.ErrNotFound) {
		u, err = s.store.CreateUser(ctx, ident, map[string]any{})
	}
	if err != nil {
		return nil, err
	}
	s.users.Store(ident, u)
	return u, nil
}

// apiError is an error with the status it is answered with.
type apiError struct {
	status int
	field  string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(field, format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, field: field, msg: fmt.Sprintf(format, args...)}
}

// fail answers err: the Store's errors by their kind, anything unexpected
// with 500 (logged, its text not shown).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var ve *chatdb.ValidationError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		writeJSON(w, ae.status, errorBody{Detail: ae.msg, Field: ae.field})
	case errors.As(err, &ve):
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Detail: ve.Error(), Field: ve.Field})
	case errors.Is(err, chatdb.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "%v", err)
	case errors.Is(err, chatdb.ErrNotFound):
		writeError(w, http.StatusNotFound, "%v", err)
	case errors.Is(err, chatdb.ErrForbidden):
		writeError(w, http.StatusForbidden, "%v", err)
	case errors.Is(err, chatdb.ErrConflict):
		writeError(w, http.StatusConflict, "%v", err)
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "request body larger than %d bytes", mbe.Limit)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		writeError(w, 499, "request canceled")
	default:
		s.log.Error("chat: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

type errorBody struct {
	Detail string `json:"detail"`
	Field  string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, errorBody{Detail: fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // values Strata built; a write error means the client went away
}

// decode reads a JSON body of at most limit bytes into v: one value, no
// unknown fields, no trailing data. Its errors are 400 (413 when too big)
// and name the field when the decoder does.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return badRequest("", "want one JSON value, got more after it")
	}
	return nil
}

func decodeError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return &apiError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body larger than %d bytes", mbe.Limit)}
	case errors.As(err, &se):
		return badRequest("", "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return badRequest(te.Field, "%s: want %s, got JSON %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return badRequest("", "want a JSON body")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(f, "unknown field %q", f)
	}
	return badRequest("", "bad JSON: %v", err)
}

// pathID parses the UUID in the path segment name.
func pathID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue(name))
	if err != nil {
		return uuid.Nil, badRequest(name, "%s: want a UUID, got %q", name, r.PathValue(name))
	}
	return id, nil
}

// bodyID parses a UUID field of a body; a missing one is refused.
func bodyID(field, v string) (uuid.UUID, error) {
	if v == "" {
		return uuid.Nil, badRequest(field, "%s is required", field)
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, badRequest(field, "%s: want a UUID, got %q", field, v)
	}
	return id, nil
}

// authorize checks that c wrote the thread: ErrNotFound when it does not
// exist, ErrForbidden (403) when another user did.
func (s *Server) authorize(ctx context.Context, c caller, threadID uuid.UUID) error {
	return s.store.CheckAuthor(ctx, threadID, c.Identifier)
}

// withTimeout bounds a request's database work.
func withTimeout(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 30*time.Second)
}
