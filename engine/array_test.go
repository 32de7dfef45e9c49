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

// label and labelList are named types over a string and a slice of them.
type (
	label     string
	labelList []label
)

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
	Labels  labelList
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
		{ID: 1, Labels: labelList{"a"}}, // every nullable array NULL
		{ID: 2, Texts: []string{}, BigInts: []int64{}, Ints: []int32{}, Doubles: []float64{}, Bools: []bool{}, UUIDs: []uuid.UUID{}, Raws: []rawUUID{}, Labels: labelList{}},
		{
			ID:      3,
			Texts:   []string{"plain", `quote "x"`, "comma, {brace}", `back\slash`, "ünïcødé €", "🎉", "", "NULL", "tab\tnew\nline", "'single'"},
			BigInts: []int64{math.MinInt64, -1, 0, math.MaxInt64},
			Ints:    []int32{math.MinInt32, 0, math.MaxInt32},
			Doubles: []float64{0.1, -2.5e300, 1, 0, 5e-324},
			Bools:   []bool{true, false, true},
			UUIDs:   []uuid.UUID{u1, u2, uuid.Nil},
			Raws:    []rawUUID{rawUUID(u2), rawUUID(u1)},
			Labels:  labelList{"x", "y", "x"},
		},
		{
			ID:      4,
			Texts:   []string{"plain", "PLAIN"},
			BigInts: []int64{5, -1, math.MaxInt64 - 1},
			Ints:    []int32{7},
			Doubles: []float64{0.1, 2},
			Bools:   []bool{false},
			UUIDs:   []uuid.UUID{u2},
			Raws:    []rawUUID{rawUUID(u1)},
			Labels:  labelList{"x"},
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
		if len(want) != 4 {
			t.Fatal("the operator tests expect four rows")
		}
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

// TestArrayOperatorsAgreeOnEveryDatabase runs ArrayHas, ArrayOverlaps,
// ArrayContainsAll and ArrayLength over every element type against rows
// holding NULL (1), an empty array (2) and values (3, 4), and expects the
// same rows on every database: exact, case-sensitive string matches,
// numbers compared as numbers (the largest bigints kept apart), booleans
// and UUIDs by value, NULL columns matching nothing.
func TestArrayOperatorsAgreeOnEveryDatabase(t *testing.T) {
	u1 := uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	u2 := uuid.MustParse("00000000-0000-0000-0000-0000000000ff")
	c := expr.C
	cases := []struct {
		name string
		cond expr.Expr
		want []int64
	}{
		{"has text", expr.ArrayHas(c("texts"), "plain"), []int64{3, 4}},
		{"has text with quote", expr.ArrayHas(c("texts"), `quote "x"`), []int64{3}},
		{"has text is case-sensitive", expr.ArrayHas(c("texts"), "Plain"), nil},
		{"has text upper", expr.ArrayHas(c("texts"), "PLAIN"), []int64{4}},
		{"has empty string", expr.ArrayHas(c("texts"), ""), []int64{3}},
		{"has the string NULL", expr.ArrayHas(c("texts"), "NULL"), []int64{3}},
		{"has no partial match", expr.ArrayHas(c("texts"), "comma"), nil},
		{"has unicode", expr.ArrayHas(c("texts"), "ünïcødé €"), []int64{3}},
		{"has control characters", expr.ArrayHas(c("texts"), "tab\tnew\nline"), []int64{3}},
		{"has bigint max", expr.ArrayHas(c("bigints"), int64(math.MaxInt64)), []int64{3}},
		{"has bigint max-1", expr.ArrayHas(c("bigints"), int64(math.MaxInt64-1)), []int64{4}},
		{"has bigint -1", expr.ArrayHas(c("bigints"), int64(-1)), []int64{3, 4}},
		{"has bigint absent", expr.ArrayHas(c("bigints"), int64(1)), nil},
		{"has int32", expr.ArrayHas(c("ints"), int32(7)), []int64{4}},
		{"has int32 zero", expr.ArrayHas(c("ints"), int32(0)), []int64{3}},
		{"has double", expr.ArrayHas(c("doubles"), 0.1), []int64{3, 4}},
		{"has double 1", expr.ArrayHas(c("doubles"), 1.0), []int64{3}},
		{"has double absent", expr.ArrayHas(c("doubles"), 0.2), nil},
		{"has true", expr.ArrayHas(c("bools"), true), []int64{3}},
		{"has false", expr.ArrayHas(c("bools"), false), []int64{3, 4}},
		{"has uuid", expr.ArrayHas(c("uuids"), u2), []int64{3, 4}},
		{"has nil uuid", expr.ArrayHas(c("uuids"), uuid.Nil), []int64{3}},
		{"has raw uuid", expr.ArrayHas(c("raws"), rawUUID(u1)), []int64{3, 4}},
		{"has raw uuid absent", expr.ArrayHas(c("raws"), rawUUID{}), nil},
		{"not has", expr.Not(expr.ArrayHas(c("texts"), "PLAIN")), []int64{2, 3}},
		{"not has bigint", expr.Not(expr.ArrayHas(c("bigints"), int64(5))), []int64{2, 3}},

		{"overlaps text", expr.ArrayOverlaps(c("texts"), []string{"zzz", "plain"}), []int64{3, 4}},
		{"overlaps text upper", expr.ArrayOverlaps(c("texts"), []string{"PLAIN"}), []int64{4}},
		{"overlaps none", expr.ArrayOverlaps(c("texts"), []string{"zzz"}), nil},
		{"overlaps empty", expr.ArrayOverlaps(c("texts"), []string{}), nil},
		{"overlaps nil", expr.ArrayOverlaps(c("texts"), []string(nil)), nil},
		{"overlaps bigint", expr.ArrayOverlaps(c("bigints"), []int64{5, 99}), []int64{4}},
		{"overlaps bigint max", expr.ArrayOverlaps(c("bigints"), []int64{math.MaxInt64}), []int64{3}},
		{"overlaps int32", expr.ArrayOverlaps(c("ints"), []int32{0, 7}), []int64{3, 4}},
		{"overlaps double", expr.ArrayOverlaps(c("doubles"), []float64{2, 3}), []int64{4}},
		{"overlaps bool", expr.ArrayOverlaps(c("bools"), []bool{true}), []int64{3}},
		{"overlaps uuid", expr.ArrayOverlaps(c("uuids"), []uuid.UUID{uuid.Nil}), []int64{3}},
		{"overlaps raw uuid", expr.ArrayOverlaps(c("raws"), []rawUUID{rawUUID(u2)}), []int64{3}},
		{"not overlaps", expr.Not(expr.ArrayOverlaps(c("texts"), []string{"PLAIN"})), []int64{2, 3}},
		{"not overlaps bigint", expr.Not(expr.ArrayOverlaps(c("bigints"), []int64{5})), []int64{2, 3}},

		{"contains all text", expr.ArrayContainsAll(c("texts"), []string{"PLAIN", "plain"}), []int64{4}},
		{"contains all one", expr.ArrayContainsAll(c("texts"), []string{"plain"}), []int64{3, 4}},
		{"contains all repeated", expr.ArrayContainsAll(c("texts"), []string{"plain", "plain"}), []int64{3, 4}},
		{"contains all missing one", expr.ArrayContainsAll(c("texts"), []string{"plain", "zzz"}), nil},
		{"contains all empty", expr.ArrayContainsAll(c("texts"), []string{}), []int64{2, 3, 4}},
		{"contains all nil", expr.ArrayContainsAll(c("texts"), []string(nil)), []int64{2, 3, 4}},
		{"contains all bigint", expr.ArrayContainsAll(c("bigints"), []int64{-1, math.MaxInt64}), []int64{3}},
		{"contains all int32", expr.ArrayContainsAll(c("ints"), []int32{math.MinInt32, math.MaxInt32}), []int64{3}},
		{"contains all double", expr.ArrayContainsAll(c("doubles"), []float64{0.1, 1}), []int64{3}},
		{"contains all bool", expr.ArrayContainsAll(c("bools"), []bool{true, false}), []int64{3}},
		{"contains all uuid", expr.ArrayContainsAll(c("uuids"), []uuid.UUID{u2}), []int64{3, 4}},
		{"contains all raw uuid", expr.ArrayContainsAll(c("raws"), []rawUUID{rawUUID(u1), rawUUID(u2)}), []int64{3}},
		{"not contains all", expr.Not(expr.ArrayContainsAll(c("texts"), []string{"plain", "PLAIN"})), []int64{2, 3}},
		{"not contains all bigint", expr.Not(expr.ArrayContainsAll(c("bigints"), []int64{-1})), []int64{2}},
		{"contains all bigint empty", expr.ArrayContainsAll(c("bigints"), []int64{}), []int64{2, 3, 4}},
		{"qualified column", expr.ArrayHas(expr.T("arrays").C("labels"), "y"), []int64{3}},
		{"named element type", expr.ArrayHas(c("labels"), label("x")), []int64{3, 4}},
		{"named slice type", expr.ArrayContainsAll(c("labels"), labelList{"x", "y"}), []int64{3}},

		{"length 2", expr.Eq(expr.ArrayLength(c("texts")), 2), []int64{4}},
		{"length 0", expr.Eq(expr.ArrayLength(c("texts")), 0), []int64{2}},
		{"length NULL", expr.IsNull(expr.ArrayLength(c("texts"))), []int64{1}},
	}
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		db := open(t, tg)
		createArrays(t, db)
		for _, tc := range cases {
			rows, err := engine.QueryStmt(ctx, db, expr.Select(expr.C("id")).From(expr.T("arrays")).Where(tc.cond).OrderBy(expr.Asc(expr.C("id"))))
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			var got []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			if err := rows.Close(); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: rows %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}
