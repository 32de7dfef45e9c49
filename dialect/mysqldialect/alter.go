package mysqldialect

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

var (
	_ dialect.Alterer = (*Dialect)(nil)
	_ dialect.Locker  = (*Dialect)(nil)
)

func (d *Dialect) alterTable(t string) []byte {
	return append(d.AppendIdent([]byte("ALTER TABLE "), t), ' ')
}

// AddColumn renders ALTER TABLE ... ADD COLUMN with the whole definition.
func (d *Dialect) AddColumn(t *schema.Table, c *schema.Column) ([]string, error) {
	b, err := d.appendColumn(append(d.alterTable(t.Name), "ADD COLUMN "...), t, c)
	if err != nil {
		return nil, err
	}
	return []string{string(b)}, nil
}

// DropColumn renders ALTER TABLE ... DROP COLUMN.
func (d *Dialect) DropColumn(t *schema.Table, c *schema.Column) ([]string, error) {
	return []string{string(d.AppendIdent(append(d.alterTable(t.Name), "DROP COLUMN "...), c.Name))}, nil
}

// AlterColumn renders ALTER TABLE ... MODIFY COLUMN with to's whole
// definition: MariaDB changes type, nullability, AUTO_INCREMENT, default
// and comment in one statement (and needs the whole definition to change
// any of them). A column made AUTO_INCREMENT continues after the largest
// value it holds.
func (d *Dialect) AlterColumn(t *schema.Table, from, to *schema.Column) ([]string, error) {
	b, err := d.appendColumn(append(d.alterTable(t.Name), "MODIFY COLUMN "...), t, to)
	if err != nil {
		return nil, err
	}
	return []string{string(b)}, nil
}

// RenameTable renders RENAME TABLE.
func (d *Dialect) RenameTable(from, to string) ([]string, error) {
	b := d.AppendIdent([]byte("RENAME TABLE "), from)
	b = append(b, " TO "...)
	return []string{string(d.AppendIdent(b, to))}, nil
}

// RenameColumn renders ALTER TABLE ... RENAME COLUMN (MariaDB 10.5+, MySQL 8).
func (d *Dialect) RenameColumn(t *schema.Table, from, to string) ([]string, error) {
	b := append(d.alterTable(t.Name), "RENAME COLUMN "...)
	b = d.AppendIdent(b, from)
	b = append(b, " TO "...)
	return []string{string(d.AppendIdent(b, to))}, nil
}

// AddUnique renders ALTER TABLE ... ADD CONSTRAINT ... UNIQUE.
func (d *Dialect) AddUnique(t *schema.Table, u *schema.Unique) ([]string, error) {
	return []string{string(dialect.AppendUnique(d, append(d.alterTable(t.Name), "ADD "...), u))}, nil
}

// AddPrimaryKey renders ALTER TABLE ... ADD PRIMARY KEY (MariaDB names it
// PRIMARY whatever the declaration says).
func (d *Dialect) AddPrimaryKey(t *schema.Table, pk *schema.PrimaryKey) ([]string, error) {
	b := append(d.alterTable(t.Name), "ADD PRIMARY KEY ("...)
	b = dialect.AppendIdents(d, b, pk.Columns)
	return []string{string(append(b, ')'))}, nil
}

// DropPrimaryKey renders ALTER TABLE ... DROP PRIMARY KEY.
func (d *Dialect) DropPrimaryKey(t *schema.Table, pk *schema.PrimaryKey) ([]string, error) {
	for _, c := range t.Columns {
		if c.AutoIncrement {
			return nil, d.unsupported("drop the primary key of table %s, whose column %s is AUTO_INCREMENT", t.Name, c.Name)
		}
	}
	b := append(d.alterTable(t.Name), "DROP PRIMARY KEY"...)
	return []string{string(append(b, d.keepForeignKeyIndexes(t, primaryKeyName, pk.Columns)...))}, nil
}

// DropUnique renders ALTER TABLE ... DROP INDEX: MariaDB keeps a unique
// constraint as a unique index. A foreign key that needs it gets its own
// index in the same statement (see [Dialect.DropIndex]).
func (d *Dialect) DropUnique(t *schema.Table, u *schema.Unique) ([]string, error) {
	b := d.AppendIdent(append(d.alterTable(t.Name), "DROP INDEX "...), u.Name)
	return []string{string(append(b, d.keepForeignKeyIndexes(t, u.Name, u.Columns)...))}, nil
}

