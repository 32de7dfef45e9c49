package pgdialect

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/strata-go/strata/dialect"
)

func TestNativeArgsLeavesOrdinaryArgumentsAlone(t *testing.T) {
	args := []any{int64(1), "x", []byte("b"), time.Unix(0, 0), nil, []string{"a"}}
	got, err := nativeArgs(args)
	if err != nil || &got[0] != &args[0] {
		t.Fatalf("nativeArgs copied or failed for ordinary arguments: %v", err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = nativeArgs(args) }); n != 0 {
		t.Errorf("nativeArgs allocates %v times for ordinary arguments", n)
	}
}

func TestNativeArgsUnwrapsArraysWithoutTouchingTheCallersSlice(t *testing.T) {
	tags := []string{"a", "b"}
	ptr := &dialect.Array{Slice: []int64{7}}
	args := []any{int64(1), dialect.Array{Slice: tags}, ptr, dialect.Array{Slice: []bool(nil)}, (*dialect.Array)(nil), "z"}
	orig := append([]any(nil), args...)
	got, err := nativeArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), tags, []int64{7}, nil, nil, "z"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nativeArgs = %#v, want %#v", got, want)
	}
	if !reflect.DeepEqual(args, orig) {
		t.Errorf("nativeArgs changed the caller's arguments to %#v", args)
	}
	_, err = nativeArgs([]any{1, dialect.Array{Slice: []uint{1}}})
	if !errors.Is(err, dialect.ErrArrayValue) {
		t.Errorf("unsupported element: got %v, want an ArrayError", err)
	}
}

// BenchmarkNativeArgs measures the cost the array unwrapping adds to every
// statement: a type switch per argument when there is no array.
func BenchmarkNativeArgs(b *testing.B) {
	ordinary := []any{int64(1), "title", true, 3.5, time.Unix(0, 0), []byte("x"), int32(2), "body"}
	withArray := append(append([]any(nil), ordinary...), dialect.Array{Slice: []string{"a"}})
	b.Run("ordinary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = nativeArgs(ordinary)
		}
	})
	b.Run("array", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = nativeArgs(withArray)
		}
	})
}
