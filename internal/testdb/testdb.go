// Package testdb runs one test body against every database Strata
// supports: SQLite always (in a temporary file), PostgreSQL when
// STRATA_TEST_POSTGRES holds a DSN, MariaDB/MySQL when STRATA_TEST_MARIADB
// does. Each run gets a namespace of its own (a fresh schema on
// PostgreSQL, a fresh database on MariaDB, a fresh file on SQLite) that is
// dropped afterwards, so tests may run in parallel and leave nothing
// behind. When a variable is set but its server is unreachable the test
// fails: a configured database is never skipped silently.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
)

// The environment variables naming the servers.
const (
	EnvPostgres = "STRATA_TEST_POSTGRES"
	EnvMariaDB  = "STRATA_TEST_MARIADB"
)

// Target is one database to run against.
type Target struct {
	Name    string // "sqlite", "postgres" or "mariadb": the subtest name
	Dialect dialect.Dialect
	DSN     string // connects to the target's own fresh namespace
}

// Open opens a pool on the target's namespace, closed at the test's end.
func (tg Target) Open(t testing.TB) dialect.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := tg.Dialect.Open(ctx, tg.DSN)
	if err != nil {
		t.Fatalf("%s: open: %v", tg.Name, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Each runs fn as subtests sqlite, postgres and mariadb, skipping the
// server databases whose variable is unset.
func Each(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	for _, name := range []string{"sqlite", "postgres", "mariadb"} {
		t.Run(name, func(t *testing.T) { fn(t, New(t, name)) })
	}
}

// New prepares a fresh namespace on the named database, or skips the test
// if that database is not configured.
func New(t testing.TB, name string) Target {
	t.Helper()
	switch name {
	case "sqlite":
		return Target{Name: name, Dialect: sqlitedialect.New(), DSN: "file:" + filepath.Join(t.TempDir(), "test.db")}
	case "postgres":
		return newPostgres(t)
	case "mariadb":
		return newMariaDB(t)
	}
	t.Fatalf("testdb: unknown database %q", name)
	return Target{}
}

func randName() string {
	var b [6]byte
	rand.Read(b[:])
	return "strata_t_" + hex.EncodeToString(b[:])
}

func adminExec(t testing.TB, d dialect.Dialect, dsn string, stmts ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := d.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("testdb: %s is configured but unreachable: %v", d.Name(), err)
	}
	defer p.Close()
	for _, s := range stmts {
		if _, err := p.Exec(ctx, s); err != nil {
			t.Fatalf("testdb: %s: %v", s, err)
		}
	}
}

func newPostgres(t testing.TB) Target {
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		t.Skipf("Skipping: %s is not set", EnvPostgres)
	}
	d := pgdialect.New()
	ns := randName()
	adminExec(t, d, dsn, `CREATE SCHEMA "`+ns+`"`)
	t.Cleanup(func() { adminExec(t, d, dsn, `DROP SCHEMA "`+ns+`" CASCADE`) })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("testdb: %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", ns)
	u.RawQuery = q.Encode()
	return Target{Name: "postgres", Dialect: d, DSN: u.String()}
}

func newMariaDB(t testing.TB) Target {
	dsn := os.Getenv(EnvMariaDB)
	if dsn == "" {
		t.Skipf("Skipping: %s is not set", EnvMariaDB)
	}
	d := mysqldialect.New()
	ns := randName()
	adminExec(t, d, dsn, "CREATE DATABASE `"+ns+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	t.Cleanup(func() { adminExec(t, d, dsn, "DROP DATABASE `"+ns+"`") })
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("testdb: %s: %v", EnvMariaDB, err)
	}
	cfg.DBName = ns
	return Target{Name: "mariadb", Dialect: d, DSN: cfg.FormatDSN()}
}
