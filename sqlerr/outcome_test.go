package sqlerr_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/strata-go/strata/sqlerr"
)

func TestOutcomeOf(t *testing.T) {
	driverErr := errors.New("driver says no")
	cases := []struct {
		name      string
		err       error
		outcome   sqlerr.Outcome
		retryable bool
	}{
		{"success", nil, sqlerr.Written, false},
		{"integrity", &sqlerr.IntegrityError{Kind: sqlerr.Unique, Err: driverErr}, sqlerr.NothingWritten, false},
		{"serialization", &sqlerr.RetryableError{Reason: "deadlock", Err: driverErr}, sqlerr.NothingWritten, true},
		{"read-only", &sqlerr.ReadOnlyError{Err: driverErr}, sqlerr.NothingWritten, false},
		{"not found", fmt.Errorf("get: %w", sqlerr.ErrNotFound), sqlerr.NothingWritten, false},
		{"unsupported", sqlerr.Unsupported("sqlite", "fly"), sqlerr.NothingWritten, false},
		{"refused", &sqlerr.ConnError{NotSent: true, Err: driverErr}, sqlerr.NothingWritten, true},
		{"lost after sending", &sqlerr.ConnError{Err: driverErr}, sqlerr.OutcomeUnknown, false},
		{"lost in a transaction", sqlerr.WithOutcome(&sqlerr.ConnError{Err: driverErr}, "statement", sqlerr.NothingWritten), sqlerr.NothingWritten, true},
		{"commit deadline", sqlerr.WithOutcome(fmt.Errorf("x: %w", context.DeadlineExceeded), "COMMIT", sqlerr.OutcomeUnknown), sqlerr.OutcomeUnknown, false},
		{"unknown error", driverErr, sqlerr.OutcomeUnknown, false},
		{"serialization answer at COMMIT", sqlerr.WithOutcome(&sqlerr.RetryableError{Err: driverErr}, "COMMIT", sqlerr.NothingWritten), sqlerr.NothingWritten, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sqlerr.OutcomeOf(c.err); got != c.outcome {
				t.Errorf("OutcomeOf = %s, want %s", got, c.outcome)
			}
			if got := sqlerr.IsRetryable(c.err); got != c.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, c.retryable)
			}
			if c.err == nil {
				return
			}
			if errors.Is(c.err, sqlerr.ErrNothingWritten) != (c.outcome == sqlerr.NothingWritten && isOutcomeError(c.err)) {
				t.Errorf("errors.Is(ErrNothingWritten) disagrees with the stated outcome")
			}
			if errors.Is(c.err, sqlerr.ErrOutcomeUnknown) != (c.outcome == sqlerr.OutcomeUnknown && isOutcomeError(c.err)) {
				t.Errorf("errors.Is(ErrOutcomeUnknown) disagrees with the stated outcome")
			}
		})
	}
}

func isOutcomeError(err error) bool {
	var oe *sqlerr.OutcomeError
	return errors.As(err, &oe)
}

// TestWithOutcomeKeepsTheFirst: the outcome stated nearest the database
// wins, and the cause stays in the chain.
func TestWithOutcomeKeepsTheFirst(t *testing.T) {
	inner := sqlerr.WithOutcome(sql.ErrTxDone, "COMMIT", sqlerr.NothingWritten)
	outer := sqlerr.WithOutcome(fmt.Errorf("flush: %w", inner), "COMMIT", sqlerr.OutcomeUnknown)
	if sqlerr.OutcomeOf(outer) != sqlerr.NothingWritten || !errors.Is(outer, sql.ErrTxDone) {
		t.Fatalf("%v: %s", outer, sqlerr.OutcomeOf(outer))
	}
	if sqlerr.WithOutcome(nil, "COMMIT", sqlerr.OutcomeUnknown) != nil {
		t.Fatal("WithOutcome(nil) is not nil")
	}
}

func TestErrorsIsTargets(t *testing.T) {
	if !errors.Is(&sqlerr.ConnError{Err: errors.New("x")}, sqlerr.ErrConnLost) {
		t.Error("ConnError does not match ErrConnLost")
	}
	if !errors.Is(fmt.Errorf("w: %w", &sqlerr.ReadOnlyError{Err: errors.New("x")}), sqlerr.ErrReadOnly) {
		t.Error("ReadOnlyError does not match ErrReadOnly")
	}
	if !errors.Is(&sqlerr.IntegrityError{}, sqlerr.ErrIntegrity) {
		t.Error("IntegrityError does not match ErrIntegrity")
	}
	if !errors.Is(sqlerr.ErrNotFound, sql.ErrNoRows) {
		t.Error("ErrNotFound does not match sql.ErrNoRows")
	}
	for _, o := range []sqlerr.Outcome{sqlerr.NothingWritten, sqlerr.OutcomeUnknown, sqlerr.Written, 0} {
		if o.String() == "" {
			t.Errorf("outcome %d has no name", o)
		}
	}
}
