package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
)

// Author writes notes.
type Author struct {
	ID   int64  `db:"id,pk"`                // single integer pk: autoincrement
	Name string `db:"name,size:80,unique"`  // varchar(80), uq_author_name
	Bio  string `db:"bio,default:'(none)'"` // server default, read back at insert
}

// Note belongs to an author.
type Note struct {
	ID       int64     `db:"id,pk"`
	AuthorID int64     `db:"author_id,fk:author.id,ondelete:cascade,index"`
	Title    string    `db:"title,size:100"`
	Pinned   bool      `db:"pinned,default:true"` // server default: left out of the INSERT while false, read back
	Updated  time.Time `db:"updated_at"`          // client default and onupdate (see register)
	Version  int32     `db:"version,version"`     // optimistic concurrency
}

// clock is a deterministic stand-in for time.Now, so that the printed
// arguments do not change from run to run: every call is one minute later.
type clock struct{ n atomic.Int64 }

func (c *clock) now() any {
	return time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(c.n.Add(1)-1) * time.Minute)
}

// register maps the models. Tags say what a column is; options add what
// tags express badly, here Go functions run by the session.
func register(c *clock) *orm.Registry {
	reg := orm.NewRegistry()
	orm.MustRegister[Author](reg)
	orm.MustRegister[Note](reg,
		orm.Default("Updated", c.now),  // at INSERT, while the field is zero
		orm.OnUpdate("Updated", c.now), // at every UPDATE of the row
	)
	return reg
}

// sqlPrinter is a slog handler that prints each statement the engine logs
// as "SQL: <statement> <args>": no durations, so the output is stable.
type sqlPrinter struct {
	mu sync.Mutex
	w  io.Writer
	on atomic.Bool
}

func (p *sqlPrinter) Enabled(context.Context, slog.Level) bool { return p.on.Load() }
func (p *sqlPrinter) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *sqlPrinter) WithGroup(string) slog.Handler            { return p }
func (p *sqlPrinter) Handle(_ context.Context, r slog.Record) error {
	var query, args, failed string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "sql":
			query = a.Value.String()
		case "args":
			if list, ok := a.Value.Any().([]any); ok && len(list) > 0 {
				args = " " + formatArgs(list)
			}
		case "error":
			failed = "  -- error: " + a.Value.String()
		}
		return true
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := fmt.Fprintf(p.w, "  SQL: %s%s%s\n", query, args, failed)
	return err
}

