package migrate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// Step is one thing the runner does for a revision: run a statement, run
// a registered Go function, or rebuild a table (SQLite), whose statements
// are run as the [dialect.Rebuild] documents.
type Step struct {
	Op      int    // index of the operation this step renders
	SQL     string // a statement, or
	Func    string // a registered Go function's name, or
	Rebuild *dialect.Rebuild

	// NoTx marks a statement that cannot run inside a transaction
	// (PostgreSQL's CREATE INDEX CONCURRENTLY): the runner commits the
	// steps before it, runs it by itself and records it, then goes on in
	// a new transaction. Before it runs, the runner runs Leftover (with
	// LeftoverArgs) and, when that returns a row, Cleanup: what a failed
	// earlier attempt left behind (an INVALID index) is removed. See
	// [dialect.Concurrent].
	NoTx         bool
	Leftover     string
	LeftoverArgs []any
	Cleanup      string
}

// String renders the step as SQL text (a comment for a Go step).
func (s Step) String() string {
	switch {
	case s.Func != "":
		return "-- Go step " + s.Func + " (runs only when migrating online)"
	case s.Rebuild != nil:
		r := s.Rebuild
		var b strings.Builder
		fmt.Fprintf(&b, "-- rebuild table %s (%s before the transaction, %s after it)\n", r.Table, strings.Join(r.Before, "; "), strings.Join(r.After, "; "))
		for _, q := range r.Copy {
			b.WriteString(q + ";\n")
		}
		fmt.Fprintf(&b, "-- the runner checks count(%s) = count(%s) here\n", r.Table, r.Temp)
		for i, q := range r.Swap {
			if i > 0 {
				b.WriteString(";\n")
			}
			b.WriteString(q)
		}
		return b.String()
	}
	return s.SQL
}

// Render turns operations into the steps that run them on dialect d,
// starting from the schema before (the snapshot of the revision's parent;
// it is needed where a change is made by rebuilding a table, and by
// MariaDB to know which index a foreign key uses).
//
// Changes that the dialect's ALTER TABLE cannot make are made by a table
// rebuild where the dialect is a [dialect.Rebuilder] (SQLite); foreign
// keys that a revision adds to a table it also creates are folded into
// the CREATE TABLE where the dialect accepts forward references but cannot
// add constraints (SQLite, for foreign keys on a cycle). Anything the
// dialect cannot do returns an error matching sqlerr.ErrUnsupported:
// never a silent no-op.
func Render(d dialect.Dialect, before *schema.MetaData, ops []Op) ([]Step, error) {
	ops = foldForeignKeys(d, ops)
	ops, err := releaseKeyColumns(d, before, ops)
	if err != nil {
		return nil, fmt.Errorf("migrate: render: %w", err)
	}
	cur := before.Clone()
	var out []Step
	// last is the rebuild the previous step made, so that consecutive
	// changes to one table that each need a rebuild share one.
	var last *struct {
		from *schema.Table
		step int
	}
	for i, op := range ops {
		next, err := ApplyAll(cur, []Op{op})
		if err != nil {
			return nil, fmt.Errorf("migrate: render: %w", err)
		}
		stmts, rb, err := renderOp(d, cur, next, op)
		if err != nil {
			return nil, fmt.Errorf("migrate: render %s for %s: %w", op, d.Name(), err)
		}
		switch {
		case rb != nil && last != nil && last.step == len(out)-1 && last.from.Name == rb.Table:
			merged, err := d.(dialect.Rebuilder).RebuildTable(last.from, next.Table(rb.Table))
			if err != nil {
				return nil, fmt.Errorf("migrate: render %s for %s: %w", op, d.Name(), err)
			}
			out[len(out)-1].Rebuild = merged
		case rb != nil:
			last = &struct {
				from *schema.Table
				step int
			}{cur.Table(rb.Table).Clone(), len(out)}
			out = append(out, Step{Op: i, Rebuild: rb})
		case op.Name() == "go":
			out = append(out, Step{Op: i, Func: op.(GoStep).Func})
		case isConcurrent(d, op):
			c, err := renderConcurrent(d.(dialect.ConcurrentIndexer), cur, op)
			if err != nil {
				return nil, fmt.Errorf("migrate: render %s for %s: %w", op, d.Name(), err)
			}
			out = append(out, Step{Op: i, SQL: c.SQL, NoTx: d.Features().Has(dialect.TransactionalDDL),
				Leftover: c.Leftover, LeftoverArgs: c.LeftoverArgs, Cleanup: c.Cleanup})
		default:
			for _, s := range stmts {
				out = append(out, Step{Op: i, SQL: s})
			}
		}
		cur = next
	}
	return out, nil
}

