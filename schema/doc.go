// Package schema is Strata's schema metadata, shared by the ORM and the
// migration tool: tables, columns and their portable types, primary keys,
// foreign keys with referential actions, unique constraints, indexes, checks,
// server defaults and comments, and the dependency graph between them.
//
// It is the bottom layer: it does no I/O and imports nothing of Strata.
//
// # Declaring tables
//
// Tables are plain struct literals added to a [MetaData], which validates
// each one (a [*ValidationError] names the table and the column or
// constraint at fault) and names every constraint and index left unnamed with
// its [NamingConvention], so a later migration can always drop it by name:
//
//	md := schema.NewMetaData()
//	err := md.Add(&schema.Table{
//		Name: "users",
//		Columns: []*schema.Column{
//			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
//			{Name: "email", Type: schema.Varchar(200)},
//			{Name: "team_id", Type: schema.BigInt(), Nullable: true},
//		},
//		PrimaryKey:  &schema.PrimaryKey{Columns: []string{"id"}},
//		Uniques:     []*schema.Unique{{Columns: []string{"email"}}},
//		ForeignKeys: []*schema.ForeignKey{{Columns: []string{"team_id"}, RefTable: "teams", RefColumns: []string{"id"}, OnDelete: schema.SetNull}},
//	})
//
// A column is NOT NULL unless it says Nullable: zero values mean what they
// say.
//
// # Schemas (namespaces)
//
// A table's Schema puts it in a named PostgreSQL schema ("" is the
// connection's current one); [Table.Key] ("sch.t", or "t") is how a
// [MetaData] and the migration tool know it, and [ForeignKey.RefSchema]
// names the schema of a referenced table. Index and constraint names must
// be unique per schema. A schema name has no dot.
//
// # Types
//
// [Kind] lists the portable types; each dialect maps them to its own (see
// the dialect packages). Enums are named types on PostgreSQL, inline ENUM on
// MariaDB and a CHECK on SQLite. [Array] is a one-dimensional array of a
// text, bigint, integer, double, boolean or uuid element: a native array
// on PostgreSQL, a JSON array on MariaDB and SQLite ([Type.Elem] reads the
// element type).
//
// # Dependencies
//
// [DependencyGraph] links each foreign key to the exact primary key or
// unique constraint it references. [PlanCreate] orders tables for creation
// (ties broken by name, so the order is deterministic), finds cycles, and
// defers only the foreign keys on a cycle to ALTER statements. [Graph] is
// the general tool, which the migration planner uses over its operations.
//
// # Comparing
//
// Schemas are compared by the one differ, migrate.Plan, which returns the
// typed operations that turn one schema into another (none when they
// match); with a dialect's Normalize it tells whether an introspected
// database matches a declaration. [NormalizeExpr] is the comparison key it
// uses for check expressions and index predicates, which databases
// rewrite.
package schema
