package expr_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// These tests run the JSON and text-matching expressions against real
// tables on SQLite, PostgreSQL and MariaDB (internal/testdb.Each).

// openDB opens the target and creates tables in it.
func openDB(t *testing.T, tg testdb.Target, tables ...*schema.Table) *engine.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := engine.Open(ctx, tg.Dialect, tg.DSN)
	if err != nil {
		t.Fatalf("open %s: %v", tg.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	md := schema.NewMetaData()
	for _, tb := range tables {
		md.MustAdd(tb)
	}
	if err := engine.CreateAll(ctx, db, md); err != nil {
		t.Fatal(err)
	}
	return db
}

var docsTable = &schema.Table{
	Name: "docs",
	Columns: []*schema.Column{
		{Name: "id", Type: schema.Integer()},
		{Name: "doc", Type: schema.JSON(), Nullable: true},
	},
	PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
}

// The documents every JSON test reads, inserted as plain bound strings.
var docs = []string{
	1: `{"user": {"name": "ann", "tags": ["go", "sql"]}, "n": 7, "price": 9.5, "ok": true,
	     "items": [{"sku": "a1", "qty": 2}, {"sku": "b2", "qty": 10}],
	     "x.y": "dot", "a\\b": "backslash", "it's": "quote", "q\"k": "double quote", "line\nbreak": "newline", "*": "star", "": "empty", "[0]": "brackets", "ünï": "unicode"}`,
	2: `{"user": {"name": "bob", "tags": ["rust"]}, "n": 12, "price": 20.25, "ok": false, "items": [], "nothing": null, "copy": "rust"}`,
	3: `{"user": {"name": "cy", "tags": []}, "n": -3, "price": 0.5, "ok": "true", "items": [{"sku": "c3", "qty": 1}]}`,
	4: `{"n": 100, "price": 100, "list": [1, 2, 3], "first": 1, "e": 1e2}`,
}

func jsonDB(t *testing.T, tg testdb.Target) *engine.DB {
	t.Helper()
	db := openDB(t, tg, docsTable)
	ins := expr.Insert(expr.T("docs")).Columns("id", "doc")
	for id, d := range docs {
		if d != "" {
			ins.Values(id, d)
		}
	}
	if _, err := engine.ExecStmt(context.Background(), db, ins); err != nil {
		t.Fatal(err)
	}
	return db
}

var doc = expr.C("doc")

// ids runs SELECT id FROM docs WHERE conds ORDER BY order (id when none)
// and returns the ids in order.
func ids(t *testing.T, db *engine.DB, order []expr.Order, conds ...expr.Expr) []int {
	t.Helper()
	got, err := idsErr(db, order, conds...)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func idsErr(db *engine.DB, order []expr.Order, conds ...expr.Expr) ([]int, error) {
	if order == nil {
		order = []expr.Order{expr.Asc(expr.C("id"))}
	}
	rows, err := engine.QueryStmt(context.Background(), db,
		expr.Select(expr.C("id")).From(expr.T("docs")).Where(conds...).OrderBy(order...))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// text reads one expression of document id as nullable text.
func text(t *testing.T, db *engine.DB, id int, e expr.Expr) sql.NullString {
	t.Helper()
	var s sql.NullString
	err := engine.QueryRowStmt(context.Background(), db,
		expr.Select(e).From(expr.T("docs")).Where(expr.Eq(expr.C("id"), id))).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantIDs(t *testing.T, what string, got []int, want ...int) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got ids %v, want %v", what, got, want)
	}
}

func TestJSONPathReadsNestedKeysAndArrayElements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		db := jsonDB(t, tg)
		for _, c := range []struct {
			id   int
			e    expr.Expr
			want string // "<NULL>" for SQL NULL
		}{
			{1, expr.JSONPath(doc, "user", "name").Text(), "ann"},
			{1, expr.JSONPath(expr.JSONPath(doc, "user"), "name").Text(), "ann"},
			{1, expr.JSONPath(doc, "user", "tags", 0).Text(), "go"},
			{1, expr.JSONPath(doc, "items", 1, "sku").Text(), "b2"},
			{1, expr.JSONPath(doc, "n").Text(), "7"},
			{1, expr.JSONPath(doc, "price").Text(), "9.5"},
			{1, expr.JSONPath(doc, "ok").Text(), "true"},
			{2, expr.JSONPath(doc, "ok").Text(), "false"},
			{3, expr.JSONPath(doc, "ok").Text(), "true"},
			{2, expr.JSONPath(doc, "nothing").Text(), "<NULL>"}, // JSON null
			{2, expr.JSONPath(doc, "missing", "deeper").Text(), "<NULL>"},
			{3, expr.JSONPath(doc, "user", "tags", 0).Text(), "<NULL>"},
			// Keys are quoted whatever they hold.
			{1, expr.JSONPath(doc, "x.y").Text(), "dot"},
			{1, expr.JSONPath(doc, `a\b`).Text(), "backslash"},
			{1, expr.JSONPath(doc, "it's").Text(), "quote"},
			{1, expr.JSONPath(doc, `q"k`).Text(), "double quote"},
			{1, expr.JSONPath(doc, "line\nbreak").Text(), "newline"},
			{1, expr.JSONPath(doc, "*").Text(), "star"},
			{1, expr.JSONPath(doc, "").Text(), "empty"},
			{1, expr.JSONPath(doc, "[0]").Text(), "brackets"},
			{1, expr.JSONPath(doc, "ünï").Text(), "unicode"},
			// The JSON value itself: a string stays quoted JSON.
			{1, expr.JSONPath(doc, "user", "name"), `"ann"`},
			{1, expr.JSONPath(doc, "user", "tags", 1), `"sql"`},
			{1, expr.JSONPath(doc, "n"), `7`},
			{2, expr.JSONPath(doc, "missing"), "<NULL>"},
		} {
			got := text(t, db, c.id, c.e)
			s := got.String
			if !got.Valid {
				s = "<NULL>"
			}
			if s != c.want {
				q, args, _ := expr.Build(tg.Dialect, expr.Select(c.e))
				t.Errorf("doc %d: %s %v = %q, want %q", c.id, q, args, s, c.want)
			}
		}
		wantIDs(t, "IsNull(missing path)", ids(t, db, nil, expr.IsNull(expr.JSONPath(doc, "user"))), 4)
	})
}

