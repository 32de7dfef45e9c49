package main

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// The units the report reads, as benchfmt tidies them.
const (
	unitTime   = "sec/op"
	unitBytes  = "B/op"
	unitAllocs = "allocs/op"
	unitStmts  = "stmts/op"
)

// configLine is one file configuration line ("key: value") of a raw output.
type configLine struct {
	Key, Value string
}

// entryKey names one sub-benchmark: the benchmark without its "Benchmark"
// prefix ("Insert") and the library ("pgx-copy").
type entryKey struct {
	Bench, Lib string
}

// problem is a sub-benchmark that failed or was skipped in at least one run.
type problem struct {
	entryKey
	Kind    string // "failed" or "skipped"
	Count   int    // how many times it was reported
	Message string // the first line the benchmark logged, if any
}

// rawRun is one raw `go test -bench` output, parsed.
type rawRun struct {
	// Config is the file configuration in order of first appearance; a key
	// given twice keeps its last value.
	Config []configLine
	// Samples holds every measurement of every sub-benchmark, by unit.
	Samples map[entryKey]map[string][]float64
	// Benches lists the benchmarks in order of first appearance, whether
	// they produced results or only problems.
	Benches []string
	// Problems lists failed and skipped sub-benchmarks in order of first
	// appearance.
	Problems []problem
	// Warnings are lines benchfmt could not parse.
	Warnings []string
}

// config returns the value of a file configuration key, or "".
func (r *rawRun) config(key string) string {
	for _, c := range r.Config {
		if c.Key == key {
			return c.Value
		}
	}
	return ""
}

// setConfig sets a configuration key, keeping the position of an existing one.
func (r *rawRun) setConfig(key, value string) {
	for i := range r.Config {
		if r.Config[i].Key == key {
			r.Config[i].Value = value
			return
		}
	}
	r.Config = append(r.Config, configLine{key, value})
}

// numResults is the number of result lines read.
func (r *rawRun) numResults() int {
	n := 0
	for _, units := range r.Samples {
		n = max(n, len(units[unitTime]))
	}
	return n
}

// splitName splits a benchmark name without its "Benchmark" prefix into the
// benchmark and the library: "Insert10k/pgx-copy-2" is Insert10k, pgx-copy.
// Deeper sub-benchmarks keep their slashes in the library part.
func splitName(name string) entryKey {
	base, parts := benchfmt.Name(name).Parts()
	var lib []string
	for _, p := range parts {
		if p[0] == '/' {
			lib = append(lib, string(p[1:]))
		}
	}
	return entryKey{Bench: string(base), Lib: strings.Join(lib, "/")}
}

// parseRaw parses the raw output of `go test -bench`. Results come from
// benchfmt; configuration and the FAIL and SKIP lines, which benchfmt
// ignores, come from a scan of the same lines. name is used in messages.
func parseRaw(data []byte, name string) (*rawRun, error) {
	run := &rawRun{Samples: map[entryKey]map[string][]float64{}}
	seen := map[string]bool{}
	addBench := func(b string) {
		if !seen[b] {
			seen[b] = true
			run.Benches = append(run.Benches, b)
		}
	}

	var syntaxErrs []*benchfmt.SyntaxError
	r := benchfmt.NewReader(bytes.NewReader(data), name)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			k := splitName(rec.Name.String())
			addBench(k.Bench)
			units := run.Samples[k]
			if units == nil {
				units = map[string][]float64{}
				run.Samples[k] = units
			}
			for _, v := range rec.Values {
				units[v.Unit] = append(units[v.Unit], v.Value)
			}
		case *benchfmt.SyntaxError:
			syntaxErrs = append(syntaxErrs, rec)
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}

	type problemKey struct {
		entryKey
		kind string
	}
	problems := map[problemKey]int{} // index into run.Problems
	// problemRE matches the line go test prints for a failed or skipped
	// benchmark, possibly after a result line's name column.
	problemRE := regexp.MustCompile(`--- (FAIL|SKIP): Benchmark(\S+)`)
	// configRE matches a configuration line as the benchmark format
	// defines it: a key starting with a lower-case letter, without spaces
	// or upper case, a colon, and the value.
	configRE := regexp.MustCompile(`^(\p{Ll}[^\s\p{Lu}]*):(?:\s+(.*))?$`)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	var last *problem // the problem whose log lines may follow
	problemLines := map[int]bool{}
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := configRE.FindStringSubmatch(line); m != nil {
			run.setConfig(m[1], strings.TrimSpace(m[2]))
			last = nil
			continue
		}
		if m := problemRE.FindStringSubmatch(line); m != nil {
			k := splitName(m[2])
			kind := "failed"
			if m[1] == "SKIP" {
				kind = "skipped"
			}
			addBench(k.Bench)
			i, ok := problems[problemKey{k, kind}]
			if !ok {
				i = len(run.Problems)
				problems[problemKey{k, kind}] = i
				run.Problems = append(run.Problems, problem{entryKey: k, Kind: kind})
			}
			run.Problems[i].Count++
			problemLines[n] = true
			last = &run.Problems[i]
			continue
		}
		if last != nil && strings.HasPrefix(line, "    ") {
			if last.Message == "" {
				last.Message = strings.TrimSpace(line)
			}
			continue
		}
		last = nil
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scanning %s: %w", name, err)
	}
	run.Problems = dropParentProblems(run.Problems)
	for _, e := range syntaxErrs {
		// A result line cut short by a failure is a problem, not a warning.
		if !problemLines[e.Line] {
			run.Warnings = append(run.Warnings, e.Error())
		}
	}
	return run, nil
}

// dropParentProblems removes a benchmark-level problem when one of its
// sub-benchmarks has its own: go test fails the parent of a failed
// sub-benchmark too, which says nothing new.
func dropParentProblems(ps []problem) []problem {
	hasSub := map[string]bool{}
	for _, p := range ps {
		if p.Lib != "" {
			hasSub[p.Bench] = true
		}
	}
	out := ps[:0]
	for _, p := range ps {
		if p.Lib == "" && hasSub[p.Bench] {
			continue
		}
		out = append(out, p)
	}
	return out
}
