package sqlitedialect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

var (
	_ dialect.Alterer   = (*Dialect)(nil)
	_ dialect.Rebuilder = (*Dialect)(nil)
	_ dialect.Locker    = (*Dialect)(nil)
)

func (d *Dialect) alterTable(t string) []byte {
	return append(d.AppendIdent([]byte("ALTER TABLE "), t), ' ')
}

func (d *Dialect) rebuildNeeded(what string) error {
	return sqlerr.Unsupported(d.Name(), what+" with ALTER TABLE (the table must be rebuilt)")
}

// AddColumn renders ALTER TABLE ... ADD COLUMN where SQLite allows it: not
// for a NOT NULL column without a default, nor for a default that is not
// a constant (CURRENT_TIMESTAMP, an expression); those need a rebuild.
func (d *Dialect) AddColumn(t *schema.Table, c *schema.Column) ([]string, error) {
	if c.AutoIncrement {
		return nil, d.rebuildNeeded(fmt.Sprintf("add key column %s.%s", t.Name, c.Name))
	}
	if c.Default != nil {
		switch c.Default.Kind {
		case schema.DefaultCurrentTimestamp, schema.DefaultCurrentDate, schema.DefaultExpr:
			return nil, d.rebuildNeeded(fmt.Sprintf("add column %s.%s with a non-constant default", t.Name, c.Name))
		}
	} else if !c.Nullable {
		return nil, d.rebuildNeeded(fmt.Sprintf("add NOT NULL column %s.%s without a default", t.Name, c.Name))
	}
	b, err := d.appendColumn(append(d.alterTable(t.Name), "ADD COLUMN "...), t, c)
	if err != nil {
		return nil, err
	}
	return []string{string(b)}, nil
}

// DropColumn renders ALTER TABLE ... DROP COLUMN when no key, index,
// foreign key or check of t uses the column; otherwise the table must be
// rebuilt.
func (d *Dialect) DropColumn(t *schema.Table, c *schema.Column) ([]string, error) {
	used := c.Type.Kind == schema.KindEnum // its values live in a CHECK on the column
	if t.PrimaryKey != nil && slices.Contains(t.PrimaryKey.Columns, c.Name) {
		used = true
	}
	for _, u := range t.Uniques {
		used = used || slices.Contains(u.Columns, c.Name)
	}
	for _, x := range t.Indexes {
		used = used || slices.Contains(x.Columns, c.Name) || strings.Contains(x.Where, c.Name)
	}
	for _, f := range t.ForeignKeys {
		used = used || slices.Contains(f.Columns, c.Name)
	}
	for _, k := range t.Checks {
		used = used || strings.Contains(k.Expr, c.Name)
	}
	if used {
		return nil, d.rebuildNeeded(fmt.Sprintf("drop column %s.%s, which a constraint or index uses,", t.Name, c.Name))
	}
	return []string{string(d.AppendIdent(append(d.alterTable(t.Name), "DROP COLUMN "...), c.Name))}, nil
}

// AlterColumn returns no statements for a change of comment only (SQLite
// keeps no comments); every other change needs a rebuild.
func (d *Dialect) AlterColumn(t *schema.Table, from, to *schema.Column) ([]string, error) {
	if from.Type.Equal(to.Type) && from.Nullable == to.Nullable && from.AutoIncrement == to.AutoIncrement && from.Default.Equal(to.Default) {
		return nil, nil
	}
	return nil, d.rebuildNeeded(fmt.Sprintf("change column %s.%s", t.Name, to.Name))
}

// RenameTable renders ALTER TABLE ... RENAME TO; SQLite rewrites the
// foreign keys of other tables that reference it.
func (d *Dialect) RenameTable(from, to string) ([]string, error) {
	return []string{string(d.AppendIdent(append(d.alterTable(from), "RENAME TO "...), to))}, nil
}

// RenameColumn renders ALTER TABLE ... RENAME COLUMN.
func (d *Dialect) RenameColumn(t *schema.Table, from, to string) ([]string, error) {
	b := d.AppendIdent(append(d.alterTable(t.Name), "RENAME COLUMN "...), from)
	b = append(b, " TO "...)
	return []string{string(d.AppendIdent(b, to))}, nil
}

// AddPrimaryKey needs a rebuild.
func (d *Dialect) AddPrimaryKey(t *schema.Table, pk *schema.PrimaryKey) ([]string, error) {
	return nil, d.rebuildNeeded(fmt.Sprintf("add a primary key to table %s", t.Name))
}

// DropPrimaryKey needs a rebuild.
func (d *Dialect) DropPrimaryKey(t *schema.Table, pk *schema.PrimaryKey) ([]string, error) {
	return nil, d.rebuildNeeded(fmt.Sprintf("drop the primary key of table %s", t.Name))
}

// AddUnique needs a rebuild.
func (d *Dialect) AddUnique(t *schema.Table, u *schema.Unique) ([]string, error) {
	return nil, d.rebuildNeeded(fmt.Sprintf("add unique constraint %s to table %s", u.Name, t.Name))
}

// DropUnique needs a rebuild.
func (d *Dialect) DropUnique(t *schema.Table, u *schema.Unique) ([]string, error) {
	return nil, d.rebuildNeeded(fmt.Sprintf("drop unique constraint %s of table %s", u.Name, t.Name))
}

// AddCheck needs a rebuild.
func (d *Dialect) AddCheck(t *schema.Table, c *schema.Check) ([]string, error) {
	return nil, d.rebuildNeeded(fmt.Sprintf("add check constraint %s to table %s", c.Name, t.Name))
}

