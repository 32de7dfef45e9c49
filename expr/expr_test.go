package expr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

var dialects = []dialect.Dialect{pgdialect.New(), mysqldialect.New(), sqlitedialect.New()}

var users = &schema.Table{
	Name: "users",
	Columns: []*schema.Column{
		{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
		{Name: "name", Type: schema.Text()},
		{Name: "age", Type: schema.Integer(), Nullable: true},
	},
	PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
}

// cases are rendered for every dialect into one golden file per dialect.
func cases() []struct {
	name string
	stmt expr.Statement
} {
	u := expr.Of(users).As("u")
	p := expr.T("posts").As("p")
	return []struct {
		name string
		stmt expr.Statement
	}{
		{"select all", expr.Select().From(expr.T("users"))},
		{"select where order limit offset", expr.Select(u.C("id"), u.C("name")).From(u).
			Where(expr.Eq(u.C("name"), "ann"), expr.Gt(u.C("age"), 18)).
			OrderBy(expr.Desc(u.C("age")), expr.Asc(u.C("id"))).Limit(10).Offset(20)},
		{"offset without limit", expr.Select().From(expr.T("users")).Offset(5)},
		{"join group having", expr.Select(u.C("id"), expr.As(expr.CountAll(), "n")).From(u).
			LeftJoin(p, expr.Eq(p.C("user_id"), u.C("id"))).
			GroupBy(u.C("id")).Having(expr.Gt(expr.CountAll(), 2))},
		{"in slice", expr.Select().From(expr.T("users")).Where(expr.In(expr.C("id"), []int64{1, 2, 3}))},
		{"not in slice", expr.Select().From(expr.T("users")).Where(expr.NotIn(expr.C("id"), []int64{4, 5}))},
		{"in empty", expr.Select().From(expr.T("users")).Where(expr.In(expr.C("id"), []int64{}))},
		{"in any slice", expr.Select().From(expr.T("users")).Where(expr.In(expr.C("id"), []any{1, "x"}))},
		{"in subquery", expr.Select().From(expr.T("users")).Where(expr.In(expr.C("id"),
			expr.Select(expr.C("user_id")).From(expr.T("posts")).Where(expr.Eq(expr.C("draft"), false))))},
		{"exists and or not null", expr.Select(expr.C("id")).From(u).Where(expr.Or(
			expr.Exists(expr.Select(expr.Raw("1")).From(p).Where(expr.Eq(p.C("user_id"), u.C("id")))),
			expr.And(expr.IsNull(u.C("age")), expr.Not(expr.Like(u.C("name"), "a%"))),
		))},
		{"subquery in from", expr.Select(expr.C("n")).From(expr.Subquery(
			expr.Select(expr.As(expr.Count(expr.C("id")), "n")).From(expr.T("users")), "s"))},
		{"for update", expr.Select().From(expr.T("users")).Where(expr.Eq(expr.C("id"), 1)).ForUpdate()},
		{"raw with args", expr.Select(expr.Raw("? + ?", 1, 2), expr.Raw("'??'"))},
		{"insert one", expr.Insert(expr.T("users")).Columns("name", "age").Values("ann", 30)},
		{"insert multi", expr.Insert(expr.T("users")).Columns("name", "age").Values("ann", 30).Values("bob", nil).Values("cy", 7)},
		{"insert default values", expr.Insert(expr.T("users"))},
		{"insert select", expr.Insert(expr.T("archive")).Columns("id", "name").
			Select(expr.Select(expr.C("id"), expr.C("name")).From(expr.T("users")).Where(expr.Lt(expr.C("age"), 3)))},
		{"upsert do nothing", expr.Insert(expr.T("users")).Columns("id", "name").Values(1, "ann").OnConflict("id").DoNothing()},
		{"upsert do update", expr.Insert(expr.T("users")).Columns("id", "name", "age").Values(1, "ann", 3).
			OnConflict("id").DoUpdateColumns("name", "age")},
		{"upsert do update expr", expr.Insert(expr.T("counters")).Columns("k", "n").Values("a", 1).
			OnConflict("k").DoUpdate(expr.Set("n", expr.Add(expr.T("counters").C("n"), expr.Excluded("n"))))},
		{"update", expr.Update(expr.T("users")).Set("name", "bo").Set("age", expr.Add(expr.C("age"), 1)).Where(expr.Eq(expr.C("id"), 7))},
		{"update all", expr.Update(expr.T("users")).Set("age", nil).All()},
		{"delete", expr.Delete(expr.T("users")).Where(expr.In(expr.C("id"), []int32{1, 2}))},
		{"insert returning", expr.Insert(expr.T("users")).Columns("name").Values("ann").Returning(expr.C("id"))},
		{"update returning", expr.Update(expr.T("users")).Set("age", 1).Where(expr.Eq(expr.C("id"), 1)).Returning(expr.C("age"))},
		{"delete returning", expr.Delete(expr.T("users")).Where(expr.Eq(expr.C("id"), 1)).Returning(expr.C("id"))},
		{"count plain", expr.Select(u.C("id")).From(u).Where(expr.Gt(u.C("age"), 1)).OrderBy(expr.Asc(u.C("id"))).CountStmt()},
		{"count limited", expr.Select(u.C("id")).From(u).Limit(5).Offset(2).CountStmt()},
		{"update rows", expr.UpdateRows(expr.T("users"), []string{"id"}, []string{"name", "age"}, []string{"version"},
			[]schema.Type{schema.BigInt(), schema.Varchar(20), schema.Integer(), schema.Integer()}).
			Row(1, "ann", 30, 4).Row(2, "bob", nil, 1)},
		{"update rows returning", expr.UpdateRows(expr.T("users"), []string{"id"}, []string{"age"}, nil,
			[]schema.Type{schema.BigInt(), schema.Integer()}).Row(1, 2).Row(3, 4).Returning(expr.T("users").C("id"))},
		{"update arrays", expr.UpdateArrays(expr.T("users"), []string{"id"}, []string{"name", "age"}, []string{"version"},
			[]schema.Type{schema.BigInt(), schema.Varchar(20), schema.Integer(), schema.Integer()},
			[]any{[]int64{1, 2}, []string{"ann", "bob"}, []*int32{nil, nil}, []int32{4, 1}}).Returning(expr.T("users").C("id"))},
		{"insert arrays", expr.InsertArrays(expr.T("users"), []string{"name", "age"}, []schema.Type{schema.Varchar(20), schema.Integer()},
			[]any{[]string{"ann", "bob"}, []*int32{nil, nil}}).Returning(expr.C("id"))},
		{"like escape", expr.Select().From(expr.T("users")).Where(expr.LikeEscape(expr.C("name"), "a!%b%", '!'))},
		{"like escape backslash", expr.Select().From(expr.T("users")).Where(expr.LikeEscape(expr.C("name"), expr.EscapeLike(`50%_\`)+"%", '\\'))},
		{"contains starts ends", expr.Select().From(expr.T("users")).Where(
			expr.Contains(expr.C("name"), `1%_\'`), expr.StartsWith(expr.C("name"), "a_"), expr.EndsWith(expr.C("name"), "%z"))},
		{"ilike", expr.Select().From(expr.T("users")).Where(expr.ILike(expr.C("name"), "an%"))},
		{"icontains istarts iends", expr.Select().From(expr.T("users")).Where(
			expr.IContains(expr.C("name"), "N%"), expr.IStartsWith(expr.C("name"), "A_"), expr.IEndsWith(expr.C("name"), `\Z`))},
		{"json value and text", expr.Select(expr.JSONPath(expr.C("doc"), "a", 0), expr.JSONPath(expr.C("doc"), "tags", 1).Text()).
			From(expr.T("docs")).Where(expr.Eq(expr.JSONPath(expr.C("doc"), "user", "name").Text(), "ann"))},
		{"json numbers order", expr.Select(expr.C("id")).From(expr.T("docs")).
			Where(expr.Gt(expr.JSONPath(expr.C("doc"), "n").Int(), 5), expr.Le(expr.JSONPath(expr.C("doc"), "price").Float(), 9.5)).
			OrderBy(expr.Desc(expr.JSONPath(expr.C("doc"), "n").Int()), expr.Asc(expr.JSONPath(expr.C("doc"), "name").Text()))},
		{"json bool len exists", expr.Select(expr.JSONPath(expr.C("doc"), "tags").Len()).From(expr.T("docs")).
			Where(expr.JSONPath(expr.C("doc"), "ok").Bool(), expr.JSONHasKey(expr.JSONPath(expr.C("doc"), "user"), "name"),
				expr.JSONPath(expr.C("doc"), "tags", 2).Exists())},
		{"json negative index", expr.Select(expr.JSONPath(expr.C("doc"), "tags", -1, "k", -3)).From(expr.T("docs"))},
		{"json hostile keys", expr.Select(expr.JSONPath(expr.C("doc"), `a"; DROP TABLE docs; --`, `b\c`, "x.y").Text()).From(expr.T("docs"))},
		{"json contains", expr.Select(expr.C("id")).From(expr.T("docs")).
			Where(expr.JSONContains(expr.C("doc"), map[string]any{"tags": []string{"go"}}), expr.JSONContains(expr.JSONPath(expr.C("doc"), "n"), 7))},
		{"json equal", expr.Select(expr.C("id")).From(expr.T("docs")).
			Where(expr.JSONEqual(expr.JSONPath(expr.C("doc"), "tags"), []string{"go"}), expr.JSONEqual(expr.JSONPath(expr.C("doc"), "a"), expr.JSONPath(expr.C("doc"), "b")))},
		{"json control characters in keys", expr.Select(expr.JSONPath(expr.C("doc"), "tab\there", "bell\a")).From(expr.T("docs"))},
		{"hostile identifiers", expr.Select(expr.T(`we"ird`).C("a`b")).From(expr.T(`we"ird`)).
			Where(expr.Eq(expr.C("x; DROP TABLE users; --"), "'; DROP TABLE users; --"))},
	}
}

func TestGoldenSQL(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.Name(), func(t *testing.T) {
			var b strings.Builder
			for _, c := range cases() {
				q, args, err := expr.Build(d, c.stmt)
				fmt.Fprintf(&b, "-- %s\n", c.name)
				if err != nil {
					fmt.Fprintf(&b, "error: %v\n\n", err)
					continue
				}
				fmt.Fprintf(&b, "%s\nargs: %v\n\n", q, args)
			}
			golden.Check(t, "sql_"+d.Name()+".golden", b.String())
		})
	}
}

func TestValuesAreNeverInterpolated(t *testing.T) {
	evil := "'); DROP TABLE users; --"
	for _, d := range dialects {
		q, args, err := expr.Build(d, expr.Insert(expr.T("users")).Columns("name").Values(evil))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(q, "DROP") || len(args) != 1 || args[0] != evil {
			t.Errorf("%s: value leaked into SQL: %s %v", d.Name(), q, args)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	d := sqlitedialect.New()
	for _, c := range []struct {
		name string
		stmt expr.Statement
		want string
	}{
		{"unknown column", expr.Select(expr.Of(users).C("nope")).From(expr.Of(users)), `no column "nope"`},
		{"update without where", expr.Update(expr.T("users")).Set("a", 1), "without WHERE"},
		{"delete without where", expr.Delete(expr.T("users")), "without WHERE"},
		{"update nothing", expr.Update(expr.T("users")).Where(expr.Eq(expr.C("id"), 1)), "sets nothing"},
		{"row width", expr.Insert(expr.T("users")).Columns("a", "b").Values(1), "1 values for 2 columns"},
		{"raw arity", expr.Select(expr.Raw("?", 1, 2)), "placeholders"},
		{"in non-slice", expr.Select().From(expr.T("users")).Where(expr.In(expr.C("id"), 5)), "needs a slice"},
		{"upsert undecided", expr.Insert(expr.T("users")).Columns("id").Values(1).OnConflict("id").DoUpdate(), "DoNothing or DoUpdate"},
	} {
		_, _, err := expr.Build(d, c.stmt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	_, _, err := expr.Build(d, expr.Delete(expr.T("users")))
	if !errors.Is(err, expr.ErrNoWhere) {
		t.Errorf("delete without where: %v is not ErrNoWhere", err)
	}
	_, _, err = expr.Build(mysqldialect.New(), expr.Update(expr.T("users")).Set("a", 1).All().Returning(expr.C("a")))
	if !errors.Is(err, sqlerr.ErrUnsupported) {
		t.Errorf("UPDATE RETURNING on mysql: %v is not ErrUnsupported", err)
	}
}

func TestTooManyParams(t *testing.T) {
	d := sqlitedialect.New()
	ids := make([]int, d.MaxParams()+1)
	_, _, err := expr.Build(d, expr.Select().From(expr.T("t")).Where(expr.In(expr.C("id"), ids)))
	if !errors.Is(err, expr.ErrTooManyParams) {
		t.Fatalf("got %v, want ErrTooManyParams", err)
	}
	// PostgreSQL binds the whole list as one array.
	_, args, err := expr.Build(pgdialect.New(), expr.Select().From(expr.T("t")).Where(expr.In(expr.C("id"), make([]int64, 100000))))
	if err != nil || len(args) != 1 {
		t.Fatalf("postgres = ANY: %v, %d args", err, len(args))
	}
	for _, chunk := range expr.Chunk(ids, 1000) {
		if _, _, err := expr.Build(d, expr.Select().From(expr.T("t")).Where(expr.In(expr.C("id"), chunk))); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChunk(t *testing.T) {
	got := expr.Chunk([]int{1, 2, 3, 4, 5}, 2)
	if fmt.Sprint(got) != "[[1 2] [3 4] [5]]" {
		t.Fatalf("Chunk = %v", got)
	}
	if len(expr.Chunk([]int{}, 3)) != 0 {
		t.Fatal("empty input gives chunks")
	}
	// chunks must not alias into each other on append
	c := expr.Chunk([]int{1, 2, 3}, 2)
	_ = append(c[0], 99)
	if c[1][0] != 3 {
		t.Fatal("appending to a chunk overwrote the next one")
	}
}