func formatArgs(list []any) string {
	parts := make([]string, len(list))
	for i, a := range list {
		switch v := a.(type) {
		case string:
			parts[i] = fmt.Sprintf("%q", v)
		case time.Time:
			parts[i] = v.Format(time.DateTime)
		default:
			parts[i] = fmt.Sprint(v)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (n *Note) String() string {
	return fmt.Sprintf("note %d %q by %d (pinned %v, updated %s, version %d)",
		n.ID, n.Title, n.AuthorID, n.Pinned, n.Updated.UTC().Format(time.TimeOnly), n.Version)
}

// sessionTour is the ORM on the same kind of database: a session adding,
// loading, changing, querying and deleting objects, with every statement
// it sends printed.
func sessionTour(ctx context.Context, w io.Writer, path string) error {
	sqlOut := &sqlPrinter{w: w}
	db, err := engine.Open(ctx, sqlitedialect.New(), "file:"+path, engine.WithLogger(slog.New(sqlOut), slog.LevelDebug))
	if err != nil {
		return err
	}
	defer db.Close()
	reg := register(&clock{})
	// The registry's metadata is an ordinary schema: migrations use it too.
	if err := engine.CreateAll(ctx, db, reg.MetaData()); err != nil {
		return err
	}
	f := orm.NewFactory(db, reg) // shared; sessions are per unit of work
	step := func(format string, args ...any) { fmt.Fprintf(w, "\n# "+format+"\n", args...) }
	sqlOut.on.Store(true)

	step("add two authors and flush: the transaction begins, keys and server defaults are read back\n" +
		"# (ann leaves bio to its server default, bob sets it: two row shapes, two INSERTs)")
	s := f.New()
	defer s.Close(ctx)
	ann, bob := &Author{Name: "ann"}, &Author{Name: "bob", Bio: "writes"}
	for _, a := range []*Author{ann, bob} {
		if err := s.Add(a); err != nil {
			return err
		}
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "ann id=%d bio=%q, bob id=%d bio=%q, status %s\n", ann.ID, ann.Bio, bob.ID, bob.Bio, s.Status(ann))

	step("add three notes and commit: one multi-row INSERT ... RETURNING")
	notes := []*Note{
		{AuthorID: ann.ID, Title: "groceries"},
		{AuthorID: ann.ID, Title: "ideas"},
		{AuthorID: bob.ID, Title: "draft"},
	}
	for _, n := range notes {
		if err := s.Add(n); err != nil {
			return err
		}
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}

	step("Get note %d: the identity map returns the same pointer, no SQL", notes[0].ID)
	got, err := orm.Get[Note](ctx, s, notes[0].ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "same pointer: %v\n", got == notes[0])

	step("unpin it and commit: one UPDATE (alone, so in autocommit) of pinned, the onupdate timestamp and the version")
	got.Pinned = false
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintln(w, got)

	step("query with Select[Note]: rows already in the session come back as the same objects")
	q := orm.Select[Note](s)
	mine, err := q.Where(expr.Eq(q.C("AuthorID"), ann.ID)).OrderBy(expr.Asc(q.C("Title"))).All(ctx)
	if err != nil {
		return err
	}
	for _, n := range mine {
		fmt.Fprintln(w, n)
	}
	fmt.Fprintf(w, "first result is note %d, same pointer: %v\n", mine[0].ID, mine[0] == notes[0])
	pinned, err := orm.Select[Note](s).FilterBy("Pinned", true).Count(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "pinned notes: %d\n", pinned)

	step("delete bob's draft: the DELETE checks the version")
	if err := s.Delete(notes[2]); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "draft is %s\n", s.Status(notes[2]))

	step("stale data: another session deletes note %d, then this one changes it", notes[1].ID)
	other := f.New()
	victim, err := orm.Get[Note](ctx, other, notes[1].ID)
	if err != nil {
		return err
	}
	if err := other.Delete(victim); err != nil {
		return err
	}
	if err := other.Commit(ctx); err != nil {
		return err
	}
	other.Close(ctx)
	notes[1].Title = "better ideas"
	err = s.Commit(ctx)
	var stale *orm.StaleDataError
	if !errors.As(err, &stale) {
		return fmt.Errorf("want a *orm.StaleDataError, got %v", err)
	}
	fmt.Fprintf(w, "stale data: %s of %s %v\nerror: %v\n", stale.Op, stale.Table, stale.Key, err)
	fmt.Fprintf(w, "the failed commit left the object as it was before it: %s\n", notes[1])
	if err := s.Rollback(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "after Rollback every object is %s\n", s.Status(notes[0]))
	if err := s.Close(ctx); err != nil {
		return err
	}

	step("a savepoint: BeginNested, change things, roll back to it")
	s = f.New()
	defer s.Close(ctx)
	groceries, err := orm.Get[Note](ctx, s, notes[0].ID)
	if err != nil {
		return err
	}
	sp, err := s.BeginNested(ctx)
	if err != nil {
		return err
	}
	groceries.Title = "GROCERIES"
	scratch := &Note{AuthorID: bob.ID, Title: "scratch", Pinned: true}
	if err := s.Add(scratch); err != nil {
		return err
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "inside the savepoint: %q, scratch note %d is %s\n", groceries.Title, scratch.ID, s.Status(scratch))
	if err := sp.Rollback(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "rolled back: title %q again (version %d), scratch note is %s\n", groceries.Title, groceries.Version, s.Status(scratch))
	if err := s.Commit(ctx); err != nil {
		return err
	}

	step("Transact, the way to write: a function in one transaction, committed, run again on a conflict (serialization failure, deadlock, SQLite busy)")
	err = f.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
		b, err := orm.Get[Author](ctx, s, bob.ID)
		if err != nil {
			return err
		}
		b.Bio = "writes, sometimes"
		return s.Add(&Note{AuthorID: b.ID, Title: "second draft"})
	})
	if err != nil {
		return err
	}

	step("what is left, read by a fresh session")
	s = f.New()
	defer s.Close(ctx)
	all := orm.Select[Note](s)
	for n, err := range all.OrderBy(expr.Asc(all.C("ID"))).Iter(ctx) {
		if err != nil {
			return err
		}
		fmt.Fprintln(w, n)
	}
	sqlOut.on.Store(false)
	return engine.DropAll(ctx, db, reg.MetaData())
}
