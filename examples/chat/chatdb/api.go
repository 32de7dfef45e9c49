package chatdb

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Errors of the Store. Every method returns one of these (wrapped, with
// the id it concerns) for the outcomes a caller must tell apart; anything
// else is a database or file-system failure.
var (
	// ErrNotFound: the thread, step, element, feedback or user does not
	// exist (any more). Late writers of a deleted thread get it.
	ErrNotFound = errors.New("chatdb: not found")
	// ErrForbidden: the caller is not the thread's author (returned by
	// [CheckAuthor]; the web layer decides who the caller is).
	ErrForbidden = errors.New("chatdb: forbidden")
	// ErrConflict: a concurrent change that the retries could not resolve,
	// or an id already used by a row of another thread.
	ErrConflict = errors.New("chatdb: conflict")
	// ErrInvalid is matched by every [*ValidationError].
	ErrInvalid = errors.New("chatdb: invalid input")
)

// ValidationError reports input the Store refuses before writing anything:
// a field too long, a value out of range, a malformed cursor.
type ValidationError struct {
	Field  string // the JSON name of the field
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("chatdb: invalid %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Limits of the input, checked before any write (the columns are sized to
// match: nothing is truncated by the database).
const (
	MaxIdentifier = 200      // User.Identifier, Thread.UserIdentifier
	MaxName       = 255      // names of threads, steps and elements
	MaxType       = 50       // Step.Type, Element.Type
	MaxMime       = 100      // Element.Mime
	MaxDisplay    = 20       // Element.Display
	MaxURL        = 2048     // Element.URL
	MaxText       = 1 << 20  // Step.Input, Step.Output (bytes)
	MaxTag        = 100      // one tag
	MaxTags       = 50       // tags of a thread or step
	MaxMetadata   = 64 << 10 // metadata, as JSON (bytes)
	MaxComment    = 2000     // Feedback.Comment
	MaxSearch     = 200      // ListQuery.Search
	MaxPage       = 100      // ListQuery.First
	DefaultPage   = 20       // ListQuery.First when 0
	MaxBlob       = 32 << 20 // element content (bytes)
	MaxSteps      = 1000     // steps of one PersistOnDisconnect
)

// User is a user of the chat, known by its identifier.
type User struct {
	ID         uuid.UUID      `json:"id"`
	Identifier string         `json:"identifier"`
	Metadata   map[string]any `json:"metadata"`
	CreatedAt  time.Time      `json:"createdAt"`
}

// Thread is a conversation. GetThread fills Steps (oldest first, each with
// its feedback) and Elements; ListThreads leaves them empty.
type Thread struct {
	ID             uuid.UUID      `json:"id"`
	CreatedAt      time.Time      `json:"createdAt"`
	Name           string         `json:"name"`
	UserID         *uuid.UUID     `json:"userId"`
	UserIdentifier string         `json:"userIdentifier"`
	Tags           []string       `json:"tags"`
	Metadata       map[string]any `json:"metadata"`
	Steps          []Step         `json:"steps"`
	Elements       []Element      `json:"elements"`
}

// Step is a message, a tool call or any other step of a thread; steps nest
// through ParentID.
type Step struct {
	ID        uuid.UUID      `json:"id"`
	ThreadID  uuid.UUID      `json:"threadId"`
	ParentID  *uuid.UUID     `json:"parentId"`
	Name      string         `json:"name"`
	Type      string         `json:"type"`
	Input     string         `json:"input"`
	Output    string         `json:"output"`
	Metadata  map[string]any `json:"metadata"`
	Tags      []string       `json:"tags"`
	IsError   bool           `json:"isError"`
	CreatedAt time.Time      `json:"createdAt"`
	Start     *time.Time     `json:"start"`
	End       *time.Time     `json:"end"`
	Feedback  *Feedback      `json:"feedback"`
}

// Element is a file attached to a thread, and possibly to one of its steps
// (ForID). Its content, if any, is a blob kept under ObjectKey in the blob
// directory.
type Element struct {
	ID        uuid.UUID  `json:"id"`
	ThreadID  uuid.UUID  `json:"threadId"`
	ForID     *uuid.UUID `json:"forId"`
	Type      string     `json:"type"`
	Name      string     `json:"name"`
	Mime      string     `json:"mime"`
	Display   string     `json:"display"`
	Size      int64      `json:"size"`
	ObjectKey string     `json:"objectKey"`
	URL       string     `json:"url"`
}

// Feedback is a user's rating of a step: Value 0 (bad) or 1 (good), at
// most one per step.
type Feedback struct {
	ID       uuid.UUID `json:"id"`
	ForID    uuid.UUID `json:"forId"`
	ThreadID uuid.UUID `json:"threadId"`
	Value    int       `json:"value"`
	Comment  *string   `json:"comment"`
}

// ThreadUpdate is a change of a thread; nil fields are left as they are.
// Metadata is merged into the thread's: its keys are set, a key whose value
// is nil is deleted, and other keys are kept.
type ThreadUpdate struct {
	Name     *string
	UserID   *uuid.UUID
	Metadata map[string]any
	Tags     *[]string
}

// ListQuery selects a page of threads, newest first.
type ListQuery struct {
	UserID   *uuid.UUID // only this user's threads
	Search   string     // case-insensitive, literal: in thread names and step input/output
	Feedback *int       // only threads with a feedback of this value
	Tag      string     // only threads with this tag
	First    int        // page size: 0 means DefaultPage, at most MaxPage
	Cursor   string     // a Page's EndCursor: the page after it
}

// Page is one page of threads. EndCursor, passed as ListQuery.Cursor,
// gives the next page.
type Page struct {
	Data        []Thread `json:"data"`
	HasNextPage bool     `json:"hasNextPage"`
	StartCursor string   `json:"startCursor"`
	EndCursor   string   `json:"endCursor"`
}
