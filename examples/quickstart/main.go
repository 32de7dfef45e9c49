// Command quickstart is Strata in one page, on an embedded SQLite database.
//
// First the foundation: declare a schema, create it in dependency order,
// write and read rows with the expression layer, see typed errors, read the
// schema back, and drop it.
//
// Then the ORM (session.go): two models registered from struct tags, tables
// created from the registry's metadata, and a session adding, loading,
// changing, querying and deleting objects, meeting stale data, rolling back
// to a savepoint, and a Factory.Transact (the way to write: it retries
// conflicts), with every SQL statement it sends printed.
//
// Last, relationships (folders.go): folders holding items in an order of
// their own, Folder -> FolderItem (its position) -> Item, declared with
// orm.List and orm.Ref fields and rel tags, under a UNIQUE(folder_id,
// position) constraint. A whole graph inserted by one Commit, keys flowing
// from parents to children; a relationship that is not loaded refusing to
// be read (orm.ErrNotLoaded) until orm.Load or a query's With loads it,
// one select-in query per level; a reorder that keeps every position equal
// to its index without breaking the constraint (rows parked first); an item
// moved to another folder; and a folder deleted with its links and items.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

func main() {
	dir, err := os.MkdirTemp("", "strata-quickstart")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	if err := run(context.Background(), os.Stdout, filepath.Join(dir, "quickstart.db")); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// Schema declares two tables that reference each other: a team has a lead,
// a user belongs to a team. The cycle is fine: Strata orders the DDL.
func Schema() *schema.MetaData {
	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{
		Name: "teams",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "name", Type: schema.Varchar(80)},
			{Name: "lead_id", Type: schema.BigInt(), Nullable: true},
		},
		PrimaryKey:  &schema.PrimaryKey{Columns: []string{"id"}},
		Uniques:     []*schema.Unique{{Columns: []string{"name"}}},
		ForeignKeys: []*schema.ForeignKey{{Columns: []string{"lead_id"}, RefTable: "users", RefColumns: []string{"id"}, OnDelete: schema.SetNull}},
	}, &schema.Table{
		Name: "users",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "team_id", Type: schema.BigInt()},
			{Name: "email", Type: schema.Varchar(200)},
			{Name: "active", Type: schema.Boolean(), Default: schema.DefaultBoolean(true)},
			{Name: "created_at", Type: schema.TimestampTZ(), Default: schema.DefaultNow()},
		},
		PrimaryKey:  &schema.PrimaryKey{Columns: []string{"id"}},
		Uniques:     []*schema.Unique{{Columns: []string{"email"}}},
		ForeignKeys: []*schema.ForeignKey{{Columns: []string{"team_id"}, RefTable: "teams", RefColumns: []string{"id"}, OnDelete: schema.Cascade}},
		Indexes:     []*schema.Index{{Columns: []string{"team_id", "active"}}},
	})
	return md
}

// run is the foundation tour followed by the session tour and the
// relationships tour, on the same database file.
func run(ctx context.Context, w io.Writer, path string) error {
	if err := foundation(ctx, w, path); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n== the ORM: a session at work, with the SQL it sends ==")
	if err := sessionTour(ctx, w, path); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n== relationships: folders of ordered items, with the SQL they send ==")
	return folderTour(ctx, w, path)
}

func foundation(ctx context.Context, w io.Writer, path string) error {
	db, err := engine.Open(ctx, sqlitedialect.New(), "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()

	md := Schema()
	stmts, err := dialect.CreateAllSQL(db.Dialect(), md)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "creating %d tables with %d statements\n", len(md.Tables()), len(stmts))
	if err := engine.CreateAll(ctx, db, md); err != nil {
		return err
	}

	teams, users := expr.T("teams"), expr.T("users")
	var teamID int64
	if err := engine.QueryRowStmt(ctx, db, expr.Insert(teams).Columns("name").Values("core").Returning(teams.C("id"))).Scan(&teamID); err != nil {
		return err
	}
	ins := expr.Insert(users).Columns("team_id", "email")
	for _, e := range []string{"ann@example.com", "bob@example.com", "cy@example.com"} {
		ins.Values(teamID, e)
	}
	if _, err := engine.ExecStmt(ctx, db, ins); err != nil {
		return err
	}
	if _, err := engine.ExecStmt(ctx, db, expr.Update(teams).Set("lead_id", expr.Select(expr.Min(users.C("id"))).From(users)).Where(expr.Eq(teams.C("id"), teamID))); err != nil {
		return err
	}

	// A join, with every value bound.
	u, t := users.As("u"), teams.As("t")
	rows, err := engine.QueryStmt(ctx, db, expr.Select(u.C("email"), t.C("name"), expr.As(expr.Eq(t.C("lead_id"), u.C("id")), "is_lead")).
		From(u).Join(t, expr.Eq(t.C("id"), u.C("team_id"))).
		Where(expr.In(u.C("email"), []string{"ann@example.com", "cy@example.com"})).
		OrderBy(expr.Asc(u.C("email"))))
	if err != nil {
		return err
	}
	for rows.Next() {
		var email, team string
		var lead bool
		if err := rows.Scan(&email, &team, &lead); err != nil {
			rows.Close()
			return err
		}
		fmt.Fprintf(w, "%s in %s (lead: %v)\n", email, team, lead)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()

	// Typed errors: the violated constraint is named.
	_, err = engine.ExecStmt(ctx, db, expr.Insert(users).Columns("team_id", "email").Values(teamID, "ann@example.com"))
	var ie *sqlerr.IntegrityError
	if errors.As(err, &ie) {
		fmt.Fprintf(w, "duplicate email: %s constraint %s\n", ie.Kind, ie.Constraint)
	}
	var id int64
	err = engine.QueryRowStmt(ctx, db, expr.Select(users.C("id")).From(users).Where(expr.Eq(users.C("email"), "nobody@example.com"))).Scan(&id)
	fmt.Fprintf(w, "missing user: not found = %v\n", errors.Is(err, sqlerr.ErrNotFound))

	// Deleting the team cascades to its users, in the database.
	if _, err := engine.ExecStmt(ctx, db, expr.Delete(teams).Where(expr.Eq(teams.C("id"), teamID))); err != nil {
		return err
	}
	var left int
	if err := engine.QueryRowStmt(ctx, db, expr.Select(expr.CountAll()).From(users)).Scan(&left); err != nil {
		return err
	}
	fmt.Fprintf(w, "users left after deleting the team: %d\n", left)

	// The live schema reads back equal to the declaration.
	live, err := engine.Inspect(ctx, db, dialect.InspectOptions{})
	if err != nil {
		return err
	}
	want := schema.NewMetaData()
	for _, t := range md.Tables() {
		want.MustAdd(db.Dialect().Normalize(t))
	}
	diff, err := migrate.Plan(live, want, migrate.PlanOptions{}) // what it would take to get back to want
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "schema differences after a round trip: %d\n", len(diff))

	if err := engine.DropAll(ctx, db, md); err != nil {
		return err
	}
	fmt.Fprintln(w, "dropped everything")
	return nil
}
