// Package cli is the strata command line: revisions, autogenerate,
// upgrade and downgrade, offline SQL, drift and round-trip checks. It is a
// package so that it can be tested in process as a function of its
// arguments and writers ([Run]) and embedded in an application's own
// binary, which can hand it the models (for revision --autogenerate) and
// the Go data migrations its revisions name ([Config]).
//
// # Commands
//
//	strata init                                    create the revision directory
//	strata revision -m MSG [--autogenerate [--from-db]] write a new revision after the head (for the database
//	                                               --dialect or --db names, if any: changes it cannot tell
//	                                               apart become notes, not operations)
//	                [--head REV] [--depends-on REV]  (or start a branch after REV)
//	strata upgrade [TARGET] [--sql [FROM:]TO]      apply revisions (default head; +N for the next N)
//	strata downgrade TARGET [--sql FROM:TO]        undo revisions (base, a revision, or -- -N for the last N)
//	strata current | history | heads               show the state
//	strata merge -m MSG [REV...]                   join heads (default: all heads)
//	strata stamp TARGET                            record TARGET as applied, run nothing
//	strata check [--roundtrip [--seed]]            drift: database vs snapshot (and models vs head); lock lint
//	strata sql [--downgrade] [FROM:]TO             print the SQL without a database
//	strata hash                                    rewrite strata.sum after a reviewed edit
//	strata models [--package P] [-o FILE]          Go models (structs with Strata tags) for the database's tables
//
// Global flags: --dir (default "migrations"), --db (default $STRATA_DB), a
// DSN: postgres://... for PostgreSQL, file:... or a path ending in .db for
// SQLite, user@tcp(host)/db for MariaDB; --dialect to say which when the
// DSN does not; --models FILE, a schema in the snapshot format
// (migrate.MarshalSnapshot), for autogenerate from the standalone binary.
//
// # Exit codes
//
// 0 success; 1 failure (including drift found by check); 2 bad usage.
package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/modelgen"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// Config is what an embedding application gives the command line.
type Config struct {
	// Models returns the application's schema for revision --autogenerate
	// and check. When nil, --models FILE is read instead.
	Models func() (*schema.MetaData, error)
	// Funcs are the Go data migrations revisions may name.
	Funcs migrate.Funcs
	// Getenv reads the environment (STRATA_DB); nil reads nothing.
	Getenv func(string) string
	// NewID returns a new revision id; nil gives 12 random hex digits.
	NewID func() string
}

type usageError struct{ error }

// Run runs the command line with args (without the program name) and
// returns the exit code. Output goes to stdout and stderr only.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, cfg Config) int {
	root := NewCommand(cfg)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "strata:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

type app struct {
	cfg                       Config
	dir, dsn, dialect, models string
	schemas                   []string
}

// NewCommand builds the root command and its subcommands.
func NewCommand(cfg Config) *cobra.Command {
	a := &app{cfg: cfg}
	root := &cobra.Command{
		Use:           "strata",
		Short:         "Schema migrations for PostgreSQL, MariaDB and SQLite",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.dir, "dir", "migrations", "revision directory")
	pf.StringVar(&a.dsn, "db", "", "database DSN (default $STRATA_DB)")
	pf.StringVar(&a.dialect, "dialect", "", "postgres, mysql or sqlite (default: from the DSN)")
	pf.StringVar(&a.models, "models", "", "schema file (snapshot format) for autogenerate and check")
	pf.StringSliceVar(&a.schemas, "schema", nil, "named schemas to read besides the current one (PostgreSQL; those the revisions use are read anyway)")
	root.AddCommand(a.initCmd(), a.revisionCmd(), a.upgradeCmd(), a.downgradeCmd(), a.currentCmd(), a.historyCmd(),
		a.headsCmd(), a.mergeCmd(), a.stampCmd(), a.checkCmd(), a.sqlCmd(), a.hashCmd(), a.modelsCmd(), a.unlockCmd())
	return root
}

func args(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) > n {
			return usageError{fmt.Errorf("%s takes at most %d argument(s), got %d", cmd.Name(), n, len(a))}
		}
		return nil
	}
}

func (a *app) graph() (*migrate.Graph, error) {
	d, err := migrate.OpenDir(os.DirFS(a.dir))
	if err != nil {
		return nil, err
	}
	return migrate.NewGraph(d.Revisions())
}

func (a *app) getenv(k string) string {
	if a.cfg.Getenv == nil {
		return ""
	}
	return a.cfg.Getenv(k)
}

