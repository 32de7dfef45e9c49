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

// JSON documents are queried through paths of keys and indexes, every key
// and value bound; Int compares numerically on every database, and the
// LIKE helpers take user input literally.
func ExampleJSONPath() {
	events := expr.T("events")
	payload := events.C("payload")
	q := expr.Select(expr.JSONPath(payload, "user", "name").Text()).From(events).
		Where(
			expr.Gt(expr.JSONPath(payload, "items", 0, "qty").Int(), 5),
			expr.JSONHasKey(payload, "user"),
			expr.IContains(events.C("title"), "50%_off"),
		).
		OrderBy(expr.Desc(expr.JSONPath(payload, "items", 0, "qty").Int()))
	for _, d := range []dialect.Dialect{pgdialect.New(), mysqldialect.New(), sqlitedialect.New()} {
		s, args, err := expr.Build(d, q)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %s %v\n", d.Name(), s, args)
	}

	ctx := context.Background()
	db, err := engine.Open(ctx, sqlitedialect.New(), ":memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE events (title TEXT, payload JSON_TEXT)"); err != nil {
		panic(err)
	}
	ins := expr.Insert(events).Columns("title", "payload").
		Values("Sale: 50%_OFF", `{"user": {"name": "ann"}, "items": [{"qty": 10}]}`).
		Values("Sale: 50% off", `{"user": {"name": "bob"}, "items": [{"qty": 20}]}`).
		Values("Sale: 50%_off", `{"user": {"name": "cy"}, "items": [{"qty": 9}]}`).
		Values("Sale: 50%_off", `{"items": [{"qty": 30}]}`)
	if _, err := engine.ExecStmt(ctx, db, ins); err != nil {
		panic(err)
	}
	rows, err := engine.QueryStmt(ctx, db, q)
	if err != nil {
		panic(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			panic(err)
		}
		fmt.Println(name)
	}
	// Output:
	// postgres: SELECT ("events"."payload" #>> $1::text[]) FROM "events" WHERE CAST(("events"."payload" #>> $2::text[]) AS bigint) > $3 AND (("events"."payload" #> $4::text[]) IS NOT NULL) AND "events"."title" ILIKE $5 ESCAPE '\' ORDER BY CAST(("events"."payload" #>> $6::text[]) AS bigint) DESC [[user name] [items 0 qty] 5 [user] %50\%\_off% [items 0 qty]]
	// mysql: SELECT JSON_UNQUOTE(NULLIF(CAST(JSON_EXTRACT(`events`.`payload`, ?) AS CHAR), 'null')) FROM `events` WHERE CAST(TRUNCATE(CAST(JSON_VALUE(`events`.`payload`, ?) AS DECIMAL(65,10)), 0) AS SIGNED) > ? AND JSON_CONTAINS_PATH(`events`.`payload`, 'one', ?) AND LOWER(`events`.`title`) LIKE LOWER(?) ESCAPE '\\' ORDER BY CAST(TRUNCATE(CAST(JSON_VALUE(`events`.`payload`, ?) AS DECIMAL(65,10)), 0) AS SIGNED) DESC [$."user"."name" $."items"[0]."qty" 5 $."user" %50\%\_off% $."items"[0]."qty"]
	// sqlite: SELECT CASE json_type("events"."payload", ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(json_extract("events"."payload", ?) AS TEXT) END FROM "events" WHERE CAST(json_extract("events"."payload", ?) AS INTEGER) > ? AND (json_type("events"."payload", ?) IS NOT NULL) AND LOWER("events"."title") LIKE LOWER(?) ESCAPE '\' ORDER BY CAST(json_extract("events"."payload", ?) AS INTEGER) DESC [$."user"."name" $."user"."name" $."items"[0]."qty" 5 $."user" %50\%\_off% $."items"[0]."qty"]
	// ann
	// cy
}
