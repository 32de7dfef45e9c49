package pgdialect

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// COPY that opens its transaction: when a transaction's first statement
// is a COPY, its BEGIN goes in the same simple query ("begin; copy ...
// from stdin binary"), one round trip where BEGIN alone would take two.
// pgx writes COPY's SQL itself, so this path encodes the rows as pgx does
// (PostgreSQL's binary COPY format, each value encoded by the connection's
// pgtype.Map for the column's type) and hands the stream to pgconn.

// copyBinaryHeader opens a binary COPY stream: the signature, no flags,
// no header extension.
const copyBinaryHeader = "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// canCopyWithBegin reports whether c caches statement descriptions, which
// copyWithBegin needs to know the columns' types without a round trip
// (a pool opened for pgbouncer's simple protocol does not).
func canCopyWithBegin(c *pgx.Conn) bool {
	switch c.Config().DefaultQueryExecMode {
	case pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe:
		return true
	}
	return false
}

// copyWithBegin runs begin and COPY table (columns) FROM STDIN in one
// simple query on c, n rows filled by fill. The columns' types come from
// a prepared "select columns from table", described once per connection.
func copyWithBegin(ctx context.Context, c *pgx.Conn, begin, schema, table string, columns []string, n int, fill func(int, []any) error) (int64, error) {
	id, cols, fields, err := describeColumns(ctx, c, schema, table, columns)
	if err != nil {
		return 0, err
	}
	return copyStream(ctx, c, begin+"; copy "+id+" ( "+cols+" ) from stdin binary", fields, false, n, fill)
}

// describeColumns returns table's quoted name, its columns as a quoted
// list, and their descriptions, read from a prepared "select columns
// from table" (described once per connection: pgx keeps it by name).
func describeColumns(ctx context.Context, c *pgx.Conn, schema, table string, columns []string) (id, cols string, fields []pgconn.FieldDescription, err error) {
	id, cols = tableIdent(schema, table).Sanitize(), quotedList(columns)
	desc := "select " + cols + " from " + id
	h := fnv.New64a()
	h.Write([]byte(desc))
	sd, err := c.Prepare(ctx, fmt.Sprintf("strata_copy_%016x", h.Sum64()), desc)
	if err != nil {
		return "", "", nil, err
	}
	if len(sd.Fields) != len(columns) {
		return "", "", nil, fmt.Errorf("postgres: COPY into %s: %d columns described for %d", id, len(sd.Fields), len(columns))
	}
	return id, cols, sd.Fields, nil
}

// quotedList is names quoted as identifiers, separated by commas.
func quotedList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pgx.Identifier{n}.Sanitize())
	}
	return b.String()
}

// copyStream runs sql, a simple query ending in a binary COPY FROM STDIN
// into columns of the given descriptions, and streams n rows filled by
// fill. numbered: the first column is the row's number (an int4 from 0),
// written by the stream itself; fill fills the others.
func copyStream(ctx context.Context, c *pgx.Conn, sql string, fields []pgconn.FieldDescription, numbered bool, n int, fill func(int, []any) error) (int64, error) {
	r := &copyReader{m: c.TypeMap(), fields: fields, numbered: numbered, n: n, fill: fill,
		row: make([]any, len(fields)), buf: []byte(copyBinaryHeader)}
	tag, err := c.PgConn().CopyFrom(ctx, r, sql)
	return tag.RowsAffected(), err
}

// copyReader encodes rows into a binary COPY stream as pgconn reads it,
// a few rows ahead of the reader, ending with the format's trailer.
type copyReader struct {
	m        *pgtype.Map
	fields   []pgconn.FieldDescription
	numbered bool // the first field is the row number
	n, i     int  // rows, and the next row to encode (n: the trailer)
	fill     func(int, []any) error
	row      []any
	buf      []byte
	off      int // bytes of buf already read
}

func (r *copyReader) Read(p []byte) (int, error) {
	for len(r.buf)-r.off < len(p) && r.i <= r.n {
		if r.off > 0 {
			r.buf = r.buf[:copy(r.buf, r.buf[r.off:])]
			r.off = 0
		}
		if r.i == r.n {
			r.buf = binary.BigEndian.AppendUint16(r.buf, 0xffff) // the trailer: -1
			r.i++
			break
		}
		if err := r.encodeRow(); err != nil {
			return 0, err
		}
		r.i++
	}
	if r.off == len(r.buf) {
		return 0, io.EOF
	}
	k := copy(p, r.buf[r.off:])
	r.off += k
	return k, nil
}

// encodeRow appends row r.i: its field count, then each value's length
// and bytes (length -1 for NULL).
func (r *copyReader) encodeRow() error {
	row, fields := r.row, r.fields
	r.buf = binary.BigEndian.AppendUint16(r.buf, uint16(len(fields)))
	if r.numbered {
		r.buf = binary.BigEndian.AppendUint32(r.buf, 4)
		r.buf = binary.BigEndian.AppendUint32(r.buf, uint32(int32(r.i)))
		row, fields = row[1:], fields[1:]
	}
	clear(row)
	if err := r.fill(r.i, row); err != nil {
		return err
	}
	vals, err := nativeArgs(row)
	if err != nil {
		return err
	}
	for j, v := range vals {
		oid := fields[j].DataTypeOID
		if b, ok := appendBuiltin(r.buf, oid, v); ok {
			r.buf = b
			continue
		}
		if r.buf, err = appendCopyValue(r.m, r.buf, oid, derefBuiltin(v)); err != nil {
			return fmt.Errorf("column %s: %w", fields[j].Name, err)
		}
	}
	return nil
}

