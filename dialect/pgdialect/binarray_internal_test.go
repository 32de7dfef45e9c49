package pgdialect

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// binCase is one array parameter type and values for it.
type binCase struct {
	name string
	oid  uint32 // the array type's OID
	vals any    // a []T
	fast bool   // pgdialect encodes it (otherwise pgx's plan does)
}

func binCases() []binCase {
	r := rand.New(rand.NewPCG(1, 2))
	strs := make([]string, 40)
	for i := range strs {
		strs[i] = strings.Repeat(string([]rune("aZé€日 ")[r.IntN(6)]), r.IntN(20))
	}
	strs[3] = ""
	strs[4] = "naïve 日本 \\ \" { } , NULL"
	i64 := []int64{0, 1, -1, math.MaxInt64, math.MinInt64}
	i32 := []int32{0, 1, -1, math.MaxInt32, math.MinInt32}
	i16 := []int16{0, 1, -1, math.MaxInt16, math.MinInt16}
	f64 := []float64{0, -0.5, math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64}
	f32 := []float32{0, -0.5, float32(math.Inf(1)), math.MaxFloat32}
	bools := []bool{true, false, true}
	for range 20 {
		i64 = append(i64, r.Int64()-r.Int64())
		i32 = append(i32, r.Int32()-r.Int32())
		i16 = append(i16, int16(r.Int32()))
		f64 = append(f64, r.NormFloat64()*1e10)
		f32 = append(f32, float32(r.NormFloat64()))
		bools = append(bools, r.IntN(2) == 1)
	}
	return []binCase{
		{"text", pgtype.TextArrayOID, strs, true},
		{"varchar", pgtype.VarcharArrayOID, strs, true},
		{"bpchar", pgtype.BPCharArrayOID, strs, true},
		{"int8", pgtype.Int8ArrayOID, i64, true},
		{"int4", pgtype.Int4ArrayOID, i32, true},
		{"int2", pgtype.Int2ArrayOID, i16, true},
		{"float8", pgtype.Float8ArrayOID, f64, true},
		{"float4", pgtype.Float4ArrayOID, f32, true},
		{"bool", pgtype.BoolArrayOID, bools, true},
		// not T's natural type: pgx converts (or refuses) each element
		{"int8 as int4", pgtype.Int4ArrayOID, []int64{1, 2, 3}, false},
		{"int8 too large for int4", pgtype.Int4ArrayOID, []int64{math.MaxInt64}, false},
		{"int4 as int8", pgtype.Int8ArrayOID, i32, false},
		{"int8 as float8", pgtype.Float8ArrayOID, []int64{1, 2, 3}, false},
		{"int8 as numeric", pgtype.NumericArrayOID, i64, false},
		{"string as jsonb", pgtype.JSONBArrayOID, []string{`{"a":1}`, `[]`}, false},
		{"string as uuid", pgtype.UUIDArrayOID, []string{"00000000-0000-0000-0000-000000000001"}, false},
		{"string as bad uuid", pgtype.UUIDArrayOID, []string{"nope"}, false},
		{"float8 as float4", pgtype.Float4ArrayOID, []float64{1.5}, false},
		{"empty", pgtype.TextArrayOID, []string{}, true},
		{"nil", pgtype.Int8ArrayOID, []int64(nil), true},
	}
}

// wrapped is v marked for pgdialect's encoder.
func wrapped(v any) any {
	switch s := v.(type) {
	case []string:
		return binArray[string](s)
	case []int64:
		return binArray[int64](s)
	case []int32:
		return binArray[int32](s)
	case []int16:
		return binArray[int16](s)
	case []bool:
		return binArray[bool](s)
	case []float64:
		return binArray[float64](s)
	case []float32:
		return binArray[float32](s)
	}
	panic("no binArray for this type")
}

