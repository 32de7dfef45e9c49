package pgdialect

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"strings"

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
	return copyStream(ctx, c, begin+"; copy "+id+" ( "+cols+" ) from stdin binary", fields, n, fill)
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
// fill.
func copyStream(ctx context.Context, c *pgx.Conn, sql string, fields []pgconn.FieldDescription, n int, fill func(int, []any) error) (int64, error) {
	r := &copyReader{m: c.TypeMap(), fields: fields, n: n, fill: fill, row: make([]any, len(fields)),
		buf: []byte(copyBinaryHeader)}
	tag, err := c.PgConn().CopyFrom(ctx, r, sql)
	return tag.RowsAffected(), err
}

// copyReader encodes rows into a binary COPY stream as pgconn reads it,
// a few rows ahead of the reader, ending with the format's trailer.
type copyReader struct {
	m      *pgtype.Map
	fields []pgconn.FieldDescription
	n, i   int // rows, and the next row to encode (n: the trailer)
	fill   func(int, []any) error
	row    []any
	buf    []byte
	off    int // bytes of buf already read
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
	clear(r.row)
	if err := r.fill(r.i, r.row); err != nil {
		return err
	}
	vals, err := nativeArgs(r.row)
	if err != nil {
		return err
	}
	r.buf = binary.BigEndian.AppendUint16(r.buf, uint16(len(vals)))
	for j, v := range vals {
		if r.buf, err = appendCopyValue(r.m, r.buf, r.fields[j].DataTypeOID, v); err != nil {
			return fmt.Errorf("column %s: %w", r.fields[j].Name, err)
		}
	}
	return nil
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
