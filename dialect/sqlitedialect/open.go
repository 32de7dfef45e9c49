package sqlitedialect

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// Open opens the database named by dsn, which may be a plain path
// ("data.db", "/var/lib/app.db"), a URI ("file:data.db?mode=ro") or
// ":memory:", optionally followed by ?parameters that modernc.org/sqlite
// understands (_pragma=..., _txlock=..., ...).
//
// Every connection of the pool gets PRAGMA foreign_keys=ON (a DSN that
// turns them off is refused) and a busy timeout of 10 s; for writable file
// databases, WAL journaling and write transactions that take the write
// lock at BEGIN (_txlock=immediate; read-only transactions still begin
// deferred), unless the DSN sets those itself. Times are written in
// SQLite's own format in UTC (_time_format=sqlite, _timezone=UTC) unless
// the DSN says otherwise. The pool of a file database keeps up to
// [DefaultMaxOpen] connections open and idle; an in-memory database lives
// in its connection, so its pool is limited to one connection. The package
// documentation explains each choice.
func (d *Dialect) Open(ctx context.Context, dsn string) (dialect.Pool, error) {
	return d.OpenPool(ctx, dsn, dialect.PoolOptions{})
}

// DefaultMaxOpen is the most connections the pool of a file database
// opens unless [dialect.PoolOptions] say otherwise: WAL lets that many
// readers run beside the one writer, and the idle ones are all kept (a new
// SQLite connection re-reads the schema and re-runs the pragmas).
func DefaultMaxOpen() int { return max(4, runtime.NumCPU()) }

