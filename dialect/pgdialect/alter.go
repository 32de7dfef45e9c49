package pgdialect

import (
	"context"
	"fmt"
	"time"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

var (
	_ dialect.Alterer = (*Dialect)(nil)
	_ dialect.Locker  = (*Dialect)(nil)
)

func (d *Dialect) alterTable(t string) []byte {
	return append(d.AppendIdent([]byte("ALTER TABLE "), t), ' ')
}

func (d *Dialect) commentOnColumn(t, c, comment string) (string, error) {
	if err := noNUL(fmt.Sprintf("comment of column %s.%s", t, c), comment); err != nil {
		return "", err
	}
	b := d.AppendIdent([]byte("COMMENT ON COLUMN "), t)
	b = append(b, '.')
	b = d.AppendIdent(b, c)
	b = append(b, " IS "...)
	if comment == "" {
		return string(append(b, "NULL"...)), nil
	}
	return string(d.AppendString(b, comment)), nil
}

// AddColumn renders ALTER TABLE ADD COLUMN, and COMMENT ON COLUMN if c has
// a comment.
func (d *Dialect) AddColumn(t *schema.Table, c *schema.Column) ([]string, error) {
	b := append(d.alterTable(t.Name), "ADD COLUMN "...)
	b, err := d.appendColumn(b, t, c)
	if err != nil {
		return nil, err
	}
	out := []string{string(b)}
	if c.Comment != "" {
		s, err := d.commentOnColumn(t.Name, c.Name, c.Comment)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// DropColumn renders ALTER TABLE DROP COLUMN.
func (d *Dialect) DropColumn(t *schema.Table, c *schema.Column) ([]string, error) {
	b := append(d.alterTable(t.Name), "DROP COLUMN "...)
	return []string{string(d.AppendIdent(b, c.Name))}, nil
}

// AlterColumn renders one ALTER TABLE ... ALTER COLUMN per changed
// attribute: TYPE (with USING col::type, and the default dropped first and
// set again after, since an old default may not cast to the new type), SET
// or DROP NOT NULL, SET or DROP DEFAULT; and COMMENT ON COLUMN. Changing
// an identity column is not supported.
func (d *Dialect) AlterColumn(t *schema.Table, from, to *schema.Column) ([]string, error) {
	if from.AutoIncrement != to.AutoIncrement {
		return nil, sqlerr.Unsupported(d.Name(), fmt.Sprintf("change whether column %s.%s is an identity column", t.Name, to.Name))
	}
	col := func(b []byte) []byte {
		b = append(d.alterTable(t.Name), "ALTER COLUMN "...)
		return append(d.AppendIdent(b, to.Name), ' ')
	}
	var out []string
	typeChanged := !from.Type.Equal(to.Type)
	defaultChanged := !from.Default.Equal(to.Default)
	if typeChanged {
		typ, err := d.TypeSQL(to.Type)
		if err != nil {
			return nil, fmt.Errorf("table %s, column %s: %w", t.Name, to.Name, err)
		}
		if from.Default != nil {
			out = append(out, string(append(col(nil), "DROP DEFAULT"...)))
			defaultChanged = true
		}
		b := append(col(nil), "TYPE "...)
		b = append(b, typ...)
		b = append(b, " USING "...)
		b = d.AppendIdent(b, to.Name)
		b = append(b, "::"...)
		b = append(b, typ...)
		out = append(out, string(b))
	}
	if from.Nullable != to.Nullable {
		if to.Nullable {
			out = append(out, string(append(col(nil), "DROP NOT NULL"...)))
		} else {
			out = append(out, string(append(col(nil), "SET NOT NULL"...)))
		}
	}
	if defaultChanged {
		if to.Default == nil {
			if !typeChanged { // already dropped
				out = append(out, string(append(col(nil), "DROP DEFAULT"...)))
			}
		} else {
			if to.Default.Kind == schema.DefaultString {
				if err := noNUL(fmt.Sprintf("default of %s.%s", t.Name, to.Name), to.Default.Value); err != nil {
					return nil, err
				}
			}
			b := append(col(nil), "SET DEFAULT "...)
			out = append(out, string(dialect.AppendDefault(d, b, to.Default)))
		}
	}
	if from.Comment != to.Comment {
		s, err := d.commentOnColumn(t.Name, to.Name, to.Comment)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// RenameTable renders ALTER TABLE ... RENAME TO.
func (d *Dialect) RenameTable(from, to string) ([]string, error) {
	b := append(d.alterTable(from), "RENAME TO "...)
	return []string{string(d.AppendIdent(b, to))}, nil
}

// RenameColumn renders ALTER TABLE ... RENAME COLUMN.
func (d *Dialect) RenameColumn(t *schema.Table, from, to string) ([]string, error) {
	b := append(d.alterTable(t.Name), "RENAME COLUMN "...)
	b = d.AppendIdent(b, from)
	b = append(b, " TO "...)
	return []string{string(d.AppendIdent(b, to))}, nil
}

// AddUnique renders ALTER TABLE ... ADD CONSTRAINT ... UNIQUE.
func (d *Dialect) AddUnique(t *schema.Table, u *schema.Unique) ([]string, error) {
	b := append(d.alterTable(t.Name), "ADD "...)
	return []string{string(dialect.AppendUnique(d, b, u))}, nil
}

func (d *Dialect) dropConstraint(t, name string) []string {
	b := append(d.alterTable(t), "DROP CONSTRAINT "...)
	return []string{string(d.AppendIdent(b, name))}
}

// AddPrimaryKey renders ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY.
func (d *Dialect) AddPrimaryKey(t *schema.Table, pk *schema.PrimaryKey) ([]string, error) {
	return []string{string(dialect.AppendPrimaryKey(d, append(d.alterTable(t.Name), "ADD "...), pk))}, nil
}

// DropPrimaryKey renders ALTER TABLE ... DROP CONSTRAINT.
func (d *Dialect) DropPrimaryKey(t *schema.Table, pk *schema.PrimaryKey) ([]string, error) {
	if pk.Name == "" {
		return nil, fmt.Errorf("postgres: cannot drop the unnamed primary key of table %s", t.Name)
	}
	return d.dropConstraint(t.Name, pk.Name), nil
}

// DropUnique renders ALTER TABLE ... DROP CONSTRAINT.
func (d *Dialect) DropUnique(t *schema.Table, u *schema.Unique) ([]string, error) {
	return d.dropConstraint(t.Name, u.Name), nil
}

// AddCheck renders ALTER TABLE ... ADD CONSTRAINT ... CHECK.
func (d *Dialect) AddCheck(t *schema.Table, c *schema.Check) ([]string, error) {
	b := append(d.alterTable(t.Name), "ADD "...)
	return []string{string(dialect.AppendCheck(d, b, c))}, nil
}

// DropCheck renders ALTER TABLE ... DROP CONSTRAINT.
func (d *Dialect) DropCheck(t *schema.Table, c *schema.Check) ([]string, error) {
	return d.dropConstraint(t.Name, c.Name), nil
}

// SetTableComment renders COMMENT ON TABLE ... IS '...' (or IS NULL).
func (d *Dialect) SetTableComment(t *schema.Table, comment string) ([]string, error) {
	if err := noNUL("comment of table "+t.Name, comment); err != nil {
		return nil, err
	}
	b := d.AppendIdent([]byte("COMMENT ON TABLE "), t.Name)
	b = append(b, " IS "...)
	if comment == "" {
		return []string{string(append(b, "NULL"...))}, nil
	}
	return []string{string(d.AppendString(b, comment))}, nil
}

// RenameConstraint renders ALTER INDEX ... RENAME TO for an index and
// ALTER TABLE ... RENAME CONSTRAINT otherwise (which renames the index of
// a primary key or unique constraint with it).
func (d *Dialect) RenameConstraint(before, after *schema.Table, kind dialect.ObjectKind, from, to string) ([]string, error) {
	if kind == dialect.IndexObject {
		b := d.AppendIdent([]byte("ALTER INDEX "), from)
		b = append(b, " RENAME TO "...)
		return []string{string(d.AppendIdent(b, to))}, nil
	}
	b := append(d.alterTable(before.Name), "RENAME CONSTRAINT "...)
	b = d.AppendIdent(b, from)
	b = append(b, " TO "...)
	return []string{string(d.AppendIdent(b, to))}, nil
}

// Lock takes a session-level advisory lock keyed by hashtext(name),
// polling pg_try_advisory_lock until it is granted or wait has passed.
func (d *Dialect) Lock(ctx context.Context, q dialect.Querier, name string, wait time.Duration) (func(context.Context) error, error) {
	err := dialect.PollLock(ctx, wait, func() (bool, error) {
		var ok bool
		err := dialect.QueryEach(ctx, q, "SELECT pg_try_advisory_lock(hashtext($1))", []any{name}, func(r dialect.Rows) error { return r.Scan(&ok) })
		return ok, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: advisory lock %q: %w", name, err)
	}
	return func(ctx context.Context) error {
		_, err := q.Exec(ctx, "SELECT pg_advisory_unlock(hashtext($1))", name)
		return err
	}, nil
}

var _ dialect.EnumAlterer = (*Dialect)(nil)

// AlterEnum recreates the type: the old one is renamed aside, the new one
// created, every column converted through text (its default dropped first
// and set again after), and the old type dropped. Unlike ALTER TYPE ...
// ADD VALUE it also removes and reorders values, and it runs inside the
// revision's transaction; converting a column fails if a row holds a value
// the new type lacks.
func (d *Dialect) AlterEnum(old, new schema.Type, cols []dialect.EnumColumn) ([]string, error) {
	if old.EnumName == "" || old.EnumName != new.EnumName {
		return nil, fmt.Errorf("postgres: AlterEnum of %q into %q", old.EnumName, new.EnumName)
	}
	aside := schema.Shorten(old.EnumName+"_strata_old", schema.MaxIdentifierLen)
	b := d.AppendIdent([]byte("ALTER TYPE "), old.EnumName)
	b = append(b, " RENAME TO "...)
	out := []string{string(d.AppendIdent(b, aside))}
	create, err := d.CreateEnum(new)
	if err != nil {
		return nil, err
	}
	out = append(out, create...)
	typ := string(d.AppendIdent(nil, new.EnumName))
	for _, c := range cols {
		col := append(d.alterTable(c.Table), "ALTER COLUMN "...)
		col = append(d.AppendIdent(col, c.Column.Name), ' ')
		if c.Column.Default != nil {
			out = append(out, string(col)+"DROP DEFAULT")
		}
		q := string(col) + "TYPE " + typ + " USING " + string(d.AppendIdent(nil, c.Column.Name)) + "::text::" + typ
		out = append(out, q)
		if c.Column.Default != nil {
			out = append(out, string(dialect.AppendDefault(d, append(col, "SET DEFAULT "...), c.Column.Default)))
		}
	}
	return append(out, string(d.AppendIdent([]byte("DROP TYPE "), aside))), nil
}

var _ dialect.Replicated = (*Dialect)(nil)

// Position returns pg_current_wal_lsn() on the primary.
func (d *Dialect) Position(ctx context.Context, q dialect.Querier) (string, error) {
	var pos string
	err := dialect.QueryEach(ctx, q, "SELECT pg_current_wal_lsn()::text", nil, func(r dialect.Rows) error { return r.Scan(&pos) })
	return pos, d.TranslateError(err)
}

// Replayed reports whether pg_last_wal_replay_lsn() on the replica has
// reached pos.
func (d *Dialect) Replayed(ctx context.Context, q dialect.Querier, pos string) (bool, error) {
	var ok *bool
	err := dialect.QueryEach(ctx, q, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", []any{pos}, func(r dialect.Rows) error { return r.Scan(&ok) })
	if err != nil {
		return false, d.TranslateError(err)
	}
	return ok != nil && *ok, nil
}