// isConcurrent reports whether op is an index operation marked
// Concurrently that d renders with its [dialect.ConcurrentIndexer];
// elsewhere (SQLite) the option renders the plain statement.
func isConcurrent(d dialect.Dialect, op Op) bool {
	if _, ok := d.(dialect.ConcurrentIndexer); !ok {
		return false
	}
	switch o := op.(type) {
	case CreateIndex:
		return o.Concurrently
	case DropIndex:
		return o.Concurrently
	}
	return false
}

func renderConcurrent(ci dialect.ConcurrentIndexer, cur *schema.MetaData, op Op) (*dialect.Concurrent, error) {
	if o, ok := op.(CreateIndex); ok {
		return ci.CreateIndexConcurrently(cur.Table(o.Table), o.Index)
	}
	o := op.(DropIndex)
	return ci.DropIndexConcurrently(cur.Table(o.Table), o.Index)
}

// releaseKeyColumns surrounds the type changes of columns that foreign
// keys use (on either side) with a drop and a re-add of those foreign keys,
// where the dialect can alter constraints but cannot change such a
// column's type in place (MariaDB fails with error 1832 or 1833). A
// foreign key is dropped before the first type change that touches it and
// added back, as it is then, after the last one: both sides of a key
// usually change together (p.id and c.pid INT -> BIGINT), and re-adding it
// between the two would fail on the types that do not match yet. The
// revision's operations stay what they are (PostgreSQL changes such
// columns in place and keeps its foreign keys); only the rendering differs.
func releaseKeyColumns(d dialect.Dialect, before *schema.MetaData, ops []Op) ([]Op, error) {
	f := d.Features()
	if !f.Has(dialect.AlterConstraints) || f.Has(dialect.AlterKeyColumnType) {
		return ops, nil
	}
	type span struct {
		table       string
		name        string
		first, last int
		def         *schema.ForeignKey // as it is before the first change
	}
	var spans []*span
	open := map[[2]string]*span{}
	cur := before.Clone()
	for i, op := range ops {
		if ac, ok := op.(AlterColumn); ok && !ac.Old.Type.Equal(ac.New.Type) {
			for _, t := range cur.Tables() {
				for _, fk := range t.ForeignKeys {
					uses := (t.Key() == ac.Table && slices.Contains(fk.Columns, ac.New.Name)) ||
						(fk.RefKey() == ac.Table && slices.Contains(fk.RefColumns, ac.New.Name))
					if !uses {
						continue
					}
					k := [2]string{t.Key(), fk.Name}
					if s := open[k]; s != nil {
						s.last = i
						continue
					}
					def := *fk
					s := &span{table: t.Key(), name: fk.Name, first: i, last: i, def: &def}
					open[k] = s
					spans = append(spans, s)
				}
			}
		}
		if err := op.Apply(cur); err != nil {
			return nil, err
		}
	}
	if len(spans) == 0 {
		return ops, nil
	}
	// The foreign keys come back as they are after the last change.
	cur = before.Clone()
	readd := map[int][]Op{}
	for i, op := range ops {
		if err := op.Apply(cur); err != nil {
			return nil, err
		}
		for _, s := range spans {
			if s.last == i {
				fk := *cur.Table(s.table).ForeignKey(s.name)
				readd[i] = append(readd[i], AddForeignKey{Table: s.table, ForeignKey: &fk})
			}
		}
	}
	out := make([]Op, 0, len(ops)+2*len(spans))
	for i, op := range ops {
		for _, s := range spans {
			if s.first == i {
				out = append(out, DropForeignKey{Table: s.table, ForeignKey: s.def})
			}
		}
		out = append(out, op)
		out = append(out, readd[i]...)
	}
	return out, nil
}

