package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/internal/testdb"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestHelpSaysHowToRunOnEachDatabase checks that --help names the three
// databases with an example each, the identity header and the migrate
// subcommand.
func TestHelpSaysHowToRunOnEachDatabase(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errb, env(nil), nil); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, want := range []string{"SQLite", "chat.db", "postgres://", "@tcp(", "X-User", "migrate revision", "-dsn", "$CHAT_DSN"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("--help does not say %q:\n%s", want, errb.String())
		}
	}
}

// TestBadCommandLineIsExit2 checks the usage errors.
func TestBadCommandLineIsExit2(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"serve"}, {"-tokens", "no-equals-sign"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb, env(nil), nil); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}

// TestMigrateModelsMatchTheHeadRevision runs the embedded strata command
// line: the models autogenerate no change against the committed revisions
// (so they are what the migrations build), and check finds the directory
// consistent.
func TestMigrateModelsMatchTheHeadRevision(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("chatdb", "migrations")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"migrate", "revision", "-m", "drift", "--autogenerate", "--dir", dir},
		{"migrate", "check", "--dir", dir},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb, env(nil), nil); code != 0 {
			t.Fatalf("%v: exit %d: %s%s", args, code, out.String(), errb.String())
		}
		t.Logf("%v: %s", args[1:3], strings.TrimSpace(out.String()))
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(entries) {
		t.Errorf("autogenerate wrote a revision: the models differ from the head revision (%d files, want %d)", len(after), len(entries))
	}
}

// TestServeMigratesAndAnswers starts the program on each database (the
// DSN from $CHAT_DSN), sends it a request, stops it by canceling its
// context, and then asks the migrate subcommand for the current revision.
func TestServeMigratesAndAnswers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		urls := make(chan string, 1)
		exited := make(chan int, 1)
		var errb bytes.Buffer
		go func() {
			exited <- run(ctx, []string{"-addr", "127.0.0.1:0", "-blobs", t.TempDir()}, io.Discard, &errb,
				env(map[string]string{"CHAT_DSN": tg.DSN}), func(u string) { urls <- u })
		}()
		var base string
		select {
		case base = <-urls:
		case code := <-exited:
			t.Fatalf("exited %d before serving: %s", code, errb.String())
		case <-time.After(time.Minute):
			t.Fatal("not serving after a minute")
		}
		req, _ := http.NewRequest("POST", base+"/project/thread", strings.NewReader(`{"name":"from the binary"}`))
		req.Header.Set("X-User", "carol")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var th struct{ Name, UserIdentifier string }
		json.NewDecoder(res.Body).Decode(&th)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated || th.Name != "from the binary" || th.UserIdentifier != "carol" {
			t.Errorf("POST /project/thread: %d %+v", res.StatusCode, th)
		}
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("did not stop after its context was canceled")
		}

		var out bytes.Buffer
		dsn := tg.DSN
		if tg.Name == "sqlite" {
			dsn = strings.TrimPrefix(dsn, "file:") // the CLI takes a path ending in .db
		}
		args := []string{"migrate", "current", "--dir", filepath.Join("chatdb", "migrations")}
		if code := run(context.Background(), args, &out, &errb, env(map[string]string{"CHAT_DSN": dsn}), nil); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		var heads bytes.Buffer
		if code := run(context.Background(), []string{"migrate", "heads", "--dir", filepath.Join("chatdb", "migrations")}, &heads, &errb, env(nil), nil); code != 0 {
			t.Fatalf("migrate heads: exit %d: %s", code, errb.String())
		}
		head, _, _ := strings.Cut(strings.TrimSpace(heads.String()), " ")
		if head == "" || !strings.Contains(out.String(), head) {
			t.Errorf("migrate current: %q, want the head revision %q", out.String(), head)
		}
	})
}
