// Command report runs the Strata benchmarks and writes their results page.
//
// Run it in the bench module's directory:
//
//	cd bench
//	export STRATA_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run ./cmd/report            # 6 rounds, go test's default -benchtime
//	go run ./cmd/report -synchronous-commit on -out ../docs/benchmarks-sync.md
//
// It builds the benchmarks' test binary once (go test -c) and runs it for
// -count interleaved rounds, every sub-benchmark once per round
// (-test.count 1): round 1 runs the matching benchmarks in the suite's
// order; each later round runs every sub-benchmark round 1 found in its
// own process, benchmark by benchmark, with the libraries' order rotated
// by one per round. So the runs of one library are spread over the whole
// run instead of coming back to back, and a slow minute of a shared
// machine lands on every library alike. The page reports how noisy the
// machine was from the spread of raw pgx's own runs.
//
// The benchmark database runs with synchronous_commit = off by default
// (-synchronous-commit): the report sets it as the database's default
// (ALTER DATABASE ... SET, which every driver's new connections pick up)
// for the run and restores the previous default afterwards. Commit
// latency then no longer drowns the libraries' own cost, which is what
// the benchmarks compare. -synchronous-commit on gives the documented
// run with durable commits; keep leaves the database alone.
//
// The output streams to stderr and into the raw file (by default
// ../docs/benchmarks.txt, which benchstat reads), after a header of
// configuration lines recording the machine, Go, PostgreSQL and the
// compared libraries' versions. It then writes the markdown page
// (../docs/benchmarks.md) and a chart of every library's time relative to
// raw pgx (../docs/benchmarks.png).
//
// With -in it reads an existing raw output instead of running anything, so
// a page can be rendered again, or rendered from a plain go test output.
// Facts a plain output lacks are collected at render time and marked so.
//
// A sub-benchmark that fails or is skipped does not stop the report: it
// shows as missing, and the page lists what failed.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	var (
		count      = flag.Int("count", 6, "run each benchmark `n` times, in n interleaved rounds (6 or more gives confidence intervals)")
		syncCommit = flag.String("synchronous-commit", "off", "synchronous_commit of the benchmark database during the run: off, on, another PostgreSQL value, or keep")
		benchtime  = flag.String("benchtime", "", "go test -benchtime, e.g. 1s or 50x (default: go test's)")
		bench      = flag.String("bench", ".", "run the benchmarks matching `regexp`")
		timeout    = flag.String("timeout", "0", "-test.timeout of each test binary process (0: none)")
		in         = flag.String("in", "", "render the raw go test output in `file` instead of running the benchmarks")
		out        = flag.String("out", "../docs/benchmarks.md", "write the markdown page to `file`")
		raw        = flag.String("raw", "", "keep the raw go test output in `file` (default: -out with .txt)")
		chart      = flag.String("chart", "", "write the chart to `file`, .png or .svg (default: -out with .png; \"none\" for no chart)")
		dir        = flag.String("dir", ".", "the bench module's `directory`")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./cmd/report [flags]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}

	cfg := config{
		bench: benchOptions{
			Dir:       *dir,
			Bench:     *bench,
			Count:     *count,
			Benchtime: *benchtime,
			Timeout:   *timeout,
		},
		in:         *in,
		out:        *out,
		raw:        *raw,
		chart:      *chart,
		command:    "go run ./cmd/report " + shellJoin(os.Args[1:]),
		dsn:        os.Getenv("STRATA_TEST_POSTGRES"),
		syncCommit: *syncCommit,
	}
	cfg.command = strings.TrimSpace(cfg.command)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := cfg.report(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// config is one invocation of the command.
type config struct {
	bench   benchOptions
	in      string // raw output to render; "" runs the benchmarks
	out     string // markdown page
	raw     string // raw output to keep; "" derives it from out
	chart   string // chart; "" derives it from out, "none" skips it
	command string // the command line, for the page
	dsn     string // STRATA_TEST_POSTGRES
	// syncCommit is synchronous_commit for the run; "keep" or "" leaves
	// the database's setting alone.
	syncCommit string
}

// withExt replaces path's extension.
func withExt(path, ext string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ext
}

// warn prints a problem that does not stop the report.
func warn(err error) { fmt.Fprintln(os.Stderr, "report: warning:", err) }

// report runs or reads the benchmarks and writes the page and chart.
func (c config) report(ctx context.Context) error {
	rawPath := c.raw
	if rawPath == "" {
		rawPath = withExt(c.out, ".txt")
	}
	chartPath := c.chart
	if chartPath == "" {
		chartPath = withExt(c.out, ".png")
	}
	var chartExt string
	if chartPath != "none" {
		ext, err := chartFormat(chartPath)
		if err != nil {
			return err
		}
		chartExt = ext
	}

	var data []byte
	var probed []string
	if c.in == "" {
		var err error
		if data, err = c.run(ctx, rawPath); err != nil {
			return err
		}
	} else {
		var err error
		if data, err = os.ReadFile(c.in); err != nil {
			return fmt.Errorf("reading raw output: %w", err)
		}
		if !samePath(c.in, rawPath) {
			if err := writeFile(rawPath, data); err != nil {
				return err
			}
		}
	}

	run, err := parseRaw(data, rawPath)
	if err != nil {
		return err
	}
	for _, w := range run.Warnings {
		warn(errors.New(w))
	}
	if run.numResults() == 0 {
		return fmt.Errorf("no benchmark results in %s; not writing %s", rawPath, c.out)
	}
	if c.in != "" && lacksFacts(run, c.dsn != "") {
		// A plain go test output lacks the report's header: collect what it
		// misses now, and say so on the page. The date stays unknown.
		for _, l := range probe(ctx, c.bench.Dir, c.dsn, warn) {
			if run.config(l.Key) == "" && l.Key != keyDate {
				run.setConfig(l.Key, l.Value)
				probed = append(probed, l.Key)
			}
		}
	}

	s := summarizeRun(run)
	pg := page{Probed: probed, Raw: relTo(c.out, rawPath)}
	if chartExt != "" {
		img, err := renderChart(s, chartExt)
		if err != nil {
			warn(err)
		} else {
			if err := writeFile(chartPath, img); err != nil {
				return err
			}
			pg.Chart = relTo(c.out, chartPath)
		}
	}
	var md bytes.Buffer
	if err := renderMarkdown(&md, s, pg); err != nil {
		return fmt.Errorf("rendering page: %w", err)
	}
	if err := writeFile(c.out, md.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: wrote %s (%d benchmarks, %d run(s) each)\n", c.out, len(s.Tables), s.runs())
	return nil
}

// lacksFacts reports whether run misses any fact the probe collects,
// PostgreSQL's only if it can be asked.
func lacksFacts(run *rawRun, withPostgres bool) bool {
	keys := []string{keyCPUModel, keyCores, keyMemory, keyOS, keyKernel, keyGo, keyStrata, keyModules}
	if withPostgres {
		keys = append(keys, keyDatabase, keyPostgres)
		for _, name := range pgSettings() {
			keys = append(keys, keyPGPrefix+name)
		}
	}
	for _, k := range keys {
		if run.config(k) == "" {
			return true
		}
	}
	return false
}

// run runs the benchmarks and returns what they wrote. The output goes to
// rawPath.partial while they run and replaces rawPath only if it holds
// results, so a run that fails to build, matches nothing or is
// interrupted leaves the previous raw output alone.
func (c config) run(ctx context.Context, rawPath string) ([]byte, error) {
	if c.dsn == "" {
		return nil, errors.New("STRATA_TEST_POSTGRES is not set: the benchmarks would all skip")
	}
	if c.bench.Count < 1 {
		return nil, fmt.Errorf("-count %d: want at least 1", c.bench.Count)
	}
	if c.bench.Count < 6 {
		warn(fmt.Errorf("-count %d: fewer than 6 rounds give no confidence intervals; use it to try the report, not to measure", c.bench.Count))
	}
	if c.syncCommit != "" && !slices.Contains(syncCommitValues, c.syncCommit) {
		return nil, fmt.Errorf("-synchronous-commit %q: want one of %s", c.syncCommit, strings.Join(syncCommitValues, ", "))
	}
	if c.syncCommit != "" && c.syncCommit != "keep" {
		restore, err := setSyncCommit(ctx, c.dsn, c.syncCommit)
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := restore(context.WithoutCancel(ctx)); err != nil {
				warn(err)
			}
		}()
	}
	header := probe(ctx, c.bench.Dir, c.dsn, warn)
	header = append(header,
		configLine{keyCommand, c.command},
		configLine{keyGoTest, c.bench.commandLine()},
		configLine{keyMethod, c.bench.method()},
	)
	if err := os.MkdirAll(filepath.Dir(rawPath), 0o755); err != nil {
		return nil, fmt.Errorf("creating raw output's directory: %w", err)
	}
	partial := rawPath + ".partial"
	f, err := os.Create(partial)
	if err != nil {
		return nil, fmt.Errorf("creating raw output: %w", err)
	}
	runErr := runBench(ctx, c.bench, header, f, os.Stderr)
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing raw output: %w", err)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("interrupted; the partial output is in %s: %w", partial, ctx.Err())
	}
	if runErr != nil {
		// Failed sub-benchmarks fail go test; the page shows them.
		warn(runErr)
	}
	data, err := os.ReadFile(partial)
	if err != nil {
		return nil, fmt.Errorf("reading raw output back: %w", err)
	}
	run, err := parseRaw(data, partial)
	if err != nil {
		return nil, err
	}
	if run.numResults() == 0 {
		return nil, fmt.Errorf("no benchmark results; the output is in %s", partial)
	}
	if err := os.Rename(partial, rawPath); err != nil {
		return nil, fmt.Errorf("keeping raw output: %w", err)
	}
	return data, nil
}

// relTo is target's path relative to the directory of page, with slashes.
func relTo(page, target string) string {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	rel, err := filepath.Rel(filepath.Dir(abs(page)), abs(target))
	if err != nil {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(rel)
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ia, ib)
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// writeFile writes data to path through a temporary file, so a failed
// write leaves the old file whole.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating directory of %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
