package pgdialect

import (
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

var _ dialect.ConcurrentIndexer = (*Dialect)(nil)

// invalidIndex returns a row when schema $2 ("" for the current one) holds
// an INVALID index named $1: what a failed CREATE INDEX CONCURRENTLY leaves behind
// (pg_index.indisvalid is false; the index is maintained by writes but
// never used by queries, and its name is taken).
const invalidIndex = `SELECT 1 FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = $1 AND n.nspname = COALESCE(NULLIF($2, ''), current_schema()) AND NOT i.indisvalid`

// CreateIndexConcurrently renders CREATE [UNIQUE] INDEX CONCURRENTLY, which
// builds the index while writes to the table go on and cannot run in a
// transaction. A failed build (a duplicate key for a unique index, a
// cancelled statement, a lost connection) leaves an INVALID index of the
// name: Leftover finds it and Cleanup drops it, concurrently too.
func (d *Dialect) CreateIndexConcurrently(t *schema.Table, x *schema.Index) (*dialect.Concurrent, error) {
	s, err := d.CreateIndex(t, x)
	if err != nil {
		return nil, err
	}
	// CREATE [UNIQUE] INDEX "name": the first "INDEX " is the keyword, the
	// name being quoted.
	q := strings.Replace(s[0], "INDEX ", "INDEX CONCURRENTLY ", 1)
	return &dialect.Concurrent{
		SQL:          q,
		Leftover:     invalidIndex,
		LeftoverArgs: []any{x.Name, t.Schema},
		Cleanup:      string(dialect.AppendTable(d, []byte("DROP INDEX CONCURRENTLY IF EXISTS "), t.Schema, x.Name)),
	}, nil
}

// DropIndexConcurrently renders DROP INDEX CONCURRENTLY "name", which waits
// for the transactions using the index instead of locking the table. A
// failed attempt leaves the index INVALID, which the retry drops.
func (d *Dialect) DropIndexConcurrently(t *schema.Table, x *schema.Index) (*dialect.Concurrent, error) {
	return &dialect.Concurrent{SQL: string(dialect.AppendTable(d, []byte("DROP INDEX CONCURRENTLY "), t.Schema, x.Name))}, nil
}