// foldForeignKeys moves AddForeignKey operations into the CreateTable of
// the same list where the dialect cannot add a foreign key but accepts one
// naming a table that does not exist yet.
func foldForeignKeys(d dialect.Dialect, ops []Op) []Op {
	f := d.Features()
	if f.Has(dialect.AlterConstraints) || !f.Has(dialect.ForwardReferences) {
		return ops
	}
	created := map[string]int{}
	out := make([]Op, 0, len(ops))
	for _, op := range ops {
		switch o := op.(type) {
		case CreateTable:
			created[o.Table.Key()] = len(out)
		case AddForeignKey:
			if j, ok := created[o.Table]; ok {
				ct := out[j].(CreateTable)
				t := ct.Table.Clone()
				fk := *o.ForeignKey
				t.ForeignKeys = append(t.ForeignKeys, &fk)
				out[j] = CreateTable{Table: t}
				continue
			}
		case DropTable, RenameTable:
			// a later AddForeignKey is on another table of the same name
			for n := range created {
				delete(created, n)
			}
		}
		out = append(out, op)
	}
	return out
}

func renderOp(d dialect.Dialect, cur, next *schema.MetaData, op Op) ([]string, *dialect.Rebuild, error) {
	alt, _ := d.(dialect.Alterer)
	alter := func(tname string, f func(a dialect.Alterer, t *schema.Table) ([]string, error)) ([]string, *dialect.Rebuild, error) {
		t := cur.Table(tname)
		var err error = sqlerr.Unsupported(d.Name(), "alter tables (the dialect has no dialect.Alterer)")
		if alt != nil {
			var s []string
			if s, err = f(alt, t); err == nil {
				return s, nil, nil
			}
		}
		rb, ok := d.(dialect.Rebuilder)
		if !ok || !errors.Is(err, sqlerr.ErrUnsupported) {
			return nil, nil, err
		}
		r, rerr := rb.RebuildTable(t, next.Table(tname))
		if rerr != nil {
			return nil, nil, rerr
		}
		return nil, r, nil
	}
	switch o := op.(type) {
	case CreateEnum:
		s, err := d.CreateEnum(o.Type)
		return s, nil, err
	case DropEnum:
		return d.DropEnum(o.Type), nil, nil
	case CreateTable:
		s, err := d.CreateTable(o.Table, nil)
		if err != nil {
			return nil, nil, err
		}
		for _, x := range o.Table.Indexes {
			xs, err := d.CreateIndex(o.Table, x)
			if err != nil {
				return nil, nil, err
			}
			s = append(s, xs...)
		}
		return s, nil, nil
	case DropTable:
		return d.DropTable(o.Table), nil, nil
	case RenameTable:
		if alt == nil {
			return nil, nil, sqlerr.Unsupported(d.Name(), "rename tables")
		}
		if t := cur.Table(o.From); t != nil && t.Schema != "" {
			r, ok := d.(dialect.SchemaTableRenamer)
			if !ok {
				return nil, nil, sqlerr.Unsupported(d.Name(), "rename table "+o.From+" of a named schema")
			}
			s, err := r.RenameSchemaTable(t, next.Table(o.To).Name)
			return s, nil, err
		}
		s, err := alt.RenameTable(o.From, o.To)
		return s, nil, err
	case RenameColumn:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.RenameColumn(t, o.From, o.To) })
	case AddColumn:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.AddColumn(t, o.Column) })
	case DropColumn:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.DropColumn(t, o.Column) })
	case AlterEnum:
		ea, ok := d.(dialect.EnumAlterer)
		if !ok || !d.Features().Has(dialect.NamedEnums) {
			return nil, nil, nil // values live in column types: AlterColumn changes them
		}
		if o.Strategy == EnumAddValue {
			if av, ok := d.(dialect.EnumValueAdder); ok {
				s, err := av.AddEnumValues(o.Old, o.New)
				return s, nil, err
			}
		}
		var cols []dialect.EnumColumn
		for _, t := range next.Tables() {
			for _, c := range t.Columns {
				if c.Type.Kind == schema.KindEnum && c.Type.EnumName == o.New.EnumName {
					cols = append(cols, dialect.EnumColumn{Table: t.Name, Column: c}) // enum columns of named schemas: see docs/NOTES.md
				}
			}
		}
		s, err := ea.AlterEnum(o.Old, o.New, cols)
		return s, nil, err
	case AlterColumn:
		old := o.Old
		if _, ok := d.(dialect.EnumAlterer); ok && d.Features().Has(dialect.NamedEnums) && o.Old.Type.Kind == schema.KindEnum &&
			o.New.Type.Kind == schema.KindEnum && o.Old.Type.EnumName == o.New.Type.EnumName {
			// the named type's values changed by AlterEnum, which
			// converted this column; only its other attributes are left
			c := *o.Old
			c.Type = o.New.Type
			old = &c
		}
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.AlterColumn(t, old, o.New) })
	case RenameConstraint:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) {
			return a.RenameConstraint(t, next.Table(o.Table), o.Kind, o.From, o.To)
		})
	case AddPrimaryKey:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.AddPrimaryKey(t, o.PrimaryKey) })
	case DropPrimaryKey:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.DropPrimaryKey(t, o.PrimaryKey) })
	case AddUnique:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.AddUnique(t, o.Unique) })
	case DropUnique:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.DropUnique(t, o.Unique) })
	case AddCheck:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.AddCheck(t, o.Check) })
	case DropCheck:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.DropCheck(t, o.Check) })
	case SetTableComment:
		return alter(o.Table, func(a dialect.Alterer, t *schema.Table) ([]string, error) { return a.SetTableComment(t, o.New) })
	case AddForeignKey:
		return alter(o.Table, func(_ dialect.Alterer, t *schema.Table) ([]string, error) { return d.AddForeignKey(t, o.ForeignKey) })
	case DropForeignKey:
		return alter(o.Table, func(_ dialect.Alterer, t *schema.Table) ([]string, error) { return d.DropForeignKey(t, o.ForeignKey) })
	case AlterForeignKeyActions:
		return alter(o.Table, func(_ dialect.Alterer, t *schema.Table) ([]string, error) {
			old := t.ForeignKey(o.ForeignKey.Name)
			drop, err := d.DropForeignKey(t, old)
			if err != nil {
				return nil, err
			}
			add, err := d.AddForeignKey(t, o.ForeignKey)
			if err != nil {
				return nil, err
			}
			return append(drop, add...), nil
		})
	case AlterForeignKeyDeferrability:
		if da, ok := d.(dialect.DeferrabilityAlterer); ok {
			s, err := da.AlterForeignKeyDeferrability(cur.Table(o.Table), o.ForeignKey)
			return s, nil, err
		}
		return alter(o.Table, func(_ dialect.Alterer, t *schema.Table) ([]string, error) {
			drop, err := d.DropForeignKey(t, t.ForeignKey(o.ForeignKey.Name))
			if err != nil {
				return nil, err
			}
			add, err := d.AddForeignKey(t, o.ForeignKey)
			if err != nil {
				return nil, err
			}
			return append(drop, add...), nil
		})
	case CreateIndex:
		s, err := d.CreateIndex(cur.Table(o.Table), o.Index)
		return s, nil, err
	case DropIndex:
		return d.DropIndex(cur.Table(o.Table), o.Index), nil, nil
	case RawSQL:
		if s, ok := o.Dialects[d.Name()]; ok {
			return s, nil, nil
		}
		return o.SQL, nil, nil
	case GoStep:
		return nil, nil, nil
	}
	return nil, nil, fmt.Errorf("migrate: unknown operation %T", op)
}
