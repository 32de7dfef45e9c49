package dialect

import (
	"context"
	"errors"
	"time"

	"github.com/strata-go/strata/schema"
)

// Alterer is implemented by dialects that change existing tables in place:
// the migration tool renders its operations with it. Every method returns
// the statements to run, in order; a change the database cannot make with
// ALTER returns an error matching sqlerr.ErrUnsupported (SQLite's ALTER
// TABLE cannot add or drop constraints, for example), and the caller then
// rebuilds the table if the dialect is also a [Rebuilder]. A method never
// returns no statements for a change the database would need: "nothing to
// do" is only returned where the database keeps no trace of what changes
// (comments on SQLite).
//
// The three dialects implement it; it is a separate interface so that a
// dialect without migrations stays small.
type Alterer interface {
	// AddColumn adds c to table t (t as it is before the change).
	AddColumn(t *schema.Table, c *schema.Column) ([]string, error)
	// DropColumn drops c from t (t as it is before the change).
	DropColumn(t *schema.Table, c *schema.Column) ([]string, error)
	// AlterColumn changes the type, nullability, server default or comment
	// of a column from its definition from to its definition to; both have
	// the same name. t is the table before the change.
	AlterColumn(t *schema.Table, from, to *schema.Column) ([]string, error)
	// RenameTable renames a table; foreign keys that reference it follow.
	RenameTable(from, to string) ([]string, error)
	// RenameColumn renames a column of t (t before the change).
	RenameColumn(t *schema.Table, from, to string) ([]string, error)
	// AddPrimaryKey and DropPrimaryKey add and drop a table's primary key.
	AddPrimaryKey(t *schema.Table, pk *schema.PrimaryKey) ([]string, error)
	DropPrimaryKey(t *schema.Table, pk *schema.PrimaryKey) ([]string, error)
	// AddUnique and DropUnique add and drop a unique constraint.
	AddUnique(t *schema.Table, u *schema.Unique) ([]string, error)
	DropUnique(t *schema.Table, u *schema.Unique) ([]string, error)
	// AddCheck and DropCheck add and drop a check constraint.
	AddCheck(t *schema.Table, c *schema.Check) ([]string, error)
	DropCheck(t *schema.Table, c *schema.Check) ([]string, error)
	// SetTableComment sets (or, with "", removes) a table's comment.
	SetTableComment(t *schema.Table, comment string) ([]string, error)
	// RenameConstraint renames a primary key, unique constraint, foreign
	// key, check or index of a table from one name to another; before and
	// after are the table before and after the rename.
	RenameConstraint(before, after *schema.Table, kind ObjectKind, from, to string) ([]string, error)
}

// ObjectKind names a kind of named table object.
type ObjectKind string

// The kinds of named table objects.
const (
	PrimaryKeyObject ObjectKind = "primary_key"
	UniqueObject     ObjectKind = "unique"
	ForeignKeyObject ObjectKind = "foreign_key"
	CheckObject      ObjectKind = "check"
	IndexObject      ObjectKind = "index"
)

// Rebuild is a table rebuild as a [Rebuilder] renders it: the way to make
// a change that ALTER TABLE cannot make. The caller runs Before outside
// any transaction, then, in one transaction, Copy, compares the row counts
// of the old table and the copy (they must be equal), runs Swap, runs
// Check (a query that must return no rows), and commits; then it runs
// After outside the transaction, also when the transaction failed.
type Rebuild struct {
	Table  string   // the table rebuilt
	Temp   string   // the name of the copy while it is built
	Before []string // outside the transaction, first
	Copy   []string // create the copy and fill it
	Swap   []string // drop the old table, rename the copy, recreate indexes
	Check  string   // a query returning the violations the rebuild left; must return no rows
	After  []string // outside the transaction, last
}

// Rebuilder is implemented by dialects that rebuild a table to change what
// their ALTER TABLE cannot (SQLite).
type Rebuilder interface {
	// RebuildTable renders the rebuild of table from into table to (same
	// name), copying the columns the two share.
	RebuildTable(from, to *schema.Table) (*Rebuild, error)
}

// ErrLockTimeout is returned by [Locker.Lock] when the lock was not
// acquired within the wait.
var ErrLockTimeout = errors.New("dialect: lock not acquired in time")

// Locker is implemented by dialects that can take a named, session-level
// lock: PostgreSQL advisory locks, MariaDB GET_LOCK, a lock row on SQLite.
// The migration runner holds one while it upgrades, so two processes never
// apply the same revision.
type Locker interface {
	// Lock takes the lock called name on q, which must be one connection
	// (not a pool) kept for as long as the lock is held. It waits at most
	// wait, then fails with an error matching ErrLockTimeout. The returned
	// function releases the lock.
	Lock(ctx context.Context, q Querier, name string, wait time.Duration) (unlock func(context.Context) error, err error)
}