func (a *app) dialectFor(dsn string) (dialect.Dialect, error) {
	name := a.dialect
	if name == "" {
		switch {
		case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
			name = "postgres"
		case strings.HasPrefix(dsn, "file:"), strings.HasSuffix(dsn, ".db"), strings.HasSuffix(dsn, ".sqlite"):
			name = "sqlite"
		case strings.Contains(dsn, "@tcp(") || strings.Contains(dsn, "@unix("):
			name = "mysql"
		default:
			return nil, usageError{fmt.Errorf("cannot tell the database from the DSN; pass --dialect")}
		}
	}
	switch name {
	case "postgres":
		return pgdialect.New(), nil
	case "mysql", "mariadb":
		return mysqldialect.New(), nil
	case "sqlite":
		return sqlitedialect.New(), nil
	}
	return nil, usageError{fmt.Errorf("unknown dialect %q (postgres, mysql or sqlite)", name)}
}

func (a *app) open(ctx context.Context) (*engine.DB, error) {
	dsn := a.dsn
	if dsn == "" {
		dsn = a.getenv("STRATA_DB")
	}
	if dsn == "" {
		return nil, usageError{errors.New("no database: pass --db or set STRATA_DB")}
	}
	d, err := a.dialectFor(dsn)
	if err != nil {
		return nil, err
	}
	if d.Name() == "sqlite" && !strings.HasPrefix(dsn, "file:") {
		dsn = "file:" + dsn
	}
	return engine.Open(ctx, d, dsn)
}

func (a *app) migrator(ctx context.Context, cmd *cobra.Command) (*migrate.Migrator, func(), error) {
	g, err := a.graph()
	if err != nil {
		return nil, nil, err
	}
	db, err := a.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := cmd.OutOrStdout()
	var opts []migrate.Option
	if a.cfg.Funcs != nil {
		opts = append(opts, migrate.WithFuncs(a.cfg.Funcs))
	}
	if len(a.schemas) > 0 {
		opts = append(opts, migrate.WithSchemas(a.schemas...))
	}
	m, err := migrate.New(db, g, append(opts, migrate.WithProgress(func(e migrate.Event) {
		switch e.Kind {
		case migrate.RevisionStart:
			fmt.Fprintf(out, "Running %s %s (%d steps): %s\n", e.Direction, e.Revision.ID, e.Total, e.Revision.Message)
		case migrate.RevisionFailed:
			fmt.Fprintf(out, "Failed %s %s\n", e.Direction, e.Revision.ID)
		}
	}))...)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return m, func() { db.Close() }, nil
}

func (a *app) loadModels() (*schema.MetaData, error) {
	if a.cfg.Models != nil {
		return a.cfg.Models()
	}
	if a.models == "" {
		return nil, usageError{errors.New("no models: pass --models FILE (a schema in the snapshot format), or embed this command line with cli.Config.Models")}
	}
	data, err := os.ReadFile(a.models)
	if err != nil {
		return nil, err
	}
	return migrate.UnmarshalSnapshot(data)
}

func (a *app) newID() string {
	if a.cfg.NewID != nil {
		return a.cfg.NewID()
	}
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (a *app) initCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the revision directory",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(a.dir, 0o755); err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(a.dir, migrate.SumFile)); err == nil {
				return fmt.Errorf("%s is already initialized", a.dir)
			}
			if err := migrate.WriteSum(a.dir); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created %s\n", a.dir)
			return nil
		},
	}
}

