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

// PartialError reports a revision that failed part way. On databases with
// transactional DDL the revision was rolled back and Applied is 0; on
// MariaDB the first Applied steps stay applied and are recorded in the
// version table, and the next run resumes at step Applied+1 (after the
// cause is fixed).
type PartialError struct {
	Revision  string
	Direction Direction
	Applied   int    // steps completed
	Total     int    // steps in the revision
	Statement string // the failing step
	Err       error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("migrate: %s of revision %s failed at step %d of %d: %v\n%s", e.Direction, e.Revision, e.Applied+1, e.Total, e.Err, e.Statement)
}

// Unwrap returns the cause.
func (e *PartialError) Unwrap() error { return e.Err }

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

// Migrator applies the revisions of a [Graph] to one database.
type Migrator struct {
	db       *engine.DB
	g        *Graph
	funcs    Funcs
	lockWait time.Duration
	progress func(Event)
	table    string
}

// New returns a Migrator for db over the revision graph g, or an error
// matching [ErrInvalidOption] naming every option whose value cannot work
// (and an error for a nil db or graph).
func New(db *engine.DB, g *Graph, opts ...Option) (*Migrator, error) {
	if db == nil || g == nil {
		return nil, invalidOption("New needs a database and a revision graph")
	}
	m := &Migrator{db: db, g: g, lockWait: 30 * time.Second, table: DefaultVersionTable}
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
)

type versionRow struct {
	state       string
	done, total int
}

// InspectOptions are the options that read the user's schema without the
// migration tool's own tables.
func (m *Migrator) InspectOptions() dialect.InspectOptions {
	return dialect.InspectOptions{Exclude: []string{m.table, "strata_lock"}}
}

type session struct {
	m    *Migrator
	conn *engine.Conn
}

