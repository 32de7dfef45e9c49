package expr_test

import (
	"context"
	"fmt"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
)

// An upsert exists only when asked for by name: OnConflict. The same
// statement renders for each dialect, every value bound.
func ExampleInsertStmt_OnConflict() {
	hits := expr.T("page_hits")
	upsert := func() expr.Statement {
		return expr.Insert(hits).Columns("path", "n").Values("/", 1).
			OnConflict("path").
			DoUpdate(expr.Set("n", expr.Add(hits.C("n"), expr.Excluded("n"))))
	}
	for _, d := range []dialect.Dialect{pgdialect.New(), mysqldialect.New(), sqlitedialect.New()} {
		q, args, err := expr.Build(d, upsert())
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %s %v\n", d.Name(), q, args)
	}

	// Run it on SQLite: the second upsert adds to the row the first wrote.
	ctx := context.Background()
	db, err := engine.Open(ctx, sqlitedialect.New(), ":memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE page_hits (path TEXT PRIMARY KEY, n INTEGER NOT NULL)"); err != nil {
		panic(err)
	}
	for range 2 {
		if _, err := engine.ExecStmt(ctx, db, upsert()); err != nil {
			panic(err)
		}
	}
	var n int
	_ = engine.QueryRowStmt(ctx, db, expr.Select(hits.C("n")).From(hits).Where(expr.Eq(hits.C("path"), "/"))).Scan(&n)
	fmt.Println("n =", n)
	// Output:
	// postgres: INSERT INTO "page_hits" ("path", "n") VALUES ($1, $2) ON CONFLICT ("path") DO UPDATE SET "n" = ("page_hits"."n" + excluded."n") [/ 1]
	// mysql: INSERT INTO `page_hits` (`path`, `n`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `n` = (`page_hits`.`n` + VALUES(`n`)) [/ 1]
	// sqlite: INSERT INTO "page_hits" ("path", "n") VALUES (?, ?) ON CONFLICT ("path") DO UPDATE SET "n" = ("page_hits"."n" + excluded."n") [/ 1]
	// n = 2
}
