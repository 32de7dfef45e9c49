// Package sqlerr defines the typed errors every Strata layer returns for
// database failures, whatever the driver underneath.
//
// # Matching
//
//   - [ErrNotFound]: a query that must return a row found none. It matches
//     [database/sql.ErrNoRows] too, so errors.Is(err, sql.ErrNoRows) works.
//   - [*IntegrityError]: a constraint was violated; it carries the
//     [ConstraintKind] and, where the database reports it, the constraint's
//     name. errors.Is(err, ErrIntegrity) matches any of them.
//   - [IsRetryable]: the transaction failed because of a serialization
//     failure, a deadlock or a lost connection, wrote nothing, and may
//     succeed if run again from its start.
//   - [*ConnError] (errors.Is(err, ErrConnLost)): the connection was
//     refused, reset or shut down.
//   - [*ReadOnlyError] (errors.Is(err, ErrReadOnly)): a write on a
//     read-only transaction or a standby.
//   - [ErrUnsupported]: the database cannot do what was asked; it matches
//     [errors.ErrUnsupported] too.
//
// # Outcomes
//
// [OutcomeOf] tells what a failed write left behind: [NothingWritten]
// (safe to retry), [OutcomeUnknown] (COMMIT, or a statement outside a
// transaction, was sent and no answer came) or [Written]. The engine
// states it on every COMMIT error with an [*OutcomeError], which errors.Is
// matches against ErrNothingWritten and ErrOutcomeUnknown. A deadline
// keeps context.DeadlineExceeded in the chain on every dialect.
//
// Errors keep the driver's error in their chain, so errors.As to
// *pgconn.PgError or *mysql.MySQLError still works.
package sqlerr

import (
	"database/sql"
	"errors"
	"fmt"
)

// ErrNotFound is returned when a query that must return a row returns none.
// errors.Is(ErrNotFound, sql.ErrNoRows) is true.
var ErrNotFound error = notFound{}

type notFound struct{}

func (notFound) Error() string        { return "sqlerr: no rows in result set" }
func (notFound) Is(target error) bool { return target == sql.ErrNoRows }

// ErrIntegrity is matched by every [*IntegrityError].
var ErrIntegrity = errors.New("sqlerr: integrity constraint violated")

// ConstraintKind is the kind of constraint an [IntegrityError] violated.
type ConstraintKind uint8

// The constraint kinds.
const (
	UnknownConstraint ConstraintKind = iota
	Unique                           // unique constraint, unique index or primary key
	ForeignKey                       // foreign key
	NotNull                          // NOT NULL column
	Check                            // check constraint
)

func (k ConstraintKind) String() string {
	switch k {
	case Unique:
		return "unique"
	case ForeignKey:
		return "foreign key"
	case NotNull:
		return "not null"
	case Check:
		return "check"
	}
	return "unknown"
}

// IntegrityError reports a violated constraint.
type IntegrityError struct {
	Kind       ConstraintKind
	Constraint string // the constraint's name; for NOT NULL, the column's name
	Table      string // when the database reports it
	Err        error  // the driver's error
}

func (e *IntegrityError) Error() string {
	name := e.Constraint
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Sprintf("sqlerr: %s constraint %s violated: %v", e.Kind, name, e.Err)
}

// Unwrap returns the driver's error.
func (e *IntegrityError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrIntegrity) true.
func (e *IntegrityError) Is(target error) bool { return target == ErrIntegrity }

// RetryableError wraps a serialization failure or deadlock. Use
// [IsRetryable] rather than matching it directly.
type RetryableError struct {
	Reason string // "serialization failure", "deadlock", "lock timeout", "busy"
	Err    error
}

func (e *RetryableError) Error() string {
	return fmt.Sprintf("sqlerr: %s (retry the transaction): %v", e.Reason, e.Err)
}

// Unwrap returns the driver's error.
func (e *RetryableError) Unwrap() error { return e.Err }

// IsRetryable reports whether err, or any error it wraps, is a
// serialization failure, deadlock or lost connection after which the whole
// transaction can be run again from its start: one that wrote nothing
// ([OutcomeOf] is NothingWritten). A COMMIT whose answer was lost is not
// retryable: it may have been applied.
func IsRetryable(err error) bool {
	var r *RetryableError
	var c *ConnError
	return (errors.As(err, &r) || errors.As(err, &c)) && OutcomeOf(err) == NothingWritten
}

// ErrUnsupported is matched by errors returned when a dialect cannot do what
// was asked (a partial index on MariaDB, SET DEFAULT on InnoDB, an
// isolation level PostgreSQL lacks, ...). It also matches the standard
// library's [errors.ErrUnsupported], so code that only knows the standard
// sentinel recognises it; the converse does not hold: not every
// unsupported operation is a database's.
var ErrUnsupported error = unsupported{}

type unsupported struct{}

func (unsupported) Error() string        { return "sqlerr: not supported by this database" }
func (unsupported) Is(target error) bool { return target == errors.ErrUnsupported }

