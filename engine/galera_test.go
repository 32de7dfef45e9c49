package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/sqlerr"
)

// TestGaleraCertificationFailureIsRetryable: two transactions on two
// Galera nodes update one row; both UPDATEs succeed (no lock spans
// nodes), the first COMMIT wins and the second fails certification with
// 1213, which is a retryable error that left nothing written, and the row
// holds the winner's value on every node.
func TestGaleraCertificationFailureIsRetryable(t *testing.T) {
	nodes := testdb.Galera(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, b := open(t, nodes[0]), open(t, nodes[1])
	if _, err := a.Exec(ctx, "CREATE TABLE hot (id INT PRIMARY KEY, n INT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "INSERT INTO hot VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	// Node 2 has the row before its transaction starts: a causal read
	// (wsrep_sync_wait) waits for it.
	c, err := b.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Exec(ctx, "SET SESSION wsrep_sync_wait = 1"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT n FROM hot WHERE id = 1").Scan(&n); err != nil || n != 0 {
		t.Fatalf("node 2 reads n = %d (%v)", n, err)
	}
	txa, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txb, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := txa.Exec(ctx, "UPDATE hot SET n = 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := txb.Exec(ctx, "UPDATE hot SET n = 2 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if err := txa.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	err = txb.Commit(ctx)
	if !sqlerr.IsRetryable(err) {
		t.Fatalf("the losing COMMIT: %v (%T), want a retryable error", err, err)
	}
	if err := c.QueryRow(ctx, "SELECT n FROM hot WHERE id = 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("node 2 reads n = %d (%v), want the winner's 1", n, err)
	}
}
