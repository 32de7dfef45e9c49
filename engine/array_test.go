package engine_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/schematest"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/schema"
)

// rawUUID is a 16-byte UUID type without text methods.
type rawUUID [16]byte

// arrayRow is one row of the arrays table: a slice per element type.
type arrayRow struct {
	ID      int64
	Texts   []string
	BigInts []int64
	Ints    []int32
	Doubles []float64
	Bools   []bool
	UUIDs   []uuid.UUID
	Raws    []rawUUID
	Labels  []string
}

var arrayCols = []string{"id", "texts", "bigints", "ints", "doubles", "bools", "uuids", "raws", "labels"}

func (r *arrayRow) args() []any {
	return []any{r.ID, dialect.Array{Slice: r.Texts}, dialect.Array{Slice: r.BigInts}, dialect.Array{Slice: r.Ints},
		dialect.Array{Slice: r.Doubles}, dialect.Array{Slice: r.Bools}, dialect.Array{Slice: r.UUIDs}, &dialect.Array{Slice: r.Raws}, dialect.Array{Slice: r.Labels}}
}

func (r *arrayRow) dests() []any {
	return []any{&r.ID, dialect.ArrayDest{Ptr: &r.Texts}, dialect.ArrayDest{Ptr: &r.BigInts}, dialect.ArrayDest{Ptr: &r.Ints},
		dialect.ArrayDest{Ptr: &r.Doubles}, dialect.ArrayDest{Ptr: &r.Bools}, dialect.ArrayDest{Ptr: &r.UUIDs}, &dialect.ArrayDest{Ptr: &r.Raws}, dialect.ArrayDest{Ptr: &r.Labels}}
}

func arrayRows() []arrayRow {
	u1 := uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	u2 := uuid.MustParse("00000000-0000-0000-0000-0000000000ff")
	return []arrayRow{
		{ID: 1, Labels: []string{"a"}}, // every nullable array NULL
		{ID: 2, Texts: []string{}, BigInts: []int64{}, Ints: []int32{}, Doubles: []float64{}, Bools: []bool{}, UUIDs: []uuid.UUID{}, Raws: []rawUUID{}, Labels: []string{}},
		{
			ID:      3,
			Texts:   []string{"plain", `quote "x"`, "comma, {brace}", `back\slash`, "ünïcødé €", "🎉", "", "NULL", "tab\tnew\nline", "'single'"},
			BigInts: []int64{math.MinInt64, -1, 0, math.MaxInt64},
			Ints:    []int32{math.MinInt32, 0, math.MaxInt32},
			Doubles: []float64{0.1, -2.5e300, 1, 0, 5e-324},
			Bools:   []bool{true, false, true},
			UUIDs:   []uuid.UUID{u1, u2, uuid.Nil},
			Raws:    []rawUUID{rawUUID(u2), rawUUID(u1)},
			Labels:  []string{"x", "y", "x"},
		},
	}
}

func createArrays(t *testing.T, db *engine.DB) {
	t.Helper()
	ctx := context.Background()
	if err := engine.CreateAll(ctx, db, testdb.ArraySchema()); err != nil {
		t.Fatal(err)
	}
	for _, r := range arrayRows() {
		if _, err := engine.ExecStmt(ctx, db, expr.Insert(expr.T("arrays")).Columns(arrayCols...).Values(r.args()...)); err != nil {
			t.Fatalf("insert row %d: %v", r.ID, err)
		}
	}
}

// TestArrayColumnsRoundTripEveryElementType writes slices of every element
// type through dialect.Array and reads them back through dialect.ArrayDest:
// NULL stays nil, an empty array stays empty (not nil), and strings with
// quotes, commas, braces, backslashes, control characters and non-ASCII,
// extreme integers and floats, and UUIDs (with and without text methods)
// come back equal.
func TestArrayColumnsRoundTripEveryElementType(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		createArrays(t, db)
		rows, err := engine.QueryStmt(ctx, db, expr.Select(expr.C("id"), expr.C("texts"), expr.C("bigints"), expr.C("ints"),
			expr.C("doubles"), expr.C("bools"), expr.C("uuids"), expr.C("raws"), expr.C("labels")).From(expr.T("arrays")).OrderBy(expr.Asc(expr.C("id"))))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []arrayRow
		for rows.Next() {
			var r arrayRow
			// Stale values must be replaced, NULL included.
			r.Texts, r.Raws = []string{"stale"}, []rawUUID{{1}}
			if err := rows.Scan(r.dests()...); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := arrayRows()
		if len(got) != len(want) {
			t.Fatalf("read %d rows, want %d", len(got), len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("row %d:\n got %#v\nwant %#v", want[i].ID, got[i], want[i])
			}
		}
		checkStoredArrayForm(t, tg, db, want[2])
	})
}

