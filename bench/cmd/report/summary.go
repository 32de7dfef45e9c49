package main

import (
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"
)

// confidence is the level of the confidence intervals around medians.
const confidence = 0.95

// stat summarises one unit of one sub-benchmark: the median of its runs
// and an interval around it.
type stat struct {
	Center, Lo, Hi float64
	// N is the number of runs; zero means there is no measurement.
	N int
	// CI reports whether Lo..Hi is a confidence interval of the median at
	// the confidence level; with too few runs it is the min..max range,
	// and with a single run both are NaN.
	CI bool
}

// ok reports whether the stat holds a measurement.
func (s stat) ok() bool { return s.N > 0 }

// spread is the larger distance from the center to either bound, as a
// fraction of the center; NaN without bounds.
func (s stat) spread() float64 {
	if !s.ok() || s.Center == 0 {
		return math.NaN()
	}
	return math.Max(s.Hi-s.Center, s.Center-s.Lo) / s.Center
}

// summarize computes the median of values and an interval around it.
func summarize(values []float64) stat {
	if len(values) == 0 {
		return stat{}
	}
	vs := slices.Clone(values)
	thresholds := benchmath.DefaultThresholds
	sum := benchmath.AssumeNothing.Summary(benchmath.NewSample(vs, &thresholds), confidence)
	s := stat{Center: sum.Center, Lo: sum.Lo, Hi: sum.Hi, N: len(vs), CI: true}
	switch {
	case len(vs) == 1:
		s.Lo, s.Hi, s.CI = math.NaN(), math.NaN(), false // no spread to speak of
	case math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) || math.IsNaN(s.Lo) || math.IsNaN(s.Hi):
		s.Lo, s.Hi, s.CI = vs[0], vs[len(vs)-1], false // NewSample sorted vs
	}
	return s
}

// ratio is a ratio of two medians with a conservative interval: the
// numerator's bounds over the denominator's opposite bounds.
type ratio struct {
	Mid, Lo, Hi float64
}

// ok reports whether the ratio could be computed.
func (r ratio) ok() bool { return !math.IsNaN(r.Mid) && !math.IsInf(r.Mid, 0) }

// noRatio is the ratio of something missing.
func noRatio() ratio { return ratio{math.NaN(), math.NaN(), math.NaN()} }

// ratioOf divides a by b.
func ratioOf(a, b stat) ratio {
	if !a.ok() || !b.ok() || b.Center == 0 || b.Lo <= 0 {
		if a.ok() && b.ok() && b.Center != 0 {
			return ratio{a.Center / b.Center, math.NaN(), math.NaN()}
		}
		return noRatio()
	}
	return ratio{a.Center / b.Center, a.Lo / b.Hi, a.Hi / b.Lo}
}

// row is one library in one benchmark.
type row struct {
	Lib                        string
	Time, Bytes, Allocs, Stmts stat
	// Problems lists how the library failed or was skipped, if it did.
	Problems []problem
}

// has reports whether the row holds a time measurement.
func (r *row) has() bool { return r != nil && r.Time.ok() }

// status says why a row has no data: "failed", "skipped" or "not run".
func (r *row) status() string {
	if r.has() {
		return ""
	}
	for _, p := range r.Problems {
		if p.Kind == "failed" {
			return "failed"
		}
	}
	if len(r.Problems) > 0 {
		return r.Problems[0].Kind
	}
	return "not run"
}

// table is one benchmark: a row per library in libraryOrder.
type table struct {
	Bench string
	Rows  []*row
}

// row returns the row of lib, or nil.
func (t *table) row(lib string) *row {
	for _, r := range t.Rows {
		if r.Lib == lib {
			return r
		}
	}
	return nil
}

// pgx is the raw pgx row, the baseline of every ratio.
func (t *table) pgx() *row { return t.row("pgx") }

// pgxTechniques lists the pgx rows with data: pgx and its variants.
func (t *table) pgxTechniques() []*row {
	var out []*row
	for _, r := range t.Rows {
		if isPgx(r.Lib) && r.has() {
			out = append(out, r)
		}
	}
	return out
}

// bulk reports whether the benchmark runs more than one pgx technique.
func (t *table) bulk() bool { return len(t.pgxTechniques()) > 1 }

// bestPgx is the fastest pgx technique, or nil.
func (t *table) bestPgx() *row {
	var best *row
	for _, r := range t.pgxTechniques() {
		if best == nil || r.Time.Center < best.Time.Center {
			best = r
		}
	}
	return best
}

// strata is the row that stands for Strata: "strata" if it has data,
// otherwise the first strata-* variant with data (strata-expr), otherwise
// the plain "strata" row, which then shows why it is missing.
func (t *table) strata() *row {
	if r := t.row("strata"); r.has() {
		return r
	}
	for _, r := range t.Rows {
		if isStrata(r.Lib) && r.has() {
			return r
		}
	}
	return t.row("strata")
}