func (a *app) revisionCmd() *cobra.Command {
	var msg, id, head string
	var auto, fromDB, concurrently bool
	var dependsOn []string
	c := &cobra.Command{
		Use:   "revision",
		Short: "Write a new revision after the head",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if concurrently && !auto {
				return usageError{errors.New("--concurrently needs --autogenerate")}
			}
			g, err := a.graph()
			if err != nil {
				return err
			}
			prev, heads, err := g.HeadSchema()
			if head != "" {
				// start a branch after the given revision (or a new base)
				if heads, err = g.Resolve(head); err == nil {
					prev, err = g.SchemaBefore(&migrate.Revision{Parents: heads})
				}
			}
			if err != nil {
				return err
			}
			for i, dep := range dependsOn {
				ids, err := g.Resolve(dep)
				if err != nil || len(ids) != 1 {
					return usageError{fmt.Errorf("--depends-on %s: must name one revision (%v)", dep, err)}
				}
				dependsOn[i] = ids[0]
			}
			if fromDB {
				switch {
				case !auto:
					return usageError{errors.New("--from-db needs --autogenerate")}
				case head != "":
					return usageError{errors.New("--from-db compares with the database, which is at its own revisions: no --head")}
				}
				if prev, heads, err = a.fromDatabase(cmd, g, prev, heads); err != nil {
					return err
				}
			}
			if id == "" {
				id = a.newID()
			}
			r := &migrate.Revision{ID: id, Parents: heads, DependsOn: dependsOn, Message: msg, Snapshot: prev}
			if auto {
				models, err := a.loadModels()
				if err != nil {
					return err
				}
				d, err := a.targetDialect()
				if err != nil {
					return err
				}

				if r, err = migrate.AutogenerateFor(d, prev, models, id, msg, heads); err != nil {
					return err
				}
				if concurrently {
					r.Upgrade = migrate.ConcurrentIndexes(r.Upgrade)
					r.Downgrade = migrate.ConcurrentIndexes(r.Downgrade)
					if r.LockImpact, err = migrate.LockImpacts(d, prev, r.Upgrade); err != nil {
						return err
					}
				}
				r.DependsOn = dependsOn
				if len(r.Upgrade) == 0 {
					printNotes(cmd.OutOrStdout(), r.Notes)
					fmt.Fprintln(cmd.OutOrStdout(), "No changes detected; no revision written.")
					return nil
				}
			}
			path, err := migrate.WriteRevision(a.dir, r)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Generated %s\n", path)
			for _, op := range r.Upgrade {
				fmt.Fprintf(out, "  %s\n", op)
			}
			printNotes(out, r.Notes)
			if auto {
				d, err := a.targetDialect()
				if err != nil {
					return err
				}
				up, err := migrate.KeptIndexes(d, prev, r.Upgrade)
				if err != nil {
					return err
				}
				down, err := migrate.KeptIndexes(d, r.Snapshot, r.Downgrade)
				if err != nil {
					return err
				}
				for _, x := range up {
					fmt.Fprintf(out, "  kept index: %s\n", x)
				}
				for _, x := range down {
					fmt.Fprintf(out, "  kept index (downgrade): %s\n", x)
				}
			}
			for _, x := range r.Irreversible() {
				fmt.Fprintf(out, "  downgrade: %s\n", x)
			}
			if d := r.Destructive(); len(d) > 0 {
				fmt.Fprintf(out, "Destructive operations; review them and set \"acknowledged\": true in the file, then run strata hash:\n")
				for _, x := range d {
					fmt.Fprintf(out, "  ! %s\n", x)
				}
			}
			if len(r.LockImpact) > 0 {
				fmt.Fprintf(out, "Lock impact; review it and set \"acknowledged\": true in the file, then run strata hash:\n")
				for _, x := range r.LockImpact {
					fmt.Fprintf(out, "  ! lock: %s\n", x)
				}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&msg, "message", "m", "", "what the revision does")
	c.Flags().StringVar(&id, "rev-id", "", "revision id (default: random)")
	c.Flags().BoolVar(&auto, "autogenerate", false, "compare the models with the head's snapshot")
	c.Flags().BoolVar(&concurrently, "concurrently", false, "with --autogenerate: build and drop indexes of existing tables without blocking writes (PostgreSQL: CREATE INDEX CONCURRENTLY, outside the revision's transaction)")
	c.Flags().BoolVar(&fromDB, "from-db", false, "with --autogenerate: compare the models with the database (--db), adopting it first if it has no revisions")
	c.Flags().StringVar(&head, "head", "", "parent revision (default: the single head; base starts a new root)")
	c.Flags().StringSliceVar(&dependsOn, "depends-on", nil, "revisions (of other branches) to apply before this one")
	return c
}

// fromDatabase is revision --autogenerate --from-db: it returns the
// schema and parents the new revision follows, taken from the database.
//
// A database with no revisions applied, in a directory with none, is
// adopted: its schema, as Inspect reads it, becomes a baseline revision
// (creating those tables from nothing, so that a new database can be
// built from the directory alone), recorded as applied in that database
// without running it (stamp); the new revision follows the baseline. A
// database at revisions must be at the heads with no drift: the live
// schema and the head snapshot then agree, and the new revision follows
// the heads. Anything else is refused, as a revision planned from a
// database that matches no revision could not be verified.
func (a *app) fromDatabase(cmd *cobra.Command, g *migrate.Graph, prev *schema.MetaData, heads []string) (*schema.MetaData, []string, error) {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	m, done, err := a.migrator(ctx, cmd)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	cur, err := m.Current(ctx)
	if err != nil {
		return nil, nil, err
	}
	if g.Len() > 0 {
		slices.Sort(cur)
		if !slices.Equal(cur, heads) {
			return nil, nil, fmt.Errorf("--from-db: the database is at %v, the directory's heads are %v: upgrade it first", cur, heads)
		}
		drift, err := m.Check(ctx)
		if err != nil {
			return nil, nil, err
		}
		if len(drift) > 0 {
			return nil, nil, fmt.Errorf("--from-db: the database differs from the head snapshot (see strata check): %d difference(s), first: %s", len(drift), drift[0])
		}
		return prev, heads, nil
	}
	if len(cur) > 0 {
		return nil, nil, fmt.Errorf("--from-db: the database records revisions %v that the directory lacks", cur)
	}
	live, err := m.Inspect(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(live.Tables()) == 0 {
		return prev, heads, nil
	}
	base, err := migrate.Autogenerate(schema.NewMetaData(), live, a.newID(), "baseline: the database as it was adopted", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("--from-db: the database's schema cannot be a baseline: %w", err)
	}
	base.Acknowledged = true // its downgrade drops what was there, its upgrade creates it: nothing to lose by running it
	path, err := migrate.WriteRevision(a.dir, base)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "Generated %s (baseline: %d tables read from the database)\n", path, len(live.Tables()))
	m2, done2, err := a.migrator(ctx, cmd) // over the directory with the baseline
	if err != nil {
		return nil, nil, err
	}
	defer done2()
	if err := m2.Stamp(ctx, base.ID); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "Stamped %s as applied (the database has that schema already)\n", base.ID)
	return base.Snapshot, []string{base.ID}, nil
}