// checkStoredArrayForm checks what the database holds: a native array on
// PostgreSQL, the documented JSON text on MariaDB and SQLite (in a column
// of TEXT storage class on SQLite).
func checkStoredArrayForm(t *testing.T, tg testdb.Target, db *engine.DB, r arrayRow) {
	t.Helper()
	ctx := context.Background()
	if tg.Name == "postgres" {
		var n int
		var second string
		var typ string
		err := db.QueryRow(ctx, "SELECT cardinality(texts), texts[2], pg_typeof(uuids)::text FROM arrays WHERE id = $1", r.ID).Scan(&n, &second, &typ)
		if err != nil || n != len(r.Texts) || second != r.Texts[1] || typ != "uuid[]" {
			t.Errorf("stored PostgreSQL array: cardinality %d, texts[2] %q, uuids of type %s, %v", n, second, typ, err)
		}
		return
	}
	var texts, uuids string
	if err := engine.QueryRowStmt(ctx, db, expr.Select(expr.C("texts"), expr.C("uuids")).From(expr.T("arrays")).
		Where(expr.Eq(expr.C("id"), r.ID))).Scan(&texts, &uuids); err != nil {
		t.Fatal(err)
	}
	wantTexts, _ := dialect.Array{Slice: r.Texts}.Value()
	if texts != wantTexts || uuids != `["6ba7b810-9dad-11d1-80b4-00c04fd430c8","00000000-0000-0000-0000-0000000000ff","00000000-0000-0000-0000-000000000000"]` {
		t.Errorf("stored JSON: texts %s (want %s), uuids %s", texts, wantTexts, uuids)
	}
	if tg.Name == "sqlite" {
		var class string
		if err := db.QueryRow(ctx, "SELECT typeof(bigints) FROM arrays WHERE id = ?", r.ID).Scan(&class); err != nil || class != "text" {
			t.Errorf("SQLite storage class of a bigint array: %q, %v; want text", class, err)
		}
	}
}

// TestArrayBindRefusesUnsupportedSlices checks that a slice of an
// unsupported element type fails with the typed error before it reaches
// the database, on every database.
func TestArrayBindRefusesUnsupportedSlices(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		if err := engine.CreateAll(ctx, db, testdb.ArraySchema()); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []any{[]uint64{1}, []float64{math.NaN()}, "not a slice"} {
			if tg.Name == "postgres" {
				if _, ok := bad.([]float64); ok {
					continue // PostgreSQL stores NaN; only JSON cannot
				}
			}
			_, err := engine.ExecStmt(ctx, db, expr.Insert(expr.T("arrays")).Columns("id", "doubles", "labels").Values(9, dialect.Array{Slice: bad}, dialect.Array{Slice: []string{}}))
			var ae *dialect.ArrayError
			if !errors.Is(err, dialect.ErrArrayValue) || !errors.As(err, &ae) || ae.Op != "bind" {
				t.Errorf("insert %#v: got %v, want an *ArrayError", bad, err)
			}
		}
		if n := count(t, db, "arrays"); n != 0 {
			t.Errorf("%d rows written by failed inserts", n)
		}
		if _, err := engine.ExecStmt(ctx, db, expr.Insert(expr.T("arrays")).Columns("id", "bigints", "labels").Values(1, dialect.Array{Slice: []int64{1}}, dialect.Array{Slice: []string{}})); err != nil {
			t.Fatal(err)
		}
		var d []int64
		err := engine.QueryRowStmt(ctx, db, expr.Select(expr.C("bigints")).From(expr.T("arrays"))).Scan(dialect.ArrayDest{Ptr: d})
		var ae *dialect.ArrayError
		if !errors.As(err, &ae) || ae.Op != "scan" {
			t.Errorf("scan into a slice, not a pointer: got %v, want an *ArrayError", err)
		}
	})
}

// TestArrayColumnsInspectAsNormalized creates the array schema and reads
// it back: PostgreSQL reports the arrays with their element types, SQLite
// too (its declared types name them), MariaDB reports JSON columns; each
// equals the dialect's Normalize of the model.
func TestArrayColumnsInspectAsNormalized(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		md := testdb.ArraySchema()
		if err := engine.CreateAll(ctx, db, md); err != nil {
			t.Fatal(err)
		}
		got, err := engine.Inspect(ctx, db, dialect.InspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := schematest.Diff(normalized(tg.Dialect, md), got); len(diff) > 0 {
			t.Fatalf("introspected schema differs from the created one:\n%s", strings.Join(diff, "\n"))
		}
		want := schema.Array(schema.Integer())
		if tg.Name == "mariadb" {
			want = schema.JSON()
		}
		if c := got.Table("arrays").Column("ints"); !c.Type.Equal(want) {
			t.Errorf("ints reads back as %s, want %s", c.Type, want)
		}
	})
}