func isPgx(lib string) bool    { return lib == "pgx" || strings.HasPrefix(lib, "pgx-") }
func isStrata(lib string) bool { return lib == "strata" || strings.HasPrefix(lib, "strata-") }

// libraryRank orders libraries: strata and its variants, pgx and its
// variants, database/sql, gorm, bun, sqlx, then anything else by name.
func libraryRank(lib string) (int, string) {
	known := []string{"strata", "strata-expr", "pgx", "pgx-copy", "pgx-unnest", "databasesql", "gorm", "bun", "sqlx"}
	if i := slices.Index(known, lib); i >= 0 {
		return 2 * i, ""
	}
	switch {
	case isStrata(lib):
		return 2*slices.Index(known, "strata-expr") + 1, lib
	case isPgx(lib):
		return 2*slices.Index(known, "pgx-unnest") + 1, lib
	}
	return 2 * len(known), lib
}

// compareLibs is the library order as a comparison function.
func compareLibs(a, b string) int {
	ra, na := libraryRank(a)
	rb, nb := libraryRank(b)
	if ra != rb {
		return ra - rb
	}
	return strings.Compare(na, nb)
}

// benchRank orders the benchmarks: the suite's own order, single-row
// operations first, then anything unknown in order of appearance.
func benchRank(bench string) int {
	known := []string{"Insert", "Update", "Read", "ReadSlice100", "InsertMulti100", "Insert10k",
		"Load100k", "EagerLoad", "CascadeDelete", "FlushGraph"}
	if i := slices.Index(known, bench); i >= 0 {
		return i
	}
	return len(known)
}

// summary is a whole run, summarised.
type summary struct {
	Run    *rawRun
	Tables []*table
}

// summarizeRun computes a table per benchmark.
func summarizeRun(run *rawRun) *summary {
	s := &summary{Run: run}
	benches := slices.Clone(run.Benches)
	slices.SortStableFunc(benches, func(a, b string) int { return benchRank(a) - benchRank(b) })
	for _, bench := range benches {
		// The core libraries get a row in every table, "not run" if absent.
		libs := []string{"strata", "pgx", "databasesql", "gorm", "bun", "sqlx"}
		for k := range run.Samples {
			if k.Bench == bench && !slices.Contains(libs, k.Lib) {
				libs = append(libs, k.Lib)
			}
		}
		for _, p := range run.Problems {
			if p.Bench == bench && p.Lib != "" && !slices.Contains(libs, p.Lib) {
				libs = append(libs, p.Lib)
			}
		}
		slices.SortFunc(libs, compareLibs)
		t := &table{Bench: bench}
		for _, lib := range libs {
			units := run.Samples[entryKey{bench, lib}]
			r := &row{
				Lib:    lib,
				Time:   summarize(units[unitTime]),
				Bytes:  summarize(units[unitBytes]),
				Allocs: summarize(units[unitAllocs]),
				Stmts:  summarize(units[unitStmts]),
			}
			for _, p := range run.Problems {
				if p.Bench == bench && p.Lib == lib {
					r.Problems = append(r.Problems, p)
				}
			}
			t.Rows = append(t.Rows, r)
		}
		s.Tables = append(s.Tables, t)
	}
	return s
}

// table returns the table of bench, or nil.
func (s *summary) table(bench string) *table {
	for _, t := range s.Tables {
		if t.Bench == bench {
			return t
		}
	}
	return nil
}

// runs is the largest number of runs of any sub-benchmark.
func (s *summary) runs() int { return s.Run.numResults() }

// verdict is the outcome of a target.
type verdict int

const (
	noData verdict = iota
	met
	missed
)

// check is one target checked against the data.
type check struct {
	Name    string // what is compared
	Goal    string // the target, e.g. "≤ 1.10x"
	Value   ratio  // what was measured
	Verdict verdict
	// Unsure is set when the ratio's interval straddles the goal, so the
	// verdict could flip in a quieter run.
	Unsure bool
	// By is how far from the goal a missed target is, as a fraction.
	By   float64
	Note string
}

// The targets Strata is held to.
const (
	singleTimeGoal = 1.10 // Read, Insert, Update time vs pgx, at most
	readAllocsGoal = 1.5  // Read allocs vs pgx, at most
	bulkTimeGoal   = 1.3  // bulk paths vs the best pgx technique, at most
	flushGraphGoal = 5.0  // FlushGraph gorm time over Strata time, at least
)

