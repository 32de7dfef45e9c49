package testdb

import (
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-go/strata/dialect/mysqldialect"
)

// EnvGalera names the nodes of a MariaDB Galera cluster, as DSNs
// separated by commas (scripts/galera.sh start prints them).
const EnvGalera = "STRATA_TEST_GALERA"

// Galera prepares a fresh database on a Galera cluster and returns one
// target per node, each connected to that database on its node, or skips
// the test if STRATA_TEST_GALERA is unset. The database is created on the
// first node (DDL replicates to every node) and dropped afterwards.
func Galera(t testing.TB) []Target {
	t.Helper()
	env := os.Getenv(EnvGalera)
	if env == "" {
		t.Skipf("Skipping: %s is not set", EnvGalera)
	}
	dsns := strings.Split(env, ",")
	d := mysqldialect.New()
	ns := randName()
	adminExec(t, d, dsns[0], "CREATE DATABASE `"+ns+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	t.Cleanup(func() { adminExec(t, d, dsns[0], "DROP DATABASE `"+ns+"`") })
	var out []Target
	for _, dsn := range dsns {
		cfg, err := mysql.ParseDSN(strings.TrimSpace(dsn))
		if err != nil {
			t.Fatalf("testdb: %s: %v", EnvGalera, err)
		}
		// Wait until this node has applied the CREATE DATABASE: a read
		// with wsrep_sync_wait waits for everything committed before it.
		sync := cfg.Clone()
		sync.DBName = ""
		sync.Params = map[string]string{"wsrep_sync_wait": "1"}
		adminExec(t, d, sync.FormatDSN(), "SELECT 1")
		cfg.DBName = ns
		out = append(out, Target{Name: "galera", Dialect: d, DSN: cfg.FormatDSN()})
	}
	return out
}
