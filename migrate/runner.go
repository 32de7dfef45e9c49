package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
)

// Func is a Go data migration: it runs inside the revision's transaction
// (where the database has transactional DDL) through ex.
type Func func(ctx context.Context, ex engine.Executor) error

// Funcs registers Go data migrations by name; revision files name them in
// "go" operations. Registration is explicit (never by file or caller
// name), so the functions a revision needs are checked before it starts.
type Funcs map[string]Func

// DefaultVersionTable is the table that records applied revisions.
const DefaultVersionTable = "strata_version"

// lockName is the name of the lock upgrades and downgrades hold.
const lockName = "strata_migrate"

// ErrUnacknowledged is returned when a revision's upgrade holds destructive
// operations and the revision file does not say "acknowledged": true.
var ErrUnacknowledged = errors.New("migrate: revision has destructive operations that are not acknowledged")

// ErrMissingFunc is returned when a revision names a Go function that was
// not registered with WithFuncs.
var ErrMissingFunc = errors.New("migrate: Go function not registered")

// PartialError reports a revision that failed part way, and what the run
// did before it.
//
// Step is the 1-based step that failed; Step = Total+1 when every step
// ran and recording the revision failed. On databases with transactional
// DDL the failed revision was rolled back and Done is 0; on MariaDB the
// first Done steps stay applied and are recorded in the version table
// (with the error and the failing statement), and the next run resumes
// after them. Applied lists the revisions this run completed before the
// failure: they stay applied.
//
// When the connection was lost, a step may have taken effect without being
// recorded; the next run checks whether a typed operation's effect is
// present before running it again, and data steps (raw SQL, Go steps) are
// recorded in the same transaction as their effect, so none runs twice.
type PartialError struct {
	Revision  string
	Direction Direction
	Step      int    // the failing step, 1-based
	Done      int    // steps of Revision that stay applied
	Total     int    // steps in the revision
	Statement string // the failing step's SQL (or what the runner was doing)
	Applied   []RevisionResult
	Err       error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("migrate: %s of revision %s failed at step %d of %d (%d applied): %v\n%s", e.Direction, e.Revision, e.Step, e.Total, e.Done, e.Err, e.Statement)
}

// Unwrap returns the cause.
func (e *PartialError) Unwrap() error { return e.Err }

// RevisionResult is what one revision's upgrade or downgrade did.
type RevisionResult struct {
	Revision  string
	Direction Direction
	Total     int  // steps in the revision
	Ran       int  // steps run by this call
	Skipped   int  // steps found already in effect when resuming (a lost connection)
	Resumed   bool // the revision was partly applied before this call
	Duration  time.Duration
}

// Direction is upgrade or downgrade.
type Direction string

// The directions.
const (
	Up   Direction = "upgrade"
	Down Direction = "downgrade"
)

// EventKind says what an [Event] reports.
type EventKind uint8

// The event kinds.
const (
	RevisionStart EventKind = iota + 1
	StepDone
	RevisionDone
	RevisionFailed
)

// Event is a typed progress report of the runner.
type Event struct {
	Kind      EventKind
	Direction Direction
	Revision  *Revision
	Step      int // 1-based, for StepDone
	Total     int
	SQL       string
	Duration  time.Duration
	Err       error // for RevisionFailed
}

// Option configures a [Migrator]; it returns an error for a value that
// cannot work, which [New] returns.
type Option func(*Migrator) error

// ErrInvalidOption is matched by the error [New] returns for an option
// whose value cannot work.
var ErrInvalidOption = errors.New("migrate: invalid option")

func invalidOption(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidOption, fmt.Sprintf(format, args...))
}

// WithFuncs registers the Go data migrations revisions may name.
func WithFuncs(f Funcs) Option {
	return func(m *Migrator) error {
		for name, fn := range f {
			if name == "" || fn == nil {
				return invalidOption("WithFuncs: function %q is empty or nil", name)
			}
		}
		m.funcs = f
		return nil
	}
}

// WithLockWait bounds how long an upgrade waits for another process's
// lock (default 30 s); it must not be negative.
func WithLockWait(d time.Duration) Option {
	return func(m *Migrator) error {
		if d < 0 {
			return invalidOption("WithLockWait(%s): negative", d)
		}
		m.lockWait = d
		return nil
	}
}

// WithProgress receives every Event; it must not be nil.
func WithProgress(f func(Event)) Option {
	return func(m *Migrator) error {
		if f == nil {
			return invalidOption("WithProgress(nil)")
		}
		m.progress = f
		return nil
	}
}

// WithVersionTable names the version table (default strata_version): not
// empty, at most [schema.MaxIdentifierLen] bytes, no NUL byte, no trailing
// space.
func WithVersionTable(name string) Option {
	return func(m *Migrator) error {
		switch {
		case name == "":
			return invalidOption("WithVersionTable(%q): empty name", name)
		case len(name) > schema.MaxIdentifierLen:
			return invalidOption("WithVersionTable(%q): longer than %d bytes", name, schema.MaxIdentifierLen)
		case strings.ContainsRune(name, 0) || strings.TrimRight(name, " ") != name:
			return invalidOption("WithVersionTable(%q): a NUL byte or a trailing space", name)
		}
		m.table = name
		return nil
	}
}

