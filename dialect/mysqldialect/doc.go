// Package mysqldialect is Strata's MariaDB/MySQL dialect. It targets MariaDB 10.5
// and later (tested on 10.11) and keeps to SQL that MySQL 8 accepts where
// that costs nothing; the exceptions are listed below.
//
// # Connecting
//
// [Dialect.Open] takes a github.com/go-sql-driver/mysql DSN:
//
//	user:password@tcp(host:3306)/database?param=value
//
// It always sets parseTime=true (DATE and DATETIME scan into time.Time, in
// the DSN's loc, UTC by default), multiStatements=false and
// interpolateParams=false (values travel as server-side bind parameters),
// and, unless the DSN sets sql_mode itself, the session sql_mode
// STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION:
// strict, so that a missing NOT NULL value is an error, and without
// NO_BACKSLASH_ESCAPES or ANSI_QUOTES, which the dialect's quoting relies
// on. A DSN that sets sql_mode must keep those two off.
//
// The pool is database/sql's, with its defaults (no limit on open
// connections, 2 idle kept) unless [Dialect.OpenPool] (what
// engine.WithPool uses) is given MaxOpen, MaxIdle, MaxLifetime or
// MaxIdleTime; MinOpen is refused (sqlerr.ErrUnsupported): database/sql
// keeps no minimum.
//
// # Type mapping
//
//	schema kind     DDL               Inspect reads back
//	SmallInt        SMALLINT          smallint(6)           -> SmallInt
//	Integer         INT               int(11)               -> Integer
//	BigInt          BIGINT            bigint(20)            -> BigInt
//	Boolean         BOOLEAN           tinyint(1)            -> Boolean
//	Text            LONGTEXT          longtext, mediumtext, text -> Text
//	Varchar(n)      VARCHAR(n)        varchar(n)            -> Varchar(n)
//	Char(n)         CHAR(n)           char(n)               -> Char(n)
//	Numeric(p,s)    DECIMAL(p,s)      decimal(p,s)          -> Numeric(p,s)
//	Numeric(0,0)    DECIMAL           decimal(10,0)         -> Numeric(10,0)
//	Float           FLOAT             float                 -> Float
//	Double          DOUBLE            double                -> Double
//	Date            DATE              date                  -> Date
//	Time            TIME(6)           time(6), time         -> Time
//	Timestamp       DATETIME(6)       datetime(6)           -> Timestamp
//	TimestampTZ     DATETIME(6)       datetime(6)           -> Timestamp
//	UUID            CHAR(36)          char(36)              -> Char(36)
//	JSON            JSON              longtext + CHECK (json_valid(`c`)) -> JSON
//	Bytes           LONGBLOB          longblob, mediumblob, blob -> Bytes
//	Enum            ENUM('a','b')     enum('a','b')         -> Enum (values in order)
//	Array(e)        JSON              longtext + CHECK (json_valid(`c`)) -> JSON
//	Custom          verbatim          anything else         -> Custom, lower case,
//	                                  integer display widths dropped
//
// An array column ([schema.Array]) holds the text of a JSON array of its
// elements (see [dialect.Array]), in a JSON column: it reads back as JSON,
// so Normalize turns arrays into JSON and autogenerate sees no difference
// between a model's array and the column, whatever the element type (a
// change of element type is not seen either: it needs no DDL here). The
// array operators of package expr use JSON_CONTAINS, JSON_OVERLAPS (MariaDB
// 10.9 or later, MySQL 8.0.17 or later) and JSON_LENGTH, and JSON_TABLE
// with a BIGINT column for int64 elements, which the JSON functions would
// compare as doubles ([dialect.JSONContainsArrays]). A scalar column that
// becomes an array is not converted: its values must be rewritten as JSON
// arrays (JSON_ARRAY(col)) by a data migration before the change.
//
// TIMESTAMP is not used: it ends in 2038 and has implicit defaults. DATETIME
// keeps no time zone, so TimestampTZ and Timestamp are the same column; with
// the default loc=UTC the driver stores instants as UTC wall time. MariaDB
// turns JSON into LONGTEXT with a CHECK constraint named after the column;
// Inspect recognises the pair and reports JSON without the check.
//
// Defaults: CURRENT_TIMESTAMP is written CURRENT_TIMESTAMP(6) for DATETIME(6)
// columns, CURRENT_DATE as the expression (CURRENT_DATE), booleans as
// TRUE/FALSE, strings as escaped literals, expressions in parentheses. ON
// UPDATE CURRENT_TIMESTAMP is never added. Table and column comments are
// inline COMMENT clauses; every table is ENGINE=InnoDB DEFAULT
// CHARSET=utf8mb4, which gives it the charset's default collation, not the
// database's.
//
// # Quoting
//
// Identifiers are backquoted with backticks doubled; placeholders are ?.
// String literals (DDL only) are single-quoted with ' doubled and \ doubled,
// since the backslash is an escape character unless NO_BACKSLASH_ESCAPES is
// set; a NUL byte is written \0.
//
// # Features
//
// MariaDB has INSERT ... RETURNING and DELETE ... RETURNING (10.5+) but no
// UPDATE ... RETURNING; ON DUPLICATE KEY UPDATE; LAST_INSERT_ID(); SELECT
// ... FOR UPDATE; inline enums; comments; ALTER TABLE for constraints. It
// cannot:
//
//   - roll DDL back: every DDL statement commits (no TransactionalDDL);
//   - defer constraints: deferrable foreign keys are rejected with an error
//     matching sqlerr.ErrUnsupported;
//   - enforce SET DEFAULT: InnoDB rejects it, and so does the dialect
//     (sqlerr.ErrUnsupported);
//   - build partial indexes (sqlerr.ErrUnsupported);
//   - name a primary key: it is always PRIMARY;
//   - reference a table that does not exist yet: foreign keys on a cycle
//     are added by ALTER TABLE after the tables;
//   - bind arrays;
//   - join in UPDATE ... FROM or DELETE ... USING form (DeleteUsing), or
//     INSERT ... DEFAULT VALUES (DefaultValues; it writes VALUES ()).
//
// MySQL 8 lacks RETURNING and DROP INDEX IF EXISTS (used by
// [Dialect.DropForeignKey]); the rest of the DDL is valid there.
//
// # What Normalize merges
//
// [Dialect.Normalize] predicts what [Dialect.Inspect] reads back, so that
// comparing the two shows only real differences. Because MariaDB cannot
// tell them apart:
//
//   - primary keys are all named PRIMARY;
//   - TimestampTZ and Timestamp are both Timestamp, UUID is Char(36),
//     DECIMAL without precision is DECIMAL(10,0);
//   - enums have no names: Normalize clears EnumName, Inspect reports ""
//     (values in order); trailing spaces of enum values are dropped, as
//     MariaDB drops them;
//   - a unique index without a predicate and a UNIQUE constraint are the
//     same thing (a unique index): both are reported as schema.Unique, and
//     Normalize turns declared unique indexes into uniques;
//   - a foreign key's RESTRICT, NO ACTION and an action left out are
//     enforced alike by InnoDB (immediately). MariaDB reports an action
//     left out as RESTRICT and an explicit NO ACTION as NO ACTION; since
//     Strata leaves NO ACTION out of the DDL, RESTRICT and NO ACTION cannot
//     be told apart, and both are reported as NoAction;
//   - defaults are reported in MariaDB's canonical spelling: numbers for
//     the column's type (0 in DECIMAL(12,2) is 0.00; 1e20 is 1e+20 on both
//     sides), 1 and 0 in BOOLEAN columns as booleans and TRUE/FALSE
//     elsewhere as numbers, numbers in string columns as strings, numeric
//     strings in numeric columns as numbers, dates and times zero-padded
//     with six fractional digits;
//   - check expressions: MariaDB stores them rewritten; Normalize applies
//     the cheap part of that (string literal escaping, != to <>, TRUE and
//     FALSE to 1 and 0, LENGTH to octet_length) and schema.NormalizeExpr
//     does the rest (case, quotes, spaces, parentheses). Deeper rewrites,
//     such as NOT (a > 3) becoming a <= 3, show up as differences;
//   - expression defaults come back as MariaDB prints them (1+2 becomes
//     1 + 2); write them that way to compare equal.
//
// MariaDB creates an index for each foreign key whose columns no index
// starts with, named after the foreign key. Inspect leaves such an index out
// (non-unique, the foreign key's name and columns), and DropForeignKey drops
// it with the foreign key, unless another foreign key of the table may be
// using it.
//
// # Errors
//
// [Dialect.TranslateError] maps duplicate entries (1062) to unique
// violations named after the key (PRIMARY for the primary key), 1451/1452
// to foreign key violations, 1048/1364 to NOT NULL violations naming the
// column, 4025 (MariaDB) and 3819 (MySQL) to check violations, deadlocks
// (1213) and lock wait timeouts (1205) to retryable errors, and
// sql.ErrNoRows to sqlerr.ErrNotFound. MySQL 8 names a duplicate key
// 'table.key'; since MariaDB names it 'key' and a key's name may contain a
// dot, only 'table.PRIMARY' is shortened.
package mysqldialect