func TestJSONEqualComparesJSONValues(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		db := jsonDB(t, tg)
		wantIDs(t, "copy = tags[0]", ids(t, db, nil, expr.JSONEqual(expr.JSONPath(doc, "copy"), expr.JSONPath(doc, "user", "tags", 0))), 2)
		wantIDs(t, "first = list[0]", ids(t, db, nil, expr.JSONEqual(expr.JSONPath(doc, "first"), expr.JSONPath(doc, "list", 0))), 4)
		wantIDs(t, "tags = [go sql]", ids(t, db, nil, expr.JSONEqual(expr.JSONPath(doc, "user", "tags"), []string{"go", "sql"})), 1)
		wantIDs(t, "tags = [sql go] (order matters in arrays)", ids(t, db, nil, expr.JSONEqual(expr.JSONPath(doc, "user", "tags"), []string{"sql", "go"})))
		wantIDs(t, "items[0] = object", ids(t, db, nil, expr.JSONEqual(expr.JSONPath(doc, "items", 0), struct {
			Sku string `json:"sku"`
			Qty int    `json:"qty"`
		}{"c3", 1})), 3)
		wantIDs(t, "ok = true (not the string)", ids(t, db, nil, expr.JSONEqual(expr.JSONPath(doc, "ok"), true)), 1)
		wantIDs(t, "ok = \"true\" (not the boolean)", ids(t, db, nil, expr.JSONEqual(expr.JSONPath(doc, "ok"), "true")), 3)
		wantIDs(t, "n = 7.0", ids(t, db, nil, expr.JSONEqual(expr.JSONPath(doc, "n"), 7.0)), 1)
		wantIDs(t, "nothing = null", ids(t, db, nil, expr.JSONEqual(expr.JSONPath(doc, "nothing"), nil)), 2)
		wantIDs(t, "n = list[2] + 97", ids(t, db, nil, expr.Eq(expr.JSONPath(doc, "n").Int(), expr.Add(expr.JSONPath(doc, "list", 2).Int(), 97))), 4)
	})
}