// withLock runs fn on one connection holding the migration lock, with the
// version table created if missing.
func (m *Migrator) withLock(ctx context.Context, fn func(s *session) error) (err error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if l, ok := m.db.Dialect().(dialect.Locker); ok {
		unlock, err := l.Lock(ctx, connQuerier{conn}, lockName, m.lockWait)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer func() { err = errors.Join(err, unlock(context.WithoutCancel(ctx))) }()
	}
	s := &session{m: m, conn: conn}
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
	if live.Table(s.m.table) != nil {
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
// heads.
func (m *Migrator) Upgrade(ctx context.Context, target string) error {
	steps, relative := relativeSteps(target, '+')
	if relative {
		target = "heads"
	}
	ids, err := m.g.Resolve(target)
	if err != nil {
		return err
	}
	need := m.g.Ancestors(ids...)
	return m.withLock(ctx, func(s *session) error {
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
			if err := s.run(ctx, r, Up, before, r.Upgrade, row, have); err != nil {
				return err
			}
		}
		return nil
	})
}

// Downgrade undoes applied revisions, children first, until the database
// is at target: "base" (nothing applied), a revision (it and what it needs
// stay applied), or "-N" (undo the last N applied revisions).
func (m *Migrator) Downgrade(ctx context.Context, target string) error {
	return m.withLock(ctx, func(s *session) error {
		rows, err := s.known(ctx)
		if err != nil {
			return err
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
			if err := s.run(ctx, r, Down, r.Snapshot, r.Downgrade, row, row.state == stateDowngrading); err != nil {
				return err
			}
		}
		return nil
	})
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
func (s *session) run(ctx context.Context, r *Revision, dir Direction, before *schema.MetaData, ops []Op, row versionRow, resume bool) error {
	d := s.m.db.Dialect()
	steps, err := Render(d, before, ops)
	if err != nil {
		return fmt.Errorf("migrate: revision %s: %w", r.ID, err)
	}
	for _, st := range steps {
		if st.Func != "" && s.m.funcs[st.Func] == nil {
			return fmt.Errorf("%w: revision %s needs %q; register it with migrate.WithFuncs (the standalone CLI cannot run Go steps)", ErrMissingFunc, r.ID, st.Func)
		}
	}
	start := time.Now()
	s.m.emit(Event{Kind: RevisionStart, Direction: dir, Revision: r, Total: len(steps)})
	if d.Features().Has(dialect.TransactionalDDL) {
		err = s.runTx(ctx, r, dir, steps)
	} else {
		err = s.runResumable(ctx, r, dir, steps, row, resume)
	}
	if err != nil {
		s.m.emit(Event{Kind: RevisionFailed, Direction: dir, Revision: r, Total: len(steps), Err: err, Duration: time.Since(start)})
		return err
	}
	s.m.emit(Event{Kind: RevisionDone, Direction: dir, Revision: r, Total: len(steps), Duration: time.Since(start)})
	return nil
}

// runTx runs a revision in one transaction, with the version table
// updated in the same transaction. Table rebuilds get their statements
// outside the transaction (SQLite's foreign_keys pragma) before and after
// it, and their checks before commit.
func (s *session) runTx(ctx context.Context, r *Revision, dir Direction, steps []Step) (err error) {
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
	for _, q := range before {
		if _, err := s.conn.Exec(ctx, q); err != nil {
			return err
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
		return err
	}
	fail := func(i int, what string, err error) error {
		rerr := tx.Rollback(context.WithoutCancel(ctx))
		return errors.Join(&PartialError{Revision: r.ID, Direction: dir, Applied: 0, Total: len(steps), Statement: what, Err: err}, rerr)
	}
	for i, st := range steps {
		t0 := time.Now()
		if err := s.step(ctx, tx, st); err != nil {
			return fail(i, st.String(), err)
		}
		s.m.emit(Event{Kind: StepDone, Direction: dir, Revision: r, Step: i + 1, Total: len(steps), SQL: st.String(), Duration: time.Since(t0)})
	}
	for _, q := range checks {
		if err := noRows(ctx, tx, q); err != nil {
			return fail(len(steps), q, err)
		}
	}
	t := expr.T(s.m.table)
	if dir == Up {
		_, err = engine.ExecStmt(ctx, tx, expr.Insert(t).Columns("revision", "state", "done", "total").Values(r.ID, stateApplied, len(steps), len(steps)))
	} else {
		_, err = engine.ExecStmt(ctx, tx, expr.Delete(t).Where(expr.Eq(t.C("revision"), r.ID)))
	}
	if err != nil {
		return fail(len(steps), "record the revision in "+s.m.table, err)
	}
	return tx.Commit(ctx)
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

// step runs one step through ex.
func (s *session) step(ctx context.Context, ex engine.Executor, st Step) error {
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
// statement by statement, recording after each one how many are done, so
// that a failed run resumes at the failed statement.
func (s *session) runResumable(ctx context.Context, r *Revision, dir Direction, steps []Step, row versionRow, resume bool) error {
	t := expr.T(s.m.table)
	state := stateUpgrading
	if dir == Down {
		state = stateDowngrading
	}
	start := 0
	if resume && row.state == state {
		start = row.done
		if start > len(steps) {
			return fmt.Errorf("migrate: revision %s: the version table records %d steps done but the revision has %d", r.ID, start, len(steps))
		}
	}
	switch {
	case dir == Up && !resume:
		if _, err := engine.ExecStmt(ctx, s.conn, expr.Insert(t).Columns("revision", "state", "done", "total").Values(r.ID, state, 0, len(steps))); err != nil {
			return err
		}
	default:
		if _, err := engine.ExecStmt(ctx, s.conn, expr.Update(t).Set("state", state).Set("done", start).Set("total", len(steps)).Where(expr.Eq(t.C("revision"), r.ID))); err != nil {
			return err
		}
	}
	for i := start; i < len(steps); i++ {
		st := steps[i]
		if st.Rebuild != nil {
			return fmt.Errorf("migrate: revision %s: a table rebuild needs transactional DDL", r.ID)
		}
		t0 := time.Now()
		if err := s.step(ctx, s.conn, st); err != nil {
			_, uerr := engine.ExecStmt(context.WithoutCancel(ctx), s.conn, expr.Update(t).Set("error", err.Error()).Where(expr.Eq(t.C("revision"), r.ID)))
			return errors.Join(&PartialError{Revision: r.ID, Direction: dir, Applied: i, Total: len(steps), Statement: st.String(), Err: err}, uerr)
		}
		if _, err := engine.ExecStmt(ctx, s.conn, expr.Update(t).Set("done", i+1).Where(expr.Eq(t.C("revision"), r.ID))); err != nil {
			return err
		}
		s.m.emit(Event{Kind: StepDone, Direction: dir, Revision: r, Step: i + 1, Total: len(steps), SQL: st.String(), Duration: time.Since(t0)})
	}
	var err error
	if dir == Up {
		_, err = engine.ExecStmt(ctx, s.conn, expr.Update(t).Set("state", stateApplied).Set("error", sql.NullString{}).Where(expr.Eq(t.C("revision"), r.ID)))
	} else {
		_, err = engine.ExecStmt(ctx, s.conn, expr.Delete(t).Where(expr.Eq(t.C("revision"), r.ID)))
	}
	return err
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
