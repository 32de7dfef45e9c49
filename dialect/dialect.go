package dialect

import (
	"context"

	"github.com/strata-go/strata/schema"
)

// Dialect is everything Strata knows about one kind of database: how to
// write SQL for it, what it can do, how to create and read back a schema,
// how to connect and how to read its errors. The implementations are
// [github.com/strata-go/strata/dialect/pgdialect],
// [github.com/strata-go/strata/dialect/mysqldialect] and
// [github.com/strata-go/strata/dialect/sqlitedialect]. A Dialect is stateless and
// safe for concurrent use.
type Dialect interface {
	// Name is "postgres", "mysql" or "sqlite".
	Name() string
	// Features are the capability flags.
	Features() Feature
	// MaxParams is the most bind parameters one statement may carry.
	MaxParams() int

	// AppendIdent appends name quoted as an identifier, whatever it holds.
	AppendIdent(b []byte, name string) []byte
	// AppendPlaceholder appends the n-th (1-based) bind parameter marker.
	AppendPlaceholder(b []byte, n int) []byte
	// AppendString appends s as a string literal. Only DDL uses literals
	// (defaults, enum values, comments); statements bind every value.
	AppendString(b []byte, s string) []byte
	// TypeSQL renders a column type.
	TypeSQL(t schema.Type) (string, error)

	// Normalize returns a copy of t as this database would report it back
	// through Inspect after creating it: types it does not distinguish
	// merged, features it does not keep dropped. Comparing Normalize(t)
	// with the introspected table tells real differences from noise.
	Normalize(t *schema.Table) *schema.Table

	// CreateEnum and DropEnum manage a named enum type; they return no
	// statements where enums are not named types.
	CreateEnum(e schema.Type) ([]string, error)
	DropEnum(e schema.Type) []string
	// CreateTable creates t with its primary key, unique and check
	// constraints, and those foreign keys for which inline returns true.
	// Indexes are created separately.
	CreateTable(t *schema.Table, inline func(*schema.ForeignKey) bool) ([]string, error)
	DropTable(t *schema.Table) []string
	AddForeignKey(t *schema.Table, fk *schema.ForeignKey) ([]string, error)
	DropForeignKey(t *schema.Table, fk *schema.ForeignKey) ([]string, error)
	CreateIndex(t *schema.Table, x *schema.Index) ([]string, error)
	DropIndex(t *schema.Table, x *schema.Index) []string

	// Open connects to the database named by dsn and returns a pool.
	Open(ctx context.Context, dsn string) (Pool, error)
	// Inspect reads the tables of the connection's current schema (or
	// database) into metadata.
	Inspect(ctx context.Context, q Querier, opts InspectOptions) (*schema.MetaData, error)
	// TranslateError turns a driver error into Strata's typed errors
	// (package sqlerr), keeping the driver error in the chain. Errors it
	// does not recognise are returned unchanged.
	TranslateError(err error) error
}

// InspectOptions narrows what Inspect reads.
type InspectOptions struct {
	// Tables, if not empty, lists the only tables to read, by
	// [schema.Table.Key] ("name", or "schema.name").
	Tables []string
	// Exclude lists tables to skip (the migration version table, say).
	Exclude []string
	// Schemas lists named schemas to read besides the connection's current
	// one, whose tables come back with Schema "" (PostgreSQL; dialects
	// without [Schemas] ignore it).
	Schemas []string
}

// Wants reports whether the options select the table of the given key.
func (o InspectOptions) Wants(name string) bool {
	for _, x := range o.Exclude {
		if x == name {
			return false
		}
	}
	if len(o.Tables) == 0 {
		return true
	}
	for _, x := range o.Tables {
		if x == name {
			return true
		}
	}
	return false
}

// ForeignKeyDeferrer is implemented by dialects that can defer foreign
// key checks to COMMIT for the rest of a transaction, which changing a
// referenced key together with the rows referencing it needs: SQLite
// (every foreign key, PRAGMA defer_foreign_keys) and PostgreSQL (the keys
// declared DEFERRABLE, SET CONSTRAINTS ALL DEFERRED). MariaDB checks
// foreign keys row by row and cannot.
type ForeignKeyDeferrer interface {
	// DeferForeignKeys returns the statement, and whether it reaches
	// foreign keys not declared DEFERRABLE too.
	DeferForeignKeys() (stmt string, all bool)
}