// WithSchemas names schemas (PostgreSQL) the runner reads besides the
// current one and those the revisions' tables live in, which it always
// reads (see [Migrator.InspectOptions]): for adopting a database whose
// tables in named schemas no revision mentions yet. A name must not be
// empty or contain a dot.
func WithSchemas(names ...string) Option {
	return func(m *Migrator) error {
		for _, n := range names {
			if n == "" || strings.Contains(n, ".") {
				return invalidOption("WithSchemas(%q): a schema name is not empty and has no dot", n)
			}
		}
		m.schemas = append(m.schemas, names...)
		return nil
	}
}

// Migrator applies the revisions of a [Graph] to one database.
type Migrator struct {
	db       *engine.DB
	g        *Graph
	funcs    Funcs
	lockWait time.Duration
	progress func(Event)
	table    string
	schemas  []string      // named schemas to inspect besides the revisions' (WithSchemas)
	lockRow  bool          // lock with a row of DefaultLockTable (WithLockRow, or a Galera node)
	lockTTL  time.Duration // the lock row's time to live
}

// New returns a Migrator for db over the revision graph g, or an error
// matching [ErrInvalidOption] naming every option whose value cannot work
// (and an error for a nil db or graph).
func New(db *engine.DB, g *Graph, opts ...Option) (*Migrator, error) {
	if db == nil || g == nil {
		return nil, invalidOption("New needs a database and a revision graph")
	}
	m := &Migrator{db: db, g: g, lockWait: 30 * time.Second, table: DefaultVersionTable, lockTTL: 30 * time.Second}
	var errs []error
	for _, o := range opts {
		if o == nil {
			errs = append(errs, invalidOption("nil Option"))
			continue
		}
		if err := o(m); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// Graph returns the revision graph.
func (m *Migrator) Graph() *Graph { return m.g }

func (m *Migrator) emit(e Event) {
	if m.progress != nil {
		m.progress(e)
	}
}

// versionTable is the version table's definition: one row per applied
// (or partly applied) revision.
func (m *Migrator) versionTable() *schema.Table {
	md := schema.NewMetaData()
	t := &schema.Table{
		Name: m.table,
		Columns: []*schema.Column{
			{Name: "revision", Type: schema.Varchar(64)},
			{Name: "state", Type: schema.Varchar(16)},
			{Name: "done", Type: schema.Integer(), Default: schema.DefaultInt(0)},
			{Name: "total", Type: schema.Integer(), Default: schema.DefaultInt(0)},
			{Name: "error", Type: schema.Text(), Nullable: true},
			{Name: "statement", Type: schema.Text(), Nullable: true},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"revision"}},
	}
	md.MustAdd(t)
	return t
}

// The states of a version row.
const (
	stateApplied     = "applied"
	stateUpgrading   = "upgrading"   // partly applied (MariaDB); done steps recorded
	stateDowngrading = "downgrading" // partly downgraded (MariaDB)
	stateFailed      = "failed"      // rolled back (transactional DDL); error and statement recorded
)

type versionRow struct {
	state       string
	done, total int
}

// InspectOptions are the options that read the user's schema without the
// migration tool's own tables.
//
// Schemas lists the named schemas the revisions' tables live in, so that
// drift checks read them too.
func (m *Migrator) InspectOptions() dialect.InspectOptions {
	seen := map[string]bool{}
	var schemas []string
	for _, s := range m.schemas {
		if !seen[s] {
			seen[s] = true
			schemas = append(schemas, s)
		}
	}
	for _, r := range m.g.Ordered() {
		if r.Snapshot == nil {
			continue
		}
		for _, s := range r.Snapshot.Schemas() {
			if !seen[s] {
				seen[s] = true
				schemas = append(schemas, s)
			}
		}
	}
	slices.Sort(schemas)
	return dialect.InspectOptions{Exclude: []string{m.table, "strata_lock", DefaultLockTable}, Schemas: schemas}
}

type session struct {
	m    *Migrator
	conn *engine.Conn
	lock *rowLock // the lock row, when the runner locks with one
}

// withLock runs fn on one connection holding the migration lock, with the
// version table created if missing. The lock is the dialect's session lock
// ([dialect.Locker]) unless the runner locks with a row: when asked
// ([WithLockRow]) or on a cluster node where session locks are node-local
// ([dialect.Clustered]: MariaDB Galera).
func (m *Migrator) withLock(ctx context.Context, fn func(s *session) error) (err error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	s := &session{m: m, conn: conn}
	useRow := m.lockRow
	if c, ok := m.db.Dialect().(dialect.Clustered); ok {
		node, err := c.ClusterNode(ctx, connQuerier{conn})
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		useRow = useRow || node
	}
	if l, ok := m.db.Dialect().(dialect.Locker); ok && !useRow {
		unlock, err := l.Lock(ctx, connQuerier{conn}, lockName, m.lockWait)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer func() { err = errors.Join(err, unlock(context.WithoutCancel(ctx))) }()
	}
	if useRow {
		l, err := m.takeLockRow(ctx, conn)
		if err != nil {
			return err
		}
		s.lock = l
		defer func() { err = errors.Join(err, l.release(ctx)) }()
	}
	if err := s.ensureTable(ctx); err != nil {
		return err
	}
	return fn(s)
}

func (s *session) ensureTable(ctx context.Context) error {
	live, err := engine.Inspect(ctx, s.conn, dialect.InspectOptions{Tables: []string{s.m.table}})
	if err != nil {
		return fmt.Errorf("migrate: read version table: %w", err)
	}
	if t := live.Table(s.m.table); t != nil {
		// Version tables written before the failing statement was recorded
		// lack the column: add it.
		if t.Column("statement") != nil {
			return nil
		}
		a, ok := s.m.db.Dialect().(dialect.Alterer)
		if !ok {
			return fmt.Errorf("migrate: version table %s lacks column statement and %s cannot add it", s.m.table, s.m.db.Dialect().Name())
		}
		stmts, err := a.AddColumn(t, s.m.versionTable().Column("statement"))
		if err != nil {
			return err
		}
		for _, q := range stmts {
			if _, err := s.conn.Exec(ctx, q); err != nil {
				return fmt.Errorf("migrate: upgrade version table: %w", err)
			}
		}
		return nil
	}
	stmts, err := s.m.db.Dialect().CreateTable(s.m.versionTable(), nil)
	if err != nil {
		return err
	}
	for _, q := range stmts {
		if _, err := s.conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("migrate: create version table: %w", err)
		}
	}
	return nil
}

