package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

var update = flag.Bool("update", false, "rewrite testdata/benchmarks.golden.md")

// fixture parses testdata/raw.txt: four benchmarks, three runs, with a
// sub-benchmark that always fails, one that fails once and one skipped.
func fixture(t *testing.T) *rawRun {
	t.Helper()
	data, err := os.ReadFile("testdata/raw.txt")
	if err != nil {
		t.Fatal(err)
	}
	run, err := parseRaw(data, "raw.txt")
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestSplitName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want entryKey
	}{
		{"Insert/strata-2", entryKey{"Insert", "strata"}},
		{"Insert10k/pgx-copy-2", entryKey{"Insert10k", "pgx-copy"}},
		{"Insert10k/pgx-copy", entryKey{"Insert10k", "pgx-copy"}},
		{"ReadSlice100/strata-expr-16", entryKey{"ReadSlice100", "strata-expr"}},
		{"Load100k", entryKey{"Load100k", ""}},
		{"Read-8", entryKey{"Read", ""}},
		{"A/b/c-4", entryKey{"A", "b/c"}},
	} {
		if got := splitName(tc.in); got != tc.want {
			t.Errorf("splitName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseRaw(t *testing.T) {
	run := fixture(t)
	if got, want := run.Benches, []string{"Insert", "Read", "Insert10k", "FlushGraph"}; !slices.Equal(got, want) {
		t.Errorf("benches = %v, want %v", got, want)
	}
	if got := run.numResults(); got != 3 {
		t.Errorf("numResults = %d, want 3", got)
	}
	for key, want := range map[string]string{
		"cpu":      "Example CPU 9000 @ 3.00GHz",
		keyGoTest:  "go test -run '^$' -bench . -benchmem -count 3 -benchtime 20x -timeout 0",
		keyDate:    "2026-01-02 03:04 UTC",
		"pkg":      "github.com/strata-go/strata/bench",
		keyModules: "github.com/jackc/pgx/v5@v5.12.0 github.com/jmoiron/sqlx@v1.4.0 gorm.io/gorm@v1.31.2",
	} {
		if got := run.config(key); got != want {
			t.Errorf("config %q = %q, want %q", key, got, want)
		}
	}
	if n := len(run.Samples[entryKey{"Read", "sqlx"}][unitTime]); n != 2 {
		t.Errorf("Read/sqlx has %d runs, want 2 (one failed)", n)
	}
	if _, ok := run.Samples[entryKey{"Read", "bun"}]; ok {
		t.Error("Read/bun has samples; it always failed")
	}
	stmts := run.Samples[entryKey{"FlushGraph", "gorm"}][unitStmts]
	if len(stmts) != 3 || stmts[0] != 1106 {
		t.Errorf("FlushGraph/gorm stmts/op = %v, want 3 × 1106", stmts)
	}
	want := []problem{
		{entryKey{"Read", "bun"}, "failed", 3, "single_test.go:232: sql: no rows in result set"},
		{entryKey{"Insert10k", "databasesql"}, "skipped", 3, "bulk_test.go:261: not supported here"},
		{entryKey{"Read", "sqlx"}, "failed", 1, "single_test.go:238: ERROR: deadlock detected (SQLSTATE 40P01)"},
	}
	if !slices.Equal(run.Problems, want) {
		t.Errorf("problems:\n got %+v\nwant %+v", run.Problems, want)
	}
}

func TestParseRawPlain(t *testing.T) {
	// Plain go test output: no header of the report's, a benchmark without
	// sub-benchmarks, a skipped one, and no results at all for another.
	raw := "goos: linux\n" +
		"BenchmarkLoad100k-2   \t 5\t 200000000 ns/op\t 1.000 stmts/op\t 100 B/op\t 3 allocs/op\n" +
		"--- SKIP: BenchmarkRead\n    setup_test.go:119: STRATA_TEST_POSTGRES is not set\n" +
		"PASS\nok  \tgithub.com/strata-go/strata/bench\t1.0s\n"
	run, err := parseRaw([]byte(raw), "plain")
	if err != nil {
		t.Fatal(err)
	}
	if got := run.Samples[entryKey{"Load100k", ""}][unitTime]; len(got) != 1 || got[0] != 0.2 {
		t.Errorf("Load100k sec/op = %v, want [0.2]", got)
	}
	if len(run.Problems) != 1 || run.Problems[0].Kind != "skipped" || run.Problems[0].Bench != "Read" {
		t.Errorf("problems = %+v, want Read skipped", run.Problems)
	}
	s := summarizeRun(run)
	if tb := s.table("Read"); tb == nil || tb.row("strata").status() != "not run" {
		t.Errorf("Read table = %+v, want rows that were not run", tb)
	}
	var md bytes.Buffer
	if err := renderMarkdown(&md, s, page{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| Read | skipped | 1 |") {
		t.Errorf("page does not list the skipped benchmark:\n%s", md.String())
	}
}

func TestSummary(t *testing.T) {
	s := summarizeRun(fixture(t))
	var benches []string
	for _, tb := range s.Tables {
		benches = append(benches, tb.Bench)
	}
	if want := []string{"Insert", "Read", "Insert10k", "FlushGraph"}; !slices.Equal(benches, want) {
		t.Errorf("tables = %v, want %v", benches, want)
	}

	ins := s.table("Insert10k")
	var libs []string
	for _, r := range ins.Rows {
		libs = append(libs, r.Lib)
	}
	if want := []string{"strata", "pgx", "pgx-copy", "pgx-unnest", "databasesql", "gorm", "bun", "sqlx"}; !slices.Equal(libs, want) {
		t.Errorf("Insert10k libraries = %v, want %v", libs, want)
	}
	if !ins.bulk() || ins.bestPgx().Lib != "pgx-copy" {
		t.Errorf("Insert10k: bulk %v, best pgx %v; want bulk, pgx-copy", ins.bulk(), ins.bestPgx().Lib)
	}
	if st := ins.row("databasesql").status(); st != "skipped" {
		t.Errorf("Insert10k/databasesql status %q, want skipped", st)
	}
	if s.table("Insert").bulk() {
		t.Error("Insert is not bulk")
	}
	read := s.table("Read")
	if st := read.row("bun").status(); st != "failed" {
		t.Errorf("Read/bun status %q, want failed", st)
	}
	if r := read.row("sqlx"); r.Time.N != 2 {
		t.Errorf("Read/sqlx has %d runs, want 2", r.Time.N)
	}

	got := map[string]verdict{}
	for _, c := range s.targets() {
		got[c.Name] = c.Verdict
	}
	want := map[string]verdict{
		"Read: Strata time vs pgx":                                    missed, // 1.22x
		"Read: Strata allocs vs pgx":                                  missed, // 30/11
		"Insert: Strata time vs pgx":                                  met,    // 1.06x
		"Insert: Strata allocs vs pgx":                                missed, // 84/12
		"Update: Strata time vs pgx":                                  noData, // not in the run
		"Update: Strata allocs vs pgx":                                noData,
		"PublicRead: Strata time vs pgx":                              noData,
		"PublicRead: Strata allocs vs pgx":                            noData,
		"PublicInsert: Strata time vs pgx":                            noData,
		"PublicInsert: Strata allocs vs pgx":                          noData,
		"PublicUpdate: Strata time vs pgx":                            noData,
		"PublicUpdate: Strata allocs vs pgx":                          noData,
		"ReadSlice100: Strata session time vs pgx":                    noData,
		"PublicReadSlice: Strata session time vs pgx":                 noData,
		"Load100k: Strata session time vs pgx":                        noData,
		"InsertMulti100: Strata time vs pgx-copy":                     noData,
		"InsertMulti100: Strata time vs fastest key-returning pgx":    noData,
		"PublicInsertMulti: Strata time vs pgx-copy":                  noData,
		"PublicInsertMulti: Strata time vs fastest key-returning pgx": noData,
		"Insert10k: Strata time vs pgx-copy":                          missed, // 3x
		"Insert10k: Strata time vs fastest key-returning pgx":         missed, // 1.28x pgx-unnest
		"EagerLoad: Strata time vs pgx":                               noData,
		"FlushGraph: Strata time vs pgx (UNNEST)":                     met,
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("target %q: verdict %v, want %v", name, got[name], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("targets %v, want %d", got, len(want))
	}

	for _, st := range s.standings() {
		wantAhead := st.Bench == "Insert10k" || st.Bench == "FlushGraph"
		if st.ahead() != wantAhead {
			t.Errorf("%s: Strata ahead = %v, want %v (%+v)", st.Bench, st.ahead(), wantAhead, st.Leads)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := summarize([]float64{3, 1, 2})
	if s.Center != 2 || s.Lo != 1 || s.Hi != 3 || s.CI || s.N != 3 {
		t.Errorf("summarize(3 runs) = %+v, want median 2, range 1..3", s)
	}
	s = summarize([]float64{10, 11, 9, 10, 10, 12, 10, 9, 11, 10})
	if !s.CI || s.Center != 10 || s.Lo > 10 || s.Hi < 10 {
		t.Errorf("summarize(10 runs) = %+v, want a confidence interval around 10", s)
	}
	if s := summarize([]float64{5}); s.Center != 5 || !math.IsNaN(s.spread()) {
		t.Errorf("summarize(1 run) = %+v, want 5 without spread", s)
	}
	if s := summarize(nil); s.ok() {
		t.Errorf("summarize(nil) = %+v, want nothing", s)
	}
	r := ratioOf(stat{Center: 2, Lo: 1, Hi: 3, N: 3}, stat{Center: 1, Lo: 0.5, Hi: 2, N: 3})
	if r != (ratio{2, 0.5, 6}) {
		t.Errorf("ratioOf = %+v, want {2 0.5 6}", r)
	}
	if ratioOf(stat{}, stat{Center: 1, N: 1}).ok() {
		t.Error("ratio of a missing stat is ok")
	}
}

func TestChecks(t *testing.T) {
	c := atMost("x", ratio{1.2, 1.05, 1.3}, 1.1, "")
	if c.Verdict != missed || !c.Unsure || math.Abs(c.By-(1.2/1.1-1)) > 1e-12 {
		t.Errorf("atMost(1.2, ≤1.1) = %+v, want missed within noise", c)
	}
	c = atMost("x", ratio{1.0, 0.9, 1.05}, 1.1, "")
	if c.Verdict != met || c.Unsure {
		t.Errorf("atMost(1.0, ≤1.1) = %+v, want met", c)
	}
	c = atLeast("x", ratio{4, 3, 4.5}, 5, "")
	if c.Verdict != missed || c.Unsure || math.Abs(c.By-0.2) > 1e-12 {
		t.Errorf("atLeast(4, ≥5) = %+v, want missed by 20%%", c)
	}
	if c := atLeast("x", noRatio(), 5, ""); c.Verdict != noData {
		t.Errorf("atLeast(no data) = %+v, want no data", c)
	}
}

func TestSnap125(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		up   bool
		want float64
	}{
		{0.26, false, 0.2}, {0.26, true, 0.5}, {2.7, true, 5}, {2.7, false, 2},
		{1, false, 1}, {1, true, 1}, {12, true, 20}, {0.05, false, 0.05}, {99, true, 100},
	} {
		if got := snap125(tc.v, tc.up); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("snap125(%v, up=%v) = %v, want %v", tc.v, tc.up, got, tc.want)
		}
	}
}

func TestLibraryOrder(t *testing.T) {
	libs := []string{"sqlx", "zeta", "pgx-unnest", "bun", "strata-expr", "pgx", "alpha", "gorm", "pgx-copy", "strata", "databasesql", "pgx-batch", "strata-raw"}
	slices.SortFunc(libs, compareLibs)
	want := []string{"strata", "strata-expr", "strata-raw", "pgx", "pgx-copy", "pgx-unnest", "pgx-batch", "databasesql", "gorm", "bun", "sqlx", "alpha", "zeta"}
	if !slices.Equal(libs, want) {
		t.Errorf("order = %v, want %v", libs, want)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtTime(850e-9), "850 ns"},
		{fmtTime(113.09e-6), "113 µs"},
		{fmtTime(8.2554e-3), "8.26 ms"},
		{fmtTime(1.5), "1.50 s"},
		{fmtBytes(864), "864 B"},
		{fmtBytes(2208), "2.16 KiB"},
		{fmtBytes(34699476), "33.1 MiB"},
		{fmtCount(1299548), "1,299,548"},
		{fmtCount(84), "84"},
		{fmtCount(84.5), "84.5"},
		{fmtStmts(1), "1"},
		{fmtStmts(14), "14"},
		{fmtStmts(0.25), "0.25"},
		{fmtRatio(1), "1.00x"},
		{fmtRatio(12.34), "12.3x"},
		{fmtRatio(math.NaN()), "—"},
		{fmtSpread(0.034), "±3%"},
		{fmtSpread(0.001), "±<1%"},
		{fmtSpread(math.NaN()), "—"},
		{fmtPct(1.23), "123%"},
		{cell("a|b"), `a\|b`},
		{code("x"), "`x`"},
		{code("a`b"), "``a`b``"},
		{shellQuote("^$"), "'^$'"},
		{shellQuote("20x"), "20x"},
		{shellQuote("it's"), `'it'\''s'`},
		{shellJoin([]string{"-bench", "Read|Insert", "-count", "3"}), "-bench 'Read|Insert' -count 3"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestComparedModules(t *testing.T) {
	mods, err := comparedModules("testdata/go.mod.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"github.com/jackc/pgx/v5@v5.12.0", "gorm.io/gorm@v1.31.2", "github.com/jmoiron/sqlx@v1.4.0", "entgo.io/ent@v0.14.5", "github.com/sqlc-dev/sqlc@v1.31.1"}
	if !slices.Equal(mods, want) {
		t.Errorf("modules = %v, want %v", mods, want)
	}
}

func TestDescribeDSN(t *testing.T) {
	got := describeDSN("postgres://user:secret@db.example:5432/test?sslmode=disable")
	if got != "db.example:5432/test" {
		t.Errorf("describeDSN = %q", got)
	}
}

// TestGolden renders the fixture's page and compares it with the golden
// file; go test -update rewrites it.
func TestGolden(t *testing.T) {
	s := summarizeRun(fixture(t))
	var got bytes.Buffer
	if err := renderMarkdown(&got, s, page{Chart: "benchmarks.png", Raw: "benchmarks.txt"}); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/benchmarks.golden.md"
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		gl, wl := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("page differs from %s at line %d (go test -update rewrites it):\n got %q\nwant %q", golden, i+1, g, w)
			}
		}
	}
}

func TestChart(t *testing.T) {
	s := summarizeRun(fixture(t))
	benches, series := chartData(s)
	if want := []string{"Insert", "Read", "Insert10k", "FlushGraph"}; !slices.Equal(benches, want) {
		t.Errorf("chart groups = %v, want %v", benches, want)
	}
	for _, cs := range series {
		if cs.Lib == "pgx" {
			t.Error("pgx has bars; it is the baseline")
		}
		if cs.Lib == "bun" && !math.IsNaN(cs.Ratios[1]) {
			t.Errorf("bun on Read = %v, want NaN (failed)", cs.Ratios[1])
		}
	}
	png, err := renderChart(s, ".png")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Error("chart is not a PNG")
	}
	svg, err := renderChart(s, ".svg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("<svg")) {
		t.Error("chart is not an SVG")
	}
}

// TestReportFromFile renders the fixture end to end with -in, writing the
// page, the chart and a copy of the raw output into a temporary directory.
func TestReportFromFile(t *testing.T) {
	dir := t.TempDir()
	c := config{
		bench: benchOptions{Dir: "."},
		in:    "testdata/raw.txt",
		out:   filepath.Join(dir, "docs", "benchmarks.md"),
	}
	if err := c.report(context.Background()); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "docs", "benchmarks.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"](benchmarks.png)", "[benchmarks.txt](benchmarks.txt)", "### FlushGraph"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	if bytes.Contains(md, []byte("collected when this page was rendered")) {
		t.Error("page says facts were probed; the fixture has them all")
	}
	for _, f := range []string{"benchmarks.png", "benchmarks.txt"} {
		if _, err := os.Stat(filepath.Join(dir, "docs", f)); err != nil {
			t.Error(err)
		}
	}

	// No results at all: an error, and no page.
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("FAIL\tgithub.com/strata-go/strata/bench [build failed]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c = config{bench: benchOptions{Dir: "."}, in: empty, out: filepath.Join(dir, "none", "b.md"), chart: "none"}
	if err := c.report(context.Background()); err == nil {
		t.Error("report of an output without results succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "none", "b.md")); err == nil {
		t.Error("report of an output without results wrote a page")
	}
}

// publicFixture summarises testdata/public.txt: the five Public*
// benchmarks, two runs, pgx 2% slower in the second.
func publicFixture(t *testing.T) *summary {
	t.Helper()
	data, err := os.ReadFile("testdata/public.txt")
	if err != nil {
		t.Fatal(err)
	}
	run, err := parseRaw(data, "public.txt")
	if err != nil {
		t.Fatal(err)
	}
	return summarizeRun(run)
}

func TestPublicTable(t *testing.T) {
	s := publicFixture(t)
	rows := s.publicTable()
	var libs []string
	byLib := map[string][]float64{}
	for _, r := range rows {
		libs = append(libs, r.Lib)
		byLib[r.Lib] = r.Ratios
	}
	want := []string{"strata", "pgx", "pgx-copy", "pgx-unnest", "databasesql", "gorm", "bun", "sqlx", "ent", "sqlc", "sqlc-unnest"}
	if !slices.Equal(libs, want) {
		t.Errorf("public table libraries = %v, want %v", libs, want)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	// Insert: strata (152000, 153520) over pgx (100000, 102000).
	if got := byLib["strata"][0]; !near(got, 152760.0/101000) {
		t.Errorf("strata Insert = %v, want %v", got, 152760.0/101000)
	}
	// InsertMulti divides by pgx-copy, so pgx (VALUES) is not 1.00x there.
	if got := byLib["strata"][1]; !near(got, 1819050.0/1005000) {
		t.Errorf("strata InsertMulti = %v, want %v", got, 1819050.0/1005000)
	}
	if got := byLib["pgx"][1]; !near(got, 1313000.0/1005000) {
		t.Errorf("pgx InsertMulti = %v, want it over pgx-copy, %v", got, 1313000.0/1005000)
	}
	if got := byLib["pgx"][3]; got != 1 {
		t.Errorf("pgx Read = %v, want 1", got)
	}
	if got := byLib["sqlc-unnest"][0]; !math.IsNaN(got) {
		t.Errorf("sqlc-unnest Insert = %v, want none (it only runs InsertMulti)", got)
	}
	if rows := summarizeRun(fixture(t)).publicTable(); rows != nil {
		t.Errorf("a run without the public workload has a public table: %v", rows)
	}
	// ent is a rival: the standings have a column for it.
	for _, st := range s.standings() {
		if st.Leads[2].Rival != "ent" || !st.Leads[2].Value.ok() {
			t.Errorf("%s: no lead over ent (%+v)", st.Bench, st.Leads)
		}
	}
}

func TestNoise(t *testing.T) {
	rows := publicFixture(t).noise()
	if len(rows) != 5 {
		t.Fatalf("noise rows = %+v, want one per public benchmark", rows)
	}
	// pgx ran 100000 and 102000 on PublicInsert: mean 101000, sample
	// standard deviation sqrt(2e6), range 2000 over the median 101000.
	r := rows[0]
	if r.Bench != "PublicInsert" || r.N != 2 {
		t.Fatalf("first noise row = %+v", r)
	}
	if want := math.Sqrt(2e6) / 101000; math.Abs(r.CV-want) > 1e-12 {
		t.Errorf("CV = %v, want %v", r.CV, want)
	}
	if want := 2000.0 / 101000; math.Abs(r.Range-want) > 1e-12 {
		t.Errorf("range = %v, want %v", r.Range, want)
	}
	// One run says nothing about noise.
	run, err := parseRaw([]byte("BenchmarkRead/pgx-2 \t 5\t 100 ns/op\n"), "one")
	if err != nil {
		t.Fatal(err)
	}
	if rows := summarizeRun(run).noise(); len(rows) != 0 {
		t.Errorf("noise of a single run = %+v, want none", rows)
	}
}

// TestGoldenPublic renders the public fixture's page; go test -update
// rewrites it.
func TestGoldenPublic(t *testing.T) {
	var got bytes.Buffer
	if err := renderMarkdown(&got, publicFixture(t), page{}); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/public.golden.md"
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("page differs from %s (go test -update rewrites it):\n%s", golden, got.String())
	}
}

func TestSchedule(t *testing.T) {
	subs := []entryKey{{"Insert", "strata"}, {"Insert", "pgx"}, {"Insert", "bun"}, {"Read", "strata"}, {"Read", "pgx"}, {"Load100k", ""}}
	for round, want := range [][]entryKey{
		subs,
		{{"Insert", "pgx"}, {"Insert", "bun"}, {"Insert", "strata"}, {"Read", "pgx"}, {"Read", "strata"}, {"Load100k", ""}},
		{{"Insert", "bun"}, {"Insert", "strata"}, {"Insert", "pgx"}, {"Read", "strata"}, {"Read", "pgx"}, {"Load100k", ""}},
		{{"Insert", "strata"}, {"Insert", "pgx"}, {"Insert", "bun"}, {"Read", "pgx"}, {"Read", "strata"}, {"Load100k", ""}},
	} {
		if got := schedule(subs, round); !slices.Equal(got, want) {
			t.Errorf("round %d: %v, want %v", round, got, want)
		}
	}
}

func TestBenchPattern(t *testing.T) {
	for _, tc := range []struct {
		k    entryKey
		want string
	}{
		{entryKey{"Insert10k", "pgx-copy"}, "^BenchmarkInsert10k$/^pgx-copy$"},
		{entryKey{"Load100k", ""}, "^BenchmarkLoad100k$"},
		{entryKey{"A", "b/c.d"}, `^BenchmarkA$/^b$/^c\.d$`},
	} {
		if got := benchPattern(tc.k); got != tc.want {
			t.Errorf("benchPattern(%v) = %q, want %q", tc.k, got, tc.want)
		}
	}
}

func TestSubBenchmarks(t *testing.T) {
	data, err := os.ReadFile("testdata/raw.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := subBenchmarks(data)
	want := []entryKey{
		{"Insert", "strata"}, {"Insert", "pgx"}, {"Insert", "databasesql"}, {"Insert", "gorm"}, {"Insert", "bun"}, {"Insert", "sqlx"},
		{"Read", "strata"}, {"Read", "pgx"}, {"Read", "databasesql"}, {"Read", "gorm"}, {"Read", "bun"}, {"Read", "sqlx"},
	}
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("sub-benchmarks start %v, want %v", got, want)
	}
	if slices.Contains(got, entryKey{"Read", ""}) {
		t.Error("the failed parent BenchmarkRead is listed; its sub-benchmarks stand for it")
	}
	if !slices.Contains(got, entryKey{"Insert10k", "databasesql"}) {
		t.Error("the skipped Insert10k/databasesql is not listed; later rounds would not retry it")
	}
}

// TestSetSyncCommit sets synchronous_commit on a database of its own,
// created next to the one of STRATA_TEST_POSTGRES, checks that a new
// connection sees it, and that restoring puts the previous default back.
func TestSetSyncCommit(t *testing.T) {
	base := os.Getenv("STRATA_TEST_POSTGRES")
	if base == "" {
		t.Skip("STRATA_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("strata_report_test_%d", os.Getpid())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		admin.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	dsn := u.String()
	show := func() string {
		t.Helper()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var v string
		if err := conn.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := show()
	want := "off"
	if before == "off" {
		want = "local"
	}
	restore, err := setSyncCommit(ctx, dsn, want)
	if err != nil {
		t.Fatal(err)
	}
	got := show()
	if err := restore(ctx); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("synchronous_commit during the run = %q, want %q", got, want)
	}
	if after := show(); after != before {
		t.Errorf("synchronous_commit after restoring = %q, want %q as before", after, before)
	}
}

func TestCopyTargetUsesTheInsertThatReadsNoKeys(t *testing.T) {
	line := func(lib string, ns int) string {
		return fmt.Sprintf("BenchmarkInsert10k/%s-2   \t 20\t %d ns/op\t 1.000 stmts/op\t 100 B/op\t 3 allocs/op\n", lib, ns)
	}
	target := func(raw string) check {
		run, err := parseRaw([]byte("goos: linux\n"+raw+"PASS\n"), "plain")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range summarizeRun(run).targets() {
			if c.Name == "Insert10k: Strata time vs pgx-copy" {
				return c
			}
		}
		t.Fatal("no Insert10k COPY target")
		return check{}
	}
	keyed := line("strata", 90_000_000) + line("pgx", 80_000_000) + line("pgx-copy", 30_000_000)
	// without strata-nokeys the session's insert stands in, and misses
	if c := target(keyed); c.Verdict != missed || !strings.Contains(c.Note, "reads keys back") {
		t.Errorf("without strata-nokeys: %+v, want missed with the key note", c)
	}
	// with it, InsertMany (COPY, no keys read back) is what the goal is for
	if c := target(keyed + line("strata-nokeys", 33_000_000)); c.Verdict != met || !strings.Contains(c.Note, "strata-nokeys") {
		t.Errorf("with strata-nokeys: %+v, want met, measured with strata-nokeys", c)
	}
}
