package migrate

import (
	"fmt"
	"slices"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// LockImpact returns why op, run on an existing table of a database whose
// DDL takes PostgreSQL's locks ([dialect.LockImpactLint]), holds a long
// ACCESS EXCLUSIVE (or SHARE) lock or rewrites the table, with the usual
// way around it; "" when it does not. before is the schema before op
// (tables created by the same revision are empty, and not flagged). It
// flags:
//
//   - a type change that is not binary compatible (anything but a longer
//     varchar, varchar to text, or a wider numeric of the same scale):
//     the table is rewritten under ACCESS EXCLUSIVE;
//   - SET NOT NULL: the whole table is scanned under ACCESS EXCLUSIVE
//     (add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT
//     NULL, which PostgreSQL 12+ proves from the check);
//   - a new column whose default is an SQL expression (if volatile, every
//     row is rewritten);
//   - CREATE INDEX without CONCURRENTLY: writes blocked (SHARE) for the
//     whole build (set [CreateIndex.Concurrently], or use
//     [ConcurrentIndexes]);
//   - a new unique constraint or primary key: an index built under ACCESS
//     EXCLUSIVE (build it CONCURRENTLY, then ADD CONSTRAINT ... USING
//     INDEX);
//   - a new foreign key, or one dropped and re-added for new actions:
//     every row validated under SHARE ROW EXCLUSIVE on both tables (add it
//     NOT VALID, then VALIDATE CONSTRAINT);
//   - a new check: every row validated under ACCESS EXCLUSIVE (NOT VALID,
//     then VALIDATE);
//   - an enum type rebuilt: every table using it rewritten.
//
// Like destructive operations, a revision generated for such a database
// lists them ([Revision.LockImpact]) and must be acknowledged before it
// runs.
func LockImpact(before *schema.MetaData, op Op) string {
	exists := func(table string) bool { return before != nil && before.Table(table) != nil }
	switch o := op.(type) {
	case AlterColumn:
		if !exists(o.Table) {
			return ""
		}
		sameEnum := o.Old.Type.Kind == schema.KindEnum && o.New.Type.Kind == schema.KindEnum &&
			o.Old.Type.EnumName != "" && o.Old.Type.EnumName == o.New.Type.EnumName // AlterEnum changes it, and is linted
		if !o.Old.Type.Equal(o.New.Type) && !sameEnum && !binaryCompatible(o.Old.Type, o.New.Type) {
			return fmt.Sprintf("changes the type of %s.%s from %s to %s: rewrites the table under an ACCESS EXCLUSIVE lock", o.Table, o.New.Name, o.Old.Type, o.New.Type)
		}
		if o.Old.Nullable && !o.New.Nullable {
			return fmt.Sprintf("SET NOT NULL on %s.%s scans the whole table under an ACCESS EXCLUSIVE lock; add CHECK (%s IS NOT NULL) NOT VALID and VALIDATE it first", o.Table, o.New.Name, o.New.Name)
		}
	case AddColumn:
		if exists(o.Table) && o.Column.Default != nil && o.Column.Default.Kind == schema.DefaultExpr {
			return fmt.Sprintf("adds %s.%s with the default %s: a volatile default rewrites every row under an ACCESS EXCLUSIVE lock", o.Table, o.Column.Name, o.Column.Default)
		}
	case CreateIndex:
		if exists(o.Table) && !o.Concurrently {
			return fmt.Sprintf("creates index %s on %s without CONCURRENTLY: writes to %s wait for the whole build (SHARE lock); set \"concurrently\": true on the operation (strata revision --concurrently)", o.Index.Name, o.Table, o.Table)
		}
	case AddUnique:
		if exists(o.Table) {
			return fmt.Sprintf("adds unique %s on %s: builds its index under an ACCESS EXCLUSIVE lock; build the index CONCURRENTLY and add the constraint USING INDEX", o.Unique.Name, o.Table)
		}
	case AddPrimaryKey:
		if exists(o.Table) {
			return fmt.Sprintf("adds primary key %s on %s: builds its index under an ACCESS EXCLUSIVE lock", o.PrimaryKey.Name, o.Table)
		}
	case AddForeignKey:
		if exists(o.Table) {
			return fmt.Sprintf("adds foreign key %s on %s: validates every row under a SHARE ROW EXCLUSIVE lock on %s and %s; add it NOT VALID, then VALIDATE CONSTRAINT", o.ForeignKey.Name, o.Table, o.Table, o.ForeignKey.RefTable)
		}
	case AlterForeignKeyActions:
		return fmt.Sprintf("re-adds foreign key %s on %s with new actions: validates every row under a SHARE ROW EXCLUSIVE lock on %s and %s", o.ForeignKey.Name, o.Table, o.Table, o.ForeignKey.RefTable)
	case AddCheck:
		if exists(o.Table) {
			return fmt.Sprintf("adds check %s on %s: validates every row under an ACCESS EXCLUSIVE lock; add it NOT VALID, then VALIDATE CONSTRAINT", o.Check.Name, o.Table)
		}
	case AlterEnum:
		if o.Strategy != EnumAddValue {
			return fmt.Sprintf("rebuilds enum type %s: rewrites every table that uses it under an ACCESS EXCLUSIVE lock", o.New.EnumName)
		}
	}
	return ""
}

// ConcurrentIndexes returns ops with every index created or dropped on a
// table that exists before them marked
// Concurrently ([CreateIndex], [DropIndex]): built and dropped without
// blocking writes, outside the revision's transaction on PostgreSQL.
// Indexes of tables the operations create stay in their CREATE TABLE
// (the table is empty, nothing waits). `strata revision --concurrently`
// applies it to both directions of the revision it writes.
func ConcurrentIndexes(ops []Op) []Op {
	out := make([]Op, len(ops))
	created := map[string]bool{} // tables the operations create (renamed since)
	for i, op := range ops {
		switch o := op.(type) {
		case CreateTable:
			created[o.Table.Key()] = true
		case RenameTable:
			created[o.To] = created[o.From]
		case DropTable:
			delete(created, o.Table.Key())
		case CreateIndex:
			o.Concurrently = o.Concurrently || !created[o.Table]
			op = o
		case DropIndex:
			o.Concurrently = o.Concurrently || !created[o.Table]
			op = o
		}
		out[i] = op
	}
	return out
}

// binaryCompatible reports whether PostgreSQL changes type a to b without
// rewriting the table.
func binaryCompatible(a, b schema.Type) bool {
	switch {
	case a.Kind == schema.KindVarchar && b.Kind == schema.KindVarchar:
		return b.Length >= a.Length
	case a.Kind == schema.KindVarchar && b.Kind == schema.KindText:
		return true
	case a.Kind == schema.KindNumeric && b.Kind == schema.KindNumeric:
		return a.Precision != 0 && (b.Precision == 0 || (b.Precision >= a.Precision && b.Scale == a.Scale))
	}
	return false
}

// LockImpacts lists [LockImpact] for ops run from before, on dialect d:
// none unless d has [dialect.LockImpactLint].
func LockImpacts(d dialect.Dialect, before *schema.MetaData, ops []Op) ([]string, error) {
	if d == nil || !d.Features().Has(dialect.LockImpactLint) {
		return nil, nil
	}
	var out []string
	cur := before.Clone()
	for _, op := range ops {
		if l := LockImpact(cur, op); l != "" {
			out = append(out, l)
		}
		if err := op.Apply(cur); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// KeptIndexes lists, for a dialect with [dialect.ForeignKeyIndexes]
// (MariaDB), the operations of ops (run from before) that drop the last
// index, unique constraint or primary key a foreign key of the table can
// use: InnoDB refuses that drop (error 1553), so the dialect adds the
// foreign key's own index in the same statement, and the index stays
// under the foreign key's name. Nothing is lost; the lines say where an
// index remains that the models no longer declare.
func KeptIndexes(d dialect.Dialect, before *schema.MetaData, ops []Op) ([]string, error) {
	if d == nil || !d.Features().Has(dialect.ForeignKeyIndexes) {
		return nil, nil
	}
	var out []string
	cur := before.Clone()
	for _, op := range ops {
		var tname, name string
		var cols []string
		switch o := op.(type) {
		case DropIndex:
			tname, name, cols = o.Table, o.Index.Name, o.Index.Columns
		case DropUnique:
			tname, name, cols = o.Table, o.Unique.Name, o.Unique.Columns
		case DropPrimaryKey:
			tname, name, cols = o.Table, o.PrimaryKey.Name, o.PrimaryKey.Columns
		}
		if t := cur.Table(tname); t != nil {
			for _, f := range t.ForeignKeys {
				if hasPrefix(cols, f.Columns) && !servedElsewhere(t, name, f.Columns) {
					out = append(out, fmt.Sprintf("%s: foreign key %s needs an index on %q; %s keeps one in its place, named %s",
						op, f.Name, f.Columns, d.Name(), f.Name))
				}
			}
		}
		if err := op.Apply(cur); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// servedElsewhere reports whether an index, unique constraint or primary
// key of t other than the one called except starts with cols.
func servedElsewhere(t *schema.Table, except string, cols []string) bool {
	if t.PrimaryKey != nil && t.PrimaryKey.Name != except && hasPrefix(t.PrimaryKey.Columns, cols) {
		return true
	}
	for _, u := range t.Uniques {
		if u.Name != except && hasPrefix(u.Columns, cols) {
			return true
		}
	}
	for _, x := range t.Indexes {
		if x.Name != except && x.Where == "" && hasPrefix(x.Columns, cols) {
			return true
		}
	}
	return false
}

// hasPrefix reports whether cols starts with prefix.
func hasPrefix(cols, prefix []string) bool {
	return len(prefix) <= len(cols) && slices.Equal(cols[:len(prefix)], prefix)
}
