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
// variants, database/sql, gorm, bun, sqlx, ent, sqlc and its variants,
// then anything else by name.
func libraryRank(lib string) (int, string) {
	known := []string{"strata", "strata-expr", "pgx", "pgx-copy", "pgx-unnest", "databasesql", "gorm", "bun", "sqlx", "ent", "sqlc"}
	if i := slices.Index(known, lib); i >= 0 {
		return 2 * i, ""
	}
	switch {
	case isStrata(lib):
		return 2*slices.Index(known, "strata-expr") + 1, lib
	case isPgx(lib):
		return 2*slices.Index(known, "pgx-unnest") + 1, lib
	case strings.HasPrefix(lib, "sqlc-"):
		return 2*slices.Index(known, "sqlc") + 1, lib
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
	known = append(known, publicBenches()...)
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
		if isPublic(bench) {
			libs = append(libs, "ent", "sqlc")
		}
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

// The targets Strata is held to (issue 17).
const (
	singleTimeGoal   = 1.10 // Read, Insert, Update time vs pgx, at most
	singleAllocsGoal = 1.5  // Read, Insert, Update allocations vs pgx, at most
	sessionReadGoal  = 1.25 // ReadSlice and Load100k through the session vs pgx, at most
	copyGoal         = 1.3  // bulk inserts vs pgx's COPY, at most
	keyedGoal        = 1.15 // bulk inserts vs pgx's fastest key-returning technique, at most
	eagerLoadGoal    = 1.5  // EagerLoad vs pgx, at most
	flushGraphGoal   = 1.3  // FlushGraph vs pgx's hand-written UNNEST version, at most
)

// keyless lists the pgx techniques that do not read keys back.
var keyless = []string{"pgx-copy"}

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
	// vs divides a unit of Strata's row by the same unit of the row of lib.
	vs := func(t *table, st *row, lib string, unit func(*row) stat) ratio {
		if t == nil || !st.has() {
			return noRatio()
		}
		r := t.row(lib)
		if !r.has() {
			return noRatio()
		}
		return ratioOf(unit(st), unit(r))
	}
	timeOf := func(r *row) stat { return r.Time }
	allocsOf := func(r *row) stat { return r.Allocs }
	strataOf := func(t *table) *row {
		if t == nil {
			return nil
		}
		return t.strata()
	}

	// Single rows: the suite's and the public workload's.
	for _, bench := range []string{"Read", "Insert", "Update", "PublicRead", "PublicInsert", "PublicUpdate"} {
		t := s.table(bench)
		st, note := strataOf(t), strataNote(t)
		out = append(out,
			atMost(bench+": Strata time vs pgx", vs(t, st, "pgx", timeOf), singleTimeGoal, note),
			atMost(bench+": Strata allocs vs pgx", vs(t, st, "pgx", allocsOf), singleAllocsGoal, note))
	}

	// Many rows read through the session (orm.Select ... All): the
	// expression layer's strata-expr does not count.
	for _, bench := range []string{"ReadSlice100", "PublicReadSlice", "Load100k"} {
		t := s.table(bench)
		var st *row
		note := "benchmark not in this run"
		if t != nil {
			st = t.row("strata")
			switch {
			case st.has():
				note = ""
			case t.row("strata-expr").has():
				note = "no session (strata) entry; strata-expr is the expression layer and does not count"
			default:
				note = "Strata " + st.status()
			}
		}
		out = append(out, atMost(bench+": Strata session time vs pgx", vs(t, st, "pgx", timeOf), sessionReadGoal, note))
	}

	// Bulk inserts: against COPY, which reads no keys back, and against
	// pgx's fastest technique that does, as Strata's session does.
	for _, bench := range []string{"InsertMulti100", "PublicInsertMulti", "Insert10k"} {
		t := s.table(bench)
		st, note := strataOf(t), strataNote(t)
		// The COPY goal is for inserts whose keys need not come back: the
		// caller says so with orm.InsertMany (strata-nokeys) where the
		// benchmark runs it; otherwise the session's insert, which reads
		// keys back, stands in and the note says so.
		copySt := st
		copyNote := strings.TrimPrefix(note+"; Strata reads keys back, COPY does not", "; ")
		if t != nil && t.row("strata-nokeys").has() {
			copySt, copyNote = t.row("strata-nokeys"), "measured with strata-nokeys (orm.InsertMany: the caller says keys need not come back)"
		}
		out = append(out, atMost(bench+": Strata time vs pgx-copy", vs(t, copySt, "pgx-copy", timeOf), copyGoal, copyNote))
		v, keyNote := noRatio(), note
		if t != nil {
			var best *row
			for _, r := range t.pgxTechniques() {
				if !slices.Contains(keyless, r.Lib) && (best == nil || r.Time.Center < best.Time.Center) {
					best = r
				}
			}
			if best != nil && st.has() {
				v = ratioOf(st.Time, best.Time)
				keyNote = strings.TrimPrefix(note+"; fastest key-returning pgx technique: "+best.Lib, "; ")
			}
		}
		out = append(out, atMost(bench+": Strata time vs fastest key-returning pgx", v, keyedGoal, keyNote))
	}

	t := s.table("EagerLoad")
	out = append(out, atMost("EagerLoad: Strata time vs pgx", vs(t, strataOf(t), "pgx", timeOf), eagerLoadGoal, strataNote(t)))
	t = s.table("FlushGraph")
	note := "pgx is the hand-written UNNEST version"
	if n := strataNote(t); n != "" {
		note = n + "; " + note
	}
	out = append(out, atMost("FlushGraph: Strata time vs pgx (UNNEST)", vs(t, strataOf(t), "pgx", timeOf), flushGraphGoal, note))
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

// rivals are the ORMs and mappers Strata should beat on every benchmark.
var rivals = []string{"gorm", "bun", "ent", "sqlx"}

// standings compares Strata with its rivals on every benchmark.
func (s *summary) standings() []standing {
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

// The public go-orm-benchmarks workload: its benchmarks, as the suite
// names them, and the operation names of that suite.
var publicOps = []struct{ Bench, Op, Base string }{
	{"PublicInsert", "Insert", "pgx"},
	{"PublicInsertMulti", "InsertMulti(100)", "pgx-copy"},
	{"PublicUpdate", "Update", "pgx"},
	{"PublicRead", "Read", "pgx"},
	{"PublicReadSlice", "ReadSlice(100)", "pgx"},
}

func publicBenches() []string {
	var out []string
	for _, op := range publicOps {
		out = append(out, op.Bench)
	}
	return out
}

func isPublic(bench string) bool { return slices.Contains(publicBenches(), bench) }

// publicRow is one library across the public workload: its time over
// the operation's baseline, one per publicOps entry, NaN where missing.
type publicRow struct {
	Lib    string
	Ratios []float64
}

// publicTable is the table: every library's time over raw pgx's
// (InsertMulti: over pgx's COPY) per public operation. It is nil when the
// run has none of the public benchmarks.
func (s *summary) publicTable() []publicRow {
	var libs []string
	found := false
	for _, op := range publicOps {
		t := s.table(op.Bench)
		if t == nil {
			continue
		}
		found = true
		for _, r := range t.Rows {
			if r.has() && !slices.Contains(libs, r.Lib) {
				libs = append(libs, r.Lib)
			}
		}
	}
	if !found {
		return nil
	}
	slices.SortFunc(libs, compareLibs)
	var out []publicRow
	for _, lib := range libs {
		pr := publicRow{Lib: lib}
		for _, op := range publicOps {
			v := math.NaN()
			if t := s.table(op.Bench); t != nil {
				if r, base := t.row(lib), t.row(op.Base); r.has() && base.has() {
					v = ratioOf(r.Time, base.Time).Mid
				}
			}
			pr.Ratios = append(pr.Ratios, v)
		}
		out = append(out, pr)
	}
	return out
}

// noiseRow is how much one benchmark's pgx runs varied.
type noiseRow struct {
	Bench string
	N     int
	// CV is the coefficient of variation of pgx's times (sample standard
	// deviation over mean); Range is (max-min)/median.
	CV, Range float64
}

// noise measures the machine by pgx's own runs: the floor's code does the
// same work every run, so what varies is the machine and the server.
// Benchmarks with fewer than two pgx runs are left out.
func (s *summary) noise() []noiseRow {
	var out []noiseRow
	for _, t := range s.Tables {
		vs := s.Run.Samples[entryKey{t.Bench, "pgx"}][unitTime]
		if len(vs) < 2 {
			continue
		}
		var sum float64
		for _, v := range vs {
			sum += v
		}
		mean := sum / float64(len(vs))
		var sq float64
		for _, v := range vs {
			sq += (v - mean) * (v - mean)
		}
		sd := math.Sqrt(sq / float64(len(vs)-1))
		med := t.pgx().Time.Center
		out = append(out, noiseRow{Bench: t.Bench, N: len(vs), CV: sd / mean, Range: (slices.Max(vs) - slices.Min(vs)) / med})
	}
	return out
}
