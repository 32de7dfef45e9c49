package dialect_test

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/strata-go/strata/dialect"
)

// rawUUID is a 16-byte UUID type without text methods.
type rawUUID [16]byte

type tag string

var (
	_ driver.Valuer = dialect.Array{}
	_ sql.Scanner   = dialect.ArrayDest{}
	_ sql.Scanner   = &dialect.ArrayDest{}
)

func TestArrayValueIsTheDocumentedJSON(t *testing.T) {
	u := uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	cases := []struct {
		slice any
		want  driver.Value
	}{
		{nil, nil},
		{[]string(nil), nil},
		{[]int64(nil), nil},
		{[]string{}, "[]"},
		{[]string{"a", `q"uote`, "com,ma", `back\slash`, "{brace}", "ünï €🎉", "", "tab\tnl\ncr\r\x01<&>"},
			`["a","q\"uote","com,ma","back\\slash","{brace}","ünï €🎉","","tab\tnl\ncr\r\u0001<&>"]`},
		{[]tag{"x"}, `["x"]`},
		{[]int64{math.MinInt64, 0, math.MaxInt64}, `[-9223372036854775808,0,9223372036854775807]`},
		{[]int32{math.MinInt32, 7}, `[-2147483648,7]`},
		{[]float64{0.1, -2.5e300, 1, 0, math.SmallestNonzeroFloat64}, `[0.1,-2.5e+300,1,0,5e-324]`},
		{[]bool{true, false}, `[true,false]`},
		{[]uuid.UUID{u}, `["6ba7b810-9dad-11d1-80b4-00c04fd430c8"]`},
		{[]rawUUID{rawUUID(u)}, `["6ba7b810-9dad-11d1-80b4-00c04fd430c8"]`},
	}
	for _, c := range cases {
		got, err := dialect.Array{Slice: c.slice}.Value()
		if err != nil || got != c.want {
			t.Errorf("Array{%#v}.Value() = %#v, %v; want %#v", c.slice, got, err, c.want)
		}
	}
}

func TestArrayRefusesWhatItCannotStorePortably(t *testing.T) {
	cases := []struct {
		slice any
		want  string
	}{
		{"text", "array bind string: not a slice"},
		{[]int{1}, "element type int is not supported"},
		{[]complex128{1}, "element type complex128 is not supported"},
		{[][]string{{"a"}}, "element type []string is not supported"},
		{[]*string{nil}, "element type *string is not supported"},
		{[][8]byte{{}}, "element type [8]uint8 is not supported"},
		{[]float64{1, math.NaN()}, "element 1: NaN cannot be stored"},
		{[]float64{math.Inf(-1)}, "element 0: -Inf cannot be stored"},
		{[]string{"a\x00b"}, "element 0: a string element holds NUL"},
		{[]string{"ok", "\xff"}, "element 1: a string element is not valid UTF-8"},
	}
	for _, c := range cases {
		_, err := dialect.Array{Slice: c.slice}.Value()
		var ae *dialect.ArrayError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &ae) || !errors.Is(err, dialect.ErrArrayValue) || ae.Op != "bind" {
			t.Errorf("Array{%#v}.Value() error = %v, want an *ArrayError containing %q", c.slice, err, c.want)
		}
	}
}

func TestArrayNativeReturnsTheSliceOrNil(t *testing.T) {
	s := []string{"a"}
	if got, err := (dialect.Array{Slice: s}).Native(); err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("Native() = %v, %v", got, err)
	}
	if got, err := (dialect.Array{Slice: []bool(nil)}).Native(); err != nil || got != nil {
		t.Errorf("nil slice: Native() = %#v, %v; want an untyped nil (NULL)", got, err)
	}
	if _, err := (dialect.Array{Slice: []uint64{1}}).Native(); !errors.Is(err, dialect.ErrArrayValue) {
		t.Errorf("[]uint64: Native() error = %v", err)
	}
}

