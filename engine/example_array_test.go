package engine_test

import (
	"context"
	"fmt"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
)

// Array columns: bind a Go slice with dialect.Array, scan one with
// dialect.ArrayDest, and query with the array operators. The same code runs
// on PostgreSQL (native text[]) and MariaDB (a JSON array).
func Example_arrayColumns() {
	ctx := context.Background()
	db, err := engine.Open(ctx, sqlitedialect.New(), ":memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{
		Name: "posts",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt()},
			{Name: "tags", Type: schema.Array(schema.Text()), Nullable: true},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	})
	if err := engine.CreateAll(ctx, db, md); err != nil {
		panic(err)
	}
	posts := expr.T("posts")
	ins := expr.Insert(posts).Columns("id", "tags").
		Values(1, dialect.Array{Slice: []string{"go", "sql"}}).
		Values(2, dialect.Array{Slice: []string{"go", `"quoted", with comma`}}).
		Values(3, dialect.Array{Slice: []string(nil)}) // NULL
	if _, err := engine.ExecStmt(ctx, db, ins); err != nil {
		panic(err)
	}

	var tags []string
	if err := engine.QueryRowStmt(ctx, db, expr.Select(posts.C("tags")).From(posts).
		Where(expr.Eq(posts.C("id"), 2))).Scan(dialect.ArrayDest{Ptr: &tags}); err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", tags)

	for _, cond := range []expr.Expr{
		expr.ArrayHas(posts.C("tags"), "sql"),
		expr.ArrayOverlaps(posts.C("tags"), []string{"sql", "orm"}),
		expr.ArrayContainsAll(posts.C("tags"), []string{"go"}),
		expr.Not(expr.ArrayHas(posts.C("tags"), "sql")), // NULL matches neither
		expr.Eq(expr.ArrayLength(posts.C("tags")), 2),
	} {
		rows, err := engine.QueryStmt(ctx, db, expr.Select(posts.C("id")).From(posts).Where(cond).OrderBy(expr.Asc(posts.C("id"))))
		if err != nil {
			panic(err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				panic(err)
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			panic(err)
		}
		fmt.Println(ids)
	}
	// Output:
	// ["go" "\"quoted\", with comma"]
	// [1]
	// [1]
	// [1 2]
	// [2]
	// [1 2]
}