// lintPending prints the lock impact of the revisions not in applied on
// the database --dialect or --db names (nothing for a database without
// the lint): information for review, not a failure of check.
func (a *app) lintPending(out io.Writer, g *migrate.Graph, applied map[string]bool) error {
	d, err := a.targetDialect()
	if err != nil || d == nil {
		return err
	}
	for _, r := range g.Ordered() {
		if applied[r.ID] {
			continue
		}
		before, err := g.SchemaBefore(r)
		if err != nil {
			return err
		}
		lint, err := migrate.LockImpacts(d, before, r.Upgrade)
		if err != nil {
			return err
		}
		for _, l := range lint {
			ack := ""
			if r.Acknowledged {
				ack = " (acknowledged)"
			}
			fmt.Fprintf(out, "lock impact of %s%s: %s\n", r.ID, ack, l)
		}
	}
	return nil
}

// targetDialect is the dialect named by --dialect or the DSN (--db or
// $STRATA_DB), or nil when neither says: autogenerate then plans for no
// database in particular.
func (a *app) targetDialect() (dialect.Dialect, error) {
	dsn := a.dsn
	if dsn == "" {
		dsn = a.getenv("STRATA_DB")
	}
	if a.dialect == "" && dsn == "" {
		return nil, nil
	}
	return a.dialectFor(dsn)
}

func printNotes(out io.Writer, notes []migrate.Note) {
	for _, n := range notes {
		fmt.Fprintf(out, "  note: %s\n", n)
	}
}

// splitRange reads "FROM:TO" (or "TO", from base).
func splitRange(s string) (string, string) {
	if from, to, ok := strings.Cut(s, ":"); ok {
		return from, to
	}
	return "base", s
}

func (a *app) offline(cmd *cobra.Command, dir migrate.Direction, rng string) error {
	g, err := a.graph()
	if err != nil {
		return err
	}
	dsn := a.dsn
	if dsn == "" {
		dsn = a.getenv("STRATA_DB")
	}
	d, err := a.dialectFor(dsn)
	if err != nil {
		return err
	}
	from, to := splitRange(rng)
	if dir == migrate.Down && !strings.Contains(rng, ":") {
		return usageError{errors.New("offline downgrade needs FROM:TO")}
	}
	return migrate.WriteSQL(cmd.OutOrStdout(), d, g, dir, from, to)
}

func (a *app) upgradeCmd() *cobra.Command {
	var sqlOnly bool
	c := &cobra.Command{
		Use:   "upgrade [TARGET]",
		Short: "Apply revisions up to TARGET (default head)",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, as []string) error {
			target := "head"
			if len(as) == 1 {
				target = as[0]
			}
			if sqlOnly {
				return a.offline(cmd, migrate.Up, target)
			}
			m, done, err := a.migrator(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			defer done()
			_, err = m.Upgrade(cmd.Context(), target)
			return err
		},
	}
	c.Flags().BoolVar(&sqlOnly, "sql", false, "print the SQL ([FROM:]TO) instead of running it")
	return c
}

