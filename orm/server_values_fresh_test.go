package orm_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// A column set by the server (default, trigger) or by an onupdate
// rule holds its new value in the Go object as soon as the flush returns,
// read in the same statement where the database allows it (RETURNING) and
// by one batched SELECT where it does not (MariaDB UPDATE). Nothing is
// stale and nothing is loaded later.

// Ticket has every kind of generated value.
type Ticket struct {
	ID        int64     `db:"id,pk"`                              // autoincrement
	Title     string    `db:"title,size:100"`                     // plain
	Status    string    `db:"status,size:20,default:'open'"`      // literal server default (text)
	Priority  int32     `db:"priority,default:3"`                 // literal server default (number)
	Created   time.Time `db:"created,default:now"`                // server default now
	Source    string    `db:"source,size:20"`                     // client default (orm.Default)
	UpdatedAt time.Time `db:"updated_at"`                         // client default and client onupdate
	Touches   int64     `db:"touches"`                            // client onupdate: a counter
	Revision  int64     `db:"revision,default:0,server_onupdate"` // maintained by a trigger
	Version   int32     `db:"version,version"`
}

// tickClock is a deterministic client clock: each call is one second
// later, in UTC and whole microseconds (what every database keeps).
type tickClock struct{ n atomic.Int64 }

var tickEpoch = time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)

func (c *tickClock) now() any { return tickEpoch.Add(time.Duration(c.n.Add(1)) * time.Second) }

// revisionTriggers make revision = OLD.revision + 1 on every UPDATE.
func revisionTriggers(dialectName string) []string {
	switch dialectName {
	case "postgres":
		return []string{
			`CREATE FUNCTION ticket_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.revision := OLD.revision + 1;
	RETURN NEW;
END
$$`,
			`CREATE TRIGGER ticket_revision BEFORE UPDATE ON ticket FOR EACH ROW EXECUTE FUNCTION ticket_revision()`,
		}
	case "mariadb":
		return []string{
			"CREATE TRIGGER ticket_revision BEFORE UPDATE ON ticket FOR EACH ROW SET NEW.revision = OLD.revision + 1",
		}
	default: // sqlite: a BEFORE trigger cannot change NEW; update the row after
		return []string{
			`CREATE TRIGGER ticket_revision AFTER UPDATE ON ticket FOR EACH ROW
WHEN NEW.revision = OLD.revision
BEGIN
	UPDATE ticket SET revision = OLD.revision + 1 WHERE id = NEW.id;
END`,
		}
	}
}