func (s *session) rows(ctx context.Context) (map[string]versionRow, error) {
	t := expr.T(s.m.table)
	rows, err := engine.QueryStmt(ctx, s.conn, expr.Select(t.C("revision"), t.C("state"), t.C("done"), t.C("total")).From(t))
	if err != nil {
		return nil, fmt.Errorf("migrate: read version table: %w", err)
	}
	defer rows.Close()
	out := map[string]versionRow{}
	for rows.Next() {
		var id string
		var r versionRow
		if err := rows.Scan(&id, &r.state, &r.done, &r.total); err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, rows.Err()
}

// known is rows, failing if the database records a revision the graph
// does not hold (a revision file deleted or from another branch of the
// code): neither direction can know what it did.
func (s *session) known(ctx context.Context) (map[string]versionRow, error) {
	rows, err := s.rows(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range sortedKeys(rows) {
		if s.m.g.Revision(id) == nil {
			return nil, fmt.Errorf("%w: the database records revision %s, which the revision directory does not hold", ErrUnknownRevision, id)
		}
	}
	return rows, nil
}

// Current returns the applied revisions that no other applied revision
// follows (the database's heads), sorted; none for an empty database.
func (m *Migrator) Current(ctx context.Context) ([]string, error) {
	rows, err := m.readRows(ctx)
	if err != nil {
		return nil, err
	}
	return m.appliedHeads(rows), nil
}

// readRows reads the version table without the lock (reads need none): a
// database without the table has nothing applied.
func (m *Migrator) readRows(ctx context.Context) (map[string]versionRow, error) {
	live, err := engine.Inspect(ctx, m.db, dialect.InspectOptions{Tables: []string{m.table}})
	if err != nil {
		return nil, fmt.Errorf("migrate: read version table: %w", err)
	}
	if live.Table(m.table) == nil {
		return map[string]versionRow{}, nil
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return (&session{m: m, conn: conn}).rows(ctx)
}

func (m *Migrator) appliedHeads(rows map[string]versionRow) []string {
	var out []string
	for id, r := range rows {
		if r.state != stateApplied {
			continue
		}
		head := true
		if m.g.Revision(id) != nil {
			for _, c := range m.g.children[id] {
				if rows[c].state == stateApplied {
					head = false
				}
			}
		}
		if head {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Upgrade applies every revision that target needs and the database lacks,
// parents and dependencies first. target is "head", "heads" or a revision
// (see [Graph.Resolve]), or "+N": the next N pending revisions towards the
// heads. It returns what each revision run did; on failure the error is a
// [*PartialError] (when a revision failed) whose Applied holds the same.
func (m *Migrator) Upgrade(ctx context.Context, target string) ([]RevisionResult, error) {
	steps, relative := relativeSteps(target, '+')
	if relative {
		target = "heads"
	}
	ids, err := m.g.Resolve(target)
	if err != nil {
		return nil, err
	}
	need := m.g.Ancestors(ids...)
	var results []RevisionResult
	err = m.withLock(ctx, func(s *session) error {
		rows, err := s.known(ctx)
		if err != nil {
			return err
		}
		// Plan first: every pending revision is checked before any runs.
		var pending []*Revision
		for _, r := range m.g.Ordered() {
			row, have := rows[r.ID]
			if !need[r.ID] || (have && row.state == stateApplied) {
				continue
			}
			if have && row.state == stateDowngrading {
				return fmt.Errorf("migrate: revision %s was partly downgraded (%d of %d steps); finish the downgrade first", r.ID, row.done, row.total)
			}
			if ack := r.NeedsAcknowledgement(); len(ack) > 0 && !r.Acknowledged {
				return fmt.Errorf("%w: %s (%s): %s; review them and set \"acknowledged\": true in the file",
					ErrUnacknowledged, r.ID, r.File, strings.Join(ack, "; "))
			}
			for _, op := range r.Upgrade {
				if gs, ok := op.(GoStep); ok && m.funcs[gs.Func] == nil {
					return fmt.Errorf("%w: revision %s needs %q; register it with migrate.WithFuncs (the standalone CLI cannot run Go steps)", ErrMissingFunc, r.ID, gs.Func)
				}
			}
			pending = append(pending, r)
		}
		if relative && len(pending) > steps {
			pending = pending[:steps] // a prefix of a topological order keeps parents before children
		}
		for _, r := range pending {
			before, err := m.g.SchemaBefore(r)
			if err != nil {
				return err
			}
			row, have := rows[r.ID]
			res, err := s.run(ctx, r, Up, before, r.Upgrade, row, have)
			if err != nil {
				return withApplied(err, results)
			}
			results = append(results, res)
		}
		return nil
	})
	return results, err
}

// withApplied fills a PartialError's Applied.
func withApplied(err error, applied []RevisionResult) error {
	var pe *PartialError
	if errors.As(err, &pe) {
		pe.Applied = slices.Clone(applied)
	}
	return err
}

// Downgrade undoes applied revisions, children first, until the database
// is at target: "base" (nothing applied), a revision (it and what it needs
// stay applied), or "-N" (undo the last N applied revisions). Results and
// errors are as for [Migrator.Upgrade].
func (m *Migrator) Downgrade(ctx context.Context, target string) ([]RevisionResult, error) {
	var results []RevisionResult
	err := m.withLock(ctx, func(s *session) error {
		rows, err := s.known(ctx)
		if err != nil {
			return err
		}
		for id, r := range rows {
			if r.state == stateFailed {
				delete(rows, id) // rolled back: nothing to undo
			}
		}
		keep := map[string]bool{}
		if n, relative := relativeSteps(target, '-'); relative {
			var applied []string
			for _, r := range m.g.Ordered() {
				if _, ok := rows[r.ID]; ok {
					applied = append(applied, r.ID)
				}
			}
			for i, id := range applied {
				keep[id] = i < len(applied)-n
			}
		} else {
			ids, err := m.g.Resolve(target)
			if err != nil {
				return err
			}
			keep = m.g.Ancestors(ids...)
		}
		order := m.g.Ordered()
		for i := len(order) - 1; i >= 0; i-- {
			r := order[i]
			row, have := rows[r.ID]
			if !have || keep[r.ID] {
				continue
			}
			if row.state == stateUpgrading {
				return fmt.Errorf("migrate: revision %s is partly applied (%d of %d steps); finish the upgrade first", r.ID, row.done, row.total)
			}
			res, err := s.run(ctx, r, Down, r.Snapshot, r.Downgrade, row, row.state == stateDowngrading)
			if err != nil {
				return withApplied(err, results)
			}
			results = append(results, res)
		}
		return nil
	})
	return results, err
}

// Stamp records target as applied (and everything it needs), and nothing
// else, without running any operation: for a database created outside the
// migration tool. "base" clears the version table.
func (m *Migrator) Stamp(ctx context.Context, target string) error {
	ids, err := m.g.Resolve(target)
	if err != nil {
		return err
	}
	want := m.g.Ancestors(ids...)
	return m.withLock(ctx, func(s *session) error {
		t := expr.T(m.table)
		return s.inTx(ctx, func(ex engine.Executor) error {
			if _, err := engine.ExecStmt(ctx, ex, expr.Delete(t).All()); err != nil {
				return err
			}
			for _, r := range m.g.Ordered() {
				if want[r.ID] {
					if _, err := engine.ExecStmt(ctx, ex, expr.Insert(t).Columns("revision", "state", "done", "total").Values(r.ID, stateApplied, 0, 0)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
}

func (s *session) inTx(ctx context.Context, fn func(ex engine.Executor) error) error {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback(context.WithoutCancel(ctx)))
	}
	return tx.Commit(ctx)
}

// run applies one revision in one direction.
func (s *session) run(ctx context.Context, r *Revision, dir Direction, before *schema.MetaData, ops []Op, row versionRow, resume bool) (RevisionResult, error) {
	d := s.m.db.Dialect()
	res := RevisionResult{Revision: r.ID, Direction: dir}
	steps, err := Render(d, before, ops)
	if err != nil {
		return res, fmt.Errorf("migrate: revision %s: %w", r.ID, err)
	}
	res.Total = len(steps)
	for _, st := range steps {
		if st.Func != "" && s.m.funcs[st.Func] == nil {
			return res, fmt.Errorf("%w: revision %s needs %q; register it with migrate.WithFuncs (the standalone CLI cannot run Go steps)", ErrMissingFunc, r.ID, st.Func)
		}
	}
	start := time.Now()
	s.m.emit(Event{Kind: RevisionStart, Direction: dir, Revision: r, Total: len(steps)})
	partly := resume && (row.state == stateUpgrading || row.state == stateDowngrading)
	switch {
	case d.Features().Has(dialect.TransactionalDDL) && (partly || slices.ContainsFunc(steps, func(st Step) bool { return st.NoTx })):
		err = s.runSegmented(ctx, r, dir, before, ops, steps, row, resume, &res)
	case d.Features().Has(dialect.TransactionalDDL):
		err = s.runTx(ctx, r, dir, steps, &res)
		if err != nil {
			s.recordFailure(ctx, r, dir, err)
		}
	default:
		err = s.runResumable(ctx, r, dir, before, ops, steps, row, resume, &res)
	}
	res.Duration = time.Since(start)
	if err != nil {
		s.m.emit(Event{Kind: RevisionFailed, Direction: dir, Revision: r, Total: len(steps), Err: err, Duration: res.Duration})
		return res, err
	}
	s.m.emit(Event{Kind: RevisionDone, Direction: dir, Revision: r, Total: len(steps), Duration: res.Duration})
	return res, nil
}

// recordFailure records a rolled-back upgrade as a "failed" row with the
// error and the failing statement (best effort: the connection may be
// gone). A failed downgrade leaves the row applied, as it was.
func (s *session) recordFailure(ctx context.Context, r *Revision, dir Direction, err error) {
	var pe *PartialError
	if dir != Up || !errors.As(err, &pe) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	t := expr.T(s.m.table)
	_ = s.inTx(ctx, func(ex engine.Executor) error {
		if _, err := engine.ExecStmt(ctx, ex, expr.Delete(t).Where(expr.Eq(t.C("revision"), r.ID))); err != nil {
			return err
		}
		_, err := engine.ExecStmt(ctx, ex, expr.Insert(t).Columns("revision", "state", "done", "total", "error", "statement").
			Values(r.ID, stateFailed, 0, pe.Total, pe.Err.Error(), pe.Statement))
		return err
	})
}

// runTx runs a revision in one transaction, with the version table
// updated in the same transaction. Table rebuilds get their statements
// outside the transaction (SQLite's foreign_keys pragma) before and after
// it, and their checks before commit.
func (s *session) runTx(ctx context.Context, r *Revision, dir Direction, steps []Step, res *RevisionResult) (err error) {
	var before, after, checks []string
	for _, st := range steps {
		if rb := st.Rebuild; rb != nil {
			for _, q := range rb.Before {
				if !slices.Contains(before, q) {
					before = append(before, q)
				}
			}
			for _, q := range rb.After {
				if !slices.Contains(after, q) {
					after = append(after, q)
				}
			}
			if rb.Check != "" && !slices.Contains(checks, rb.Check) {
				checks = append(checks, rb.Check)
			}
		}
	}
	partial := func(step int, what string, err error) *PartialError {
		return &PartialError{Revision: r.ID, Direction: dir, Step: step, Total: len(steps), Statement: what, Err: err}
	}
	for _, q := range before {
		if _, err := s.conn.Exec(ctx, q); err != nil {
			return partial(1, q, err)
		}
	}
	defer func() {
		for _, q := range after {
			if _, aerr := s.conn.Exec(context.WithoutCancel(ctx), q); aerr != nil {
				err = errors.Join(err, aerr)
			}
		}
	}()
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return partial(1, "BEGIN", err)
	}
	fail := func(step int, what string, err error) error {
		rerr := tx.Rollback(context.WithoutCancel(ctx))
		if errors.Is(rerr, engine.ErrTxDone) {
			rerr = nil
		}
		return errors.Join(partial(step, what, err), rerr)
	}
	for i, st := range steps {
		t0 := time.Now()
		if err := s.step(ctx, tx, st); err != nil {
			return fail(i+1, st.String(), err)
		}
		s.m.emit(Event{Kind: StepDone, Direction: dir, Revision: r, Step: i + 1, Total: len(steps), SQL: st.String(), Duration: time.Since(t0)})
	}
	for _, q := range checks {
		if err := noRows(ctx, tx, q); err != nil {
			return fail(len(steps)+1, q, err)
		}
	}
	if s.lock != nil {
		if err := s.lock.lost(); err != nil {
			return fail(len(steps)+1, "COMMIT", err)
		}
	}
	t := expr.T(s.m.table)
	// A row left by an earlier failed attempt goes in either direction.
	_, err = engine.ExecStmt(ctx, tx, expr.Delete(t).Where(expr.Eq(t.C("revision"), r.ID)))
	if err == nil && dir == Up {
		_, err = engine.ExecStmt(ctx, tx, expr.Insert(t).Columns("revision", "state", "done", "total").Values(r.ID, stateApplied, len(steps), len(steps)))
	}
	if err != nil {
		return fail(len(steps)+1, "record the revision in "+s.m.table, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return partial(len(steps)+1, "COMMIT", err)
	}
	res.Ran = len(steps)
	return nil
}

// noRows runs q and fails if it returns a row (a foreign key violation
// left by a rebuild, say).
func noRows(ctx context.Context, ex engine.Executor, q string) error {
	rows, err := ex.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		vals := make([]any, len(rows.Columns()))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		_ = rows.Scan(ptrs...)
		return fmt.Errorf("migrate: %s reports a violation: %v", q, vals)
	}
	return rows.Err()
}

// step runs one step through ex, unless the lock row was lost.
func (s *session) step(ctx context.Context, ex engine.Executor, st Step) error {
	if s.lock != nil {
		if err := s.lock.lost(); err != nil {
			return err
		}
	}
	switch {
	case st.Func != "":
		return s.m.funcs[st.Func](ctx, ex)
	case st.Rebuild != nil:
		rb := st.Rebuild
		for _, q := range rb.Copy {
			if _, err := ex.Exec(ctx, q); err != nil {
				return err
			}
		}
		var n, c int64
		if err := engine.QueryRowStmt(ctx, ex, expr.Select(expr.CountAll()).From(expr.T(rb.Table))).Scan(&n); err != nil {
			return err
		}
		if err := engine.QueryRowStmt(ctx, ex, expr.Select(expr.CountAll()).From(expr.T(rb.Temp))).Scan(&c); err != nil {
			return err
		}
		if n != c {
			return fmt.Errorf("migrate: rebuild of %s copied %d of %d rows", rb.Table, c, n)
		}
		for _, q := range rb.Swap {
			if _, err := ex.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := ex.Exec(ctx, st.SQL)
	return err
}

// runResumable runs a revision where DDL is not transactional (MariaDB):
// statement by statement, each in a transaction with the update of the
// version row that records it. For a data step (raw SQL that is not DDL,
// a Go step) the effect and the record commit together, so a lost
// connection leaves both or neither. DDL commits by itself: when a run
// resumes, a typed operation whose effect is already in the database (the
// table, column, index or constraint as planned) is recorded without
// running again; see [session.inEffect].
func (s *session) runResumable(ctx context.Context, r *Revision, dir Direction, before *schema.MetaData, ops []Op, steps []Step, row versionRow, resume bool, res *RevisionResult) error {
	t := expr.T(s.m.table)
	state := stateUpgrading
	if dir == Down {
		state = stateDowngrading
	}
	start := 0
	if resume && row.state == state {
		res.Resumed = true
		start = row.done
		if start > len(steps) {
			return fmt.Errorf("migrate: revision %s: the version table records %d steps done but the revision has %d", r.ID, start, len(steps))
		}
	}
	partial := func(i int, what string, err error) error {
		pe := &PartialError{Revision: r.ID, Direction: dir, Step: i + 1, Done: i, Total: len(steps), Statement: what, Err: err}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, uerr := engine.ExecStmt(rctx, s.conn, expr.Update(t).Set("error", err.Error()).Set("statement", what).Where(expr.Eq(t.C("revision"), r.ID)))
		if uerr != nil {
			// The connection is likely gone; the error is the news.
			return errors.Join(pe, fmt.Errorf("migrate: record the failure: %w", uerr))
		}
		return pe
	}
	var err error
	switch {
	case dir == Up && (!resume || row.state == stateFailed):
		if row.state == stateFailed {
			_, err = engine.ExecStmt(ctx, s.conn, expr.Delete(t).Where(expr.Eq(t.C("revision"), r.ID)))
		}
		if err == nil {
			_, err = engine.ExecStmt(ctx, s.conn, expr.Insert(t).Columns("revision", "state", "done", "total").Values(r.ID, state, 0, len(steps)))
		}
	default:
		_, err = engine.ExecStmt(ctx, s.conn, expr.Update(t).Set("state", state).Set("done", start).Set("total", len(steps)).Where(expr.Eq(t.C("revision"), r.ID)))
	}
	if err != nil {
		return &PartialError{Revision: r.ID, Direction: dir, Step: start + 1, Done: start, Total: len(steps), Statement: "record the revision in " + s.m.table, Err: err}
	}
	for i := start; i < len(steps); i++ {
		st := steps[i]
		if st.Rebuild != nil {
			return fmt.Errorf("migrate: revision %s: a table rebuild needs transactional DDL", r.ID)
		}
		if i == start && res.Resumed {
			// The previous run may have lost its connection after this
			// step took effect and before it was recorded.
			skip, err := s.inEffect(ctx, before, ops, st.Op)
			if err != nil {
				return partial(i, st.String(), fmt.Errorf("migrate: check whether the step took effect: %w", err))
			}
			if skip {
				j := i
				for j < len(steps) && steps[j].Op == st.Op {
					j++
				}
				if _, err := engine.ExecStmt(ctx, s.conn, expr.Update(t).Set("done", j).Where(expr.Eq(t.C("revision"), r.ID))); err != nil {
					return partial(i, "record the revision in "+s.m.table, err)
				}
				res.Skipped += j - i
				i = j - 1
				continue
			}
		}
		t0 := time.Now()
		if err := s.inTx(ctx, func(tx engine.Executor) error {
			if err := s.step(ctx, tx, st); err != nil {
				return err
			}
			if _, err := engine.ExecStmt(ctx, tx, expr.Update(t).Set("done", i+1).Where(expr.Eq(t.C("revision"), r.ID))); err != nil {
				return fmt.Errorf("migrate: record step %d in %s: %w", i+1, s.m.table, err)
			}
			return nil
		}); err != nil {
			return partial(i, st.String(), err)
		}
		res.Ran++
		s.m.emit(Event{Kind: StepDone, Direction: dir, Revision: r, Step: i + 1, Total: len(steps), SQL: st.String(), Duration: time.Since(t0)})
	}
	if dir == Up {
		_, err = engine.ExecStmt(ctx, s.conn, expr.Update(t).Set("state", stateApplied).Set("error", sql.NullString{}).Set("statement", sql.NullString{}).Where(expr.Eq(t.C("revision"), r.ID)))
	} else {
		_, err = engine.ExecStmt(ctx, s.conn, expr.Delete(t).Where(expr.Eq(t.C("revision"), r.ID)))
	}
	if err != nil {
		return &PartialError{Revision: r.ID, Direction: dir, Step: len(steps) + 1, Done: len(steps), Total: len(steps), Statement: "record the revision in " + s.m.table, Err: err}
	}
	return nil
}

// runSegmented runs a revision that has steps which cannot run in a
// transaction ([Step.NoTx]: CREATE INDEX CONCURRENTLY) on a database with
// transactional DDL. The steps between two such steps run in one
// transaction together with the update of the version row that records
// them (state upgrading or downgrading, done = the steps committed); a
// NoTx step runs by itself on the runner's connection, outside any
// transaction, and is recorded right after. The connection keeps the
// migration lock throughout: PostgreSQL's advisory lock is a session lock
// that no transaction holds, so CREATE INDEX CONCURRENTLY, which waits for
// every transaction that could use the table, has nothing of the runner's
// to wait for (a lock row is taken and renewed in short transactions of
// their own).
//
// A failure leaves the steps committed before it applied and recorded,
// with the error and the statement on the version row; the next run
// resumes there. Before a NoTx step runs, what an earlier failed attempt
// left behind is removed (Step.Leftover, Step.Cleanup: an INVALID index);
// when resuming, a NoTx step whose effect is already in the database (the
// connection was lost after it finished, before it was recorded) is
// recorded without running again.
func (s *session) runSegmented(ctx context.Context, r *Revision, dir Direction, before *schema.MetaData, ops []Op, steps []Step, row versionRow, resume bool, res *RevisionResult) error {
	t := expr.T(s.m.table)
	state := stateUpgrading
	if dir == Down {
		state = stateDowngrading
	}
	start := 0
	if resume && row.state == state {
		res.Resumed = true
		start = row.done
		if start > len(steps) {
			return fmt.Errorf("migrate: revision %s: the version table records %d steps done but the revision has %d", r.ID, start, len(steps))
		}
	}
	for _, st := range steps {
		if st.Rebuild != nil {
			return fmt.Errorf("migrate: revision %s: a table rebuild cannot share a revision with steps that run outside a transaction", r.ID)
		}
	}
	partial := func(i, done int, what string, err error) error {
		pe := &PartialError{Revision: r.ID, Direction: dir, Step: i + 1, Done: done, Total: len(steps), Statement: what, Err: err}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, uerr := engine.ExecStmt(rctx, s.conn, expr.Update(t).Set("error", err.Error()).Set("statement", what).Where(expr.Eq(t.C("revision"), r.ID)))
		if uerr != nil {
			return errors.Join(pe, fmt.Errorf("migrate: record the failure: %w", uerr))
		}
		return pe
	}
	var err error
	switch {
	case dir == Up && !(resume && row.state == state):
		if resume { // a row left by a rolled-back attempt
			_, err = engine.ExecStmt(ctx, s.conn, expr.Delete(t).Where(expr.Eq(t.C("revision"), r.ID)))
		}
		if err == nil {
			_, err = engine.ExecStmt(ctx, s.conn, expr.Insert(t).Columns("revision", "state", "done", "total").Values(r.ID, state, 0, len(steps)))
		}
	default:
		_, err = engine.ExecStmt(ctx, s.conn, expr.Update(t).Set("state", state).Set("done", start).Set("total", len(steps)).Where(expr.Eq(t.C("revision"), r.ID)))
	}
	if err != nil {
		return &PartialError{Revision: r.ID, Direction: dir, Step: start + 1, Done: start, Total: len(steps), Statement: "record the revision in " + s.m.table, Err: err}
	}
	// finish records the revision as applied (or removes its row) through ex.
	finish := func(ex engine.Executor) error {
		var err error
		if dir == Up {
			_, err = engine.ExecStmt(ctx, ex, expr.Update(t).Set("state", stateApplied).Set("done", len(steps)).
				Set("error", sql.NullString{}).Set("statement", sql.NullString{}).Where(expr.Eq(t.C("revision"), r.ID)))
		} else {
			_, err = engine.ExecStmt(ctx, ex, expr.Delete(t).Where(expr.Eq(t.C("revision"), r.ID)))
		}
		return err
	}
	finished := false
	for i := start; i < len(steps); {
		st := steps[i]
		if st.NoTx {
			t0 := time.Now()
			ran, err := s.runNoTx(ctx, before, ops, st, i == start && res.Resumed)
			if err != nil {
				return partial(i, i, st.String(), err)
			}
			if _, err := engine.ExecStmt(ctx, s.conn, expr.Update(t).Set("done", i+1).Where(expr.Eq(t.C("revision"), r.ID))); err != nil {
				return partial(i, i, "record the revision in "+s.m.table, err)
			}
			if ran {
				res.Ran++
			} else {
				res.Skipped++
			}
			s.m.emit(Event{Kind: StepDone, Direction: dir, Revision: r, Step: i + 1, Total: len(steps), SQL: st.String(), Duration: time.Since(t0)})
			i++
			continue
		}
		j := i
		for j < len(steps) && !steps[j].NoTx {
			j++
		}
		failed, what := i, ""
		err := s.inTx(ctx, func(tx engine.Executor) error {
			for k := i; k < j; k++ {
				t0 := time.Now()
				if err := s.step(ctx, tx, steps[k]); err != nil {
					failed, what = k, steps[k].String()
					return err
				}
				s.m.emit(Event{Kind: StepDone, Direction: dir, Revision: r, Step: k + 1, Total: len(steps), SQL: steps[k].String(), Duration: time.Since(t0)})
			}
			failed, what = j, "record the revision in "+s.m.table
			if s.lock != nil {
				if err := s.lock.lost(); err != nil {
					return err
				}
			}
			if j == len(steps) {
				finished = true
				return finish(tx)
			}
			_, err := engine.ExecStmt(ctx, tx, expr.Update(t).Set("done", j).Where(expr.Eq(t.C("revision"), r.ID)))
			return err
		})
		if err != nil {
			finished = false
			return partial(failed, i, what, err)
		}
		res.Ran += j - i
		i = j
	}
	if !finished {
		if err := finish(s.conn); err != nil {
			return &PartialError{Revision: r.ID, Direction: dir, Step: len(steps) + 1, Done: len(steps), Total: len(steps), Statement: "record the revision in " + s.m.table, Err: err}
		}
	}
	return nil
}

// runNoTx runs a step that cannot run in a transaction on the runner's
// connection, first removing what a failed earlier attempt left behind.
// When resuming, a step whose effect is already in the database is not
// run again; ran reports whether it ran.
func (s *session) runNoTx(ctx context.Context, before *schema.MetaData, ops []Op, st Step, resuming bool) (ran bool, err error) {
	if s.lock != nil {
		if err := s.lock.lost(); err != nil {
			return false, err
		}
	}
	if st.Leftover != "" {
		var left bool
		rows, err := s.conn.Query(ctx, st.Leftover, st.LeftoverArgs...)
		if err != nil {
			return false, fmt.Errorf("migrate: look for what a failed attempt left: %w", err)
		}
		left = rows.Next()
		err = errors.Join(rows.Err(), rows.Close())
		if err != nil {
			return false, fmt.Errorf("migrate: look for what a failed attempt left: %w", err)
		}
		if left {
			if _, err := s.conn.Exec(ctx, st.Cleanup); err != nil {
				return false, fmt.Errorf("migrate: remove what a failed attempt left (%s): %w", st.Cleanup, err)
			}
		}
	}
	if resuming {
		done, err := s.inEffect(ctx, before, ops, st.Op)
		if err != nil {
			return false, fmt.Errorf("migrate: check whether the step took effect: %w", err)
		}
		if done {
			return false, nil
		}
	}
	_, err = s.conn.Exec(ctx, st.SQL)
	return err == nil, err
}

// relativeSteps reads "+N" or "-N" (with the given sign) as N.
func relativeSteps(target string, sign byte) (int, bool) {
	if len(target) < 2 || target[0] != sign {
		return 0, false
	}
	n, err := strconv.Atoi(target[1:])
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// connQuerier lets a dialect's Locker use an engine connection.
type connQuerier struct{ c *engine.Conn }

func (q connQuerier) Exec(ctx context.Context, query string, args ...any) (dialect.Result, error) {
	return q.c.Exec(ctx, query, args...)
}

func (q connQuerier) Query(ctx context.Context, query string, args ...any) (dialect.Rows, error) {
	r, err := q.c.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}
