// Package migrate is Strata's schema migration tool: typed operations with
// exact inverses, an autogenerate planner that orders them through the
// constraint-level dependency graph, per-dialect rendering (with SQLite
// table rebuilds), revision files with schema snapshots, a revision graph,
// and a runner with a version table and a lock.
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
// [Plan] compares two schemas (the previous revision's snapshot, or a
// live database read by Inspect, and the models) and returns the ordered
// operations between them; the downgrade is the same planner run the other
// way. [Destructive] says which operations can lose data.
//
// # Rendering
//
// [Render] turns operations into [Step]s for one dialect: SQL statements,
// Go steps, and table rebuilds where the database's ALTER TABLE cannot
// make a change (SQLite).
package migrate