func setupTickets(t *testing.T, tg testdb.Target) (*orm.Factory, *engine.DB, *recorder, *atomic.Int64) {
	t.Helper()
	ctx := context.Background()
	rec := &recorder{}
	db, err := engine.Open(ctx, tg.Dialect, tg.DSN, engine.WithLogger(slog.New(rec), slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &tickClock{}
	touches := new(atomic.Int64)
	reg := orm.NewRegistry()
	orm.MustRegister[Ticket](reg,
		orm.Default("Source", func() any { return "api" }),
		orm.Default("UpdatedAt", clock.now),
		orm.OnUpdate("UpdatedAt", clock.now),
		orm.OnUpdate("Touches", func() any { return touches.Add(1) }),
	)
	if err := engine.CreateAll(ctx, db, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	for _, q := range revisionTriggers(tg.Name) {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("creating the trigger: %v", err)
		}
	}
	rec.take("")
	return orm.NewFactory(db, reg), db, rec, touches
}

// diffTicket lists the fields where a and b differ (times by Equal).
func diffTicket(a, b *Ticket) []string {
	var d []string
	add := func(name string, x, y any) { d = append(d, fmt.Sprintf("%s: %v != %v", name, x, y)) }
	if a.ID != b.ID {
		add("ID", a.ID, b.ID)
	}
	if a.Title != b.Title {
		add("Title", a.Title, b.Title)
	}
	if a.Status != b.Status {
		add("Status", a.Status, b.Status)
	}
	if a.Priority != b.Priority {
		add("Priority", a.Priority, b.Priority)
	}
	if !a.Created.Equal(b.Created) {
		add("Created", a.Created, b.Created)
	}
	if a.Source != b.Source {
		add("Source", a.Source, b.Source)
	}
	if !a.UpdatedAt.Equal(b.UpdatedAt) {
		add("UpdatedAt", a.UpdatedAt, b.UpdatedAt)
	}
	if a.Touches != b.Touches {
		add("Touches", a.Touches, b.Touches)
	}
	if a.Revision != b.Revision {
		add("Revision", a.Revision, b.Revision)
	}
	if a.Version != b.Version {
		add("Version", a.Version, b.Version)
	}
	return d
}

// ticketsFresh reads every ticket in a new session and compares it with
// the object the writing session holds.
func ticketsFresh(t *testing.T, f *orm.Factory, when string, tickets []*Ticket) {
	t.Helper()
	ctx := context.Background()
	s := f.New()
	defer s.Close(ctx)
	for _, tk := range tickets {
		got, err := orm.Get[Ticket](ctx, s, tk.ID)
		if err != nil {
			t.Fatalf("%s: fresh read of ticket %d: %v", when, tk.ID, err)
		}
		if d := diffTicket(tk, got); len(d) > 0 {
			t.Errorf("%s: ticket %d in the session differs from the database (session != database): %s",
				when, tk.ID, strings.Join(d, "; "))
		}
	}
}

func countPrefix(all []string, prefix string) int {
	n := 0
	for _, q := range all {
		if strings.HasPrefix(q, prefix) {
			n++
		}
	}
	return n
}

func TestServerValuesFreshAfterFlush(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, db, rec, touches := setupTickets(t, tg)
		s := f.New()
		defer s.Close(ctx)

		// Inserts: N rows of one shape, one INSERT ... RETURNING on all
		// three databases (MariaDB 10.5+ has INSERT ... RETURNING).
		const n = 5
		tickets := make([]*Ticket, n)
		before := time.Now().Add(-time.Minute)
		for i := range tickets {
			tickets[i] = &Ticket{Title: fmt.Sprintf("t%d", i)}
			if err := s.Add(tickets[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		_, all := rec.take("")
		t.Logf("insert flush of %d rows: %q", n, all)
		if c := countPrefix(all, "INSERT"); c != 1 {
			t.Errorf("%d INSERT statements for %d rows of one shape, want 1", c, n)
		}
		if c := countPrefix(all, "SELECT"); c != 0 {
			t.Errorf("%d SELECTs after an INSERT ... RETURNING, want 0", c)
		}
		for i, tk := range tickets {
			if tk.ID != int64(i+1) || tk.Status != "open" || tk.Priority != 3 || tk.Source != "api" ||
				tk.Revision != 0 || tk.Version != 1 || tk.Touches != 0 ||
				tk.Created.Before(before) || tk.Created.After(time.Now().Add(time.Minute)) ||
				!tk.UpdatedAt.Equal(tickEpoch.Add(time.Duration(i+1)*time.Second)) {
				t.Errorf("ticket %d after the insert flush: %+v", i, *tk)
			}
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		ticketsFresh(t, f, "after inserting", tickets)

		// Updates: K rows. The trigger bumps revision, the client onupdate
		// rules set updated_at and touches, the version moves.
		rec.take("")
		const k = 3
		for i, tk := range tickets[:k] {
			tk.Title = fmt.Sprintf("t%d edited", i)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		_, all = rec.take("")
		t.Logf("update flush of %d rows: %q", k, all)
		// The k rows wrote the same columns: one keyed multi-row UPDATE
		// (WITH ... UPDATE ... FROM, or MariaDB's UPDATE ... JOIN).
		updates := 0
		for _, q := range all {
			if strings.Contains(q, "UPDATE") {
				updates++
			}
		}
		if updates != 1 {
			t.Errorf("%d UPDATE statements for %d rows changing the same columns, want 1", updates, k)
		}
		// PostgreSQL: UPDATE ... RETURNING sees what BEFORE triggers set,
		// nothing else runs. MariaDB has no UPDATE ... RETURNING, and
		// SQLite's RETURNING misses what its (AFTER) triggers write: the
		// UPDATEs, then one SELECT for the table.
		wantSelects := 1
		if tg.Name == "postgres" {
			wantSelects = 0
		}
		if c := countPrefix(all, "SELECT"); c != wantSelects {
			t.Errorf("%d SELECTs in the update flush, want %d", c, wantSelects)
		}
		if tg.Name == "postgres" {
			for _, q := range all {
				if strings.Contains(q, "UPDATE") && !strings.Contains(q, "RETURNING") {
					t.Errorf("UPDATE without RETURNING: %s", q)
				}
			}
		}
		for i, tk := range tickets {
			wantRev, wantVer := int64(0), int32(1)
			if i < k {
				wantRev, wantVer = 1, 2
			}
			if tk.Revision != wantRev || tk.Version != wantVer {
				t.Errorf("ticket %d after the update flush: revision %d version %d, want %d %d (the trigger's value)",
					i, tk.Revision, tk.Version, wantRev, wantVer)
			}
		}
		// The client onupdate values: one per updated row, in flush order.
		seen := map[int64]bool{}
		for _, tk := range tickets[:k] {
			if tk.Touches < 1 || tk.Touches > k || seen[tk.Touches] {
				t.Errorf("ticket %d: touches %d", tk.ID, tk.Touches)
			}
			seen[tk.Touches] = true
			if !tk.UpdatedAt.After(tickEpoch.Add(n * time.Second)) {
				t.Errorf("ticket %d: updated_at %v was not set by the onupdate rule", tk.ID, tk.UpdatedAt)
			}
		}
		// Another session cannot see the uncommitted rows: compare with a
		// fresh read after Commit, which must change nothing in the objects.
		snap := make([]Ticket, n)
		for i, tk := range tickets {
			snap[i] = *tk
		}
		rec.take("")
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		_, all = rec.take("")
		for _, q := range all {
			for _, verb := range []string{"SELECT", "INSERT", "UPDATE", "DELETE"} {
				if strings.HasPrefix(q, verb) {
					t.Errorf("Commit after a flush with nothing new ran %q", q)
				}
			}
		}
		for i, tk := range tickets {
			if d := diffTicket(&snap[i], tk); len(d) > 0 {
				t.Errorf("Commit changed ticket %d: %v", tk.ID, d)
			}
		}
		ticketsFresh(t, f, "after the update flush and Commit", tickets)

		// A second round straight through Commit: revision 2.
		tickets[0].Priority = 9
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		_, all = rec.take("")
		t.Logf("second update, by Commit: %q", all)
		if tickets[0].Revision != 2 || tickets[0].Version != 3 || tickets[0].Touches != k+1 {
			t.Errorf("after a second update: revision %d version %d touches %d, want 2 3 %d",
				tickets[0].Revision, tickets[0].Version, tickets[0].Touches, k+1)
		}
		if touches.Load() != k+1 {
			t.Errorf("onupdate rule ran %d times for %d updates", touches.Load(), k+1)
		}
		var rawRev int64
		if err := db.QueryRow(ctx, "SELECT revision FROM ticket WHERE id = 1").Scan(&rawRev); err != nil || rawRev != 2 {
			t.Errorf("raw SELECT of the trigger's column: %d %v, want 2", rawRev, err)
		}
		ticketsFresh(t, f, "after the second update", tickets)

		// After Commit no hidden I/O: reading every field runs nothing.
		rec.take("")
		var sink []any
		for _, tk := range tickets {
			sink = append(sink, tk.ID, tk.Title, tk.Status, tk.Priority, tk.Created, tk.Source,
				tk.UpdatedAt, tk.Touches, tk.Revision, tk.Version)
		}
		// and the identity map answers Get without a query
		for _, tk := range tickets {
			got, err := orm.Get[Ticket](ctx, s, tk.ID)
			if err != nil || got != tk {
				t.Fatalf("Get after Commit: %p %v, want %p", got, err, tk)
			}
		}
		if _, all := rec.take(""); len(all) != 0 {
			t.Errorf("reading %d values after Commit ran statements: %q", len(sink), all)
		}
	})
}
