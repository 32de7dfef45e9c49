package pgdialect

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/strata-go/strata/sqlerr"
)

// notFoundError wraps pgx.ErrNoRows so that errors.Is matches both
// sqlerr.ErrNotFound (and through it sql.ErrNoRows) and the pgx error.
type notFoundError struct{ err error }

func (e *notFoundError) Error() string { return sqlerr.ErrNotFound.Error() + ": " + e.err.Error() }
func (e *notFoundError) Unwrap() []error {
	return []error{sqlerr.ErrNotFound, e.err}
}

// TranslateError turns pgx errors into the typed errors of package sqlerr,
// keeping the original error in the chain:
//
//   - pgx.ErrNoRows: matches sqlerr.ErrNotFound;
//   - SQLSTATE 23505, 23503, 23502, 23514: *sqlerr.IntegrityError of kind
//     Unique, ForeignKey, NotNull (Constraint is the column) and Check;
//     any other class 23 code: kind UnknownConstraint;
//   - SQLSTATE 40001 (serialization_failure), 40P01 (deadlock_detected) and
//     55P03 (lock_not_available): *sqlerr.RetryableError.
//
// Errors already translated, and errors it does not recognise, are returned
// unchanged.
func (*Dialect) TranslateError(err error) error {
	if err == nil {
		return nil
	}
	var ie *sqlerr.IntegrityError
	var re *sqlerr.RetryableError
	if errors.As(err, &ie) || errors.As(err, &re) || errors.Is(err, sqlerr.ErrNotFound) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &notFoundError{err: err}
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	integrity := func(kind sqlerr.ConstraintKind, name string) error {
		return &sqlerr.IntegrityError{Kind: kind, Constraint: name, Table: pe.TableName, Err: err}
	}
	switch pe.Code {
	case "23505": // unique_violation
		return integrity(sqlerr.Unique, pe.ConstraintName)
	case "23503": // foreign_key_violation
		return integrity(sqlerr.ForeignKey, pe.ConstraintName)
	case "23502": // not_null_violation
		return integrity(sqlerr.NotNull, pe.ColumnName)
	case "23514": // check_violation
		return integrity(sqlerr.Check, pe.ConstraintName)
	case "40001": // serialization_failure
		return &sqlerr.RetryableError{Reason: "serialization failure", Err: err}
	case "40P01": // deadlock_detected
		return &sqlerr.RetryableError{Reason: "deadlock", Err: err}
	case "55P03": // lock_not_available (lock_timeout, NOWAIT)
		return &sqlerr.RetryableError{Reason: "lock timeout", Err: err}
	}
	if strings.HasPrefix(pe.Code, "23") { // exclusion_violation and the rest of class 23
		return integrity(sqlerr.UnknownConstraint, pe.ConstraintName)
	}
	return err
}