func (a *app) downgradeCmd() *cobra.Command {
	var sqlOnly bool
	c := &cobra.Command{
		Use:   "downgrade TARGET",
		Short: "Undo revisions down to TARGET (base, a revision, or -- -N for the last N)",
		Args: func(cmd *cobra.Command, as []string) error {
			if len(as) != 1 {
				return usageError{errors.New("downgrade needs a target (base, a revision, or -- -N for the last N)")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, as []string) error {
			if sqlOnly {
				return a.offline(cmd, migrate.Down, as[0])
			}
			m, done, err := a.migrator(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			defer done()
			_, err = m.Downgrade(cmd.Context(), as[0])
			return err
		},
	}
	c.Flags().BoolVar(&sqlOnly, "sql", false, "print the SQL (FROM:TO) instead of running it")
	return c
}

func (a *app) unlockCmd() *cobra.Command {
	var dryRun bool
	c := &cobra.Command{
		Use:   "unlock",
		Short: "Break the migration lock left by a runner that is gone, showing who held it and since when",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, done, err := a.migrator(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			defer done()
			out := cmd.OutOrStdout()
			if dryRun {
				info, err := m.LockHolder(cmd.Context())
				if err != nil {
					return err
				}
				if info == nil {
					fmt.Fprintln(out, "The migration lock row is not held.")
					return nil
				}
				fmt.Fprintf(out, "Held by %s\n", info)
				return nil
			}
			info, err := m.Unlock(cmd.Context())
			if errors.Is(err, migrate.ErrNotLocked) {
				fmt.Fprintln(out, "The migration lock is not held (session locks of PostgreSQL and MariaDB end with their session).")
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "Broke the lock held by %s\n", info)
			return nil
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "only show who holds the lock")
	return c
}

func (a *app) currentCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "current",
		Short: "Show the revisions the database is at",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, done, err := a.migrator(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			defer done()
			cur, err := m.Current(cmd.Context())
			if err != nil {
				return err
			}
			if len(cur) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "(base)")
			}
			for _, id := range cur {
				r := m.Graph().Revision(id)
				msg := ""
				if r != nil {
					msg = r.Message
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", id, msg)
			}
			return nil
		},
	}
}

func (a *app) historyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "history",
		Short: "List the revisions, newest first",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, err := a.graph()
			if err != nil {
				return err
			}
			for _, l := range g.History() {
				fmt.Fprintln(cmd.OutOrStdout(), l)
			}
			return nil
		},
	}
}

func (a *app) headsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "heads",
		Short: "List the head revisions",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, err := a.graph()
			if err != nil {
				return err
			}
			for _, id := range g.Heads() {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", id, g.Revision(id).Message)
			}
			return nil
		},
	}
}

func (a *app) mergeCmd() *cobra.Command {
	var msg, id string
	c := &cobra.Command{
		Use:   "merge [REV...]",
		Short: "Write a revision joining heads (default: all heads)",
		RunE: func(cmd *cobra.Command, revs []string) error {
			g, err := a.graph()
			if err != nil {
				return err
			}
			if len(revs) == 0 {
				revs = g.Heads()
			}
			var ids []string
			for _, r := range revs {
				got, err := g.Resolve(r)
				if err != nil {
					return err
				}
				ids = append(ids, got...)
			}
			if id == "" {
				id = a.newID()
			}
			r, err := g.Merge(id, msg, ids)
			if err != nil {
				return err
			}
			path, err := migrate.WriteRevision(a.dir, r)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Generated %s\n", path)
			return nil
		},
	}
	c.Flags().StringVarP(&msg, "message", "m", "merge", "what the merge joins")
	c.Flags().StringVar(&id, "rev-id", "", "revision id (default: random)")
	return c
}

