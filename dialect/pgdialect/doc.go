// Package pgdialect is Strata's PostgreSQL dialect. It connects through a
// native pgx pool (github.com/jackc/pgx/v5/pgxpool), not database/sql, and
// targets PostgreSQL 12 and later.
//
//	d := pgdialect.New()
//	pool, err := d.Open(ctx, "postgres://app@db.internal:5432/app?sslmode=verify-full&search_path=billing")
//
// # Connecting
//
// Open accepts any pgx connection string: a URL
// (postgres://user:password@host:port/database?param=value) or key=value
// pairs ("host=db user=app dbname=app"). Parameters pgx does not know itself,
// such as search_path, application_name or statement_timeout, are sent to the
// server as run-time parameters; pool settings (pool_max_conns,
// pool_min_conns, pool_max_conn_lifetime, ...) configure the pool. The
// default statement cache (QueryExecModeCacheStatement) is kept. Open pings
// the server and fails if it cannot be reached. Pool.Driver returns the
// *pgxpool.Pool for COPY and batches; [FromPool] wraps a pool opened
// elsewhere.
//
// [Dialect.OpenPool] (what engine.WithPool uses) sizes the pool over the
// DSN's pool_* settings: MaxOpen is MaxConns, MinOpen MinConns,
// MaxLifetime MaxConnLifetime, MaxIdleTime MaxConnIdleTime (a negative
// duration: no limit). pgxpool has no cap on idle connections, so MaxIdle
// is refused (sqlerr.ErrUnsupported). Without either, pgx's defaults hold:
// max(4, NumCPU) connections, closed after 1 h, or 30 min idle.
//
// Transactions honour TxOptions: database/sql isolation levels map to READ
// UNCOMMITTED, READ COMMITTED, REPEATABLE READ (also for LevelSnapshot) and
// SERIALIZABLE; ReadOnly starts a READ ONLY transaction; other levels are
// refused with an error matching sqlerr.ErrUnsupported.
//
// A transaction's BEGIN is not sent on its own: it goes to the server with
// the transaction's first statement, in one pgx pipeline (or, for a
// statement without arguments, one simple query "begin; ..."), saving a
// round trip per transaction; a transaction that runs no statement sends
// nothing. Begin takes the connection from the pool at once. PostgreSQL
// takes the snapshot at the first statement either way, and a failed first
// statement leaves the transaction aborted as it would otherwise (COMMIT
// then returns pgx.ErrTxCommitRollback). A COPY that comes first goes as
// one simple query "begin; copy ... from stdin binary", its rows encoded
// by Strata as pgx's CopyFrom encodes them (each value by the connection's
// type map, for the column types of a "select columns from table"
// prepared once per connection and column list); on a pool whose
// statements are not cached (QueryExecModeExec or the simple protocol)
// BEGIN goes alone before pgx's COPY.
//
// A transaction also inserts rows through a staging table and reads back
// what the database generated (dialect.CopyInserter, used by the ORM's
// flush for 5,000 rows or more): "create temp table if not exists
// pg_temp.strata_stage_<hash> on commit delete rows as select ... with no
// data" and the binary COPY into it go as one simple query (with the
// transaction's BEGIN if it is still to be sent), then "insert into t
// (...) select ... from pg_temp.strata_stage_<hash> order by strata_ord
// returning ...". The staging table, one per connection and column set,
// is empty at the start of every transaction; one that a transaction
// stages into again is truncated first.
//
// # Types
//
//	schema kind   DDL                  read back from format_type
//	smallint      smallint             smallint
//	integer       integer              integer
//	bigint        bigint               bigint
//	boolean       boolean              boolean
//	text          text                 text
//	varchar(n)    varchar(n)           character varying(n)
//	char(n)       char(n)              character(n)
//	numeric(p,s)  numeric(p,s)         numeric(p,s)
//	numeric       numeric              numeric            (precision 0)
//	float         real                 real
//	double        double precision     double precision
//	date          date                 date
//	time          time                 time without time zone
//	timestamp     timestamp            timestamp without time zone
//	timestamptz   timestamptz          timestamp with time zone
//	uuid          uuid                 uuid
//	json          jsonb                jsonb
//	bytes         bytea                bytea
//	enum          "name"               a type of pg_enum, values in enumsortorder
//	array(e)      e[]                  text[], bigint[], integer[], double precision[], boolean[], uuid[]
//	custom        verbatim             anything else, as format_type prints it
//
// Enums are named types: CreateEnum renders CREATE TYPE "name" AS ENUM (...)
// and DropEnum DROP TYPE "name". AutoIncrement columns are written GENERATED
// BY DEFAULT AS IDENTITY; Inspect reports identity columns, and integer
// primary key columns defaulting to nextval() (serial), as AutoIncrement.
//
// # Arrays
//
// An array column ([schema.Array]) is a PostgreSQL array of its element
// type. pgx binds and scans Go slices natively: every [dialect.Array]
// argument is replaced by its slice before pgx sees it, and every
// [dialect.ArrayDest] scan destination by its pointer (a type switch per
// argument; other arguments are passed on untouched, and the argument
// slice is copied only when it holds an array). Inspect reads arrays of
// the portable element types back as array types; arrays of other types
// ("numeric[]", "varchar(20)[]") are custom. PostgreSQL does not enforce
// dimensions, so "int[][]" reads back as integer[]. Changing an array's
// element type casts element by element (ALTER COLUMN ... TYPE bigint[]
// USING col::bigint[]); a scalar column becoming an array becomes a
// one-element array (USING CASE WHEN col IS NULL THEN NULL ELSE
// ARRAY[col::elem] END). The array operators of package expr are = ANY,
// &&, @> and cardinality ([dialect.NativeArrays]).
//
// Large array arguments (16 elements or more: the columns of an unnest
// INSERT, the keys of a select-in load) of []string, []int16, []int32,
// []int64, []bool, []float32 or []float64 are encoded by pgdialect into
// one buffer grown once, not element by element through pgx (which boxes
// every element in an interface): the encoder is a pgtype hook that
// pgdialect puts first among the hooks of the connection that runs the
// statement (also on a pool adopted with [FromPool]; it plans only the
// wrapper pgdialect passes, so nothing else the connection encodes
// changes). It writes PostgreSQL's binary array format and only where
// pgx would write the same bytes: each plan has pgx's own plan encode a
// one-element array first and keeps to pgx's plan unless the element type
// is the slice's natural one (text, varchar or bpchar for strings; int2,
// int4, int8; bool; float4, float8) and the bytes agree. Everything else
// (another element type, the text format of the simple protocol, a nil
// or empty slice) is pgx's. The pool's Exec and Query take their
// connection explicitly for such a statement, so the hook is on it.
//
// # Features
//
// InsertReturning, UpdateReturning, DeleteReturning, TransactionalDDL,
// AlterConstraints, DeferrableConstraints, PartialIndexes, NamedEnums,
// Comments (COMMENT ON TABLE / COLUMN, issued by CreateTable after CREATE
// TABLE), ArrayParams, OnConflict, SetDefaultAction, NamedPrimaryKeys,
// DeleteUsing, RowLocking (SELECT ... FOR UPDATE), DefaultValues and
// ReturningSeesTriggers (values set by BEFORE triggers come back in RETURNING). A
// statement may carry at most 65535 bind parameters.
//
// # Quoting
//
// Identifiers are always double-quoted with embedded double quotes doubled,
// so any name is safe and keeps its case. String literals (only DDL uses
// them: defaults, enum values, comments) are single-quoted with embedded
// single quotes doubled; with standard_conforming_strings on, the only
// setting since PostgreSQL 9.1, backslashes are ordinary characters.
// PostgreSQL text cannot hold NUL bytes: the DDL methods refuse strings
// containing one, and AppendString never writes one into SQL. Placeholders
// are $1, $2, ...
//
// # Normalize
//
// [Dialect.Normalize] predicts what Inspect reports for a table once
// PostgreSQL has created it, so that the differ (migrate.Plan) shows real differences
// only. It merges what PostgreSQL does not keep apart: type aliases written
// as custom types ("int4", "timestamptz", "decimal(10,2)") become the
// portable types, or the spelling format_type uses; numeric defaults are
// spelled as PostgreSQL prints the constant ("1e3" as "1000", "+5" as "5");
// string defaults on number, boolean, uuid, jsonb and bytea columns are
// converted as the column type's input function converts them (a string
// "42" on an integer column comes back as the number 42, "yes" on a boolean
// column as true, a jsonb document with its keys reordered); expression
// defaults that PostgreSQL stores as a literal, NULL, now() or CURRENT_DATE
// take the matching kind; primary key and identity columns are NOT NULL;
// constraints and indexes are ordered by name. Check expressions and
// partial index predicates are returned as PostgreSQL prints them (with added
// parentheses and casts); the differ compares them after
// schema.NormalizeExpr. Other expression defaults are kept as written and
// may differ from PostgreSQL's spelling of them.
//
// # Inspect
//
// Inspect reads the tables (relkind r and p, not partitions) of
// current_schema() from the system catalogs, passing every name as a bind
// parameter. Defaults are parsed back from pg_get_expr: quoted literals with
// a cast ('abc'::text, 'ok'::mood) become string defaults (unescaped), numbers
// (including '-1'::integer) number defaults, true/false boolean defaults,
// now() and CURRENT_TIMESTAMP the current timestamp, CURRENT_DATE the
// current date, and anything else an expression default holding
// PostgreSQL's text. Generated columns are read without their expression.
// Indexes on expressions, which package schema cannot describe, are left
// out; index methods, sort orders and INCLUDE columns are not kept. A table
// that package schema rejects (no columns, an identity column that is not
// the whole primary key) makes Inspect fail with the validation error.
//
// # Errors
//
// TranslateError maps SQLSTATE 23505, 23503, 23502 and 23514 to
// *sqlerr.IntegrityError (with the constraint name, or the column for NOT
// NULL, and the table), other class 23 errors to an IntegrityError of
// unknown kind, 40001, 40P01 and 55P03 to *sqlerr.RetryableError, and
// pgx.ErrNoRows to an error matching sqlerr.ErrNotFound.
package pgdialect