// Unsupported returns an error matching [ErrUnsupported] that names the
// dialect and the feature.
func Unsupported(dialect, what string) error {
	return fmt.Errorf("%w: %s cannot %s", ErrUnsupported, dialect, what)
}

// Outcome is what a failed operation left in the database: whether the
// caller may run it again without writing twice.
type Outcome uint8

// The outcomes. The zero value is not an outcome ([OutcomeOf] never
// returns it).
const (
	// NothingWritten: the database answered with an error, or the failure
	// came before the statement or COMMIT was sent, or the transaction
	// could not commit (it ended with its connection). Safe to retry.
	NothingWritten Outcome = iota + 1
	// OutcomeUnknown: a statement outside a transaction, or COMMIT, was
	// sent and no answer came (deadline, lost connection). The write may
	// or may not have been applied; check before retrying.
	OutcomeUnknown
	// Written: the operation succeeded (OutcomeOf(nil)).
	Written
)

func (o Outcome) String() string {
	switch o {
	case NothingWritten:
		return "nothing written"
	case OutcomeUnknown:
		return "outcome unknown"
	case Written:
		return "written"
	}
	return "no outcome"
}

// ErrNothingWritten and ErrOutcomeUnknown are matched (errors.Is) by every
// error whose [OutcomeOf] is NothingWritten or OutcomeUnknown.
var (
	ErrNothingWritten = errors.New("sqlerr: nothing was written")
	ErrOutcomeUnknown = errors.New("sqlerr: the outcome is unknown (the write may have been applied)")
)

// OutcomeError states the outcome of a failed operation; Op says which
// ("COMMIT", "statement", "connect").
type OutcomeError struct {
	Outcome Outcome
	Op      string
	Err     error
}

func (e *OutcomeError) Error() string {
	return fmt.Sprintf("sqlerr: %s failed (%s): %v", e.Op, e.Outcome, e.Err)
}

// Unwrap returns the cause.
func (e *OutcomeError) Unwrap() error { return e.Err }

// Is matches ErrNothingWritten or ErrOutcomeUnknown by the outcome.
func (e *OutcomeError) Is(target error) bool {
	return (target == ErrNothingWritten && e.Outcome == NothingWritten) ||
		(target == ErrOutcomeUnknown && e.Outcome == OutcomeUnknown)
}

// WithOutcome wraps err with outcome o, unless err already states one
// (the first statement of an outcome, nearest the database, wins), or err
// is nil.
func WithOutcome(err error, op string, o Outcome) error {
	var oe *OutcomeError
	if err == nil || errors.As(err, &oe) {
		return err
	}
	return &OutcomeError{Outcome: o, Op: op, Err: err}
}

// OutcomeOf returns what the operation that returned err left behind:
// Written for nil; the outcome an [*OutcomeError] in the chain states;
// NothingWritten for errors the database answered with (integrity,
// serialization, read-only, not found, unsupported) and for a connection
// that could not be made; OutcomeUnknown for anything else, the safe
// guess.
func OutcomeOf(err error) Outcome {
	if err == nil {
		return Written
	}
	var oe *OutcomeError
	if errors.As(err, &oe) {
		return oe.Outcome
	}
	var ie *IntegrityError
	var re *RetryableError
	var ro *ReadOnlyError
	var ce *ConnError
	switch {
	case errors.As(err, &ie), errors.As(err, &re), errors.As(err, &ro),
		errors.Is(err, ErrNotFound), errors.Is(err, ErrUnsupported):
		return NothingWritten
	case errors.As(err, &ce) && ce.NotSent:
		return NothingWritten
	}
	return OutcomeUnknown
}

// ErrConnLost is matched by every [*ConnError].
var ErrConnLost = errors.New("sqlerr: connection lost or refused")

// ConnError is a connection that was refused, reset, closed or shut down
// by the server (PostgreSQL 57P01 admin_shutdown, 57P02, 57P03
// cannot_connect_now; driver: bad connection; invalid connection;
// ECONNRESET, ECONNREFUSED, EOF). NotSent is true when the driver knows
// the statement never reached the server. It is retryable when nothing
// was written ([IsRetryable] checks [OutcomeOf]).
type ConnError struct {
	NotSent bool
	Err     error
}

func (e *ConnError) Error() string { return "sqlerr: connection lost: " + e.Err.Error() }

// Unwrap returns the driver's error.
func (e *ConnError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrConnLost) true.
func (e *ConnError) Is(target error) bool { return target == ErrConnLost }

// ErrReadOnly is matched by every [*ReadOnlyError].
var ErrReadOnly = errors.New("sqlerr: write in a read-only transaction or on a standby")

// ReadOnlyError is a write refused because the transaction is read-only
// or the server is a standby or read-only (PostgreSQL 25006 and 0A000 in
// hot standby, MariaDB 1792/1290/1836, SQLITE_READONLY), or refused by
// Strata before any SQL ran (a write routed to a replica).
type ReadOnlyError struct{ Err error }

func (e *ReadOnlyError) Error() string { return "sqlerr: read-only: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ReadOnlyError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrReadOnly) true.
func (e *ReadOnlyError) Is(target error) bool { return target == ErrReadOnly }