// AddCheck renders ALTER TABLE ... ADD CONSTRAINT ... CHECK.
func (d *Dialect) AddCheck(t *schema.Table, c *schema.Check) ([]string, error) {
	return []string{string(dialect.AppendCheck(d, append(d.alterTable(t.Name), "ADD "...), c))}, nil
}

// DropCheck renders ALTER TABLE ... DROP CONSTRAINT.
func (d *Dialect) DropCheck(t *schema.Table, c *schema.Check) ([]string, error) {
	return []string{string(d.AppendIdent(append(d.alterTable(t.Name), "DROP CONSTRAINT "...), c.Name))}, nil
}

// SetTableComment renders ALTER TABLE ... COMMENT = '...'.
func (d *Dialect) SetTableComment(t *schema.Table, comment string) ([]string, error) {
	b := append(d.alterTable(t.Name), "COMMENT = "...)
	return []string{string(appendString(b, comment))}, nil
}

// RenameConstraint renders: nothing for a primary key (MariaDB calls every
// one PRIMARY); ALTER TABLE ... RENAME INDEX for a unique constraint or an
// index; a drop and an add for a foreign key or a check, which MariaDB
// cannot rename.
func (d *Dialect) RenameConstraint(before, after *schema.Table, kind dialect.ObjectKind, from, to string) ([]string, error) {
	switch kind {
	case dialect.PrimaryKeyObject:
		return nil, nil
	case dialect.UniqueObject, dialect.IndexObject:
		b := append(d.alterTable(before.Name), "RENAME INDEX "...)
		b = d.AppendIdent(b, from)
		b = append(b, " TO "...)
		return []string{string(d.AppendIdent(b, to))}, nil
	case dialect.ForeignKeyObject:
		old, nw := before.ForeignKey(from), after.ForeignKey(to)
		if old == nil || nw == nil {
			return nil, fmt.Errorf("mysql: rename of unknown foreign key %s of %s", from, before.Name)
		}
		drop, err := d.DropForeignKey(before, old)
		if err != nil {
			return nil, err
		}
		add, err := d.AddForeignKey(after, nw)
		return append(drop, add...), err
	case dialect.CheckObject:
		for _, c := range before.Checks {
			if c.Name == from {
				drop, _ := d.DropCheck(before, c)
				add, err := d.AddCheck(after, &schema.Check{Name: to, Expr: c.Expr})
				return append(drop, add...), err
			}
		}
		return nil, fmt.Errorf("mysql: rename of unknown check %s of %s", from, before.Name)
	}
	return nil, fmt.Errorf("mysql: rename of unknown object kind %q", kind)
}

// Lock takes GET_LOCK(name, seconds): a lock held by the connection until
// RELEASE_LOCK or the connection ends.
func (d *Dialect) Lock(ctx context.Context, q dialect.Querier, name string, wait time.Duration) (func(context.Context) error, error) {
	secs := math.Ceil(wait.Seconds())
	var got *int64
	err := dialect.QueryEach(ctx, q, "SELECT GET_LOCK(?, ?)", []any{name, secs}, func(r dialect.Rows) error { return r.Scan(&got) })
	if err != nil {
		return nil, fmt.Errorf("mysql: GET_LOCK(%q): %w", name, err)
	}
	if got == nil || *got != 1 {
		return nil, fmt.Errorf("mysql: GET_LOCK(%q): %w", name, dialect.ErrLockTimeout)
	}
	return func(ctx context.Context) error {
		_, err := q.Exec(ctx, "SELECT RELEASE_LOCK(?)", name)
		return err
	}, nil
}

var _ dialect.Clustered = (*Dialect)(nil)

// ClusterNode reports whether the server is a Galera node (wsrep_on is
// ON); if so it sets wsrep_sync_wait = 1 on q's session, so that its reads
// see every transaction the cluster committed before them. MySQL, which
// has no wsrep_on variable, is not a cluster node.
func (d *Dialect) ClusterNode(ctx context.Context, q dialect.Querier) (bool, error) {
	var name, value string
	err := dialect.QueryEach(ctx, q, "SHOW VARIABLES LIKE 'wsrep_on'", nil, func(r dialect.Rows) error { return r.Scan(&name, &value) })
	if err != nil {
		return false, fmt.Errorf("mysql: read wsrep_on: %w", d.TranslateError(err))
	}
	if !strings.EqualFold(value, "ON") {
		return false, nil
	}
	if _, err := q.Exec(ctx, "SET SESSION wsrep_sync_wait = 1"); err != nil {
		return true, fmt.Errorf("mysql: set wsrep_sync_wait: %w", d.TranslateError(err))
	}
	return true, nil
}