// planFast reports whether m's plan for v (a binArray) encodes by itself.
func planFast(t *testing.T, m *pgtype.Map, oid uint32, format int16, v any) bool {
	t.Helper()
	p := m.PlanEncode(oid, format, v)
	type fastPlan interface{ isFast() bool }
	fp, ok := p.(fastPlan)
	if !ok {
		t.Fatalf("the plan for %T is a %T, not pgdialect's", v, p)
	}
	return fp.isFast()
}

func TestBinArrayEncodesExactlyAsPgx(t *testing.T) {
	for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
		for _, c := range binCases() {
			m := pgtype.NewMap()
			installBinArrays(m)
			want, wantErr := pgtype.NewMap().Encode(c.oid, format, c.vals, nil)
			got, gotErr := m.Encode(c.oid, format, wrapped(c.vals), nil)
			if (wantErr == nil) != (gotErr == nil) || !bytes.Equal(got, want) {
				t.Errorf("%s (format %d): pgdialect wrote %x (%v), pgx %x (%v)", c.name, format, got, gotErr, want, wantErr)
			}
			if wantErr != nil {
				if c.fast && format == pgtype.BinaryFormatCode {
					t.Fatalf("%s: pgx cannot encode the values of a case meant for pgdialect: %v", c.name, wantErr)
				}
				continue // no plan to look at
			}
			fast := planFast(t, m, c.oid, format, wrapped(c.vals))
			if wantFast := c.fast && format == pgtype.BinaryFormatCode; fast != wantFast {
				t.Errorf("%s (format %d): encoded by pgdialect = %v, want %v", c.name, format, fast, wantFast)
			}
		}
	}
}

func TestBinArrayWithoutTheHookIsStillEncodedByPgx(t *testing.T) {
	// a binArray reaching a connection where binArgs did not install the
	// hook is a named slice, which pgx encodes by reflection
	m := pgtype.NewMap()
	vals := []string{"a", "b"}
	want, _ := m.Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, vals, nil)
	got, err := m.Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, binArray[string](vals), nil)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("got %x (%v), want %x", got, err, want)
	}
}

func TestBinArgsMarksOnlyLargeSlicesAndInstallsOnce(t *testing.T) {
	small := []string{"a"}
	large := make([]int64, binArrayMin)
	args := []any{int64(1), small, large, "x", make([]uint32, binArrayMin)}
	if got := wantsBinArrays(args[:2]); got {
		t.Error("a slice shorter than binArrayMin was marked")
	}
	if n := testing.AllocsPerRun(100, func() { wantsBinArrays(args) }); n != 0 {
		t.Errorf("asking whether arguments hold a large slice allocates %v times", n)
	}
	m := pgtype.NewMap()
	n := len(m.TryWrapEncodePlanFuncs)
	out := binArgsOn(m, args)
	if _, ok := out[2].(binArray[int64]); !ok {
		t.Errorf("the large []int64 is a %T", out[2])
	}
	for _, i := range []int{0, 1, 3, 4} {
		if _, ok := out[i].(binArrayArg); ok {
			t.Errorf("argument %d (%T) was marked", i, args[i])
		}
	}
	if _, ok := args[2].([]int64); !ok {
		t.Error("the caller's arguments were changed")
	}
	binArgsOn(m, args)
	if got := len(m.TryWrapEncodePlanFuncs); got != n+1 {
		t.Errorf("the map has %d hooks, want %d (installed once)", got, n+1)
	}
	if same := binArgsOn(m, args[:2]); &same[0] != &args[0] {
		t.Error("arguments without a large slice were copied")
	}
}

func TestBinArrayEncodesWithoutAnAllocationPerElement(t *testing.T) {
	m := pgtype.NewMap()
	installBinArrays(m)
	vals := wrapped(make([]string, 1000))
	buf := make([]byte, 0, 64)
	if _, err := m.Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, vals, buf); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() {
		_, _ = m.Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, vals, buf)
	}); n > 2 { // the buffer grown once (-race adds one); pgx's own plan boxes each string
		t.Errorf("encoding 1,000 strings took %v allocations", n)
	}
}