// appendBuiltin appends v as a binary COPY field of type oid when v is a
// string, integer, boolean or float (or a non-nil pointer to one, as the
// ORM hands its objects' fields over without copying them into
// interfaces)
// and oid is the built-in type of the same kind: the bytes pgx's codecs
// write for them, without finding an encode plan for each value. It
// reports false for anything else, an integer out of the type's range
// included, which the type map then encodes or refuses.
func appendBuiltin(buf []byte, oid uint32, v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		return appendText(buf, oid, x)
	case *string:
		if x != nil {
			return appendText(buf, oid, *x)
		}
	case int64:
		return appendInt(buf, oid, x)
	case *int64:
		if x != nil {
			return appendInt(buf, oid, *x)
		}
	case int32:
		return appendInt(buf, oid, int64(x))
	case *int32:
		if x != nil {
			return appendInt(buf, oid, int64(*x))
		}
	case int:
		return appendInt(buf, oid, int64(x))
	case *int:
		if x != nil {
			return appendInt(buf, oid, int64(*x))
		}
	case int16:
		return appendInt(buf, oid, int64(x))
	case *int16:
		if x != nil {
			return appendInt(buf, oid, int64(*x))
		}
	case bool:
		return appendBool(buf, oid, x)
	case *bool:
		if x != nil {
			return appendBool(buf, oid, *x)
		}
	case float64:
		return appendFloat8(buf, oid, x)
	case *float64:
		if x != nil {
			return appendFloat8(buf, oid, *x)
		}
	case float32:
		return appendFloat4(buf, oid, x)
	case *float32:
		if x != nil {
			return appendFloat4(buf, oid, *x)
		}
	}
	return buf, false
}

func appendText(buf []byte, oid uint32, s string) ([]byte, bool) {
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
		return append(buf, s...), true
	}
	return buf, false
}

func appendInt(buf []byte, oid uint32, n int64) ([]byte, bool) {
	switch {
	case oid == pgtype.Int8OID:
		buf = binary.BigEndian.AppendUint32(buf, 8)
		return binary.BigEndian.AppendUint64(buf, uint64(n)), true
	case oid == pgtype.Int4OID && n >= math.MinInt32 && n <= math.MaxInt32:
		buf = binary.BigEndian.AppendUint32(buf, 4)
		return binary.BigEndian.AppendUint32(buf, uint32(int32(n))), true
	case oid == pgtype.Int2OID && n >= math.MinInt16 && n <= math.MaxInt16:
		buf = binary.BigEndian.AppendUint32(buf, 2)
		return binary.BigEndian.AppendUint16(buf, uint16(int16(n))), true
	}
	return buf, false
}

func appendBool(buf []byte, oid uint32, b bool) ([]byte, bool) {
	if oid != pgtype.BoolOID {
		return buf, false
	}
	buf = binary.BigEndian.AppendUint32(buf, 1)
	if b {
		return append(buf, 1), true
	}
	return append(buf, 0), true
}

func appendFloat8(buf []byte, oid uint32, f float64) ([]byte, bool) {
	if oid != pgtype.Float8OID {
		return buf, false
	}
	buf = binary.BigEndian.AppendUint32(buf, 8)
	return binary.BigEndian.AppendUint64(buf, math.Float64bits(f)), true
}

func appendFloat4(buf []byte, oid uint32, f float32) ([]byte, bool) {
	if oid != pgtype.Float4OID {
		return buf, false
	}
	buf = binary.BigEndian.AppendUint32(buf, 4)
	return binary.BigEndian.AppendUint32(buf, math.Float32bits(f)), true
}

// derefBuiltin is the value a pointer of appendBuiltin's types (or a
// *time.Time) points at (nil, NULL, for a nil pointer), so that any other
// column type sees the value as it would have been given: a *string for a
// uuid column is parsed as the string would be. Other values are returned
// as they are.
func derefBuiltin(v any) any {
	switch x := v.(type) {
	case *string:
		return deref(x)
	case *int64:
		return deref(x)
	case *int32:
		return deref(x)
	case *int:
		return deref(x)
	case *int16:
		return deref(x)
	case *bool:
		return deref(x)
	case *float64:
		return deref(x)
	case *float32:
		return deref(x)
	case *time.Time:
		return deref(x)
	}
	return v
}

// deref is *p, or nil (NULL) for a nil pointer.
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// appendCopyValue appends v as a binary COPY field of type oid. A string
// the type cannot take as it is (a uuid or a number given as text) is
// parsed as the type's text form first, as pgx's own COPY does.
func appendCopyValue(m *pgtype.Map, buf []byte, oid uint32, v any) ([]byte, error) {
	at := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, 0xffffffff) // NULL unless a value follows
	out, err := m.Encode(oid, pgtype.BinaryFormatCode, v, buf)
	if err != nil {
		s, ok := v.(string)
		if !ok {
			return nil, err
		}
		var parsed any
		if m.Scan(oid, pgtype.TextFormatCode, []byte(s), &parsed) != nil {
			return nil, err
		}
		if out, err = m.Encode(oid, pgtype.BinaryFormatCode, parsed, buf); err != nil {
			return nil, err
		}
	}
	if out == nil {
		return buf, nil
	}
	binary.BigEndian.PutUint32(out[at:], uint32(len(out)-at-4))
	return out, nil
}
