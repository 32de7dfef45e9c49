package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/perf/benchfmt"
)

// benchOptions is the benchmark run the report makes.
type benchOptions struct {
	Dir       string // the bench module's directory
	Bench     string // -bench regexp
	Count     int    // rounds: runs of every sub-benchmark
	Benchtime string // -benchtime, "" for go test's default
	Timeout   string // -timeout, per test binary process
}

// testArgs is the test binary's argument list for one run of the
// benchmarks matching re.
func (o benchOptions) testArgs(re string) []string {
	args := []string{"-test.run", "^$", "-test.bench", re, "-test.benchmem", "-test.count", "1"}
	if o.Benchtime != "" {
		args = append(args, "-test.benchtime", o.Benchtime)
	}
	if o.Timeout != "" {
		args = append(args, "-test.timeout", o.Timeout)
	}
	return args
}

// commandLine is how the page records what ran.
func (o benchOptions) commandLine() string {
	return "go test -c -o bench.test . && ./bench.test " + shellJoin(o.testArgs(o.Bench))
}

// method says how the runs were interleaved.
func (o benchOptions) method() string {
	return fmt.Sprintf("%d interleaved rounds, each running every sub-benchmark once (-test.count 1): "+
		"round 1 runs the benchmarks in the suite's order in one process; every later round runs each "+
		"sub-benchmark found in round 1 in its own process, benchmark by benchmark, with the order of the "+
		"libraries rotated by one per round, so no library's runs come back to back and none always follows the same one", o.Count)
}

// runBench writes header as configuration lines to raw, builds the
// benchmarks' test binary and runs it for o.Count interleaved rounds
// (see method), copying the output to raw and to progress as it comes.
// Processes that fail are reported as one error after every round ran;
// the caller decides whether the results that did come are enough.
func runBench(ctx context.Context, o benchOptions, header []configLine, raw, progress io.Writer) error {
	w := io.MultiWriter(raw, progress)
	for _, c := range header {
		if _, err := fmt.Fprintf(w, "%s: %s\n", c.Key, c.Value); err != nil {
			return fmt.Errorf("writing header: %w", err)
		}
	}
	tmp, err := os.MkdirTemp("", "strata-bench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bench.test")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, ".")
	build.Dir = o.Dir
	build.Stdout, build.Stderr = progress, w
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the benchmarks: %w", err)
	}

	var errs []error
	var first bytes.Buffer
	fmt.Fprintf(progress, "report: round 1 of %d\n", o.Count)
	if err := runTestBinary(ctx, o, bin, o.Bench, io.MultiWriter(w, &first)); err != nil {
		errs = append(errs, err)
	}
	subs := subBenchmarks(first.Bytes())
	for round := 1; round < o.Count && ctx.Err() == nil; round++ {
		fmt.Fprintf(progress, "report: round %d of %d\n", round+1, o.Count)
		for _, k := range schedule(subs, round) {
			if ctx.Err() != nil {
				break
			}
			if err := runTestBinary(ctx, o, bin, benchPattern(k), w); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// runTestBinary runs the benchmarks matching re once, in dir.
func runTestBinary(ctx context.Context, o benchOptions, bin, re string, out io.Writer) error {
	cmd := exec.CommandContext(ctx, bin, o.testArgs(re)...)
	// On interrupt, let the test binary print what it has.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	cmd.Dir = o.Dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Env = os.Environ()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("benchmarks %s: %w", re, err)
	}
	return nil
}

// subBenchmarks lists the sub-benchmarks of a raw output, results and
// failures alike, in order of first appearance.
func subBenchmarks(data []byte) []entryKey {
	var out []entryKey
	seen := map[entryKey]bool{}
	add := func(k entryKey) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	problemRE := regexp.MustCompile(`--- (?:FAIL|SKIP): Benchmark(\S+)`)
	for line := range strings.Lines(string(data)) {
		if m := problemRE.FindStringSubmatch(line); m != nil {
			add(splitName(m[1]))
			continue
		}
		r := benchfmt.NewReader(strings.NewReader(line), "")
		for r.Scan() {
			if res, ok := r.Result().(*benchfmt.Result); ok {
				add(splitName(res.Name.String()))
			}
		}
	}
	// A benchmark with sub-benchmarks fails with them: drop the parent.
	hasSub := map[string]bool{}
	for _, k := range out {
		if k.Lib != "" {
			hasSub[k.Bench] = true
		}
	}
	kept := out[:0]
	for _, k := range out {
		if k.Lib == "" && hasSub[k.Bench] {
			continue
		}
		kept = append(kept, k)
	}
	return kept
}

// schedule is the order of one round: benchmark by benchmark in subs'
// order, each benchmark's libraries rotated left by round.
func schedule(subs []entryKey, round int) []entryKey {
	var out []entryKey
	for i := 0; i < len(subs); {
		j := i
		for j < len(subs) && subs[j].Bench == subs[i].Bench {
			j++
		}
		group := subs[i:j]
		r := round % len(group)
		out = append(out, group[r:]...)
		out = append(out, group[:r]...)
		i = j
	}
	return out
}

// benchPattern is the -test.bench regexp that matches k alone.
func benchPattern(k entryKey) string {
	parts := []string{"^Benchmark" + regexp.QuoteMeta(k.Bench) + "$"}
	if k.Lib != "" {
		for _, p := range strings.Split(k.Lib, "/") {
			parts = append(parts, "^"+regexp.QuoteMeta(p)+"$")
		}
	}
	return strings.Join(parts, "/")
}

// syncCommitValues are the values -synchronous-commit accepts: keep, or
// one of PostgreSQL's.
var syncCommitValues = []string{"keep", "off", "on", "local", "remote_write", "remote_apply"}

// setSyncCommit makes synchronous_commit value the default of the DSN's
// database (ALTER DATABASE ... SET), so that every connection the
// benchmarks open, whatever its driver, runs with it. restore puts back
// the database's previous default, or resets it if it had none.
func setSyncCommit(ctx context.Context, dsn, value string) (restore func(context.Context) error, err error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var db string
	var prev []string
	err = conn.QueryRow(ctx, `SELECT current_database(),
		coalesce((SELECT array_agg(s) FROM pg_db_role_setting r, unnest(r.setconfig) s
			WHERE r.setrole = 0 AND r.setdatabase = d.oid AND s LIKE 'synchronous\_commit=%'), '{}')
		FROM pg_database d WHERE d.datname = current_database()`).Scan(&db, &prev)
	if err != nil {
		return nil, fmt.Errorf("reading the database's synchronous_commit: %w", err)
	}
	alter := "ALTER DATABASE " + pgx.Identifier{db}.Sanitize()
	if _, err := conn.Exec(ctx, alter+" SET synchronous_commit = "+quoteLiteral(value)); err != nil {
		return nil, fmt.Errorf("setting synchronous_commit = %s on database %s: %w", value, db, err)
	}
	undo := alter + " RESET synchronous_commit"
	if len(prev) > 0 {
		_, v, _ := strings.Cut(prev[0], "=")
		undo = alter + " SET synchronous_commit = " + quoteLiteral(v)
	}
	return func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return fmt.Errorf("restoring synchronous_commit: %w", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, undo); err != nil {
			return fmt.Errorf("restoring synchronous_commit: %w", err)
		}
		return nil
	}, nil
}

// quoteLiteral quotes s as an SQL string literal (SET takes no parameters).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// shellJoin quotes args for a POSIX shell where needed.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

// shellQuote quotes s for a POSIX shell if it holds anything but safe
// characters.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./=:,+@%", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
