package testdb

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect/pgdialect"
)

// EnvPGReplica names a PostgreSQL primary and its streaming replica, as
// two DSNs separated by a space (scripts/pgreplica.sh start prints them).
const EnvPGReplica = "STRATA_TEST_PG_REPLICA"

// PGReplica prepares a fresh schema on the primary (it streams to the
// replica) and returns the primary's and the replica's targets on it, or
// skips the test if STRATA_TEST_PG_REPLICA is unset.
func PGReplica(t testing.TB) (primary, replica Target) {
	t.Helper()
	dsns := strings.Fields(os.Getenv(EnvPGReplica))
	if len(dsns) == 0 {
		t.Skipf("Skipping: %s is not set", EnvPGReplica)
	}
	if len(dsns) != 2 {
		t.Fatalf("testdb: %s holds %d DSNs, want a primary and a replica", EnvPGReplica, len(dsns))
	}
	d := pgdialect.New()
	ns := randName()
	adminExec(t, d, dsns[0], `CREATE SCHEMA "`+ns+`"`)
	t.Cleanup(func() { adminExec(t, d, dsns[0], `DROP SCHEMA "`+ns+`" CASCADE`) })
	at := func(dsn string) Target {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("testdb: %s: %v", EnvPGReplica, err)
		}
		q := u.Query()
		q.Set("search_path", ns)
		u.RawQuery = q.Encode()
		return Target{Name: "postgres", Dialect: d, DSN: u.String()}
	}
	return at(dsns[0]), at(dsns[1])
}
