package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// benchOptions is the go test invocation the report makes.
type benchOptions struct {
	Dir       string // the bench module's directory
	Bench     string // -bench regexp
	Count     int    // -count
	Benchtime string // -benchtime, "" for go test's default
	Timeout   string // -timeout
}

// goTestArgs is the argument list of the go command.
func (o benchOptions) goTestArgs() []string {
	args := []string{"test", "-run", "^$", "-bench", o.Bench, "-benchmem", "-count", strconv.Itoa(o.Count)}
	if o.Benchtime != "" {
		args = append(args, "-benchtime", o.Benchtime)
	}
	if o.Timeout != "" {
		args = append(args, "-timeout", o.Timeout)
	}
	return args
}

// runBench writes header as configuration lines to raw, then runs the
// benchmarks, copying their output to raw and to progress as it comes. A
// go test that fails is reported as an error after its output is written;
// the caller decides whether the results that did come are enough.
func runBench(ctx context.Context, o benchOptions, header []configLine, raw, progress io.Writer) error {
	w := io.MultiWriter(raw, progress)
	for _, c := range header {
		if _, err := fmt.Fprintf(w, "%s: %s\n", c.Key, c.Value); err != nil {
			return fmt.Errorf("writing header: %w", err)
		}
	}
	cmd := exec.CommandContext(ctx, "go", o.goTestArgs()...)
	// On interrupt, let go test stop its test binary and print what it has.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	cmd.Dir = o.Dir
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.Env = os.Environ()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test: %w", err)
	}
	return nil
}

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
