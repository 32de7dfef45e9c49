package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/quickstart.golden with the current output")

// TestQuickstart runs the whole quickstart and compares what it prints,
// the SQL of the session tour included, with testdata/quickstart.golden.
// A change in the statements the ORM sends (their number, their columns,
// their arguments) fails here; if the change is intended, run
//
//	go test ./examples/quickstart -update
//
// and review the diff of the golden file.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, filepath.Join(t.TempDir(), "q.db")); err != nil {
		t.Fatalf("%v\noutput so far:\n%s", err, out.String())
	}
	golden := filepath.Join("testdata", "quickstart.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("quickstart output differs from %s (run with -update if intended):\n%s", golden, lineDiff(string(want), got))
	}
}

// lineDiff shows the first differing lines with some context.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	var b strings.Builder
	from := max(0, i-3)
	b.WriteString("context:\n")
	for _, l := range wl[from:i] {
		b.WriteString("    " + l + "\n")
	}
	b.WriteString("want:\n")
	for _, l := range wl[i:min(len(wl), i+6)] {
		b.WriteString("  - " + l + "\n")
	}
	b.WriteString("got:\n")
	for _, l := range gl[i:min(len(gl), i+6)] {
		b.WriteString("  + " + l + "\n")
	}
	return b.String()
}
