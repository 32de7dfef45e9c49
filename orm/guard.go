package orm

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrConcurrentUse is matched by every *ConcurrentUseError.
var ErrConcurrentUse = errors.New("orm: session used by two goroutines at once")

// ConcurrentUseError reports that a session was entered by one operation
// while another was still running in it: two goroutines sharing a session,
// or a query started from a flush hook. A session is a unit of work for one
// goroutine at a time; open one per request or job from the session
// factory instead.
type ConcurrentUseError struct {
	Op      string // the operation refused
	Running string // the operation already in the session
}

func (e *ConcurrentUseError) Error() string {
	return fmt.Sprintf("orm: %s called while %s is running in the same session; a session is for one goroutine at a time", e.Op, e.Running)
}

// Is makes errors.Is(err, ErrConcurrentUse) true.
func (e *ConcurrentUseError) Is(target error) bool { return target == ErrConcurrentUse }

// op names a session operation. Each is a package-level value, so entering
// the guard stores a pointer and allocates nothing.
type op struct{ name string }

// guard admits one operation at a time. It is a single atomic
// compare-and-swap on entry and a store on exit: cheap enough for every
// call, and free of data races by construction, so the race detector stays
// quiet even when misuse is detected.
type guard struct {
	running atomic.Pointer[op]
}

// enter claims the session for o, or reports the operation holding it.
func (g *guard) enter(o *op) error {
	if g.running.CompareAndSwap(nil, o) {
		return nil
	}
	cur := g.running.Load()
	name := "another operation"
	if cur != nil {
		name = cur.name
	}
	return &ConcurrentUseError{Op: o.name, Running: name}
}

// exit releases the session.
func (g *guard) exit() { g.running.Store(nil) }
