package engine_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/sqlerr"
)

// TestWithPoolLimitsConnections: the pool opened with WithPool reports the
// limit and never opens more: with MaxOpen connections taken, the next
// caller waits until its context ends; given back, at most MaxIdle stay.
func TestWithPoolLimitsConnections(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		o := engine.PoolOptions{MaxOpen: 3, MaxIdle: 2, MaxLifetime: time.Hour, MaxIdleTime: time.Minute}
		if tg.Name == "postgres" {
			o.MaxIdle, o.MinOpen = 0, 1 // pgxpool has a floor, not an idle cap
		}
		db := open(t, tg, engine.WithPool(o))
		if got := db.Stats().MaxOpen; got != 3 {
			t.Fatalf("Stats().MaxOpen = %d, want 3", got)
		}
		var conns []*engine.Conn
		for range 3 {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		if s := db.Stats(); s.InUse != 3 || s.Open != 3 {
			t.Fatalf("with 3 connections taken: %+v", s)
		}
		short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		_, err := db.Conn(short)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a fourth connection: %v, want to wait until the deadline", err)
		}
		if s := db.Stats(); s.Open != 3 || s.WaitCount == 0 {
			t.Fatalf("after a caller waited: %+v", s)
		}
		for _, c := range conns {
			c.Close()
		}
		s := db.Stats()
		switch tg.Name {
		case "postgres":
			cfg := db.Pool().Driver().(*pgxpool.Pool).Config()
			if cfg.MaxConns != 3 || cfg.MinConns != 1 || cfg.MaxConnLifetime != time.Hour || cfg.MaxConnIdleTime != time.Minute {
				t.Fatalf("pgxpool config: MaxConns %d MinConns %d MaxConnLifetime %v MaxConnIdleTime %v",
					cfg.MaxConns, cfg.MinConns, cfg.MaxConnLifetime, cfg.MaxConnIdleTime)
			}
			if s.Idle != 3 {
				t.Fatalf("pgxpool keeps its idle connections: %+v", s)
			}
		default:
			if s.Idle != 2 || s.Open != 2 {
				t.Fatalf("given back, %+v; want 2 idle kept (MaxIdle) and the third closed", s)
			}
		}
	})
}

// TestWithPoolIdleTimeClosesConnections: MaxIdleTime closes connections
// left idle (database/sql checks at most once a second; pgxpool at its
// health check, every minute unless the DSN's pool_health_check_period
// says otherwise).
func TestWithPoolIdleTimeClosesConnections(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		if tg.Name == "postgres" {
			tg.DSN = withParam(t, tg.DSN, "pool_health_check_period", "100ms")
		}
		ctx := context.Background()
		db := open(t, tg, engine.WithPool(engine.PoolOptions{MaxIdleTime: 100 * time.Millisecond}))
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for db.Stats().Open > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if s := db.Stats(); s.Open != 0 {
			t.Fatalf("after 5 s idle with MaxIdleTime 100ms: %+v", s)
		}
		if err := db.Ping(ctx); err != nil { // and the pool opens a new one
			t.Fatal(err)
		}
	})
}

// TestPoolDefaults: without WithPool the DSN's settings and the dialect's
// defaults hold; a WithPool field wins over the DSN.
func TestPoolDefaults(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		switch tg.Name {
		case "sqlite":
			db := open(t, tg)
			if got := db.Stats().MaxOpen; got != sqlitedialect.DefaultMaxOpen() {
				t.Fatalf("SQLite file database: MaxOpen %d, want %d", got, sqlitedialect.DefaultMaxOpen())
			}
		case "mariadb":
			if got := open(t, tg).Stats().MaxOpen; got != 0 {
				t.Fatalf("MariaDB: MaxOpen %d, want database/sql's 0 (no limit)", got)
			}
		case "postgres":
			withDSN := testdb.Target{Name: tg.Name, Dialect: tg.Dialect, DSN: withParam(t, tg.DSN, "pool_max_conns", "5")}
			if got := open(t, withDSN).Stats().MaxOpen; got != 5 {
				t.Fatalf("pool_max_conns=5: MaxOpen %d", got)
			}
			if got := open(t, withDSN, engine.WithPool(engine.PoolOptions{MaxOpen: 2})).Stats().MaxOpen; got != 2 {
				t.Fatalf("pool_max_conns=5 and MaxOpen 2: MaxOpen %d, want 2", got)
			}
		}
	})
}

// TestWithPoolRefusesWhatTheDatabaseCannotDo: each refusal is typed and
// says why.
func TestWithPoolRefusesWhatTheDatabaseCannotDo(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		try := func(o engine.PoolOptions) error {
			db, err := engine.Open(ctx, tg.Dialect, tg.DSN, engine.WithPool(o))
			if err == nil {
				db.Close()
			}
			return err
		}
		for _, o := range []engine.PoolOptions{{MaxOpen: -1}, {MinOpen: -1}, {MaxOpen: 2, MaxIdle: 3}, {MaxOpen: 2, MinOpen: 3}} {
			if err := try(o); !errors.Is(err, dialect.ErrPoolOptions) {
				t.Errorf("%+v: %v, want dialect.ErrPoolOptions", o, err)
			}
		}
		unsupported := engine.PoolOptions{MinOpen: 1} // database/sql has no floor
		if tg.Name == "postgres" {
			unsupported = engine.PoolOptions{MaxIdle: 1} // pgxpool has no idle cap
		}
		if err := try(unsupported); !errors.Is(err, sqlerr.ErrUnsupported) {
			t.Errorf("%+v: %v, want sqlerr.ErrUnsupported", unsupported, err)
		}
	})
}

func TestNewRefusesWithPool(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New with WithPool did not panic")
		}
	}()
	engine.New(sqlitedialect.New(), nil, engine.WithPool(engine.PoolOptions{MaxOpen: 1}))
}

// withParam sets a parameter of a postgres:// DSN.
func withParam(t *testing.T, dsn, k, v string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}
