package fuzz_test

import (
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/strata-go/strata/dialect"
)

// FuzzArrayDestScan feeds arbitrary text to the array scanner (the JSON
// array text MariaDB and SQLite store) for two element types. Its
// contract: an error that leaves the slice alone, or a slice that
// dialect.Array writes back to text that scans to the same slice.
func FuzzArrayDestScan(f *testing.F) {
	for _, s := range []string{`[]`, `["a","b,c","q\"x"]`, `[1,-2,9223372036854775807]`, `["\u00e9\ud83c\udf89"]`,
		`[1.5]`, `[null]`, `null`, `{"a":1}`, `[`, `["\u0000"]`, ` [ "x" ] `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		check := func(p any) {
			before := reflect.ValueOf(p).Elem().Interface()
			if err := (dialect.ArrayDest{Ptr: p}).Scan(text); err != nil {
				if after := reflect.ValueOf(p).Elem().Interface(); !reflect.DeepEqual(before, after) {
					t.Fatalf("a failed scan of %q changed the slice to %#v", text, after)
				}
				return
			}
			got := reflect.ValueOf(p).Elem().Interface()
			out, err := dialect.Array{Slice: got}.Value()
			if err != nil {
				// NUL is the one thing JSON carries that Strata refuses
				// to write (PostgreSQL's text cannot hold it).
				if ss, ok := got.([]string); ok && hasNUL(ss) {
					return
				}
				t.Fatalf("scanned %q into %#v, which cannot be written back: %v", text, got, err)
			}
			if out == nil {
				t.Fatalf("scanned %q into %#v, which writes back as NULL", text, got)
			}
			p2 := reflect.New(reflect.TypeOf(got))
			if err := (dialect.ArrayDest{Ptr: p2.Interface()}).Scan(out); err != nil {
				t.Fatalf("written %q does not scan: %v", out, err)
			}
			if again := p2.Elem().Interface(); !reflect.DeepEqual(again, got) {
				t.Fatalf("%q -> %#v -> %q -> %#v", text, got, out, again)
			}
			if ss, ok := got.([]string); ok {
				for _, s := range ss {
					if !utf8.ValidString(s) {
						t.Fatalf("scanned an invalid UTF-8 string from %q", text)
					}
				}
			}
		}
		check(&[]string{"kept"})
		check(&[]int64{7})
	})
}

func hasNUL(ss []string) bool {
	for _, s := range ss {
		for i := 0; i < len(s); i++ {
			if s[i] == 0 {
				return true
			}
		}
	}
	return false
}
