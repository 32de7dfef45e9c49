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
//     failure or a deadlock and may succeed if run again from its start.
//   - [ErrUnsupported]: the database cannot do what was asked; it matches
//     [errors.ErrUnsupported] too.
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
// serialization failure or deadlock after which the whole transaction can be
// run again from its start.
func IsRetryable(err error) bool {
	var r *RetryableError
	return errors.As(err, &r)
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
