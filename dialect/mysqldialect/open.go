package mysqldialect

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// defaultSQLMode is the session sql_mode Open sets unless the DSN names
// one: strict, so that a missing NOT NULL value or an out-of-range number
// is an error rather than a warning, and without NO_BACKSLASH_ESCAPES
// (AppendString escapes backslashes) and ANSI_QUOTES (identifiers are
// backquoted, and double quotes must stay string quotes). It is MariaDB's
// default less NO_AUTO_CREATE_USER, which MySQL 8 no longer knows.
const defaultSQLMode = "'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"

// Open connects with a go-sql-driver/mysql DSN,
// user:password@tcp(host:port)/database?param=value. It forces
// parseTime=true (DATE and DATETIME scan into time.Time), turns
// multiStatements and interpolateParams off (every value is a server-side
// bind parameter), and sets sql_mode (see [defaultSQLMode]) unless the DSN
// sets it. It pings the server and returns a pool over database/sql, with
// database/sql's defaults (no limit on open connections, 2 idle ones kept,
// no lifetime limits) unless [Dialect.OpenPool] is given options.
func (d *Dialect) Open(ctx context.Context, dsn string) (dialect.Pool, error) {
	return d.OpenPool(ctx, dsn, dialect.PoolOptions{})
}

// OpenPool is [Dialect.Open] with the pool sized by opts (applied with
// sql.DB's SetMaxOpenConns, SetMaxIdleConns, SetConnMaxLifetime and
// SetConnMaxIdleTime). A MinOpen is an error matching
// sqlerr.ErrUnsupported: database/sql keeps no minimum.
func (d *Dialect) OpenPool(ctx context.Context, dsn string, opts dialect.PoolOptions) (dialect.Pool, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql: invalid DSN (want user:password@tcp(host:port)/database?param=value): %w", err)
	}
	cfg.ParseTime = true
	cfg.MultiStatements = false
	cfg.InterpolateParams = false
	// Rows affected must count matched rows, not changed ones: an UPDATE
	// that writes the values a row already holds still found it, and the
	// ORM takes 0 rows affected as "the row is gone" (stale data).
	cfg.ClientFoundRows = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	hasMode := false
	for k := range cfg.Params {
		if strings.EqualFold(k, "sql_mode") {
			hasMode = true
		}
	}
	if !hasMode {
		cfg.Params["sql_mode"] = defaultSQLMode
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	db := sql.OpenDB(conn)
	if err := opts.ApplySQL(db, func(what string) error { return sqlerr.Unsupported("mysql", what) }); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("mysql: cannot connect to %s(%s) as %q, database %q: %w", cfg.Net, cfg.Addr, cfg.User, cfg.DBName, err)
	}
	return dialect.FromSQL(db), nil
}
