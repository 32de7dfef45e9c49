// Package sqlitedialect is Strata's SQLite dialect, on the pure-Go driver
// modernc.org/sqlite (no cgo).
//
//	db, err := engine.Open(ctx, sqlitedialect.New(), "file:app.db")
//
// # Connecting
//
// [Dialect.Open] accepts a plain path ("app.db", "/var/lib/app.db"), a URI
// ("file:app.db?mode=ro") or ":memory:", optionally followed by
// ?parameters of modernc.org/sqlite. The plain "file:app.db" is made for a
// concurrent service: Strata adds to every connection of the pool, unless
// the DSN sets the same thing itself,
//
//   - _pragma=foreign_keys(1): foreign keys are always enforced. A DSN that
//     turns them off is refused, and Open checks PRAGMA foreign_keys.
//   - _pragma=busy_timeout(10000): a connection waits up to 10 s for a lock
//     held by another before failing with SQLITE_BUSY. Opening a
//     connection waits as long: connections that switch a new file to WAL
//     at the same moment can fail with SQLITE_BUSY at once (neither may
//     wait for the other), and the pool opens such a connection again.
//   - _pragma=journal_mode(WAL), for writable file databases: readers do
//     not block the writer nor it them.
//   - _pragma=synchronous(NORMAL), with that WAL: SQLite syncs the WAL at
//     checkpoints rather than at every COMMIT. The database never
//     corrupts and survives a crash of the program; a power loss or an
//     OS crash may lose the last commits. _pragma=synchronous(FULL)
//     restores a sync per COMMIT, at a large cost for small writes.
//   - _txlock=immediate, for writable file databases: a write transaction
//     begins with BEGIN IMMEDIATE, taking the write lock at its start,
//     where it waits (the busy timeout) for other writers. A deferred
//     transaction takes a read snapshot first and, at its first write,
//     fails at once with SQLITE_BUSY (SQLITE_BUSY_SNAPSHOT) when another
//     writer committed since: the busy timeout cannot help it. A
//     read-only transaction (TxOptions.ReadOnly, the ORM's
//     Factory.NewReadOnly) still begins deferred: it never waits for a
//     writer nor makes one wait. Reads outside a transaction take no write
//     lock either. _txlock=deferred or exclusive in the DSN win.
//   - _time_format=sqlite and _timezone=UTC (see Time values).
//
// The pool of a file database keeps up to [DefaultMaxOpen] connections,
// max(4, NumCPU), all kept idle (a new SQLite connection re-reads the
// schema and re-runs the pragmas): WAL lets them read in parallel while
// one writes, and writers queue on the write lock. An in-memory database
// (":memory:", mode=memory) exists per connection, so its pool holds a
// single connection, never closed; [Dialect.OpenPool] refuses options
// that would change that. engine.WithPool sizes the pool of a file
// database (MaxOpen, MaxIdle, MaxLifetime, MaxIdleTime; MinOpen is
// unsupported by database/sql).
//
// Measured (TestSQLitePlainDSNUnderConcurrency, 750 session operations
// from 25 goroutines, reads and writes, on 2 cores): with database/sql's
// pool defaults and deferred transactions, 34 to 36 SQLITE_BUSY errors
// reached the callers and the run took 1.1 to 1.3 s; with the defaults
// above, none, in 0.13 to 0.16 s.
//
// Parameters Strata reads or honours, besides any _pragma=name(value):
//
//	parameter              Strata
//	mode=ro, immutable=1   no WAL, no _txlock added (the file is not written)
//	mode=memory            in-memory: a pool of one connection
//	_txlock                deferred | immediate | exclusive (default immediate)
//	_time_format           written time format (default sqlite)
//	_time_integer_format   times as integers instead (then no _time_format added)
//	_timezone              time zone of times read and written (default UTC)
//	_foreign_keys, _fk     refused when off
//
// The driver's other parameters (_dqs, _defensive, _inttotime,
// _texttotime, _query_only, ...) pass through untouched. The parameters of
// mattn/go-sqlite3 that modernc.org/sqlite would silently ignore
// (_busy_timeout, _timeout, _journal_mode, _journal, _synchronous, _sync,
// _locking_mode, _locking, _cache_size) are refused with an error
// matching [ErrDSN] that names the _pragma to write instead.
//
// # Transactions
//
// A transaction with TxOptions.ReadOnly refuses writes: the driver ignores
// the option, so the dialect sets PRAGMA query_only on the transaction's
// connection and clears it before the transaction ends (even when its
// context is done), so the connection returns to the pool writable.
// SQLite transactions are serializable whatever level is asked for.
//
// # Types
//
// SQLite stores a column's declared type verbatim and derives from it the
// column's type affinity (https://sqlite.org/datatype3.html), which decides
// how values are stored. Each portable type gets a declared name with the
// right affinity that Inspect maps back to exactly that type:
//
//	portable      declared type    affinity   notes
//	smallint      SMALLINT         INTEGER
//	integer       INTEGER          INTEGER    autoincrement keys: INTEGER PRIMARY KEY AUTOINCREMENT
//	bigint        BIGINT           INTEGER
//	boolean       BOOLEAN          NUMERIC    stored as 1/0; TRUE/FALSE defaults
//	text          TEXT             TEXT
//	varchar(n)    VARCHAR(n)       TEXT       n is not enforced by SQLite
//	char(n)       CHAR(n)          TEXT       n is not enforced, no padding
//	numeric(p,s)  NUMERIC(p,s)     NUMERIC    stored as INTEGER or REAL: no exact decimals past 15 digits
//	float         REAL             REAL
//	double        DOUBLE           REAL
//	date          DATE             NUMERIC    scans as time.Time
//	time          TIME             NUMERIC    text "HH:MM:SS[.fff]"; scans as string
//	timestamp     TIMESTAMP        NUMERIC    scans as time.Time
//	timestamptz   DATETIME         NUMERIC    scans as time.Time
//	uuid          UUID_TEXT        TEXT       see below
//	json          JSON_TEXT        TEXT       see below
//	bytes         BLOB             BLOB
//	enum          TEXT + CHECK ("col" IN ('a', 'b'))   TEXT
//	array(e)      JSON_TEXT_ARRAY_<E>  TEXT   a JSON array; see below
//	custom        verbatim
//
// DATE, TIMESTAMP and DATETIME are the three declared types for which the
// driver turns stored text back into time.Time, which is why timestamptz is
// DATETIME rather than a name of its own. UUID and JSON get names containing
// TEXT because a bare "UUID" or "JSON" has NUMERIC affinity, under which
// SQLite converts text that looks like a number: a UUID written as 32 digits
// would become an integer, and a JSON document that is a large number would
// lose precision as a REAL. Inspect also reads the common synonyms INT,
// BOOL, DECIMAL(p,s), FLOAT, DOUBLE PRECISION, UUID and JSON as the obvious
// portable type, and any other declared type as a custom type, verbatim (a
// column declared without a type as custom BLOB, the same affinity).
//
// An array column ([schema.Array]) holds the text of a JSON array of its
// elements (see [dialect.Array]). Its declared type names the element, so
// that Inspect reads the array type back exactly: JSON_TEXT_ARRAY_TEXT,
// JSON_TEXT_ARRAY_I64 (bigint), JSON_TEXT_ARRAY_I32 (integer),
// JSON_TEXT_ARRAY_F64 (double), JSON_TEXT_ARRAY_BOOL and
// JSON_TEXT_ARRAY_UUID. Each contains TEXT, for TEXT affinity, and never
// INT, which SQLite checks first and which would give INTEGER affinity
// (so I64 and I32, not BIGINT and INTEGER; and none of the other affinity
// words, REAL, CHAR, CLOB or BLOB, nor the start of FLOAT or DOUBLE).
// The array operators of package expr read the elements with json_each,
// whose values are typed (text, integer, real, and 1 or 0 for booleans),
// and json_array_length
// ([dialect.JSONEachArrays]). Changing the element type rebuilds the
// table, copying the JSON text as it is; a scalar column that becomes an
// array is not converted (its values must be rewritten with json_array(col)
// by a data migration).
//
// An enum column is TEXT with an unnamed column-level CHECK listing the
// values in order; Inspect recognises exactly that CHECK and returns an enum
// without a name (SQLite has no enum types). Its violation is reported by
// SQLite as "CHECK constraint failed: col", with the column's name.
//
// # Time values
//
// With _time_format=sqlite and _timezone=UTC, a time.Time is written as
// "2006-01-02 15:04:05.999999999+00:00" in UTC: text that SQLite's date
// functions understand and that sorts in time order. Values read from DATE,
// TIMESTAMP and DATETIME columns come back as time.Time in UTC with their
// full nanosecond precision; Equal reports them equal to what was written.
// CURRENT_TIMESTAMP and CURRENT_DATE defaults store "YYYY-MM-DD HH:MM:SS"
// and "YYYY-MM-DD" (UTC, whole seconds), which scan as time.Time too. A
// time.Time bound to a DATE column is stored as a full timestamp; bind a
// "YYYY-MM-DD" string where the column must compare equal to CURRENT_DATE.
//
// # What Normalize merges
//
// [Dialect.Normalize] returns a table as [Dialect.Inspect] reads it back:
// table and column comments are dropped (SQLite has no comments), enum names
// are cleared, autoincrement keys of any integer type become INTEGER, custom
// types that spell a portable type become that type, and numeric 1/0
// defaults of boolean columns become true/false.
//
// # What SQLite cannot do
//
// SQLite cannot add or drop a constraint of an existing table (no ALTER
// TABLE ADD/DROP CONSTRAINT): [Dialect.AddForeignKey] and
// [Dialect.DropForeignKey] return errors matching sqlerr.ErrUnsupported;
// such changes rebuild the table. Foreign keys between the tables of a cycle
// therefore stay inline in CREATE TABLE, which SQLite accepts because it
// resolves a foreign key when rows are written. It has no comments, no enum
// types and no row locks. DEFERRABLE INITIALLY DEFERRED foreign keys are
// checked at commit; DEFERRABLE INITIALLY IMMEDIATE is kept as written but
// behaves like NOT DEFERRABLE. Dropping a table deletes its rows first,
// running the ON DELETE actions of the foreign keys that reference it, so a
// RESTRICT reference from a row of a table still present stops the drop.
//
// # Introspection
//
// [Dialect.Inspect] reads columns, primary keys, foreign keys and indexes
// from the pragma table functions, and constraint names, DEFERRABLE
// clauses, CHECK expressions, AUTOINCREMENT, defaults and partial index
// predicates by parsing the CREATE statements kept in sqlite_schema. Indexes
// on expressions are skipped.
//
// # Errors
//
// [Dialect.TranslateError] maps SQLITE_CONSTRAINT_* to
// *sqlerr.IntegrityError and SQLITE_BUSY / SQLITE_LOCKED to
// *sqlerr.RetryableError. SQLite's messages do not name unique or foreign
// key constraints; [Dialect.ResolveConstraint], which the engine calls after
// a failed statement, looks unique constraint names up in the schema.
package sqlitedialect
