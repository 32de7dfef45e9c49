package orm

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
)

// The flush plan. A flush decides once, before any SQL, what it will do:
// an ordered list of actions, each a value that says what it is
// (String), how many statements it sends, and the statements themselves
// (commands), built from the objects as they are when it runs. Keys the
// database generates flow between actions through the objects: an
// INSERT's action writes them into its objects, the parent-key copy
// before the next action reads them, and every later action builds its
// statements then. [Session.Explain] shows the same plan without running
// it.
//
// The order, as SQLAlchemy's unit of work sorts its per-mapper actions:
//
//	defer checks    deferring foreign keys, when a primary key moves
//	park            ordering positions under a unique constraint, parked
//	delete (early)  rows replaced by new ones in tables nothing references
//	insert          per table in dependency order, self-referencing rows
//	                level by level
//	pairs           association rows removed, then added
//	update          per table, grouped by the columns they write; rows
//	                referencing a moved key follow their parent's UPDATE
//	post update     keys of row cycles (post_update)
//	clear links     post_update keys of rows about to go
//	delete          per table in reverse dependency order

// command is one statement an action sends.
type command struct {
	sql  string
	args []any
}

// action is one unit of the flush plan.
type action interface {
	String() string
	// stmts is how many statements it sends; checked says it writes
	// several rows and then checks how many it matched, so it cannot run
	// alone in autocommit.
	stmts() int
	checked() bool
	// commands builds the statements it sends, from the objects as they
	// are now. Values it sets first (onupdate rules, versions) are set
	// through u.
	commands(d dialect.Dialect, u *undo) ([]command, error)
	// run sends them and applies what comes back to the objects.
	run(ctx context.Context, ex engine.Executor, u *undo) error
}

type cost struct {
	n     int
	check bool
}

func (c cost) stmts() int    { return c.n }
func (c cost) checked() bool { return c.check }

func buildAll(d dialect.Dialect, stmts ...expr.Statement) ([]command, error) {
	out := make([]command, 0, len(stmts))
	for _, s := range stmts {
		if s == nil {
			continue
		}
		q, args, err := expr.Build(d, s)
		if err != nil {
			return nil, err
		}
		out = append(out, command{sql: q, args: args})
	}
	return out, nil
}

func rowsWord(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// deferChecks defers foreign key checks to COMMIT.
type deferChecks struct {
	cost
	sql string
}

func (a *deferChecks) String() string { return "defer foreign key checks to COMMIT" }
func (a *deferChecks) commands(dialect.Dialect, *undo) ([]command, error) {
	return []command{{sql: a.sql}}, nil
}
func (a *deferChecks) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	_, err := ex.Exec(ctx, a.sql)
	return err
}

// insertRows inserts rows of one table that leave the same columns to the
// database, in one statement, and reads those columns back.
type insertRows struct {
	cost
	m                 *Mapper
	cols, fetch       []*Field
	rows              []*state
	canReturn, arrays bool
	// copy: nothing comes back and the batch is large: COPY FROM STDIN
	// where the executor has it (see copyMinRows)
	copy bool
	// staged: columns come back and the batch is very large: COPY into a
	// staging table, then INSERT ... SELECT ... RETURNING, where the
	// executor has it (see stagedMinRows)
	staged bool
}

func (a *insertRows) String() string {
	if a.copy {
		return fmt.Sprintf("copy %s into %s (%s)", rowsWord(len(a.rows)), a.m.Table.Name, columnList(a.cols))
	}
	s := fmt.Sprintf("insert %s into %s (%s)", rowsWord(len(a.rows)), a.m.Table.Name, columnList(a.cols))
	if a.staged {
		s += " through a staging table"
	}
	if len(a.fetch) > 0 {
		s += " reading back (" + columnList(a.fetch) + ")"
	}
	return s
}

