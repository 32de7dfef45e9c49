package orm

import (
	"errors"
	"fmt"

	"github.com/strata-go/strata/sqlerr"
)

// The errors of the orm package.

// OrphanError reports a pending object the program added that belongs to
// no parent through a delete-orphan relationship: it would be inserted
// as a child nobody owns. The flush writes nothing.
type OrphanError struct {
	Object any    // the pending object
	Rel    string // the delete-orphan relationship, Type.Field
}

func (e *OrphanError) Error() string {
	return fmt.Sprintf("orm: a new %T is an orphan: no object holds it through %s (delete-orphan); add it to one, or Expunge it", e.Object, e.Rel)
}

// SingleParentError reports an object given a second parent through a
// relationship declared single_parent.
type SingleParentError struct {
	Rel    string // the relationship, Type.Field
	Object any    // the object with two parents
}

func (e *SingleParentError) Error() string {
	return fmt.Sprintf("orm: %s is single_parent, but a %T is held by two objects through it", e.Rel, e.Object)
}

// ErrInvalidModel is matched by every *ModelError.
var ErrInvalidModel = errors.New("orm: invalid model")

// ModelError reports a struct that cannot be mapped, naming the struct and
// the field at fault. [Register] returns it.
type ModelError struct {
	Struct string
	Field  string // empty when the struct as a whole is at fault
	Err    error
}

func (e *ModelError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("orm: model %s: %v", e.Struct, e.Err)
	}
	return fmt.Sprintf("orm: model %s, field %s: %v", e.Struct, e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *ModelError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalidModel) true.
func (e *ModelError) Is(target error) bool { return target == ErrInvalidModel }

// ErrStaleData is matched by every *StaleDataError.
var ErrStaleData = errors.New("orm: stale data")

// StaleDataError reports an UPDATE or DELETE that matched no row: the row
// is gone, or its version moved. It is never turned into an INSERT. A
// flush failing with it has written nothing: it was rolled back whole.
type StaleDataError struct {
	Op    string // "UPDATE" or "DELETE"
	Table string
	Key   []any   // primary key values of the (first) stale row
	Keys  [][]any // primary key values of every stale row of the statement, Key first
	// Unresolved is set when a batch matched fewer rows than it named but,
	// read again after the rollback, every row looks current (someone
	// changed them back meanwhile): Keys then lists the whole batch.
	Unresolved bool
}

func (e *StaleDataError) Error() string {
	switch {
	case e.Unresolved:
		return fmt.Sprintf("orm: stale data: %s of %s rows %v matched fewer rows than named (changed concurrently; which one is not known)", e.Op, e.Table, e.Keys)
	case len(e.Keys) > 1:
		return fmt.Sprintf("orm: stale data: %s of %s %v matched no row (deleted, or changed by someone else)", e.Op, e.Table, e.Keys)
	}
	return fmt.Sprintf("orm: stale data: %s of %s %v matched no row (deleted, or changed by someone else)", e.Op, e.Table, e.Key)
}

// staleRows makes a *StaleDataError naming the keys (at least one).
func staleRows(op, table string, keys [][]any) *StaleDataError {
	return &StaleDataError{Op: op, Table: table, Key: keys[0], Keys: keys}
}

// Is makes errors.Is(err, ErrStaleData) true.
func (e *StaleDataError) Is(target error) bool { return target == ErrStaleData }

// ErrNotMapped is returned for objects whose type was never registered.
var ErrNotMapped = errors.New("orm: type not registered")

// ErrClosed is returned by a closed session.
var ErrClosed = errors.New("orm: session closed")

// ErrConflict is matched by every *ConflictError.
var ErrConflict = errors.New("orm: transaction conflict")

// ConflictError reports a [Session.Commit] or [Session.Flush], called
// outside [Factory.Transact], that failed on a transaction conflict: a
// serialization failure, a deadlock, a lock wait timeout or SQLite busy.
// The transaction wrote nothing and would likely succeed if run again
// from its start, which is what Factory.Transact does (with jittered
// backoff, within its retry policy's attempts and time budget); its
// message says so. Inside Transact the cause is returned as it is, for
// the retry loop.
//
// Err is the cause: errors.As to *sqlerr.RetryableError (and to the
// *sqlerr.OutcomeError the flush or the engine stated, if any),
// sqlerr.OutcomeOf (NothingWritten) and sqlerr.IsRetryable all see
// through the ConflictError.
type ConflictError struct {
	Op  string // "Commit" or "Flush"
	Err error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("orm: %s failed on a transaction conflict and wrote nothing; run the unit of work with Factory.Transact, which retries it: %v", e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *ConflictError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrConflict) and errors.Is(err,
// sqlerr.ErrNothingWritten) true: a conflict is only reported as one when
// the transaction wrote nothing.
func (e *ConflictError) Is(target error) bool {
	return target == ErrConflict || target == sqlerr.ErrNothingWritten
}