func TestJSONNegativeIndexesCountFromTheEnd(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		db := jsonDB(t, tg)
		last := expr.JSONPath(doc, "user", "tags", -1)
		if tg.Dialect.Features().Has(dialect.JSONFunctions) {
			// MariaDB resolves [last] once per statement: refused.
			_, err := idsErr(db, nil, last.Exists())
			var pe *expr.JSONPathError
			if !errors.As(err, &pe) || pe.Key != -1 || !errors.Is(err, sqlerr.ErrUnsupported) {
				t.Fatalf("negative index on %s: got %v, want a *JSONPathError matching ErrUnsupported", tg.Name, err)
			}
			return
		}
		for _, c := range []struct {
			id   int
			e    expr.Expr
			want string
		}{
			{1, last.Text(), "sql"},
			{2, last.Text(), "rust"},
			{1, expr.JSONPath(doc, "items", -2, "qty").Text(), "2"},
			{3, expr.JSONPath(doc, "items", -1, "sku").Text(), "c3"},
		} {
			if got := text(t, db, c.id, c.e); got.String != c.want {
				t.Errorf("doc %d: got %q, want %q", c.id, got.String, c.want)
			}
		}
		// Every row resolves the index against its own array.
		wantIDs(t, "tags[-1] exists", ids(t, db, nil, last.Exists()), 1, 2)
		wantIDs(t, "tags[0] = tags[-1]", ids(t, db, nil, expr.Eq(expr.JSONPath(doc, "user", "tags", 0), last)), 2)
		wantIDs(t, "tags[-1] = 'sql'", ids(t, db, nil, expr.Eq(last.Text(), "sql")), 1)
	})
}

func TestJSONPathRejectsKeysThatAreNotStringsOrIntegers(t *testing.T) {
	for _, d := range dialects {
		_, _, err := expr.Build(d, expr.Select(expr.JSONPath(doc, "a", 1.5).Text()))
		var pe *expr.JSONPathError
		if !errors.As(err, &pe) || pe.Key != 1.5 {
			t.Errorf("%s: got %v, want a *JSONPathError for key 1.5", d.Name(), err)
		}
	}
}

func TestJSONTextAndNumbersCompareAndOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		db := jsonDB(t, tg)
		name := expr.JSONPath(doc, "user", "name").Text()
		n := expr.JSONPath(doc, "n").Int()
		price := expr.JSONPath(doc, "price").Float()
		wantIDs(t, "name = 'bob'", ids(t, db, nil, expr.Eq(name, "bob")), 2)
		wantIDs(t, "name starts with c", ids(t, db, nil, expr.StartsWith(name, "c")), 3)
		wantIDs(t, "order by name desc", ids(t, db, []expr.Order{expr.Desc(name)}, expr.IsNotNull(name)), 3, 2, 1)
		// As text "12" < "5" and "100" < "5"; as numbers they are greater.
		wantIDs(t, "n > 5", ids(t, db, nil, expr.Gt(n, 5)), 1, 2, 4)
		wantIDs(t, "order by n", ids(t, db, []expr.Order{expr.Asc(n)}), 3, 1, 2, 4)
		wantIDs(t, "n + 1 = 8", ids(t, db, nil, expr.Eq(expr.Add(n, 1), 8)), 1)
		// As text "20.25" < "9" and "100" < "9.5".
		wantIDs(t, "price > 9", ids(t, db, nil, expr.Gt(price, 9)), 1, 2, 4)
		wantIDs(t, "order by price desc", ids(t, db, []expr.Order{expr.Desc(price)}), 4, 2, 1, 3)
		wantIDs(t, "price between 0.5 and 9.5", ids(t, db, nil, expr.Ge(price, 0.5), expr.Le(price, 9.5)), 1, 3)
		wantIDs(t, "qty of the second item >= 10", ids(t, db, nil, expr.Ge(expr.JSONPath(doc, "items", 1, "qty").Int(), 10)), 1)
		// a number written with an exponent is the number (MariaDB's CAST
		// of the text '1e2' AS SIGNED would stop at the e)
		wantIDs(t, "e (1e2) = 100", ids(t, db, nil, expr.Eq(expr.JSONPath(doc, "e").Int(), 100)), 4)
	})
}