// PollLock calls try every interval until it reports true, ctx ends or
// wait has passed (then it returns ErrLockTimeout). Dialects without a
// blocking lock call use it.
func PollLock(ctx context.Context, wait time.Duration, try func() (bool, error)) error {
	deadline := time.Now().Add(wait)
	interval := 20 * time.Millisecond
	for {
		ok, err := try()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return ErrLockTimeout
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		interval = min(interval*2, 250*time.Millisecond)
	}
}

// EnumValueAdder is implemented by dialects that add values to a named
// enum type in place, without converting the columns that use it
// (PostgreSQL's ALTER TYPE ... ADD VALUE).
type EnumValueAdder interface {
	// AddEnumValues adds the values of new that old lacks, each in its
	// place; old's values must be in new in the same order.
	AddEnumValues(old, new schema.Type) ([]string, error)
}

// DeferrabilityAlterer is implemented by dialects that change when a
// foreign key is checked in place, without checking its rows again
// (PostgreSQL's ALTER CONSTRAINT). Elsewhere the migration tool drops and
// adds the foreign key.
type DeferrabilityAlterer interface {
	// AlterForeignKeyDeferrability makes fk of table t (by name) as
	// deferrable as fk says.
	AlterForeignKeyDeferrability(t *schema.Table, fk *schema.ForeignKey) ([]string, error)
}

// EnumColumn is a column whose type is a named enum, as it is after the
// enum changes.
type EnumColumn struct {
	Table  string
	Column *schema.Column
}

// EnumAlterer is implemented by dialects with named enum types
// (PostgreSQL) to change a type's values.
type EnumAlterer interface {
	// AlterEnum changes enum type old (by name) to the values of new,
	// converting the columns that use it.
	AlterEnum(old, new schema.Type, cols []EnumColumn) ([]string, error)
}

// Clustered is implemented by dialects whose servers may be nodes of a
// multi-primary cluster (MariaDB Galera), where a [Locker]'s lock holds on
// one node only: GET_LOCK on one Galera node does not exclude a session on
// another. The migration runner then takes a lock row in a replicated
// table instead.
type Clustered interface {
	// ClusterNode reports whether q's server is a node of such a cluster.
	// If it is, it also makes q's reads wait until the node has applied
	// everything the cluster committed before them (causal reads:
	// wsrep_sync_wait on Galera), so that q reads what other nodes wrote.
	ClusterNode(ctx context.Context, q Querier) (bool, error)
}

// Replicated is implemented by dialects whose servers stream their
// changes to replicas with a position a replica's progress can be
// compared with (PostgreSQL's WAL LSN). The engine's router uses it for
// read-your-writes.
type Replicated interface {
	// Position returns the primary's current write position.
	Position(ctx context.Context, primary Querier) (string, error)
	// Replayed reports whether the replica has replayed up to pos.
	Replayed(ctx context.Context, replica Querier, pos string) (bool, error)
}

// SchemaTableRenamer is implemented by dialects with [Schemas]: it renames
// table t of a named schema to the name to, in the same schema
// ([Alterer.RenameTable] takes the names of tables of the current one).
type SchemaTableRenamer interface {
	RenameSchemaTable(t *schema.Table, to string) ([]string, error)
}

// ConcurrentIndexer is implemented by dialects that build and drop indexes
// without blocking writes to the table. Where the dialect has
// [TransactionalDDL] (PostgreSQL: CREATE INDEX CONCURRENTLY), the
// statements cannot run inside a transaction and the migration runner runs
// them between the revision's transactions; elsewhere (MariaDB: ALGORITHM
// =INPLACE, LOCK=NONE) they are ordinary statements.
type ConcurrentIndexer interface {
	// CreateIndexConcurrently creates index x of table t.
	CreateIndexConcurrently(t *schema.Table, x *schema.Index) (*Concurrent, error)
	// DropIndexConcurrently drops index x of table t.
	DropIndexConcurrently(t *schema.Table, x *schema.Index) (*Concurrent, error)
}

// Concurrent is a statement a [ConcurrentIndexer] renders. A failed
// attempt may leave something behind (PostgreSQL leaves an INVALID index
// of the name, which a new attempt collides with): Leftover, if set, is a
// query (its values in LeftoverArgs) that returns a row when it did, and
// Cleanup removes it. A runner retrying SQL runs Leftover first and, if it
// returns a row, Cleanup.
type Concurrent struct {
	SQL          string
	Leftover     string
	LeftoverArgs []any
	Cleanup      string
}
