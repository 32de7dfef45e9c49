package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// probe collects the facts the page records about the machine, Go,
// PostgreSQL, Strata and the compared libraries, as configuration lines.
// dir is the bench module's directory. A fact that cannot be collected is
// left out, with a warning, rather than failing the run.
func probe(ctx context.Context, dir, dsn string, warn func(error)) []configLine {
	var out []configLine
	add := func(key, value string) {
		if value != "" {
			out = append(out, configLine{key, value})
		}
	}
	add(keyDate, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	add(keyCPUModel, cpuModel())
	add(keyCores, strconv.Itoa(runtime.NumCPU()))
	add(keyMemory, memTotal())
	add(keyOS, osName())
	add(keyKernel, kernel(ctx))

	if v, err := command(ctx, dir, "go", "env", "GOVERSION"); err != nil {
		warn(err)
	} else {
		add(keyGo, v)
	}
	if dsn != "" {
		add(keyDatabase, describeDSN(dsn))
		pg, err := probePostgres(ctx, dsn)
		if err != nil {
			warn(err)
		}
		out = append(out, pg...)
	}
	if v, err := strataVersion(ctx, dir); err != nil {
		warn(err)
	} else {
		add(keyStrata, v)
	}
	if mods, err := comparedModules(filepath.Join(dir, "go.mod")); err != nil {
		warn(err)
	} else {
		add(keyModules, strings.Join(mods, " "))
	}
	return out
}

// command runs name with args in dir and returns its trimmed output.
func command(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// memTotal is MemTotal of /proc/meminfo in GiB, or "".
func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return ""
			}
			return fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	return ""
}

// osName is PRETTY_NAME of /etc/os-release, or GOOS.
func osName() string {
	data, err := os.ReadFile("/etc/os-release")
	if err == nil {
		for line := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME="); ok {
				if s, err := strconv.Unquote(v); err == nil {
					return s
				}
				return strings.Trim(v, `"'`)
			}
		}
	}
	return runtime.GOOS
}

// kernel is the kernel's name, release and machine, as uname -srm.
func kernel(ctx context.Context) string {
	if v, err := command(ctx, ".", "uname", "-srm"); err == nil {
		return v
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		return "Linux " + strings.TrimSpace(string(data))
	}
	return ""
}

// describeDSN names the server and database of a DSN without its user,
// password or options.
func describeDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return "(unparsed DSN)"
	}
	return u.Host + u.Path
}

// probePostgres asks the server for its version and the settings that
// matter to the benchmarks.
func probePostgres(ctx context.Context, dsn string) ([]configLine, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var out []configLine
	var version string
	if err := conn.QueryRow(ctx, `SELECT version()`).Scan(&version); err != nil {
		return nil, fmt.Errorf("SELECT version(): %w", err)
	}
	out = append(out, configLine{keyPostgres, version})
	for _, name := range pgSettings() {
		var v string
		if err := conn.QueryRow(ctx, `SELECT current_setting($1)`, name).Scan(&v); err != nil {
			return out, fmt.Errorf("reading setting %s: %w", name, err)
		}
		out = append(out, configLine{keyPGPrefix + name, v})
	}
	return out, nil
}

// strataVersion is the commit of the checkout the bench module replaces
// Strata with, and whether it has uncommitted changes.
func strataVersion(ctx context.Context, dir string) (string, error) {
	v, err := command(ctx, dir, "git", "log", "-1", "--format=%h (%cs)")
	if err != nil {
		return "", fmt.Errorf("Strata's commit: %w", err)
	}
	if st, err := command(ctx, dir, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
		v += " with uncommitted changes"
	}
	return "local checkout at " + v, nil
}

// comparedModules lists the bench module's direct requirements as
// path@version, except Strata itself and the report's own tooling, then
// the modules of its tool directives (sqlc, whose generated code is
// compared), indirect or not. It is a simple parse of the require and
// tool directives; in a module at go 1.17 or later the requirements list
// the selected version of every module the build uses.
func comparedModules(gomod string) ([]string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return nil, fmt.Errorf("reading module file: %w", err)
	}
	skip := func(path string) bool {
		switch path {
		case "github.com/strata-go/strata", "golang.org/x/perf", "gonum.org/v1/plot", "golang.org/x/mod":
			return true
		}
		return false
	}
	var out, tools []string
	indirect := map[string]string{} // path -> version of indirect requirements
	inBlock, inTools := false, false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "tool (":
			inTools = true
			continue
		case inTools && line == ")":
			inTools = false
			continue
		case inTools:
			if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "//") {
				tools = append(tools, f[0])
			}
			continue
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case !inBlock:
			if rest, ok := strings.CutPrefix(line, "tool "); ok {
				tools = append(tools, strings.TrimSpace(rest))
				continue
			}
			rest, ok := strings.CutPrefix(line, "require ")
			if !ok {
				continue
			}
			line = strings.TrimSpace(rest)
		}
		code, comment, _ := strings.Cut(line, "//")
		f := strings.Fields(code)
		if len(f) != 2 || skip(f[0]) {
			continue
		}
		if strings.TrimSpace(comment) == "indirect" {
			indirect[f[0]] = f[1]
			continue
		}
		out = append(out, f[0]+"@"+f[1])
	}
	for _, tool := range tools {
		// The tool's module is the longest required path it starts with.
		best := ""
		for path := range indirect {
			if (tool == path || strings.HasPrefix(tool, path+"/")) && len(path) > len(best) {
				best = path
			}
		}
		if best != "" && !slices.Contains(out, best+"@"+indirect[best]) {
			out = append(out, best+"@"+indirect[best])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading module file: %w", err)
	}
	return out, nil
}
