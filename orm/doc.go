// Package orm maps Go structs to tables and runs a unit of work over them:
// an identity map, change tracking, and a flush that writes what changed in
// dependency order, batched.
//
// # Mapping
//
// A model is a plain struct. [Register] reflects on it once, builds its
// [schema.Table] (shared with migrations through [Registry.MetaData]) and
// caches a [Mapper]: field offsets, the primary key, the version column, the
// client defaults and onupdate rules. Struct tags say what a column is:
//
//	type User struct {
//		ID        int64     `db:"id,pk"`                      // single integer pk: autoincrement
//		Email     string    `db:"email,size:200,unique"`      // varchar(200), uq_user_email
//		Name      *string   `db:"name"`                       // pointer: nullable
//		Active    bool      `db:"active,default:true"`        // server default
//		TeamID    int64     `db:"team_id,fk:team.id,ondelete:cascade"`
//		UpdatedAt time.Time `db:"updated_at,server_onupdate"` // re-read after UPDATE
//		Version   int32     `db:"version,version"`            // optimistic concurrency
//	}
//
// Options to [Register] (each a [ModelOption]) cover what tags express
// badly: [TableName], [Default] and [OnUpdate] (Go functions), composite
// [Unique], [Index], [ForeignKey] and [Check]. A field named ID is the
// primary key when no field is tagged pk. Columns are NOT NULL unless the
// Go type can hold NULL (pointers, sql.Null types, byte slices,
// json.RawMessage) or the tag says null. Types come from the Go type
// (int64 -> bigint, string -> text, time.Time -> timestamptz, [16]byte ->
// uuid, ...) unless type: or size: says otherwise. An invalid model fails at registration with a
// [*ModelError] naming the struct and the field.
//
// Documents and arrays: a map field is a JSON column (jsonb on PostgreSQL,
// JSON on MariaDB, TEXT on SQLite), and so is any struct or slice declared
// type:json; Strata marshals it with encoding/json, scans it into a fresh
// value, and tracks it by value, so an in-place change to a map or slice is
// a change the next flush writes. A slice of strings, int64, int32,
// float64, bools or 16-byte UUIDs is an array column (text[], bigint[] ...
// on PostgreSQL; a JSON array on MariaDB and SQLite, queried with the same
// expr.ArrayHas, ArrayOverlaps and ArrayContainsAll). Nil is NULL in both
// (a NOT NULL array binds nil as empty). A field whose Go type no database
// could bind or scan (a map declared text, a struct without type:json, a
// channel inside a document) fails at registration.
//
// The [Registry] is safe for concurrent use.
//
// # Sessions
//
// A [Factory] (SQLAlchemy's sessionmaker) is shared; a [Session] is a unit
// of work for one goroutine, opened per request or job:
//
//	s := factory.New()
//	defer s.Close(ctx)
//	n := &Note{Title: "hello"}
//	if err := s.Add(n); err != nil { // pending
//		return err
//	}
//	err := s.Commit(ctx)           // INSERT ... RETURNING: n.ID and server defaults filled
//	same, _ := orm.Get[Note](ctx, s, n.ID) // same == n: the identity map
//	n.Pinned = false               // zero values are values
//	err = s.Commit(ctx)            // UPDATE only pinned (and the version)
//
// # Writing: Factory.Transact
//
// [Factory.Transact] is the way to write. It runs a function in a fresh
// session inside one transaction and commits it; when the transaction
// fails on a conflict (a serialization failure, a deadlock, a lock wait
// timeout, SQLite busy) it runs the whole function again in a new session,
// after a jittered, growing pause, within the attempts and time budget of
// the DB's [engine.RetryPolicy] (the same policy, and the same loop, as
// engine.DB.RunInTx; [WithRetryPolicy] gives a factory its own):
//
//	err := factory.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
//		n, err := orm.Get[Note](ctx, s, id)
//		if err != nil {
//			return err
//		}
//		n.Stars++
//		return nil // committed by Transact; an error rolls back
//	})
//
// The function must be safe to run again and must not keep objects from
// a failed attempt. Conflicts are ordinary under concurrency: with plain
// Begin and Commit, a share of concurrent writers fail with a deadlock on
// MariaDB, a serialization failure on PostgreSQL (SERIALIZABLE or
// REPEATABLE READ) or busy on SQLite. Outside Transact such a failure of
// [Session.Commit] or [Session.Flush] is a [*ConflictError] (matching
// [ErrConflict]) whose message says to use Transact; the cause stays in
// its chain (sqlerr.IsRetryable, *sqlerr.RetryableError). Sessions that
// only read need no Transact: [Factory.New] reads outside any
// transaction, and [Factory.NewReadOnly] in a read-only one.
//
// Add fails on a misuse (not a pointer to a registered struct, a closed
// session, a second goroutine) and on a graph the cascades cannot take (an
// object another session holds, a second holder of a single_parent
// target): check its error as any other.
//
// An UPDATE or DELETE that matches no row, or whose version moved, fails
// with a [*StaleDataError]; it never becomes an INSERT. A flush that fails
// part-way is rolled back to a savepoint and every object is restored, so
// the session stays usable. A column with a server default (or an
// autoincrement key) is left out of the INSERT while its field holds the Go
// zero value and is read back; use a pointer field to write an explicit
// zero there. Two goroutines using one session get a [*ConcurrentUseError]
// naming both operations.
//
// After Commit every object holds what was written and read back; nothing
// is expired, and nothing is ever loaded behind the caller's back.
//
// # Flush
//
// A flush writes inserts table by table in foreign-key order (rows of a
// self-referential table parents first), then updates, then deletes in
// reverse order, and batches each: rows of one table leaving out the same
// columns share one multi-row INSERT ... RETURNING (on PostgreSQL one
// INSERT ... SELECT FROM unnest of array parameters, up to 10,000 rows;
// from 5,000 rows a COPY into a temporary staging table, then one INSERT
// ... SELECT ... RETURNING from it, which is faster at that size);
// rows writing the same columns share one keyed multi-row UPDATE; deletes
// go out as DELETE ... WHERE pk IN (...) (= ANY on PostgreSQL), with
// versions matched too. The number of statements does not grow with the
// number of objects beyond the batch size. A flush inside an open
// transaction runs under a savepoint; the flush that opens the transaction
// needs none; and a Commit whose flush is one statement sends it alone, in
// autocommit (one round trip, as atomic as a transaction), unless it is a
// multi-row UPDATE or DELETE that checks the rows it matched. Single-row
// INSERT, UPDATE and SELECT-by-key SQL is rendered once per mapper and
// cached.
//
// The flush decides once, before any SQL, on a plan of typed actions
// (insert these rows, update those, park positions, move keys, delete...).
// [Session.Explain] returns that plan with the statements each action
// would send, without sending them:
//
//	plan, err := s.Explain(ctx)
//	fmt.Print(orm.FormatPlan(plan))
//	// update 2 rows of note set (stars, version)
//	//     WITH "strata_v"(...) AS (VALUES ...) UPDATE "note" SET ... [1 5 2 1 2 7 2 1]
//
// A failed flush writes nothing and leaves the session as it was; a
// [*StaleDataError] names every stale row. Versions start at 1 (or are the
// program's: version:app). A changed primary key updates its row in place
// and moves the rows referencing it; deleting an object and adding one
// with the same key updates the row ("row switch"). [IdempotentDeletes]
// makes deleting a row already gone succeed.
//
// Server-generated values come back in the statement that writes them
// where the database allows (INSERT ... RETURNING on all three; UPDATE ...
// RETURNING on PostgreSQL, whose BEFORE triggers it sees), and by one
// SELECT per table otherwise (MariaDB UPDATE; SQLite, whose AFTER triggers
// RETURNING misses).
//
// # Statements
//
// [UpdateByKey] writes one object's row by its primary key without loading
// it, checking and incrementing its version. [UpdateWhere] and
// [DeleteWhere] write rows by condition without loading
// them (SQLAlchemy's update(Model) and delete(Model)); objects of the type
// the session holds are brought up to date, or detached, in the same call.
// They run no ORM cascade. The names keep them apart from [Session.Delete],
// which marks one object. [RawQuery] maps any SQL into structs.
//
// [Query.NoTracking] reads plain copies for endpoints that change nothing:
// no identity map entry, no snapshot, no state per object. [InsertMany]
// loads rows without reading anything back and without tracking the
// objects (COPY on PostgreSQL); a flush itself uses COPY for a batch of
// 32 or more new rows when nothing comes back (keys the program chose, no
// server defaults).
//
// [Session.Exec], [Session.Query] and [Session.QueryRow] run any statement
// of package expr inside the session's transaction, after an autoflush, so
// it commits or rolls back with the unit of work (SQLAlchemy's
// Session.execute); they do not bring held objects up to date.
//
// [Upsert] writes one object as INSERT ... ON CONFLICT (ON DUPLICATE KEY
// UPDATE on MariaDB) on a target named by the program, the primary key or
// a unique key: [OnConflict] with DoUpdate, DoUpdateAll or DoNothing. It
// runs at once in the session's transaction, reads the row's final values
// back into the object, and keeps one object per row in the identity map.
// It is the only way the ORM writes a row that may already exist.
//
// # Relationships
//
// A [Ref] field holds one related object (many-to-one, one-to-one), a
// [List] field many (one-to-many; many-to-many with a secondary table);
// the rel tag carries SQLAlchemy's options (see relation.go: fk, backref,
// cascade, single_parent, passive_deletes, order_by, ordering, secondary,
// post_update). The foreign key is declared on the child's column, so the
// ORM and migrations share it.
//
// A relationship of an object read from the database is not loaded until
// [Load], [Query.With] (select-in: one query per relationship and level)
// or [Query.WithJoined] (a LEFT JOIN for references) loads it; reading or
// replacing it before that is an [ErrNotLoaded] error, never an empty
// value and never a hidden query. A loaded List is in the order its
// order_by declares, and otherwise in the order the database returns the
// rows (no sort is asked for). Once an object is in a session, changing
// one side of a bidirectional relationship changes the other in memory,
// and appending a child to another parent moves it.
//
// At flush: save-update adds the graph; foreign keys are set from the
// parents' keys (generated keys are handed on between the INSERT steps);
// a child removed from a List is deleted (delete-orphan), or its key set
// to NULL, refused before any SQL when the column is NOT NULL, or left
// alone when it moved; deleting a parent cascades to its loaded children
// and, for unloaded ones, reads their keys level by level (one SELECT per
// relationship and level) and deletes them with one DELETE per table, or
// leaves them to the database with passive_deletes. An ordering list keeps
// its position column equal to the index, renumbering in two phases when a
// unique constraint covers the position. post_update breaks row cycles:
// both rows are inserted, then the pointer is set by an UPDATE.
//
// # Hooks
//
// Hooks are middleware: [WithFlushHook] wraps the whole write of a flush
// and sees the [ChangeSet]; [BeforeInsert], [BeforeUpdate] and
// [BeforeDelete] are typed per-model functions. Statements are wrapped one
// layer down, by [github.com/strata-go/strata/engine.WithMiddleware].
//
// # Goroutines
//
// A Session is for one goroutine at a time; every method checks that with
// one atomic operation and a second caller gets a [*ConcurrentUseError]
// naming both operations. Open a session per HTTP request or background
// job from the shared [Factory] (see examples/sessions), and write with
// [Factory.Transact], which retries conflicts.
package orm