func (a *app) stampCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "stamp TARGET",
		Short: "Record TARGET (and what it needs) as applied without running anything",
		Args: func(cmd *cobra.Command, as []string) error {
			if len(as) != 1 {
				return usageError{errors.New("stamp needs a target")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, as []string) error {
			m, done, err := a.migrator(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			defer done()
			return m.Stamp(cmd.Context(), as[0])
		},
	}
}

func (a *app) checkCmd() *cobra.Command {
	var roundtrip, seed bool
	c := &cobra.Command{
		Use:   "check",
		Short: "Check the revisions: database vs snapshot, models vs head, or a round trip",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			g, err := a.graph()
			if err != nil {
				return err
			}
			var problems int
			for _, p := range g.Verify() {
				fmt.Fprintf(out, "revision does not match its snapshot: %s\n", p)
				problems++
			}
			if a.cfg.Models != nil || a.models != "" {
				models, err := a.loadModels()
				if err != nil {
					return err
				}
				head, _, err := g.HeadSchema()
				if err != nil {
					return err
				}
				ops, err := migrate.Plan(head, models, migrate.PlanOptions{Renames: migrate.RenameHints(models)})
				if err != nil {
					return err
				}
				for _, op := range ops {
					fmt.Fprintf(out, "models differ from the head revision: %s\n", op)
					problems++
				}
			}
			applied := map[string]bool{}
			if a.dsn != "" || a.getenv("STRATA_DB") != "" {
				m, done, err := a.migrator(cmd.Context(), cmd)
				if err != nil {
					return err
				}
				defer done()
				if cur, err := m.Current(cmd.Context()); err == nil {
					applied = g.Ancestors(cur...)
				}
				if roundtrip {
					if err := m.RoundTripWith(cmd.Context(), migrate.RoundTripOptions{Seed: seed}); err != nil {
						return err
					}
					if seed {
						fmt.Fprintln(out, "Round trip passed: upgrade head, downgrade base, upgrade head, schema checked at every step, seeded rows kept by every non-destructive step.")
					} else {
						fmt.Fprintln(out, "Round trip passed: upgrade head, downgrade base, upgrade head, schema checked at every step.")
					}
				} else {
					drift, err := m.Check(cmd.Context())
					if err != nil {
						return err
					}
					for _, d := range drift {
						fmt.Fprintf(out, "database differs from the snapshot: %s\n", d)
						problems++
					}
				}
			} else if roundtrip {
				return usageError{errors.New("check --roundtrip needs a scratch database (--db)")}
			}
			if err := a.lintPending(out, g, applied); err != nil {
				return err
			}
			if problems > 0 {
				return fmt.Errorf("check found %d difference(s)", problems)
			}
			fmt.Fprintln(out, "OK")
			return nil
		},
	}
	c.Flags().BoolVar(&roundtrip, "roundtrip", false, "run upgrade head, downgrade base, upgrade head on a scratch database")
	c.Flags().BoolVar(&seed, "seed", false, "with --roundtrip: insert generated rows before every step and check non-destructive steps keep them")
	return c
}

func (a *app) sqlCmd() *cobra.Command {
	var down bool
	c := &cobra.Command{
		Use:   "sql [FROM:]TO",
		Short: "Print the SQL of an upgrade (or --downgrade FROM:TO) without a database",
		Args: func(cmd *cobra.Command, as []string) error {
			if len(as) != 1 {
				return usageError{errors.New("sql needs a range: [FROM:]TO")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, as []string) error {
			dir := migrate.Up
			if down {
				dir = migrate.Down
			}
			return a.offline(cmd, dir, as[0])
		},
	}
	c.Flags().BoolVar(&down, "downgrade", false, "print a downgrade")
	return c
}

func (a *app) hashCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "hash",
		Short: "Rewrite strata.sum from the revision files (after a reviewed edit)",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := migrate.WriteSum(a.dir); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s\n", filepath.Join(a.dir, migrate.SumFile))
			return nil
		},
	}
}

func (a *app) modelsCmd() *cobra.Command {
	var pkg, outFile string
	c := &cobra.Command{
		Use:   "models",
		Short: "Write Go models (structs with Strata tags) for the tables of a database",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			live, err := engine.Inspect(cmd.Context(), db, dialect.InspectOptions{Exclude: []string{migrate.DefaultVersionTable, "strata_lock"}, Schemas: a.schemas})
			if err != nil {
				return err
			}
			src, err := modelgen.Generate(live, pkg)
			if err != nil {
				return err
			}
			if outFile == "" {
				_, err = cmd.OutOrStdout().Write(src)
				return err
			}
			if err := os.WriteFile(outFile, src, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s (%d tables)\n", outFile, len(live.Tables()))
			return nil
		},
	}
	c.Flags().StringVar(&pkg, "package", "models", "package name of the generated file")
	c.Flags().StringVarP(&outFile, "out", "o", "", "file to write (default: standard output)")
	return c
}
