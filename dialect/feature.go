package dialect

import "strings"

// Feature is a set of capability flags. Higher layers ask
// d.Features().Has(dialect.UpdateReturning) instead of comparing dialect
// names, so a new dialect (CockroachDB, MySQL 8) is a new set of flags.
type Feature uint64

// The capability flags.
const (
	InsertReturning       Feature = 1 << iota // INSERT ... RETURNING
	UpdateReturning                           // UPDATE ... RETURNING
	DeleteReturning                           // DELETE ... RETURNING
	TransactionalDDL                          // DDL inside a transaction is rolled back with it
	AlterConstraints                          // ALTER TABLE can add and drop foreign key, unique and check constraints
	DeferrableConstraints                     // DEFERRABLE INITIALLY DEFERRED foreign keys
	PartialIndexes                            // CREATE INDEX ... WHERE
	NamedEnums                                // CREATE TYPE name AS ENUM (PostgreSQL)
	InlineEnums                               // ENUM('a', 'b') as a column type (MariaDB)
	Comments                                  // table and column comments
	ArrayParams                               // a Go slice binds as one array parameter: col = ANY($1)
	OnConflict                                // INSERT ... ON CONFLICT (cols) DO ...
	OnDuplicateKey                            // INSERT ... ON DUPLICATE KEY UPDATE
	ForwardReferences                         // a foreign key may name a table created later
	SetDefaultAction                          // ON DELETE/UPDATE SET DEFAULT is enforced
	NamedPrimaryKeys                          // the primary key keeps the name it was created with
	LastInsertID                              // the driver reports the last generated key
	DeleteUsing                               // bulk statements may join (UPDATE ... FROM / DELETE ... USING)
	RowLocking                                // SELECT ... FOR UPDATE locks rows
	DefaultValues                             // INSERT INTO t DEFAULT VALUES (else VALUES ())
	ReturningSeesTriggers                     // RETURNING reports values triggers set on the row (PostgreSQL's BEFORE triggers; SQLite's triggers run after and are missed)
	UpdateFrom                                // WITH v(...) AS (VALUES ...) UPDATE t SET ... FROM v (else UPDATE t JOIN (SELECT ...) v ON ... SET ...)
	CastParams                                // a parameter in a VALUES list needs CAST(? AS type) to have a type
	AlterKeyColumnType                        // ALTER COLUMN changes the type of a column a foreign key uses (PostgreSQL); without it the foreign keys are dropped and re-added around the change (MariaDB: error 1832)
	LockImpactLint                            // DDL takes PostgreSQL's table locks: the migration lint flags long ACCESS EXCLUSIVE locks and rewrites
	ForeignKeyIndexes                         // a foreign key needs an index starting with its columns (InnoDB): dropping the last one keeps the foreign key's own index
	CascadeSelfUpdate                         // ON UPDATE CASCADE reaches rows of the table being updated (InnoDB treats a self-referencing one as RESTRICT)
	ILike                                     // l ILIKE pattern, and LIKE is case-sensitive (PostgreSQL); without it case-insensitive matching is LOWER(l) LIKE LOWER(pattern)
	JSONB                                     // JSON is jsonb with its operators: #> and #>> with a text[] path, @> containment (PostgreSQL)
	JSONFunctions                             // MySQL's JSON functions with '$."key"[0]' paths whose quoted keys take backslash escapes: JSON_EXTRACT, JSON_VALUE, JSON_UNQUOTE, JSON_CONTAINS, JSON_CONTAINS_PATH, JSON_LENGTH (MariaDB, MySQL)
	JSON1                                     // SQLite's JSON functions with '$."key"[#-1]' paths: json_extract, json_type, json_array_length, ->; no containment
	Schemas                                   // tables in named schemas (schema.Table.Schema), qualified "sch"."t" (PostgreSQL)
)

var featureNames = []string{
	"InsertReturning", "UpdateReturning", "DeleteReturning", "TransactionalDDL",
	"AlterConstraints", "DeferrableConstraints", "PartialIndexes", "NamedEnums",
	"InlineEnums", "Comments", "ArrayParams", "OnConflict", "OnDuplicateKey",
	"ForwardReferences", "SetDefaultAction", "NamedPrimaryKeys", "LastInsertID",
	"DeleteUsing", "RowLocking", "DefaultValues", "ReturningSeesTriggers",
	"UpdateFrom", "CastParams", "AlterKeyColumnType", "LockImpactLint", "ForeignKeyIndexes",
	"CascadeSelfUpdate", "ILike", "JSONB", "JSONFunctions", "JSON1", "Schemas",
}

// Has reports whether every flag in x is set.
func (f Feature) Has(x Feature) bool { return f&x == x }

// String lists the set flags, joined by "|".
func (f Feature) String() string {
	var parts []string
	for i, n := range featureNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "|")
}
