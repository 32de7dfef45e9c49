// Package expr is Strata's SQL expression layer ("core" in SQLAlchemy's
// terms): SELECT, INSERT, UPDATE and DELETE built as values and rendered for
// a dialect.
//
//	users := expr.T("users")
//	q := expr.Select(users.C("id"), users.C("name")).From(users).
//		Where(expr.Eq(users.C("team_id"), teamID), expr.In(users.C("role"), roles)).
//		OrderBy(expr.Asc(users.C("name"))).Limit(20)
//	sql, args, err := expr.Build(d, q)
//
// # Safety
//
// Every value is a bind parameter; identifiers are always quoted by the
// dialect, whatever they contain. Text enters the SQL only through [Raw],
// [Func] and check expressions, which are the program's own.
// UPDATE and DELETE without WHERE fail with [ErrNoWhere] unless All() says
// so. Upserts exist only when asked for by name ([InsertStmt.OnConflict]).
// RETURNING on a dialect without it is an error, never silently dropped.
//
// # IN lists
//
// [In] binds a typed slice as one array parameter on PostgreSQL
// (col = ANY($1)), so one prepared statement serves every list length; on
// the other dialects each value is a placeholder, and lists beyond the
// dialect's parameter limit fail with [ErrTooManyParams]: split them with
// [Chunk].
//
// # JSON
//
// [JSONPath] follows object keys and array indexes into a JSON column;
// its methods read the value as text, a number or a boolean for WHERE and
// ORDER BY, the same way on every database:
//
//	p := events.C("payload")
//	expr.Select(expr.JSONPath(p, "user", "name").Text()).From(events).
//		Where(expr.Gt(expr.JSONPath(p, "items", 0, "qty").Int(), 5), expr.JSONHasKey(p, "user")).
//		OrderBy(expr.Desc(expr.JSONPath(p, "items", 0, "qty").Int()))
//
// The path is one bind parameter (a text[] on PostgreSQL, a '$."user"'
// path string on MariaDB and SQLite, built in Go with every key quoted).
// [JSONContains] tests containment on PostgreSQL and MariaDB and fails
// with [github.com/strata-go/strata/sqlerr.ErrUnsupported] on SQLite;
// [JSONEqual] compares JSON values. docs/json-and-text.md tabulates the
// SQL per database and what differs.
//
// # Text matching
//
// [Contains], [StartsWith] and [EndsWith] match user input literally: %, _
// and the escape character in it are escaped ([EscapeLike]) and the pattern
// is bound, with an ESCAPE clause written in the dialect's quoting.
// [IContains], [IStartsWith], [IEndsWith] and [ILike] ignore case on every
// database (ILIKE on PostgreSQL, LOWER(l) LIKE LOWER(?) elsewhere; SQLite's
// LOWER folds only ASCII). [LikeEscape] takes the caller's pattern and
// escape character.
//
// # Array columns
//
// [ArrayHas], [ArrayOverlaps], [ArrayContainsAll] and [ArrayLength] query
// array columns with the same meaning on every database: = ANY, && and @>
// on PostgreSQL's arrays, JSON_CONTAINS and JSON_OVERLAPS on MariaDB's JSON
// arrays, json_each on SQLite's. A NULL column gives NULL (it matches
// neither an operator nor its negation); values are bound, as
// [github.com/strata-go/strata/dialect.Array] where the operand is a
// slice.
//
// Builders keep the first error and return it from [Build]; executing
// statements is [github.com/strata-go/strata/engine]'s job.
package expr
