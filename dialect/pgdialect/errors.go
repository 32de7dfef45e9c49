package pgdialect

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

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
//     55P03 (lock_not_available): *sqlerr.RetryableError;
//   - SQLSTATE 57P01, 57P02 (the server ended the session), 57P03 (cannot
//     connect now), a failed connect, and network errors (reset, EOF,
//     closed): *sqlerr.ConnError, NotSent when pgconn.SafeToRetry says the
//     request never left;
//   - SQLSTATE 25006, and 0A000 from a hot standby: *sqlerr.ReadOnlyError.
//
// Errors already translated, and errors it does not recognise, are returned
// unchanged.
func (*Dialect) TranslateError(err error) error {
	if err == nil {
		return nil
	}
	var ie *sqlerr.IntegrityError
	var re *sqlerr.RetryableError
	var ce *sqlerr.ConnError
	var ro *sqlerr.ReadOnlyError
	if errors.As(err, &ie) || errors.As(err, &re) || errors.Is(err, sqlerr.ErrNotFound) || errors.As(err, &ce) || errors.As(err, &ro) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &notFoundError{err: err}
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return connError(err)
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
	case "57P01", "57P02": // admin_shutdown, crash_shutdown: the session is gone
		return &sqlerr.ConnError{Err: err}
	case "57P03": // cannot_connect_now (starting up, shutting down, not accepting)
		return &sqlerr.ConnError{NotSent: true, Err: err}
	case "25006": // read_only_sql_transaction (a read-only transaction, a standby)
		return &sqlerr.ReadOnlyError{Err: err}
	case "0A000": // feature_not_supported; read-only when a standby refuses
		if strings.Contains(pe.Message, "hot standby") || strings.Contains(pe.Message, "during recovery") {
			return &sqlerr.ReadOnlyError{Err: err}
		}
	}
	if strings.HasPrefix(pe.Code, "23") { // exclusion_violation and the rest of class 23
		return integrity(sqlerr.UnknownConstraint, pe.ConstraintName)
	}
	return err
}

// connError types a failure that is not the server's answer: a connect
// that failed, or a connection lost, reset or closed. Context errors that
// are not network failures are left as they are (the engine states their
// outcome).
func connError(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return &sqlerr.ConnError{NotSent: true, Err: err}
	}
	var ne net.Error
	switch {
	case errors.Is(err, pgconn.ErrConnClosed):
		// pgconn reports a socket that died while it waited for an answer
		// as "conn closed" with SafeToRetry true, the statement sent: not
		// known to be unsent.
		return &sqlerr.ConnError{Err: err}
	case pgconn.SafeToRetry(err):
		return &sqlerr.ConnError{NotSent: true, Err: err}
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed),
		strings.Contains(err.Error(), "conn closed"):
		return &sqlerr.ConnError{Err: err}
	}
	return err
}

// Answered reports whether err is the server's answer (a PgError): the
// request was refused, not lost. The engine uses it to state that a
// failed COMMIT wrote nothing.
func (*Dialect) Answered(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}