func TestArrayDestScansNullJSONAndRefusesTheRest(t *testing.T) {
	u := uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	// Every value written by Array.Value is read back equal, from []byte
	// (MariaDB) and from string (SQLite).
	for _, want := range []any{
		[]string{}, []string{"a", `q"uote`, "com,ma", `back\slash`, "ünï €🎉", "", "tab\tnl\n\x01"},
		[]tag{"x", "y"}, []int64{math.MinInt64, math.MaxInt64}, []int32{math.MinInt32, 7},
		[]float64{0.1, -2.5e300, 5e-324}, []bool{true, false},
		[]uuid.UUID{u, uuid.Nil}, []rawUUID{rawUUID(u), {}},
	} {
		text, err := dialect.Array{Slice: want}.Value()
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range []any{text, []byte(text.(string))} {
			p := reflect.New(reflect.TypeOf(want))
			if err := (dialect.ArrayDest{Ptr: p.Interface()}).Scan(src); err != nil {
				t.Errorf("Scan(%q) into %T: %v", text, want, err)
				continue
			}
			if got := p.Elem().Interface(); !reflect.DeepEqual(got, want) {
				t.Errorf("Scan(%q) = %#v, want %#v", text, got, want)
			}
		}
	}

	// NULL empties the slice; pretty-printed JSON and UUIDs without dashes
	// are read too.
	s := []string{"old"}
	if err := (&dialect.ArrayDest{Ptr: &s}).Scan(nil); err != nil || s != nil {
		t.Errorf("Scan(nil) = %#v, %v; want a nil slice", s, err)
	}
	var us []rawUUID
	if err := (dialect.ArrayDest{Ptr: &us}).Scan(` [ "6ba7b8109dad11d180b400c04fd430c8" ] `); err != nil || len(us) != 1 || us[0] != rawUUID(u) {
		t.Errorf("UUID without dashes: %v %v", us, err)
	}

	bad := []struct {
		ptr  any
		src  any
		want string
	}{
		{&s, int64(1), "cannot scan a int64"},
		{&s, `{"a":1}`, "is not a JSON array"},
		{&s, `null`, "the JSON value is null"},
		{&s, `["a",`, "is not a JSON array"},
		{&s, `["a",null]`, "element 1 is null"},
		{&s, `[1]`, "element 0: json: cannot unmarshal number"},
		{new([]int32), `[2147483648]`, "element 0"},
		{new([]int64), `[1.5]`, "element 0"},
		{new([]bool), `[1]`, "element 0"},
		{new([]rawUUID), `["not-a-uuid"]`, `element 0: "not-a-uuid" is not a UUID`},
		{new([]rawUUID), `[12]`, "element 0: 12 is not a UUID string"},
		{new([]uuid.UUID), `["zz"]`, "element 0"},
		{s, `[]`, "the Ptr field must be a non-nil pointer to a slice"},
		{(*[]string)(nil), `[]`, "the Ptr field must be a non-nil pointer to a slice"},
		{nil, `[]`, "the Ptr field must point to a slice"},
		{new([]uint8), `[]`, "element type uint8 is not supported"},
	}
	for _, c := range bad {
		before := []string{"kept"}
		if p, ok := c.ptr.(*[]string); ok && p == &s {
			s = before
		}
		err := dialect.ArrayDest{Ptr: c.ptr}.Scan(c.src)
		var ae *dialect.ArrayError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &ae) || ae.Op != "scan" || !errors.Is(err, dialect.ErrArrayValue) {
			t.Errorf("Scan(%#v) into %T: error %v, want an *ArrayError containing %q", c.src, c.ptr, err, c.want)
		}
		if p, ok := c.ptr.(*[]string); ok && p == &s && !reflect.DeepEqual(s, before) {
			t.Errorf("a failed Scan(%#v) changed the slice to %#v", c.src, s)
		}
	}
}
