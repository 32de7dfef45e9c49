// Package migrate is Strata's schema migration tool: typed operations with
// exact inverses, an autogenerate planner that orders them through the
// constraint-level dependency graph, per-dialect rendering (with SQLite
// table rebuilds), revision files checked against schema snapshots, a
// revision graph, and a runner with a version table and a lock.
//
// # Operations
//
// An [Op] is one schema change ([CreateTable], [AddColumn],
// [AlterForeignKeyActions], [RawSQL], [GoStep], ...). Operations that
// remove something carry its whole definition, so every schema operation
// has an exact [Op.Inverse], and constraint names are always known.
// [Op.Apply] makes the change on a [schema.MetaData]; [ApplyAll] applies a
// list.
//
// # Planning
//
// [Plan] is Strata's one schema differ: it compares two schemas (the
// previous revision's snapshot, or a live database read by Inspect, and
// the models) and returns the ordered operations between them; the
// downgrade is the same planner run the other way, and drift
// ([Migrator.Check]) and revision verification ([Graph.Verify]) are its
// operations too. Given a dialect ([PlanOptions.Dialect],
// [AutogenerateFor]) it leaves out what that database cannot tell apart
// as [Note]s. [Destructive] says which operations can lose data;
// [LockImpact] which hold long locks on PostgreSQL.
//
// # Revision files
//
// A [Revision] file holds its operations and the SHA-256 of the schema
// after it; [NewGraph] rebuilds each snapshot by replaying the revisions
// and checks it against that digest.
//
// # Rendering
//
// [Render] turns operations into [Step]s for one dialect: SQL statements,
// Go steps, and table rebuilds where the database's ALTER TABLE cannot
// make a change (SQLite).
//
// # Steps outside the transaction
//
// An index created or dropped with Concurrently ([CreateIndex],
// [DropIndex]; [ConcurrentIndexes] marks a plan's, `strata revision
// --concurrently` a revision's) is built without blocking writes: on
// PostgreSQL CREATE INDEX CONCURRENTLY, a [Step] with NoTx that the
// runner runs between the revision's transactions, on the connection that
// holds the migration lock (a session lock, which no transaction holds,
// so the build has nothing of the runner's to wait for). Such a revision
// records its progress in the version table after every transaction and
// every such step, and a failed run resumes where it stopped, first
// dropping the INVALID index a failed build leaves. MariaDB builds the
// index online (ALGORITHM=INPLACE LOCK=NONE); SQLite runs a plain CREATE
// INDEX.
//
// # PostgreSQL schemas
//
// Tables in named schemas ([schema.Table.Schema]) are known by their key
// ("sch.t") in operations and revision files, created and dropped in
// (schema, table) order where nothing else decides, and read back from
// the schemas the revisions use ([Migrator.InspectOptions], [WithSchemas]).
// The schemas themselves are created outside Strata. MariaDB and SQLite
// refuse such tables ([AutogenerateFor] returns an error matching
// sqlerr.ErrUnsupported).
package migrate
