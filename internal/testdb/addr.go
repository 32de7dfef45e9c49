package testdb

import (
	"net"
	"net/url"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Addr returns the host:port of the target's server ("" for SQLite).
func (tg Target) Addr(t testing.TB) string {
	t.Helper()
	switch tg.Name {
	case "postgres":
		u, err := url.Parse(tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		if u.Port() == "" {
			return net.JoinHostPort(u.Hostname(), "5432")
		}
		return u.Host
	case "mariadb", "galera":
		cfg, err := mysql.ParseDSN(tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Addr
	}
	return ""
}

// Via returns the target with its DSN pointing at addr (a fault-injecting
// proxy in front of the server) instead of the server itself.
func (tg Target) Via(t testing.TB, addr string) Target {
	t.Helper()
	switch tg.Name {
	case "postgres":
		u, err := url.Parse(tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = addr
		tg.DSN = u.String()
	case "mariadb", "galera":
		cfg, err := mysql.ParseDSN(tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Addr = addr
		tg.DSN = cfg.FormatDSN()
	default:
		t.Fatalf("testdb: %s has no server address", tg.Name)
	}
	return tg
}