// atMost checks value ≤ goal.
func atMost(name string, value ratio, goal float64, note string) check {
	c := check{Name: name, Goal: "≤ " + fmtRatio(goal), Value: value, Note: note}
	switch {
	case !value.ok():
	case value.Mid <= goal:
		c.Verdict = met
		c.Unsure = value.Hi > goal
	default:
		c.Verdict = missed
		c.By = value.Mid/goal - 1
		c.Unsure = value.Lo <= goal
	}
	return c
}

// atLeast checks value ≥ goal.
func atLeast(name string, value ratio, goal float64, note string) check {
	c := check{Name: name, Goal: "≥ " + fmtRatio(goal), Value: value, Note: note}
	switch {
	case !value.ok():
	case value.Mid >= goal:
		c.Verdict = met
		c.Unsure = value.Lo < goal
	default:
		c.Verdict = missed
		c.By = 1 - value.Mid/goal
		c.Unsure = value.Hi >= goal
	}
	return c
}

// strataNote names the Strata variant measured when it is not plain Strata
// or explains why there is none.
func strataNote(t *table) string {
	if t == nil {
		return "benchmark not in this run"
	}
	r := t.strata()
	switch {
	case r == nil:
		return "no Strata entry"
	case !r.has():
		return "Strata " + r.status()
	case r.Lib != "strata":
		return "measured with " + r.Lib
	}
	return ""
}

// targets checks the data against the targets.
func (s *summary) targets() []check {
	var out []check
	vsPgx := func(bench string, allocs bool) ratio {
		t := s.table(bench)
		if t == nil {
			return noRatio()
		}
		st, p := t.strata(), t.pgx()
		if !st.has() || !p.has() {
			return noRatio()
		}
		if allocs {
			return ratioOf(st.Allocs, p.Allocs)
		}
		return ratioOf(st.Time, p.Time)
	}
	read := s.table("Read")
	out = append(out,
		atMost("Read: Strata time vs pgx", vsPgx("Read", false), singleTimeGoal, strataNote(read)),
		atMost("Read: Strata allocs vs pgx", vsPgx("Read", true), readAllocsGoal, strataNote(read)),
	)
	for _, bench := range []string{"Insert", "Update"} {
		out = append(out, atMost(bench+": Strata time vs pgx", vsPgx(bench, false), singleTimeGoal, strataNote(s.table(bench))))
	}
	for _, bench := range []string{"InsertMulti100", "Insert10k", "Load100k"} {
		t := s.table(bench)
		v, note := noRatio(), strataNote(t)
		if t != nil {
			if st, best := t.strata(), t.bestPgx(); st.has() && best != nil {
				v = ratioOf(st.Time, best.Time)
				note = strings.TrimPrefix(note+"; ", "; ") + "best pgx technique: " + best.Lib
			}
		}
		out = append(out, atMost(bench+": Strata time vs best pgx technique", v, bulkTimeGoal, note))
	}
	if t := s.table("FlushGraph"); t != nil {
		v := noRatio()
		if st, g := t.strata(), t.row("gorm"); st.has() && g.has() {
			v = ratioOf(g.Time, st.Time)
		}
		out = append(out, atLeast("FlushGraph: gorm time over Strata time", v, flushGraphGoal, strataNote(t)))
	} else {
		out = append(out, atLeast("FlushGraph: gorm time over Strata time", noRatio(), flushGraphGoal, strataNote(nil)))
	}
	return out
}

// lead is Strata against one rival on one benchmark: the rival's time
// over Strata's, so above 1 means Strata is ahead.
type lead struct {
	Rival string
	Value ratio
}

// standing is Strata against the rivals on one benchmark.
type standing struct {
	Bench  string
	Strata string // the Strata row used, "" if none has data
	Status string // why Strata has no data
	Leads  []lead
}

// ahead reports whether Strata beat every rival that has data.
func (st standing) ahead() bool {
	if st.Strata == "" {
		return false
	}
	for _, l := range st.Leads {
		if l.Value.ok() && l.Value.Mid <= 1 {
			return false
		}
	}
	return true
}

// standings compares Strata with gorm, bun and sqlx, the ORMs and mappers
// it should beat everywhere, on every benchmark.
func (s *summary) standings() []standing {
	rivals := []string{"gorm", "bun", "sqlx"}
	var out []standing
	for _, t := range s.Tables {
		st := standing{Bench: t.Bench}
		sr := t.strata()
		if sr.has() {
			st.Strata = sr.Lib
		} else {
			st.Status = sr.status()
		}
		for _, rival := range rivals {
			v := noRatio()
			if r := t.row(rival); sr.has() && r.has() {
				v = ratioOf(r.Time, sr.Time)
			}
			st.Leads = append(st.Leads, lead{rival, v})
		}
		out = append(out, st)
	}
	return out
}
