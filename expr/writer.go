package expr

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/strata-go/strata/dialect"
)

// ErrTooManyParams is returned when a statement needs more bind parameters
// than the database accepts; split the values with [Chunk].
var ErrTooManyParams = errors.New("expr: too many bind parameters")

// ErrNoWhere is returned by an UPDATE or DELETE without a WHERE clause that
// did not say [UpdateStmt.All] or [DeleteStmt.All]: touching every row of a
// table is never an accident here.
var ErrNoWhere = errors.New("expr: UPDATE or DELETE without WHERE; call All() to affect every row")

// Writer accumulates SQL text and bind arguments for one dialect. It holds
// the first error met and ignores everything after it; [Build] returns it.
type Writer struct {
	d    dialect.Dialect
	buf  []byte
	args []any
	err  error
}

// NewWriter returns a Writer for d.
func NewWriter(d dialect.Dialect) *Writer { return &Writer{d: d, buf: make([]byte, 0, 128)} }

// Dialect is the dialect being written for.
func (w *Writer) Dialect() dialect.Dialect { return w.d }

// Raw appends SQL text verbatim. It is for keywords and operators written
// by Strata or by the program's author, never for values.
func (w *Writer) Raw(s string) { w.buf = append(w.buf, s...) }

// Ident appends a quoted identifier.
func (w *Writer) Ident(name string) { w.buf = w.d.AppendIdent(w.buf, name) }

// Arg appends a placeholder and records v as its bind argument.
func (w *Writer) Arg(v any) {
	w.args = append(w.args, v)
	w.buf = w.d.AppendPlaceholder(w.buf, len(w.args))
}

// Int appends a small integer written by Strata itself (never a value from
// outside: those are bound with Arg).
func (w *Writer) Int(n int) { w.buf = strconv.AppendInt(w.buf, int64(n), 10) }

// Fail records err unless an error is already recorded.
func (w *Writer) Fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Failf records a formatted error.
func (w *Writer) Failf(format string, args ...any) { w.Fail(fmt.Errorf("expr: "+format, args...)) }

// Err returns the first recorded error.
func (w *Writer) Err() error { return w.err }

// Expr appends an expression, or a bind parameter for a plain value.
func (w *Writer) Expr(v any) {
	if e, ok := v.(Expr); ok {
		e.WriteSQL(w)
		return
	}
	w.Arg(v)
}

// String returns the SQL written so far.
func (w *Writer) String() string { return string(w.buf) }

// Args returns the bind arguments collected so far.
func (w *Writer) Args() []any { return w.args }

// identList writes names as quoted identifiers separated by commas.
func (w *Writer) identList(names []string) {
	for i, name := range names {
		if i > 0 {
			w.Raw(", ")
		}
		w.Ident(name)
	}
}

func (w *Writer) exprList(list []Expr) {
	for i, e := range list {
		if i > 0 {
			w.Raw(", ")
		}
		e.WriteSQL(w)
	}
}

// Statement is a complete SQL statement: a SELECT, INSERT, UPDATE or
// DELETE.
type Statement interface {
	WriteStatement(w *Writer)
}

// Build renders a statement for d, returning its SQL text and bind
// arguments, or the first error met while building it.
func Build(d dialect.Dialect, s Statement) (string, []any, error) {
	w := writerPool.Get().(*Writer)
	w.d, w.args = d, make([]any, 0, 8)
	defer func() {
		// the text buffer is reused; the arguments go to the caller
		w.d, w.buf, w.args, w.err = nil, w.buf[:0], nil, nil
		if cap(w.buf) <= 64<<10 {
			writerPool.Put(w)
		}
	}()
	s.WriteStatement(w)
	if w.err != nil {
		return "", nil, w.err
	}
	if max := d.MaxParams(); max > 0 && len(w.args) > max {
		return "", nil, fmt.Errorf("%w: %d, %s accepts %d", ErrTooManyParams, len(w.args), d.Name(), max)
	}
	return w.String(), w.args, nil
}

// writerPool keeps Build's writers, for their text buffers: building a
// statement allocates its SQL string and its arguments, nothing else.
var writerPool = sync.Pool{New: func() any { return &Writer{buf: make([]byte, 0, 256)} }}

// Chunk splits values into slices of at most size elements, for IN lists
// and multi-row inserts that would otherwise exceed the parameter limit.
func Chunk[T any](values []T, size int) [][]T {
	if size <= 0 {
		size = len(values)
	}
	var out [][]T
	for len(values) > size {
		out = append(out, values[:size:size])
		values = values[size:]
	}
	if len(values) > 0 {
		out = append(out, values)
	}
	return out
}

// literal appends s as a string literal in the dialect's quoting. It is
// for constants Strata writes itself (a LIKE escape character), never for
// values, which are bound.
func (w *Writer) literal(s string) { w.buf = w.d.AppendString(w.buf, s) }
