package mysqldialect

import (
	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

var _ dialect.ConcurrentIndexer = (*Dialect)(nil)

// CreateIndexConcurrently renders CREATE INDEX ... ALGORITHM=INPLACE
// LOCK=NONE: InnoDB's online index build, during which reads and writes go
// on; the statement fails rather than lock the table where an online build
// is impossible. It is an ordinary statement (MariaDB's DDL is never
// transactional), recorded like any other step.
func (d *Dialect) CreateIndexConcurrently(t *schema.Table, x *schema.Index) (*dialect.Concurrent, error) {
	s, err := dialect.CreateIndexSQL(d, t, x)
	if err != nil {
		return nil, err
	}
	return &dialect.Concurrent{SQL: s + " ALGORITHM=INPLACE LOCK=NONE"}, nil
}

// DropIndexConcurrently renders the plain DROP INDEX (see
// [Dialect.DropIndex]): InnoDB drops a secondary index in place, changing
// only metadata, and MariaDB's DROP INDEX takes no ALGORITHM or LOCK
// clause.
func (d *Dialect) DropIndexConcurrently(t *schema.Table, x *schema.Index) (*dialect.Concurrent, error) {
	return &dialect.Concurrent{SQL: d.DropIndex(t, x)[0]}, nil
}
