package expr_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/schema"
)

var namesTable = &schema.Table{
	Name: "names",
	Columns: []*schema.Column{
		{Name: "id", Type: schema.Integer()},
		{Name: "name", Type: schema.Varchar(100)},
	},
	PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
}

// names holds the LIKE wildcards, the escape characters and quotes, each
// next to a decoy that a wildcard would match.
var names = []string{
	1:  "100% sure",
	2:  "100 percent",
	3:  "a_b",
	4:  "axb",
	5:  `back\slash`,
	6:  "backslash",
	7:  "it's",
	8:  "its",
	9:  "bang!",
	10: "bang",
	11: "MiXeD Case",
	12: `x%_\!'y`,
	13: `x%_\!y`,
	14: "ab",
}

func namesDB(t *testing.T, tg testdb.Target) *engine.DB {
	t.Helper()
	db := openDB(t, tg, namesTable)
	ins := expr.Insert(expr.T("names")).Columns("id", "name")
	for id, n := range names {
		if n != "" {
			ins.Values(id, n)
		}
	}
	if _, err := engine.ExecStmt(context.Background(), db, ins); err != nil {
		t.Fatal(err)
	}
	return db
}

// matching returns the ids of the names matching cond, in id order.
func matching(t *testing.T, db *engine.DB, cond expr.Expr) []int {
	t.Helper()
	rows, err := engine.QueryStmt(context.Background(), db,
		expr.Select(expr.C("id")).From(expr.T("names")).Where(cond).OrderBy(expr.Asc(expr.C("id"))))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []int{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type matchCase struct {
	what string
	cond expr.Expr
	want []int
}

func checkMatches(t *testing.T, tg testdb.Target, db *engine.DB, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		if got := matching(t, db, c.cond); !slices.Equal(got, c.want) {
			q, args, _ := expr.Build(tg.Dialect, expr.Select().Where(c.cond))
			t.Errorf("%s: %s %q matched %v, want %v", c.what, q, args, got, c.want)
		}
	}
}

func TestLikeHelpersMatchHostileInputLiterally(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		db := namesDB(t, tg)
		name := expr.C("name")
		checkMatches(t, tg, db, []matchCase{
			{"contains 0%", expr.Contains(name, "0%"), []int{1}},
			{"contains _", expr.Contains(name, "_"), []int{3, 12, 13}},
			{`contains \`, expr.Contains(name, `\`), []int{5, 12, 13}},
			{"contains '", expr.Contains(name, "'"), []int{7, 12}},
			{"contains !", expr.Contains(name, "!"), []int{9, 12, 13}},
			{`contains %_\!'`, expr.Contains(name, `%_\!'`), []int{12}},
			{"contains nothing", expr.Contains(name, ""), []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}},
			{"starts with a_", expr.StartsWith(name, "a_"), []int{3}},
			{"starts with 100%", expr.StartsWith(name, "100%"), []int{1}},
			{`starts with back\`, expr.StartsWith(name, `back\`), []int{5}},
			{"ends with !", expr.EndsWith(name, "!"), []int{9}},
			{`ends with \!'y`, expr.EndsWith(name, `\!'y`), []int{12}},
			{"ends with _b", expr.EndsWith(name, "_b"), []int{3}},
			// LikeEscape with other escape characters, the pattern the caller's.
			{"escape ! bang!!", expr.LikeEscape(name, "bang!!", '!'), []int{9}},
			{"escape ! 100!%%", expr.LikeEscape(name, "100!%%", '!'), []int{1}},
			{"escape ! a!_b", expr.LikeEscape(name, "a!_b", '!'), []int{3}},
			{"escape ! a_b unescaped", expr.LikeEscape(name, "a_b", '!'), []int{3, 4}},
			{`escape \ %\\%`, expr.LikeEscape(name, `%\\%`, '\\'), []int{5, 12, 13}},
			{"escape ' %''%", expr.LikeEscape(name, "%''%", '\''), []int{7, 12}},
			{"EscapeLike prefix", expr.LikeEscape(name, expr.EscapeLike(`x%_\`)+"%", '\\'), []int{12, 13}},
		})
	})
}

func TestCaseInsensitiveMatchingOnEveryDatabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		db := namesDB(t, tg)
		name := expr.C("name")
		checkMatches(t, tg, db, []matchCase{
			{"icontains mixed", expr.IContains(name, "mixed"), []int{11}},
			{"icontains CASE", expr.IContains(name, "CASE"), []int{11}},
			{"istarts with mIx", expr.IStartsWith(name, "mIx"), []int{11}},
			{"iends with D CASE", expr.IEndsWith(name, "D CASE"), []int{11}},
			{"ilike mixed%", expr.ILike(name, "mixed%"), []int{11}},
			{"ilike %XED c%", expr.ILike(name, "%XED c%"), []int{11}},
			{"icontains A_B (escaped)", expr.IContains(name, "A_B"), []int{3}},
			{"icontains BANG!", expr.IContains(name, "BANG!"), []int{9}},
			{`icontains K\S`, expr.IContains(name, `K\S`), []int{5}},
			{"iends with SLASH", expr.IEndsWith(name, "SLASH"), []int{5, 6}},
			{`icontains %_\!'Y`, expr.IContains(name, `%_\!'Y`), []int{12}},
		})
		if tg.Dialect.Features().Has(dialect.ILike) {
			// Where ILIKE exists LIKE is case-sensitive, and so is Contains.
			checkMatches(t, tg, db, []matchCase{
				{"contains mixed", expr.Contains(name, "mixed"), []int{}},
				{"contains MiXeD", expr.Contains(name, "MiXeD"), []int{11}},
			})
		}
	})
}

func TestEscapeLike(t *testing.T) {
	for in, want := range map[string]string{
		"plain":      "plain",
		"100%":       `100\%`,
		"a_b":        `a\_b`,
		`back\slash`: `back\\slash`,
		`%_\'!`:      `\%\_\\'!`,
		"":           "",
	} {
		if got := expr.EscapeLike(in); got != want {
			t.Errorf("EscapeLike(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLikeEscapeRejectsWildcardsAsEscape(t *testing.T) {
	for _, esc := range []rune{'%', '_', 0x7f, ' ', 'é'} {
		_, _, err := expr.Build(sqlitedialect.New(), expr.Select().From(expr.T("names")).Where(expr.LikeEscape(expr.C("name"), "x", esc)))
		if err == nil || !strings.Contains(err.Error(), "escape character") {
			t.Errorf("escape %q: got %v, want an escape character error", esc, err)
		}
	}
}
