package chatdb

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/strata-go/strata/internal/testdb"
)

// openStore opens a Store on the target's fresh namespace, with its own
// blob directory.
func openStore(t *testing.T, tg testdb.Target, opt Options) *Store {
	t.Helper()
	if opt.BlobDir == "" {
		opt.BlobDir = filepath.Join(t.TempDir(), "blobs")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := Open(context.Background(), tg.DSN, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ptr[T any](v T) *T { return &v }

func mustThread(t *testing.T, s *Store, th Thread) *Thread {
	t.Helper()
	got, err := s.CreateThread(context.Background(), th)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCreateThreadIsIdempotent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		u, err := s.CreateUser(ctx, "ada", map[string]any{"role": "admin"})
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.CreateUser(ctx, "ada", map[string]any{"role": "other"})
		if err != nil || again.ID != u.ID || again.Metadata["role"] != "admin" {
			t.Fatalf("second CreateUser: %+v %v, want the first user unchanged", again, err)
		}
		if got, err := s.GetUser(ctx, "ada"); err != nil || got.ID != u.ID {
			t.Fatalf("GetUser: %+v %v", got, err)
		}
		if _, err := s.GetUser(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetUser of a missing user: %v", err)
		}
		id := uuid.New()
		first := mustThread(t, s, Thread{ID: id, Name: "first", UserID: &u.ID, Tags: []string{"a"}, Metadata: map[string]any{"k": "v"}})
		if first.UserIdentifier != "ada" || first.CreatedAt.IsZero() {
			t.Fatalf("created: %+v", first)
		}
		second := mustThread(t, s, Thread{ID: id, Name: "second", Metadata: map[string]any{"other": 1.0}})
		if second.Name != "first" || !second.CreatedAt.Equal(first.CreatedAt) || !reflect.DeepEqual(second.Metadata, first.Metadata) {
			t.Fatalf("second CreateThread changed the thread: %+v, want %+v", second, first)
		}
		got, err := s.GetThread(ctx, id)
		if err != nil || got.Name != "first" || !reflect.DeepEqual(got.Tags, []string{"a"}) || *got.UserID != u.ID {
			t.Fatalf("GetThread: %+v %v", got, err)
		}
		if _, err := s.CreateThread(ctx, Thread{UserID: ptr(uuid.New())}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("thread of a missing user: %v", err)
		}
	})
}

func TestUpdateMissingThreadIsNotFoundAndInsertsNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		id := uuid.New()
		if _, err := s.UpdateThread(ctx, id, ThreadUpdate{Name: ptr("x")}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("UpdateThread: %v, want ErrNotFound", err)
		}
		if err := s.PersistOnDisconnect(ctx, id, ThreadUpdate{Name: ptr("x")}, []Step{{ID: uuid.New(), Output: "late"}}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("PersistOnDisconnect: %v, want ErrNotFound", err)
		}
		if err := s.CreateStep(ctx, Step{ID: uuid.New(), ThreadID: id}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("CreateStep: %v, want ErrNotFound", err)
		}
		if err := s.UpdateStep(ctx, Step{ID: uuid.New(), ThreadID: id}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("UpdateStep: %v, want ErrNotFound", err)
		}
		if _, err := s.GetThread(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetThread: %v", err)
		}
		if n := countRows(t, s); n != "threads=0 steps=0 elements=0 feedbacks=0" {
			t.Fatalf("rows: %s", n)
		}
	})
}

func TestRenameKeepsCreatedAtAndMetadataMerges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		s := openStore(t, tg, Options{})
		created := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
		th := mustThread(t, s, Thread{Name: "old", CreatedAt: created, Metadata: map[string]any{"keep": "k", "drop": "d", "change": 1.0}})
		got, err := s.UpdateThread(ctx, th.ID, ThreadUpdate{Name: ptr("new"), Metadata: map[string]any{"drop": nil, "change": 2.0, "add": []any{"x"}}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"keep": "k", "change": 2.0, "add": []any{"x"}}
		back, err := s.GetThread(ctx, th.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []*Thread{got, back} {
			if g.Name != "new" || !g.CreatedAt.Equal(created) || !reflect.DeepEqual(g.Metadata, want) {
				t.Fatalf("after rename: %+v, want name new, createdAt %v, metadata %v", g, created, want)
			}
		}
		// an update without changes writes nothing and still answers
		if _, err := s.UpdateThread(ctx, th.ID, ThreadUpdate{Tags: ptr([]string{"t1", "t2"})}); err != nil {
			t.Fatal(err)
		}
		back, _ = s.GetThread(ctx, th.ID)
		if !reflect.DeepEqual(back.Tags, []string{"t1", "t2"}) || back.Name != "new" {
			t.Fatalf("after tags: %+v", back)
		}
	})
}

// countRows counts the rows of every chat table.
func countRows(t *testing.T, s *Store) string {
	t.Helper()
	var parts []string
	for _, table := range []string{"threads", "steps", "elements", "feedbacks"} {
		var n int
		if err := s.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, table+"="+itoa(n))
	}
	return strings.Join(parts, " ")
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestOpenPicksTheDatabaseFromTheDSN(t *testing.T) {
	for _, c := range []struct{ dsn, dialect, blobs string }{
		{"postgres://u@h/db", "postgres", "tmp"},
		{"postgresql://u@h/db?sslmode=disable", "postgres", "tmp"},
		{"root@tcp(127.0.0.1:3306)/chat", "mysql", "tmp"},
		{"u:p@unix(/run/mysqld.sock)/chat", "mysql", "tmp"},
		{"data/chat.db", "sqlite", "data/blobs"},
		{"file:/var/lib/chat.db?_pragma=busy_timeout(1000)", "sqlite", "/var/lib/blobs"},
		{":memory:", "sqlite", "tmp"},
	} {
		d, conn, blobs, err := parseDSN(c.dsn)
		if err != nil || d.Name() != c.dialect || conn != c.dsn {
			t.Errorf("%s: %v %q %v, want %s", c.dsn, d, conn, err, c.dialect)
			continue
		}
		if c.blobs == "tmp" {
			c.blobs = filepath.Join(os.TempDir(), "chat-blobs")
		}
		if blobs != c.blobs {
			t.Errorf("%s: blobs in %s, want %s", c.dsn, blobs, c.blobs)
		}
	}
	if _, _, _, err := parseDSN(""); err == nil {
		t.Error("an empty DSN was accepted")
	}
	// An in-memory SQLite database works (one connection).
	s, err := Open(context.Background(), ":memory:", Options{BlobDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	th := mustThread(t, s, Thread{Name: "in memory"})
	if err := s.DeleteThread(context.Background(), th.ID); err != nil {
		t.Fatal(err)
	}
}