func (a *insertRows) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	if a.copy {
		return []command{{sql: copySQL(a.m, a.cols), args: []any{fmt.Sprintf("%d rows", len(a.rows))}}}, nil
	}
	if a.staged {
		return stagedCommands(a.m, a.cols, a.fetch, len(a.rows)), nil
	}
	c, ret, _, err := insertCommand(d, a.m, a.cols, a.fetch, a.rows, a.canReturn, a.arrays)
	if err != nil {
		return nil, err
	}
	out := []command{c}
	if len(ret) == 0 && len(a.fetch) > 0 {
		more, err := buildAll(d, first(selectBackStmt(a.m, a.fetch, a.rows)))
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func first[A, B, C any](a A, _ B, _ C) A { return a }

func (a *insertRows) run(ctx context.Context, ex engine.Executor, u *undo) error {
	switch {
	case a.staged && engine.CanCopyInsert(ex):
		return stagedRows(ctx, ex, a.m, a.cols, a.fetch, a.rows, u)
	case a.copy && engine.CanCopy(ex):
		return copyRows(ctx, ex, a.m, a.cols, a.rows)
	case a.staged || a.copy:
		// a middleware hides the copy protocol (or a staged insert runs
		// outside a transaction): INSERTs of what fits
		per := maxArrayRows
		if !a.arrays {
			per = min(maxBatchRows, ex.Dialect().MaxParams()/len(a.cols))
		}
		for _, chunk := range chunks(a.rows, per) {
			if err := insertChunk(ctx, ex, a.m, a.cols, a.fetch, chunk, a.canReturn, a.arrays, u); err != nil {
				return err
			}
		}
		return nil
	}
	return insertChunk(ctx, ex, a.m, a.cols, a.fetch, a.rows, a.canReturn, a.arrays, u)
}

// updateRows updates rows of one table writing the same columns: one
// UPDATE for one row, a keyed multi-row UPDATE for several.
type updateRows struct {
	cost
	rows      []updateRow
	ret       []*Field // server-onupdate columns
	returning bool     // ret comes back in the UPDATE itself
	arrays    bool     // one array parameter per column (expr.UpdateArrays)
}

func (a *updateRows) String() string {
	r := a.rows[0]
	s := fmt.Sprintf("update %s of %s set (%s)", rowsWord(len(a.rows)), r.st.m.Table.Name, columnList(r.set))
	if r.oldKey != nil {
		s += fmt.Sprintf(" where key %v", r.oldKey)
	}
	if a.returning && len(a.ret) > 0 {
		s += " returning (" + columnList(a.ret) + ")"
	}
	return s
}

func (a *updateRows) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	if len(a.rows) == 1 {
		var ret []*Field
		if a.returning {
			ret = a.ret
		}
		c, err := updateOneCommand(d, a.rows[0], ret)
		if err != nil {
			return nil, err
		}
		return []command{c}, nil
	}
	stmt, _ := updateManyStmt(d, a.rows, a.ret, a.returning, a.arrays)
	return buildAll(d, stmt)
}

func (a *updateRows) run(ctx context.Context, ex engine.Executor, u *undo) error {
	if len(a.rows) == 1 {
		return updateOne(ctx, ex, a.rows[0], a.ret, a.returning, u)
	}
	return updateMany(ctx, ex, a.rows, a.ret, a.returning, a.arrays, u)
}

// readBack reads columns the database set (server onupdate) into objects.
type readBack struct {
	cost
	m      *Mapper
	fields []*Field
	rows   []*state
}

func (a *readBack) String() string {
	return fmt.Sprintf("read back (%s) of %s of %s", columnList(a.fields), rowsWord(len(a.rows)), a.m.Table.Name)
}

func (a *readBack) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	return buildAll(d, first(selectBackStmt(a.m, a.fields, a.rows)))
}

func (a *readBack) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	var u undo // values read back are the database's: nothing to restore
	return selectBack(ctx, ex, a.m, a.fields, a.rows, &u)
}

// deleteRows deletes rows of one table, matching their versions.
type deleteRows struct {
	cost
	m          *Mapper
	rows       []*state
	idempotent bool
}