func TestJSONBoolIsTrueOnlyForJSONTrue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		db := jsonDB(t, tg)
		ok := expr.JSONPath(doc, "ok").Bool()
		// Document 3 holds the string "true", document 4 no "ok" at all.
		wantIDs(t, "ok", ids(t, db, nil, ok), 1)
		wantIDs(t, "NOT ok", ids(t, db, nil, expr.Not(ok)), 2, 3)
		wantIDs(t, "ok = true", ids(t, db, nil, expr.Eq(ok, true)), 1)
		wantIDs(t, "ok = false", ids(t, db, nil, expr.Eq(ok, false)), 2, 3)
		wantIDs(t, "ok IS NULL", ids(t, db, nil, expr.IsNull(ok)), 4)
		var b bool
		if err := engine.QueryRowStmt(context.Background(), db,
			expr.Select(ok).From(expr.T("docs")).Where(expr.Eq(expr.C("id"), 1))).Scan(&b); err != nil || !b {
			t.Errorf("select ok of document 1: %v %v", b, err)
		}
	})
}

func TestJSONLenAndKeyExistence(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		db := jsonDB(t, tg)
		items := expr.JSONPath(doc, "items")
		wantIDs(t, "len(items) > 0", ids(t, db, nil, expr.Gt(items.Len(), 0)), 1, 3)
		wantIDs(t, "len(items) = 0", ids(t, db, nil, expr.Eq(items.Len(), 0)), 2)
		wantIDs(t, "order by len(tags) desc", ids(t, db, []expr.Order{expr.Desc(expr.JSONPath(doc, "user", "tags").Len()), expr.Asc(expr.C("id"))},
			expr.IsNotNull(expr.JSONPath(doc, "user"))), 1, 2, 3)
		if got := text(t, db, 4, expr.JSONPath(doc, "list").Len()); got.String != "3" {
			t.Errorf("len(list) = %q", got.String)
		}
		wantIDs(t, "has key nothing (JSON null)", ids(t, db, nil, expr.JSONHasKey(doc, "nothing")), 2)
		wantIDs(t, "has key user", ids(t, db, nil, expr.JSONHasKey(doc, "user")), 1, 2, 3)
		wantIDs(t, "user has key tags", ids(t, db, nil, expr.JSONHasKey(expr.JSONPath(doc, "user"), "tags")), 1, 2, 3)
		wantIDs(t, "has key x.y (not x then y)", ids(t, db, nil, expr.JSONHasKey(doc, "x.y")), 1)
		wantIDs(t, "items[1] exists", ids(t, db, nil, expr.JSONPath(items, 1).Exists()), 1)
		wantIDs(t, "tags[1] exists", ids(t, db, nil, expr.JSONPath(doc, "user", "tags", 1).Exists()), 1)
		wantIDs(t, "NOT has key list", ids(t, db, nil, expr.Not(expr.JSONHasKey(doc, "list"))), 1, 2, 3)
	})
}

func TestJSONContainsOrFailsTypedOnSQLite(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		db := jsonDB(t, tg)
		want := map[string]any{"user": map[string]any{"tags": []string{"go"}}}
		if tg.Dialect.Features().Has(dialect.JSON1) {
			_, err := idsErr(db, nil, expr.JSONContains(doc, want))
			if !errors.Is(err, sqlerr.ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("JSONContains on %s: got %v, want ErrUnsupported", tg.Name, err)
			}
			return
		}
		wantIDs(t, "contains user.tags [go]", ids(t, db, nil, expr.JSONContains(doc, want)), 1)
		wantIDs(t, "contains ok: true (not the string)", ids(t, db, nil, expr.JSONContains(doc, map[string]bool{"ok": true})), 1)
		wantIDs(t, "items contain sku b2", ids(t, db, nil,
			expr.JSONContains(expr.JSONPath(doc, "items"), []map[string]string{{"sku": "b2"}})), 1)
		wantIDs(t, "tags contain rust", ids(t, db, nil, expr.JSONContains(expr.JSONPath(doc, "user", "tags"), []string{"rust"})), 2)
		wantIDs(t, "contains a hostile string", ids(t, db, nil, expr.JSONContains(doc, map[string]string{"it's": `quote'); --`})))
		wantIDs(t, "contains the key with a backslash", ids(t, db, nil, expr.JSONContains(doc, map[string]string{`a\b`: "backslash"})), 1)
	})
}
