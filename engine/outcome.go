package engine

import (
	"context"
	"database/sql"
	"errors"

	"github.com/strata-go/strata/sqlerr"
)

// Failure outcomes: every error from Commit states whether anything was
// written (see [sqlerr.OutcomeOf]), and a deadline or cancellation stays
// in the chain whatever the driver made of it.
//
//   - COMMIT answered with an error (a serialization failure, a Galera
//     certification failure, a deferred constraint): NothingWritten.
//   - The context ended before COMMIT was sent (database/sql then rolls
//     the transaction back and reports "transaction has already been
//     committed or rolled back"; pgx does not send it): NothingWritten,
//     with the context's error.
//   - COMMIT sent and no answer (deadline, lost connection):
//     OutcomeUnknown.
//   - A statement inside a transaction that lost its connection or its
//     context: NothingWritten (the transaction cannot commit).
//   - A statement outside a transaction that lost its connection after it
//     was sent: OutcomeUnknown.

// answerer is implemented by dialects that can tell an error the server
// answered with (the request was refused) from a failure to get an answer.
type answerer interface {
	Answered(err error) bool
}

// ctxError keeps the context's error in the chain of a driver error that
// dropped it (MariaDB reports a dial deadline as "i/o timeout", and a
// cancelled transaction as sql.ErrTxDone).
type ctxError struct {
	err, ctx error
}

func (e *ctxError) Error() string   { return e.err.Error() + " (" + e.ctx.Error() + ")" }
func (e *ctxError) Unwrap() []error { return []error{e.err, e.ctx} }

// withCtx adds ctx's error to err's chain when ctx has ended and err does
// not already carry it.
func withCtx(ctx context.Context, err error) error {
	if err == nil || ctx == nil {
		return err
	}
	cerr := ctx.Err()
	if cerr == nil || errors.Is(err, cerr) {
		return err
	}
	if c := context.Cause(ctx); c != nil && errors.Is(err, c) {
		return err
	}
	return &ctxError{err: err, ctx: cerr}
}

// stmtOutcome states the outcome of a failed statement inside a
// transaction: a lost connection or an ended context means the transaction
// will not commit.
func stmtOutcome(ctx context.Context, inTx bool, err error) error {
	if err == nil {
		return nil
	}
	if !inTx {
		// Outside a transaction a lost connection or an ended context
		// leaves the statement's fate unknown, unless the driver knows it
		// was never sent.
		var ce *sqlerr.ConnError
		if errors.As(err, &ce) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return sqlerr.WithOutcome(err, "statement", sqlerr.OutcomeOf(err))
		}
		return err
	}
	if errors.Is(err, sqlerr.ErrConnLost) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, sql.ErrTxDone) {
		return sqlerr.WithOutcome(err, "statement in a transaction", sqlerr.NothingWritten)
	}
	return err
}

// commitError states the outcome of a failed COMMIT. err is translated.
func (c *core) commitError(ctx context.Context, err error) error {
	err = withCtx(ctx, err)
	var ie *sqlerr.IntegrityError
	var re *sqlerr.RetryableError
	var ro *sqlerr.ReadOnlyError
	var ce *sqlerr.ConnError
	switch {
	case errors.Is(err, sql.ErrTxDone) && ctx.Err() != nil:
		// database/sql rolled back when the context ended, before COMMIT.
		return &sqlerr.OutcomeError{Outcome: sqlerr.NothingWritten, Op: "COMMIT", Err: err}
	case errors.As(err, &ie), errors.As(err, &re), errors.As(err, &ro), errors.As(err, &ce) && ce.NotSent:
		return sqlerr.WithOutcome(err, "COMMIT", sqlerr.NothingWritten)
	}
	if a, ok := c.d.(answerer); ok && a.Answered(err) {
		return sqlerr.WithOutcome(err, "COMMIT", sqlerr.NothingWritten)
	}
	return sqlerr.WithOutcome(err, "COMMIT", sqlerr.OutcomeUnknown)
}

// ctxBlindCommit is implemented by dialects whose driver's COMMIT does not
// watch the context (go-sql-driver/mysql): the engine stops waiting when
// the context ends, and states the outcome unknown.
type ctxBlindCommit interface {
	CommitIgnoresContext() bool
}

// commit runs the driver's COMMIT, bounded by ctx where the driver does
// not bound it itself. A COMMIT abandoned that way finishes (or fails) on
// its own; its connection is not reused before it does.
func (tx *Tx) commit(ctx context.Context) error {
	b, ok := tx.d.(ctxBlindCommit)
	if !ok || !b.CommitIgnoresContext() || ctx.Done() == nil || ctx.Err() != nil {
		return tx.tx.Commit(ctx)
	}
	done := make(chan error, 1)
	go func() { done <- tx.tx.Commit(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return &ctxError{err: errCommitAbandoned, ctx: ctx.Err()}
	}
}

var errCommitAbandoned = errors.New("engine: no answer to COMMIT before the context ended")
