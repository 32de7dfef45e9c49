package pgdialect

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/strata-go/strata/dialect"
)

// A key-returning bulk insert through a staging table (dialect.CopyInserter):
// the rows go by binary COPY into a temporary table shaped like the
// target's columns, with one more column numbering them, then one
//
//	INSERT INTO t (cols) SELECT cols FROM pg_temp.staging ORDER BY ord RETURNING ...
//
// moves them and reads back what the database generated. Keys are drawn
// in the SELECT's order, so they ascend with the rows' numbers. For
// thousands of rows this is faster than an INSERT from unnest of array
// parameters: COPY is PostgreSQL's cheapest way in.
//
// The staging table is created once per connection and column set
// (CREATE TEMP TABLE IF NOT EXISTS, ON COMMIT DELETE ROWS: it is empty in
// every new transaction); a transaction that stages into it a second time
// empties it first. Its name is derived from the target and its columns;
// temporary tables belong to their connection, so no two transactions
// running at once ever share one.

// stageOrd names the staging table's row-number column unless the target
// has a column of that name (then underscores are appended).
const stageOrd = "strata_ord"

// staging is the SQL of one staging table: its name (in pg_temp, and
// as SQL names it), its row-number column, what creates it, and the
// INSERT that moves its rows into the target.
type staging struct {
	table, name, ord, create, insert string
}

// stagingFor returns the staging table of columns of schema.table, the
// INSERT returning the given columns.
func stagingFor(schema, table string, columns, returning []string) staging {
	ord := stageOrd
	for slices.Contains(columns, ord) {
		ord += "_"
	}
	id, cols := tableIdent(schema, table).Sanitize(), quotedList(columns)
	h := fnv.New64a()
	h.Write([]byte(id + "(" + cols + ")"))
	st := staging{table: fmt.Sprintf("strata_stage_%016x", h.Sum64()), ord: ord}
	st.name = "pg_temp." + st.table
	quotedOrd := pgx.Identifier{ord}.Sanitize()
	// CREATE TABLE AS takes the columns' exact types (domains, lengths,
	// precisions) and none of their constraints or defaults
	st.create = "create temp table if not exists " + st.name + " on commit delete rows as select 0::int4 as " + quotedOrd + ", " + cols +
		" from " + id + " with no data"
	st.insert = "insert into " + id + " ( " + cols + " ) select " + cols + " from " + st.name +
		" order by " + quotedOrd + " returning " + quotedList(returning)
	return st
}

// int4Field describes the staging table's row-number column for the COPY
// encoder.
var int4Field = pgconn.FieldDescription{Name: stageOrd, DataTypeOID: pgtype.Int4OID}

// CopyInsert writes n rows filled by fill into columns of table through a
// staging table and returns the returning columns of the inserted rows
// (see dialect.CopyInserter). Its BEGIN, if not sent yet, goes with the
// staging table's creation and the COPY in one simple query; the INSERT
// is a second round trip, a third the first time a connection describes
// the target's columns.
func (t *tx) CopyInsert(ctx context.Context, schema, table string, columns, returning []string, n int, fill func(int, []any) error) (dialect.Rows, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	if len(columns) == 0 || len(returning) == 0 {
		return nil, fmt.Errorf("postgres: a staged insert into %s needs columns to write and to return", table)
	}
	st := stagingFor(schema, table, columns, returning)
	prep := st.create
	if slices.Contains(t.staged, st.name) {
		// rows of an earlier insert of this transaction are still there
		prep += "; truncate " + st.name
	} else {
		t.staged = append(t.staged, st.name)
	}
	var written int64
	if canCopyWithBegin(t.c) {
		_, cols, fields, err := describeColumns(ctx, t.c, schema, table, columns)
		if err != nil {
			return nil, err
		}
		if t.begin != "" {
			prep = t.begin + "; " + prep
			t.begin = ""
		}
		fields = append([]pgconn.FieldDescription{int4Field}, fields...)
		written, err = copyStream(ctx, t.c, prep+"; copy "+st.name+" ( "+pgx.Identifier{st.ord}.Sanitize()+", "+cols+" ) from stdin binary", fields, true, n, fill)
		if err != nil {
			t.firstFailed()
			return nil, err
		}
	} else {
		// no statement descriptions cached (simple protocol): each step
		// on its own, pgx's COPY describing the staging table
		if err := t.sendBegin(ctx); err != nil {
			return nil, err
		}
		if _, err := t.c.Exec(ctx, prep); err != nil {
			return nil, err
		}
		var err error
		numbered := func(i int, row []any) error {
			row[0] = int32(i)
			return fill(i, row[1:])
		}
		if written, err = copyFrom(ctx, t.c, "pg_temp", st.table, append([]string{st.ord}, columns...), n, numbered); err != nil {
			return nil, err
		}
	}
	if written != int64(n) {
		return nil, fmt.Errorf("postgres: COPY into the staging table of %s wrote %d rows of %d", table, written, n)
	}
	return t.Query(ctx, st.insert)
}

var _ dialect.CopyInserter = (*tx)(nil)