func (a *deleteRows) String() string {
	return fmt.Sprintf("delete %s of %s", rowsWord(len(a.rows)), a.m.Table.Name)
}

func (a *deleteRows) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	stmt, _ := deleteStmt(a.m, a.rows)
	return buildAll(d, stmt)
}

func (a *deleteRows) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	return deleteChunk(ctx, ex, a.m, a.rows, a.idempotent)
}

// explainActions builds every action's statements, for Explain.
func explainActions(d dialect.Dialect, acts []action, u *undo) ([]Planned, error) {
	var out []Planned
	for _, a := range acts {
		cmds, err := a.commands(d, u)
		if err != nil {
			return nil, fmt.Errorf("orm: explain %s: %w", a, err)
		}
		p := Planned{Action: a.String()}
		for _, c := range cmds {
			p.Statements = append(p.Statements, Statement{SQL: c.sql, Args: c.args})
		}
		out = append(out, p)
	}
	return out, nil
}

// Planned is one action of a flush plan and the statements it sends.
type Planned struct {
	Action     string // what it does: "insert 3 rows into note (title, body)"
	Statements []Statement
}

// Statement is one statement of a flush plan.
type Statement struct {
	SQL  string
	Args []any
}

// formatArg shows an argument's value: pointers followed, strings quoted.
func formatArg(a any) string {
	if jv, ok := a.(jsonArg); ok { // a document: show what is bound
		dv, err := jv.Value()
		if err != nil {
			return "<" + err.Error() + ">"
		}
		a = dv
	}
	v := reflect.ValueOf(a)
	for v.IsValid() && v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "NULL"
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return "NULL"
	}
	switch x := v.Interface().(type) {
	case string:
		return strconv.Quote(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return fmt.Sprintf("%x", x)
	}
	return fmt.Sprint(v.Interface())
}

// FormatPlan renders a plan one action per line, its statements indented
// below it, arguments after the SQL.
func FormatPlan(plan []Planned) string {
	var b strings.Builder
	for _, p := range plan {
		b.WriteString(p.Action)
		b.WriteByte('\n')
		for _, s := range p.Statements {
			b.WriteString("    ")
			b.WriteString(s.SQL)
			if len(s.Args) > 0 {
				b.WriteString(" [")
				for i, a := range s.Args {
					if i > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(formatArg(a))
				}
				b.WriteByte(']')
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

var opExplain = &op{"Explain"}

// Explain returns the plan of the next flush: its actions in order, and
// the statements each would send, built from the objects as they are now.
// Nothing is written and the session is left exactly as it was. What the
// next flush would read first is read (the rows a delete cascades to when
// they are not loaded); flush hooks and object hooks do not run. Keys the
// database will generate are not known yet: statements show them as the
// objects hold them now (zero), as do the foreign keys copied from them.
//
//	plan, err := s.Explain(ctx)
//	fmt.Print(orm.FormatPlan(plan))
//	// insert 1 row into folder (name) reading back (id)
//	//     INSERT INTO "folder" ("name") VALUES ($1) RETURNING "id" [inbox]
//	// insert 2 rows into item (folder_id, position, title) reading back (id)
//	//     INSERT INTO "item" ... RETURNING "id" [0 0 a 0 1 b]
func (s *Session) Explain(ctx context.Context) ([]Planned, error) {
	if err := s.enter(opExplain); err != nil {
		return nil, err
	}
	defer s.g.exit()
	defer s.releaseScratch() // after the undo below, which the plan's actions may need
	saved, order := s.saveStates()
	var u undo
	defer func() {
		u.run()
		s.restoreStates(saved, order)
	}()
	rp, err := s.prepareRelations(ctx, &u)
	if err != nil {
		return nil, err
	}
	p, err := s.plan(rp, &u)
	if err != nil {
		return nil, err
	}
	acts, _, err := s.planActions(p, rp, &u)
	if err != nil {
		return nil, err
	}
	return explainActions(s.f.db.Dialect(), acts, &u)
}
