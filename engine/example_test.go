package engine_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// Open a database, create tables from metadata, and run statements built
// with expr or written as SQL. Errors are typed: a violated constraint is
// an *sqlerr.IntegrityError naming it.
func ExampleOpen() {
	ctx := context.Background()
	db, err := engine.Open(ctx, sqlitedialect.New(), ":memory:") // or "file:app.db"
	if err != nil {
		panic(err)
	}
	defer db.Close()

	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{
		Name: "users",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "email", Type: schema.Varchar(200)},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		Uniques:    []*schema.Unique{{Columns: []string{"email"}}},
	})
	if err := engine.CreateAll(ctx, db, md); err != nil {
		panic(err)
	}

	users := expr.T("users")
	ins := expr.Insert(users).Columns("email").Values("ann@example.com").Values("bob@example.com")
	if _, err := engine.ExecStmt(ctx, db, ins); err != nil {
		panic(err)
	}
	_, err = engine.ExecStmt(ctx, db, expr.Insert(users).Columns("email").Values("ann@example.com"))
	var ie *sqlerr.IntegrityError
	if errors.As(err, &ie) {
		fmt.Println(ie.Kind, ie.Constraint)
	}

	var n int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		panic(err)
	}
	fmt.Println(n, "users")

	var id int64
	err = engine.QueryRowStmt(ctx, db, expr.Select(users.C("id")).From(users).Where(expr.Eq(users.C("email"), "cy@example.com"))).Scan(&id)
	fmt.Println("no row:", errors.Is(err, sqlerr.ErrNotFound))
	// Output:
	// unique uq_users_email
	// 2 users
	// no row: true
}

// RunInTx commits when the function returns nil and rolls back when it
// returns an error; a serialization failure or deadlock runs it again.
func ExampleDB_RunInTx() {
	ctx := context.Background()
	db, err := engine.Open(ctx, sqlitedialect.New(), ":memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)"); err != nil {
		panic(err)
	}
	if _, err := db.Exec(ctx, "INSERT INTO accounts VALUES (1, 100), (2, 0)"); err != nil {
		panic(err)
	}

	a := expr.T("accounts")
	transfer := func(ctx context.Context, tx *engine.Tx) error {
		var balance int
		if err := engine.QueryRowStmt(ctx, tx, expr.Select(a.C("balance")).From(a).Where(expr.Eq(a.C("id"), 1))).Scan(&balance); err != nil {
			return err
		}
		if balance < 60 {
			return errors.New("insufficient funds")
		}
		if _, err := engine.ExecStmt(ctx, tx, expr.Update(a).Set("balance", balance-60).Where(expr.Eq(a.C("id"), 1))); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance + 60 WHERE id = 2")
		return err
	}
	fmt.Println(db.RunInTx(ctx, dialect.TxOptions{}, transfer))
	fmt.Println(db.RunInTx(ctx, dialect.TxOptions{}, transfer)) // rolled back

	var b1, b2 int
	_ = db.QueryRow(ctx, "SELECT (SELECT balance FROM accounts WHERE id = 1), (SELECT balance FROM accounts WHERE id = 2)").Scan(&b1, &b2)
	fmt.Println(b1, b2)
	// Output:
	// <nil>
	// insufficient funds
	// 40 60
}

// A RetryPolicy bounds attempts and time; the pause before each retry is
// drawn from [0, Backoff(n)), which doubles up to MaxDelay.
func ExampleRetryPolicy() {
	p := engine.DefaultRetryPolicy()
	fmt.Println(p.MaxAttempts, p.Budget)
	var pauses []time.Duration
	for n := 1; n < p.MaxAttempts; n++ {
		pauses = append(pauses, p.Backoff(n))
	}
	fmt.Println(pauses)

	// Fewer, longer pauses for a batch job, retrying lock timeouts only.
	batch := engine.RetryPolicy{
		MaxAttempts: 5,
		Budget:      time.Minute,
		BaseDelay:   100 * time.Millisecond,
		MaxDelay:    5 * time.Second,
		Retryable: func(err error) bool {
			var re *sqlerr.RetryableError
			return errors.As(err, &re) && re.Reason == "lock timeout"
		},
	}
	_ = engine.WithRetryPolicy(batch) // an engine.Open option
	fmt.Println(batch.Backoff(1), batch.Backoff(4))
	// Output:
	// 10 2s
	// [5ms 10ms 20ms 40ms 80ms 160ms 200ms 200ms 200ms]
	// 100ms 800ms
}