// DropCheck needs a rebuild.
func (d *Dialect) DropCheck(t *schema.Table, c *schema.Check) ([]string, error) {
	return nil, d.rebuildNeeded(fmt.Sprintf("drop check constraint %s of table %s", c.Name, t.Name))
}

// SetTableComment returns no statements: SQLite keeps no comments.
func (d *Dialect) SetTableComment(*schema.Table, string) ([]string, error) { return nil, nil }

// RenameConstraint drops and recreates an index under its new name;
// constraints live in the table's CREATE TABLE text, so renaming one needs
// a rebuild.
func (d *Dialect) RenameConstraint(before, after *schema.Table, kind dialect.ObjectKind, from, to string) ([]string, error) {
	if kind == dialect.IndexObject {
		for _, x := range after.Indexes {
			if x.Name == to {
				create, err := dialect.CreateIndexSQL(d, after, x)
				if err != nil {
					return nil, err
				}
				return []string{string(d.AppendIdent([]byte("DROP INDEX "), from)), create}, nil
			}
		}
		return nil, fmt.Errorf("sqlite: rename of unknown index %s of %s", from, before.Name)
	}
	return nil, d.rebuildNeeded(fmt.Sprintf("rename constraint %s of table %s", from, before.Name))
}

// RebuildTable renders SQLite's documented procedure for changes ALTER
// TABLE cannot make (https://sqlite.org/lang_altertable.html, "Making
// Other Kinds Of Table Schema Changes"): with foreign keys off (outside
// the transaction, where the pragma takes effect), create the new table
// under a temporary name, copy the shared columns, drop the old table,
// rename the new one, recreate the indexes, and run foreign_key_check
// before commit. Foreign keys off means rows of other tables that
// reference the rebuilt one are neither cascaded away nor refused while
// the old table is dropped; the check then proves every reference still
// resolves.
func (d *Dialect) RebuildTable(from, to *schema.Table) (*dialect.Rebuild, error) {
	if from.Name != to.Name {
		return nil, fmt.Errorf("sqlite: rebuild of table %s into a table named %s", from.Name, to.Name)
	}
	temp := schema.Shorten("_strata_new_"+to.Name, schema.MaxIdentifierLen)
	tmp := to.Clone()
	tmp.Name = temp
	create, err := dialect.CreateTableSQL(d, tmp, nil, d.tableStyle())
	if err != nil {
		return nil, err
	}
	var shared []string
	for _, c := range to.Columns {
		if from.Column(c.Name) != nil {
			shared = append(shared, c.Name)
		}
	}
	r := &dialect.Rebuild{
		Table:  to.Name,
		Temp:   temp,
		Before: []string{"PRAGMA foreign_keys=OFF"},
		Copy:   []string{create},
		Check:  "PRAGMA foreign_key_check",
		After:  []string{"PRAGMA foreign_keys=ON"},
	}
	if len(shared) > 0 {
		cols := string(dialect.AppendIdents(d, nil, shared))
		b := d.AppendIdent([]byte("INSERT INTO "), temp)
		b = append(b, " ("+cols+") SELECT "+cols+" FROM "...)
		r.Copy = append(r.Copy, string(d.AppendIdent(b, from.Name)))
	}
	r.Swap = append(r.Swap, dialect.DropTableSQL(d, from))
	r.Swap = append(r.Swap, string(d.AppendIdent(append(d.alterTable(temp), "RENAME TO "...), to.Name)))
	for _, x := range to.Indexes {
		s, err := dialect.CreateIndexSQL(d, to, x)
		if err != nil {
			return nil, err
		}
		r.Swap = append(r.Swap, s)
	}
	return r, nil
}

// lockTable holds SQLite's named locks, one row per lock held.
const lockTable = "strata_lock"

// Lock takes a named lock by inserting a row into the table strata_lock
// (created if missing), polling until the row can be inserted or wait has
// passed. The row names its owner (host, process id and a random tag) and
// when it was taken, so a lock left by a crashed process can be found and
// deleted by hand.
func (d *Dialect) Lock(ctx context.Context, q dialect.Querier, name string, wait time.Duration) (func(context.Context) error, error) {
	tbl := string(d.AppendIdent(nil, lockTable))
	if _, err := q.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+tbl+` ("name" TEXT NOT NULL PRIMARY KEY, "owner" TEXT NOT NULL, "acquired_at" TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("sqlite: lock %q: %w", name, err)
	}
	host, _ := os.Hostname()
	var tag [4]byte
	rand.Read(tag[:])
	owner := fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(tag[:]))
	err := dialect.PollLock(ctx, wait, func() (bool, error) {
		res, err := q.Exec(ctx, "INSERT OR IGNORE INTO "+tbl+` ("name", "owner", "acquired_at") VALUES (?, ?, ?)`, name, owner, time.Now().UTC().Format(time.RFC3339Nano))
		if err != nil {
			if sqlerr.IsRetryable(d.TranslateError(err)) {
				return false, nil // busy: another process is writing
			}
			return false, err
		}
		return res.RowsAffected == 1, nil
	})
	if errors.Is(err, dialect.ErrLockTimeout) {
		var holder, since string
		_ = dialect.QueryEach(ctx, q, `SELECT "owner", "acquired_at" FROM `+tbl+` WHERE "name" = ?`, []any{name}, func(r dialect.Rows) error {
			return r.Scan(&holder, &since)
		})
		return nil, fmt.Errorf("sqlite: lock %q held by %s since %s (if that process is gone, delete its row from %s): %w", name, holder, since, lockTable, err)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock %q: %w", name, err)
	}
	return func(ctx context.Context) error {
		_, err := q.Exec(ctx, "DELETE FROM "+tbl+` WHERE "name" = ? AND "owner" = ?`, name, owner)
		return err
	}, nil
}
