package chatdb

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// Migrations holds the revision files, generated from the models with
// `strata revision --autogenerate` and applied by [Open].
//
//go:embed migrations
var migrations embed.FS

// MigrationsFS returns the revision directory (the files of
// examples/chat/chatdb/migrations) as an fs.FS.
func MigrationsFS() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded: cannot happen
	}
	return sub
}

// Options configure [Open].
type Options struct {
	// BlobDir is where element contents are kept. Default: a "blobs"
	// directory next to the SQLite file, or os.TempDir()/chat-blobs.
	BlobDir string
	// Logger receives the Store's messages and, at debug level, every
	// SQL statement. Nil: slog.Default().
	Logger *slog.Logger

	// middleware wraps every statement (tests inject failures with it).
	middleware []engine.Middleware
}

// Store is the chat data layer: Chainlit's BaseDataLayer over Strata. It is
// safe for concurrent use; every method runs in a session of its own.
type Store struct {
	db      *engine.DB
	f       *orm.Factory
	blobs   string
	log     *slog.Logger
	dialect string

	// beforeCommit, when set (by tests), runs inside the transactions of
	// the named operations right before their commit; an error rolls
	// the transaction back.
	beforeCommit func(ctx context.Context, op string) error
}

// Open connects to the database the DSN names, applies the embedded
// migrations under the migration lock (concurrent Opens wait for each
// other) and returns the Store. The DSN is a postgres:// or postgresql://
// URL for PostgreSQL, user:pass@tcp(host:port)/db for MariaDB, and
// anything else SQLite: a path or a file: URI (":memory:" works, on one
// connection).
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	log := cmp.Or(opt.Logger, slog.Default())
	d, conn, blobs, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if opt.BlobDir != "" {
		blobs = opt.BlobDir
	}
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, fmt.Errorf("chatdb: blob directory: %w", err)
	}
	eopts := []engine.Option{engine.WithLogger(log, slog.LevelDebug)}
	if len(opt.middleware) > 0 {
		eopts = append(eopts, engine.WithMiddleware(opt.middleware...))
	}
	db, err := engine.Open(ctx, d, conn, eopts...)
	if err != nil {
		return nil, err
	}
	if err := upgrade(ctx, db, log); err != nil {
		db.Close()
		return nil, err
	}
	reg, err := Registry()
	if err != nil {
		db.Close()
		return nil, err
	}
	p := engine.DefaultRetryPolicy()
	p.Retryable = func(err error) bool {
		// A version that moved or a row that vanished between the read
		// and the write: run the whole unit again, which then sees the
		// change (and reports a deleted thread as not found).
		return sqlerr.IsRetryable(err) || errors.Is(err, orm.ErrStaleData)
	}
	return &Store{
		db:      db,
		f:       orm.NewFactory(db, reg, orm.WithRetryPolicy(p)),
		blobs:   blobs,
		log:     log,
		dialect: d.Name(),
	}, nil
}

// upgrade applies the embedded revisions up to the head under the
// migration lock.
func upgrade(ctx context.Context, db *engine.DB, log *slog.Logger) error {
	dir, err := migrate.OpenDir(MigrationsFS())
	if err != nil {
		return fmt.Errorf("chatdb: migrations: %w", err)
	}
	g, err := migrate.NewGraph(dir.Revisions())
	if err != nil {
		return fmt.Errorf("chatdb: migrations: %w", err)
	}
	m, err := migrate.New(db, g)
	if err != nil {
		return err
	}
	res, err := m.Upgrade(ctx, "heads")
	if err != nil {
		return fmt.Errorf("chatdb: migrations: %w", err)
	}
	for _, r := range res {
		log.Info("chatdb: applied migration", "revision", r.Revision, "steps", r.Ran)
	}
	return nil
}

// parseDSN picks the dialect from the DSN and, for SQLite, returns the
// driver's DSN and the default blob directory.
func parseDSN(dsn string) (d dialect.Dialect, conn, blobs string, err error) {
	def := filepath.Join(os.TempDir(), "chat-blobs")
	switch {
	case dsn == "":
		return nil, "", "", errors.New("chatdb: empty DSN")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return pgdialect.New(), dsn, def, nil
	case strings.Contains(dsn, "@tcp(") || strings.Contains(dsn, "@unix("):
		return mysqldialect.New(), dsn, def, nil
	}
	// SQLite: the dialect makes a file DSN fit for a concurrent service
	// (BEGIN IMMEDIATE, WAL, a busy timeout, a small pool; see
	// sqlitedialect).
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path == "" || path == ":memory:" {
		return sqlitedialect.New(), dsn, def, nil
	}
	return sqlitedialect.New(), dsn, filepath.Join(filepath.Dir(path), "blobs"), nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the engine the Store runs on (for tests and tools).
func (s *Store) DB() *engine.DB { return s.db }

// BlobDir returns the directory element contents are kept in.
func (s *Store) BlobDir() string { return s.blobs }

// transact runs fn in one transaction, retried on serialization failures,
// deadlocks and stale data, and calls the test hook before the commit.
func (s *Store) transact(ctx context.Context, op string, fn func(ctx context.Context, sess *orm.Session) error) error {
	return s.f.Transact(ctx, func(ctx context.Context, sess *orm.Session) error {
		if err := fn(ctx, sess); err != nil {
			return err
		}
		if s.beforeCommit != nil {
			if err := sess.Flush(ctx); err != nil {
				return err
			}
			return s.beforeCommit(ctx, op)
		}
		return nil
	})
}

// outcome maps what the layers below return to the Store's errors: a row
// that is not there (or a foreign key to a row that is not there) is
// ErrNotFound; a conflict the retries did not resolve, or an id already
// taken, is ErrConflict.
func outcome(err error, what string) error {
	var ie *sqlerr.IntegrityError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrInvalid), errors.Is(err, ErrForbidden), errors.Is(err, ErrConflict):
		return err
	case errors.Is(err, sqlerr.ErrNotFound):
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	case errors.As(err, &ie) && ie.Kind == sqlerr.ForeignKey:
		return fmt.Errorf("%w: %s (%s)", ErrNotFound, what, ie.Constraint)
	case errors.As(err, &ie) && ie.Kind == sqlerr.Unique:
		return fmt.Errorf("%w: %s: the id is taken (%s)", ErrConflict, what, ie.Constraint)
	case errors.Is(err, orm.ErrStaleData), sqlerr.IsRetryable(err):
		return fmt.Errorf("%w: %s: %v", ErrConflict, what, err)
	}
	return fmt.Errorf("chatdb: %s: %w", what, err)
}