// OpenPool is [Dialect.Open] with the pool sized by opts (applied with
// sql.DB's setters after the defaults above). A MinOpen is an error
// matching sqlerr.ErrUnsupported (database/sql keeps no minimum); so is
// any option that would give an in-memory database more than its one,
// never closed, connection.
func (d *Dialect) OpenPool(ctx context.Context, dsn string, opts dialect.PoolOptions) (dialect.Pool, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	conn, memory, err := buildDSN(dsn)
	if err != nil {
		return nil, err
	}
	if memory && opts != (dialect.PoolOptions{}) && opts != (dialect.PoolOptions{MaxOpen: 1}) {
		return nil, sqlerr.Unsupported("sqlite", fmt.Sprintf("size the pool of an in-memory database (%+v): it lives in one connection, kept open", opts))
	}
	base, err := sqlite.NewConnector(conn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db := sql.OpenDB(retryBusyConnector{base, busyTimeout(conn)})
	if memory {
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		n := DefaultMaxOpen()
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		if opts.MaxOpen > 0 && opts.MaxIdle == 0 {
			opts.MaxIdle = opts.MaxOpen // keep them all, as by default
		}
		if err := opts.ApplySQL(db, func(what string) error { return sqlerr.Unsupported("sqlite", what) }); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	var fk int
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open: reading PRAGMA foreign_keys: %w", err)
	}
	if fk != 1 {
		db.Close()
		return nil, errors.New("sqlite: open: foreign key enforcement is off (is this SQLite built with SQLITE_OMIT_FOREIGN_KEY?)")
	}
	return pool{dialect.FromSQL(db)}, nil
}

// retryBusyConnector opens connections with the pragmas of the DSN, and
// opens again when that fails with SQLITE_BUSY, for up to the DSN's busy
// timeout. The busy handler does not cover every lock a connection's first
// statements take: two connections that both switch a new file to WAL can
// each hold a shared lock and want an exclusive one, and SQLite fails one of
// them at once rather than let them wait on each other. Opening again after
// the other has finished succeeds (the file is in WAL mode by then).
type retryBusyConnector struct {
	driver.Connector
	wait time.Duration
}

func (c retryBusyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	deadline := time.Now().Add(c.wait)
	pause := time.Millisecond
	for {
		conn, err := c.Connector.Connect(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != codeBusy || !time.Now().Add(pause).Before(deadline) {
			return conn, err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// busyTimeout reads the busy_timeout pragma of a DSN buildDSN made (it
// always sets one).
func busyTimeout(dsn string) time.Duration {
	_, query, _ := strings.Cut(dsn, "?")
	q, _ := url.ParseQuery(query)
	wait := time.Duration(0)
	for _, v := range q["_pragma"] {
		if name, val := splitPragma(v); name == "busy_timeout" {
			if ms, err := strconv.Atoi(strings.TrimSpace(val)); err == nil {
				wait = time.Duration(ms) * time.Millisecond
			}
		}
	}
	return wait
}

// ErrDSN is matched by the errors of a DSN [Dialect.Open] refuses: one that
// does not parse, turns foreign keys off, or uses a parameter of
// mattn/go-sqlite3 that modernc.org/sqlite would ignore.
var ErrDSN = errors.New("sqlite: invalid DSN")

// buildDSN turns a DSN into the file: URI given to the driver, with the
// parameters Strata needs added. memory reports an in-memory (or private
// temporary) database, which exists per connection.
func buildDSN(dsn string) (string, bool, error) {
	path, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", false, fmt.Errorf("%w: bad parameters in %q: %v", ErrDSN, dsn, err)
	}
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + escapePath(path)
	}
	file := strings.TrimPrefix(path, "file:")
	memory := file == ":memory:" || file == "" || q.Get("mode") == "memory"
	readOnly := q.Get("mode") == "ro" || q.Get("immutable") == "1"

	pragmas := map[string]string{} // pragma name -> value as written
	for _, v := range q["_pragma"] {
		name, val := splitPragma(v)
		pragmas[name] = val
	}
	if v, ok := pragmas["foreign_keys"]; ok && !isOn(v) {
		return "", false, fmt.Errorf("%w: it turns foreign keys off (_pragma=%s); Strata needs them on", ErrDSN, "foreign_keys("+v+")")
	}
	for _, k := range []string{"_foreign_keys", "_fk"} {
		if v, ok := q[k]; ok && (len(v) == 0 || !isOn(v[len(v)-1])) {
			return "", false, fmt.Errorf("%w: it turns foreign keys off (%s=%s); Strata needs them on", ErrDSN, k, strings.Join(v, ","))
		}
	}
	// mattn/go-sqlite3's names, which modernc.org/sqlite ignores: taken
	// silently they would leave the setting at SQLite's default (no busy
	// timeout at all).
	for _, k := range []string{"_busy_timeout", "_timeout", "_journal_mode", "_journal", "_synchronous", "_sync", "_locking_mode", "_locking", "_cache_size"} {
		if q.Has(k) {
			return "", false, fmt.Errorf("%w: %s is a parameter of mattn/go-sqlite3, which modernc.org/sqlite ignores; write _pragma=%s(%s)", ErrDSN, k, mattnPragma[k], q.Get(k))
		}
	}

	var add []string
	add = append(add, "_pragma=foreign_keys(1)")
	if _, ok := pragmas["busy_timeout"]; !ok {
		add = append(add, "_pragma=busy_timeout(10000)")
	}
	if _, ok := pragmas["journal_mode"]; !ok && !memory && !readOnly {
		add = append(add, "_pragma=journal_mode(WAL)")
		if _, ok := pragmas["synchronous"]; !ok {
			// With WAL, NORMAL syncs at checkpoints instead of at every
			// COMMIT: never corrupt, durable across a crash of the
			// program, and a power loss may lose the last commits. See
			// the package documentation; synchronous(full) restores a
			// sync per COMMIT.
			add = append(add, "_pragma=synchronous(NORMAL)")
		}
	}
	if !q.Has("_txlock") && !memory && !readOnly {
		// BEGIN IMMEDIATE: a write transaction waits (busy_timeout) for
		// the write lock at its start. A deferred one would take a read
		// snapshot first and fail at its first write, without waiting,
		// when another writer committed since (SQLITE_BUSY_SNAPSHOT).
		// The driver begins read-only transactions deferred all the same.
		add = append(add, "_txlock=immediate")
	}
	if !q.Has("_time_format") && !q.Has("_time_integer_format") {
		add = append(add, "_time_format=sqlite")
	}
	if !q.Has("_timezone") {
		add = append(add, "_timezone=UTC")
	}
	if query != "" {
		add = append([]string{query}, add...)
	}
	return path + "?" + strings.Join(add, "&"), memory, nil
}

// mattnPragma names the pragma each mattn/go-sqlite3 DSN parameter sets.
var mattnPragma = map[string]string{
	"_busy_timeout": "busy_timeout", "_timeout": "busy_timeout",
	"_journal_mode": "journal_mode", "_journal": "journal_mode",
	"_synchronous": "synchronous", "_sync": "synchronous",
	"_locking_mode": "locking_mode", "_locking": "locking_mode",
	"_cache_size": "cache_size",
}

// escapePath escapes the characters that would end or change the path
// part of a file: URI.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// splitPragma splits a _pragma value ("busy_timeout(5000)",
// "journal_mode = WAL") into its lower-case name and its value.
func splitPragma(v string) (name, val string) {
	v = strings.TrimSpace(v)
	i := strings.IndexAny(v, "(= ")
	if i < 0 {
		return strings.ToLower(v), ""
	}
	name = strings.ToLower(v[:i])
	val = strings.TrimSpace(v[i:])
	val = strings.TrimPrefix(val, "=")
	val = strings.TrimSpace(val)
	if strings.HasPrefix(val, "(") {
		val = strings.TrimSuffix(strings.TrimPrefix(val, "("), ")")
	}
	return name, strings.Trim(strings.TrimSpace(val), `'"`)
}

func isOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "on", "true", "yes":
		return true
	}
	return false
}
