package orm

import (
	"context"
	"fmt"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/sqlerr"
)

var (
	opExec      = &op{"Exec"}
	opExecQuery = &op{"Query"}
)

// Exec runs a statement built with package expr (an INSERT, UPDATE or
// DELETE, or any statement that returns no rows) inside the session's
// transaction, begun now if it has not begun, so that it commits or rolls
// back together with the unit of work: SQLAlchemy's Session.execute.
// Pending changes are flushed first (unless the factory has
// [NoAutoflush]), so the statement sees them and runs after them.
//
// The identity map is not brought up to date: an object whose row the
// statement changes keeps the values it was loaded with until
// [Session.Refresh], and one whose row it deletes stays persistent in the
// session. Use [UpdateWhere] and [DeleteWhere] for statements on a model's
// table whose effect the session must follow.
//
// A read-only session ([Factory.NewReadOnly]) refuses every statement
// but a SELECT with a *sqlerr.ReadOnlyError, before sending anything.
func (s *Session) Exec(ctx context.Context, stmt expr.Statement) (dialect.Result, error) {
	if err := s.enter(opExec); err != nil {
		return dialect.Result{}, err
	}
	defer s.g.exit()
	ex, err := s.statementTarget(ctx, stmt)
	if err != nil {
		return dialect.Result{}, err
	}
	return engine.ExecStmt(ctx, ex, stmt)
}

// Query runs a statement that returns rows (a SELECT, or a write with
// RETURNING) as [Session.Exec] does: pending changes flushed first, a
// write inside the session's transaction. A SELECT runs in the
// transaction once it has begun, and otherwise on its own, as the
// session's other reads do. The rows are plain rows, not objects; use
// [Select] or [RawQuery] to load objects through the identity map.
//
// The rows hold the transaction's connection: close them before the next
// call on the session.
func (s *Session) Query(ctx context.Context, stmt expr.Statement) (*engine.Rows, error) {
	if err := s.enter(opExecQuery); err != nil {
		return nil, err
	}
	defer s.g.exit()
	ex, err := s.statementTarget(ctx, stmt)
	if err != nil {
		return nil, err
	}
	return engine.QueryStmt(ctx, ex, stmt)
}

// QueryRow is [Session.Query] for a statement that returns at most one
// row; its Scan returns sqlerr.ErrNotFound when there is none.
func (s *Session) QueryRow(ctx context.Context, stmt expr.Statement) *engine.Row {
	rs, err := s.Query(ctx, stmt)
	return engine.RowOf(rs, err)
}

// statementTarget flushes pending changes and returns where stmt runs: a
// SELECT where the session's reads go, anything else in its transaction.
func (s *Session) statementTarget(ctx context.Context, stmt expr.Statement) (engine.Executor, error) {
	if stmt == nil {
		return nil, fmt.Errorf("orm: nil statement")
	}
	_, read := stmt.(*expr.SelectStmt)
	if !read && s.readOnly {
		return nil, &sqlerr.ReadOnlyError{Err: fmt.Errorf("orm: a read-only session cannot run a %T (no SQL was sent)", stmt)}
	}
	if !s.f.cfg.noAutoflush && !s.readOnly {
		if err := s.flush(ctx); err != nil {
			return nil, err
		}
	}
	if read {
		return s.reader(ctx)
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	s.wrote = true
	return tx, nil
}
