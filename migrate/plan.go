package migrate

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	graphs "github.com/strata-go/strata/internal/graph"
	"slices"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// Rename is a rename declared on the model: table From became Table
// (Column empty), or column From of Table became Column.
type Rename struct {
	Table  string
	Column string
	From   string
}

// RenameHints collects the renamed-from hints of m's tables and columns
// ([schema.Table.RenamedFrom], [schema.Column.RenamedFrom]), sorted.
func RenameHints(m *schema.MetaData) []Rename {
	var out []Rename
	for _, t := range m.Tables() {
		if t.RenamedFrom != "" {
			out = append(out, Rename{Table: t.Key(), From: schema.TableKey(t.Schema, t.RenamedFrom)})
		}
		for _, c := range t.Columns {
			if c.RenamedFrom != "" {
				out = append(out, Rename{Table: t.Key(), Column: c.Name, From: c.RenamedFrom})
			}
		}
	}
	return out
}

// InvertRenames turns the renames of an upgrade into those of its
// downgrade: table renames reversed, and column renames reversed and
// placed on the table's old name.
func InvertRenames(rs []Rename) []Rename {
	oldName := map[string]string{}
	for _, r := range rs {
		if r.Column == "" {
			oldName[r.Table] = r.From
		}
	}
	out := make([]Rename, 0, len(rs))
	for _, r := range rs {
		if r.Column == "" {
			out = append(out, Rename{Table: r.From, From: r.Table})
			continue
		}
		t := r.Table
		if o, ok := oldName[t]; ok {
			t = o
		}
		out = append(out, Rename{Table: t, Column: r.From, From: r.Column})
	}
	return out
}

// PlanOptions tune [Plan].
type PlanOptions struct {
	// Normalize, if set, is applied to every table of both schemas before
	// they are compared: pass a dialect's Normalize when one side was read
	// from a live database, so that what the database cannot tell apart is
	// not reported as a change.
	Normalize func(*schema.Table) *schema.Table
	// Renames are the renames to make instead of a drop and an add; see
	// [RenameHints]. A rename whose old name is not in from, or whose new
	// name already is, is ignored.
	Renames []Rename
	// Dialect, if set, is the database the plan is for: a difference it
	// cannot tell apart (its Normalize gives the same table either way)
	// is left out of the operations and returned as a [Note] by
	// [PlanNotes].
	Dialect dialect.Dialect
}

// Plan returns the operations that turn schema from into schema to, in an
// order every database accepts:
//
//   - renames first, then every other change ordered through the
//     constraint-level dependency graph of both schemas: an object is
//     created after what it needs (a foreign key after the primary key or
//     unique constraint it references, also when that key is created by
//     the same plan; a constraint after its columns), and dropped before
//     what it needs is dropped (a foreign key before the key it references
//     and before its column; a table after the tables that reference it);
//   - a table created with foreign keys to another table created in the
//     same plan that references it back (a cycle) is created without the
//     foreign keys on the cycle, which are added afterwards; tables of a
//     cycle that are dropped lose those foreign keys first. Only foreign
//     keys on a cycle are split off;
//   - among operations free to go at the same time, drops come before
//     creates and ties are broken by table and object name, so the same
//     two schemas always give the same list.
//
// A changed foreign key action is one [AlterForeignKeyActions]; any other
// change of a constraint or index is a drop and an add under the same name.
// The result is exact: ApplyAll(from, Plan(from, to)) equals to (after
// normalization). Plan(to, from) with inverted renames is the downgrade.
func Plan(from, to *schema.MetaData, opts PlanOptions) ([]Op, error) {
	ops, _, err := plan(from, to, opts)
	return ops, err
}

// Note is a difference between two schemas that the database of a plan
// cannot tell apart ([PlanOptions.Dialect]: its Normalize gives the same
// table either way), such as RESTRICT and NO ACTION on MariaDB, which
// InnoDB enforces alike. The planner leaves it out of the operations; a
// revision records it, so that its snapshot (the models) and its
// operations agree: Op is applied to the snapshot, never run.
type Note struct {
	Op     Op
	Reason string
}

// String describes the note on one line.
func (n Note) String() string { return n.Op.String() + ": " + n.Reason }

// PlanNotes is [Plan] that also returns the differences it left out as
// making no change on opts.Dialect (none without a dialect).
func PlanNotes(from, to *schema.MetaData, opts PlanOptions) ([]Op, []Note, error) {
	return plan(from, to, opts)
}

func plan(from, to *schema.MetaData, opts PlanOptions) ([]Op, []Note, error) {
	work, err := normalized(from, opts.Normalize)
	if err != nil {
		return nil, nil, err
	}
	want, err := normalized(to, opts.Normalize)
	if err != nil {
		return nil, nil, err
	}
	var prefix []Op
	for _, r := range opts.Renames {
		if r.Column != "" {
			continue
		}
		if work.Table(r.From) != nil && work.Table(r.Table) == nil && want.Table(r.Table) != nil && want.Table(r.From) == nil {
			op := RenameTable{From: r.From, To: r.Table}
			if err := op.Apply(work); err != nil {
				return nil, nil, err
			}
			prefix = append(prefix, op)
		}
	}
	for _, r := range opts.Renames {
		if r.Column == "" {
			continue
		}
		wt, tt := work.Table(r.Table), want.Table(r.Table)
		if wt != nil && tt != nil && wt.Column(r.From) != nil && wt.Column(r.Column) == nil && tt.Column(r.Column) != nil && tt.Column(r.From) == nil {
			op := RenameColumn{Table: r.Table, From: r.From, To: r.Column}
			if err := op.Apply(work); err != nil {
				return nil, nil, err
			}
			prefix = append(prefix, op)
		}
	}
	ops, notes, err := diff(work, want, opts.Dialect)
	if err != nil {
		return nil, nil, err
	}
	ordered, err := order(work, want, ops)
	if err != nil {
		return nil, nil, err
	}
	return append(prefix, ordered...), notes, nil
}

func normalized(m *schema.MetaData, norm func(*schema.Table) *schema.Table) (*schema.MetaData, error) {
	out := schema.NewMetaData()
	out.Naming = m.Naming
	for _, t := range m.Tables() {
		t = t.Clone()
		if norm != nil {
			t = norm(t)
		}
		t.RenamedFrom = ""
		for _, c := range t.Columns {
			c.RenamedFrom = ""
		}
		if err := out.Add(t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// diff lists the changes from work to want, unordered, and those of them
// that d cannot tell apart as notes.
func diff(work, want *schema.MetaData, d dialect.Dialect) ([]Op, []Note, error) {
	var ops []Op
	var notes []Note
	var errs []error
	we, te := map[string]schema.Type{}, map[string]schema.Type{}
	for _, e := range work.Enums() {
		we[e.EnumName] = e
	}
	for _, e := range want.Enums() {
		te[e.EnumName] = e
		if old, ok := we[e.EnumName]; ok && !old.Equal(e) {
			op := AlterEnum{Old: old, New: e}
			if addsValues(old, e) {
				op.Strategy = EnumAddValue
			}
			ops = append(ops, op)
		}
		if _, ok := we[e.EnumName]; !ok {
			ops = append(ops, CreateEnum{Type: e})
		}
	}
	for _, e := range work.Enums() {
		if _, ok := te[e.EnumName]; !ok {
			ops = append(ops, DropEnum{Type: e})
		}
	}
	for _, t := range want.Tables() {
		if work.Table(t.Key()) == nil {
			ops = append(ops, CreateTable{Table: t.Clone()})
		}
	}
	for _, w := range work.Tables() {
		t := want.Table(w.Key())
		if t == nil {
			ops = append(ops, DropTable{Table: w.Clone()})
			continue
		}
		tops, err := diffTable(w, t)
		if err != nil {
			errs = append(errs, err)
		}
		if d != nil && len(tops) > 0 {
			var tnotes []Note
			if tops, tnotes, err = equivalents(work, w.Key(), tops, d); err != nil {
				errs = append(errs, err)
			}
			notes = append(notes, tnotes...)
		}
		ops = append(ops, tops...)
	}
	return ops, notes, errors.Join(errs...)
}

// equivalents splits the operations on one table (named name, as it is in
// work) into those that change something on dialect d and notes for those
// that do not: the operations on one object (a column, or a constraint or
// index by name, all kinds together, since a unique index and a unique
// constraint are one thing on MariaDB) are a no-op when d's Normalize of
// the table is the same before and after them.
func equivalents(work *schema.MetaData, name string, ops []Op, d dialect.Dialect) ([]Op, []Note, error) {
	var keys []string
	groups := map[string][]int{}
	for i, op := range ops {
		k := objectKey(op)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	before := d.Normalize(work.Table(name))
	drop := map[int]bool{}
	var notes []Note
	for _, k := range keys {
		if k == "" {
			continue
		}
		m := work.Clone()
		for _, i := range groups[k] {
			if err := ops[i].Apply(m); err != nil {
				return nil, nil, err
			}
		}
		after := m.Table(name)
		if after == nil {
			continue
		}
		same, err := diffTable(before, d.Normalize(after))
		if err != nil || len(same) > 0 {
			continue
		}
		for _, i := range groups[k] {
			drop[i] = true
			notes = append(notes, Note{Op: ops[i], Reason: "no change on " + d.Name() + ", which stores both the same way"})
		}
	}
	if len(drop) == 0 {
		return ops, nil, nil
	}
	var keep []Op
	for i, op := range ops {
		if !drop[i] {
			keep = append(keep, op)
		}
	}
	return keep, notes, nil
}

// objectKey names the object of a table an operation changes, for
// [equivalents]; "" for operations never taken as no-ops.
func objectKey(op Op) string {
	switch o := op.(type) {
	case AlterColumn:
		return "column " + o.New.Name
	case SetTableComment:
		return "comment"
	case RenameConstraint:
		return "rename " + o.From
	case AddPrimaryKey:
		return "primary key"
	case DropPrimaryKey:
		return "primary key"
	case AddUnique:
		return "object " + o.Unique.Name
	case DropUnique:
		return "object " + o.Unique.Name
	case AddCheck:
		return "object " + o.Check.Name
	case DropCheck:
		return "object " + o.Check.Name
	case CreateIndex:
		return "object " + o.Index.Name
	case DropIndex:
		return "object " + o.Index.Name
	case AddForeignKey:
		return "object " + o.ForeignKey.Name
	case DropForeignKey:
		return "object " + o.ForeignKey.Name
	case AlterForeignKeyActions:
		return "object " + o.ForeignKey.Name
	case AlterForeignKeyDeferrability:
		return "object " + o.ForeignKey.Name
	}
	return ""
}

func diffTable(w, t *schema.Table) ([]Op, error) {
	var ops []Op
	for _, c := range t.Columns {
		wc := w.Column(c.Name)
		if wc == nil {
			col := *c
			ops = append(ops, AddColumn{Table: t.Key(), Column: &col})
			continue
		}
		if !wc.Type.Equal(c.Type) || wc.Nullable != c.Nullable || wc.AutoIncrement != c.AutoIncrement || !wc.Default.Equal(c.Default) || wc.Comment != c.Comment {
			o, n := *wc, *c
			o.ClientDefault, n.ClientDefault = nil, nil
			ops = append(ops, AlterColumn{Table: t.Key(), Old: &o, New: &n})
		}
	}
	for _, wc := range w.Columns {
		if t.Column(wc.Name) == nil {
			col := *wc
			ops = append(ops, DropColumn{Table: t.Key(), Column: &col})
		}
	}
	// Objects whose definition is unchanged but whose name is are renamed
	// (a renamed table's convention names, say), not dropped and re-added.
	if w.PrimaryKey != nil && t.PrimaryKey != nil && w.PrimaryKey.Name != t.PrimaryKey.Name && slices.Equal(w.PrimaryKey.Columns, t.PrimaryKey.Columns) {
		ops = append(ops, RenameConstraint{Table: t.Key(), Kind: dialect.PrimaryKeyObject, From: w.PrimaryKey.Name, To: t.PrimaryKey.Name})
		w = w.Clone()
		w.PrimaryKey.Name = t.PrimaryKey.Name
	}
	var rops []Op
	var wu []*schema.Unique
	wu, rops = matchRenames(t.Key(), dialect.UniqueObject, w.Uniques, t.Uniques, uniqueName,
		func(u schema.Unique, n string) *schema.Unique { u.Name = n; return &u },
		func(a, b *schema.Unique) bool { return slices.Equal(a.Columns, b.Columns) })
	ops = append(ops, rops...)
	var wc []*schema.Check
	wc, rops = matchRenames(t.Key(), dialect.CheckObject, w.Checks, t.Checks, checkName,
		func(c schema.Check, n string) *schema.Check { c.Name = n; return &c },
		func(a, b *schema.Check) bool { return schema.NormalizeExpr(a.Expr) == schema.NormalizeExpr(b.Expr) })
	ops = append(ops, rops...)
	var wx []*schema.Index
	wx, rops = matchRenames(t.Key(), dialect.IndexObject, w.Indexes, t.Indexes, indexName,
		func(x schema.Index, n string) *schema.Index { x.Name = n; return &x },
		func(a, b *schema.Index) bool {
			return slices.Equal(a.Columns, b.Columns) && a.Unique == b.Unique && schema.NormalizeExpr(a.Where) == schema.NormalizeExpr(b.Where)
		})
	ops = append(ops, rops...)
	var wf []*schema.ForeignKey
	wf, rops = matchRenames(t.Key(), dialect.ForeignKeyObject, w.ForeignKeys, t.ForeignKeys, fkName,
		func(f schema.ForeignKey, n string) *schema.ForeignKey { f.Name = n; return &f },
		func(a, b *schema.ForeignKey) bool {
			return slices.Equal(a.Columns, b.Columns) && a.RefKey() == b.RefKey() && slices.Equal(a.RefColumns, b.RefColumns) &&
				a.OnDelete == b.OnDelete && a.OnUpdate == b.OnUpdate && a.Deferrable == b.Deferrable && a.InitiallyDeferred == b.InitiallyDeferred
		})
	ops = append(ops, rops...)
	if len(ops) > 0 {
		w = w.Clone()
		w.Uniques, w.Checks, w.Indexes, w.ForeignKeys = wu, wc, wx, wf
	}
	if (w.PrimaryKey == nil) != (t.PrimaryKey == nil) ||
		(w.PrimaryKey != nil && (w.PrimaryKey.Name != t.PrimaryKey.Name || !slices.Equal(w.PrimaryKey.Columns, t.PrimaryKey.Columns))) {
		if w.PrimaryKey != nil {
			pk := *w.PrimaryKey
			ops = append(ops, DropPrimaryKey{Table: t.Key(), PrimaryKey: &pk})
		}
		if t.PrimaryKey != nil {
			pk := *t.PrimaryKey
			ops = append(ops, AddPrimaryKey{Table: t.Key(), PrimaryKey: &pk})
		}
	}
	if w.Comment != t.Comment {
		ops = append(ops, SetTableComment{Table: t.Key(), Old: w.Comment, New: t.Comment})
	}
	diffNamed(w.Uniques, t.Uniques, uniqueName, func(a, b *schema.Unique) bool { return slices.Equal(a.Columns, b.Columns) },
		func(u *schema.Unique) { ops = append(ops, DropUnique{Table: t.Key(), Unique: u}) },
		func(u *schema.Unique) { ops = append(ops, AddUnique{Table: t.Key(), Unique: u}) }, nil)
	diffNamed(w.Checks, t.Checks, checkName, func(a, b *schema.Check) bool { return schema.NormalizeExpr(a.Expr) == schema.NormalizeExpr(b.Expr) },
		func(c *schema.Check) { ops = append(ops, DropCheck{Table: t.Key(), Check: c}) },
		func(c *schema.Check) { ops = append(ops, AddCheck{Table: t.Key(), Check: c}) }, nil)
	diffNamed(w.Indexes, t.Indexes, indexName, func(a, b *schema.Index) bool {
		return slices.Equal(a.Columns, b.Columns) && a.Unique == b.Unique && schema.NormalizeExpr(a.Where) == schema.NormalizeExpr(b.Where)
	},
		func(x *schema.Index) { ops = append(ops, DropIndex{Table: t.Key(), Index: x}) },
		func(x *schema.Index) { ops = append(ops, CreateIndex{Table: t.Key(), Index: x}) }, nil)
	sameFK := func(a, b *schema.ForeignKey) bool {
		return slices.Equal(a.Columns, b.Columns) && a.RefKey() == b.RefKey() && slices.Equal(a.RefColumns, b.RefColumns)
	}
	diffNamed(w.ForeignKeys, t.ForeignKeys, fkName, func(a, b *schema.ForeignKey) bool {
		return sameFK(a, b) && a.OnDelete == b.OnDelete && a.OnUpdate == b.OnUpdate &&
			a.Deferrable == b.Deferrable && a.InitiallyDeferred == b.InitiallyDeferred
	},
		func(f *schema.ForeignKey) { ops = append(ops, DropForeignKey{Table: t.Key(), ForeignKey: f}) },
		func(f *schema.ForeignKey) { ops = append(ops, AddForeignKey{Table: t.Key(), ForeignKey: f}) },
		func(a, b *schema.ForeignKey) bool {
			if !sameFK(a, b) {
				return false
			}
			// Actions and deferrability change by their own operations;
			// each leaves the other's attributes as they were.
			cur := *a
			if a.OnDelete != b.OnDelete || a.OnUpdate != b.OnUpdate {
				cur.OnDelete, cur.OnUpdate = b.OnDelete, b.OnUpdate
				next := cur
				ops = append(ops, AlterForeignKeyActions{Table: t.Key(), ForeignKey: &next, Old: Actions{a.OnDelete, a.OnUpdate}})
			}
			if a.Deferrable != b.Deferrable || a.InitiallyDeferred != b.InitiallyDeferred {
				next := cur
				next.Deferrable, next.InitiallyDeferred = b.Deferrable, b.InitiallyDeferred
				ops = append(ops, AlterForeignKeyDeferrability{Table: t.Key(), ForeignKey: &next, Old: Deferrability{a.Deferrable, a.InitiallyDeferred}})
			}
			return true
		})
	return ops, nil
}

// matchRenames pairs objects of w whose name is gone from t with objects
// of t whose name is new, when their definitions are the same; it returns
// w with those renamed and the rename operations.
func matchRenames[T any](table string, kind dialect.ObjectKind, w, t []*T, name func(*T) string, rename func(T, string) *T, same func(a, b *T) bool) ([]*T, []Op) {
	out := slices.Clone(w)
	var ops []Op
	used := map[int]bool{}
	has := func(l []*T, n string) bool { return slices.ContainsFunc(l, func(x *T) bool { return name(x) == n }) }
	for i, x := range w {
		if has(t, name(x)) {
			continue
		}
		for j, y := range t {
			if used[j] || has(w, name(y)) || !same(x, y) {
				continue
			}
			used[j] = true
			out[i] = rename(*x, name(y))
			ops = append(ops, RenameConstraint{Table: table, Kind: kind, From: name(x), To: name(y)})
			break
		}
	}
	return out, ops
}

// diffNamed compares two lists of named objects: removed ones are dropped,
// new ones added, changed ones altered in place by alter (if it can) or
// dropped and added again. Objects are copied.
func diffNamed[T any](w, t []*T, name func(*T) string, equal func(a, b *T) bool, drop, add func(*T), alter func(a, b *T) bool) {
	for _, x := range t {
		i := slices.IndexFunc(w, func(y *T) bool { return name(y) == name(x) })
		nx := *x
		if i < 0 {
			add(&nx)
			continue
		}
		if equal(w[i], x) {
			continue
		}
		ox := *w[i]
		if alter != nil && alter(&ox, &nx) {
			continue
		}
		drop(&ox)
		add(&nx)
	}
	for _, y := range w {
		if !slices.ContainsFunc(t, func(x *T) bool { return name(x) == name(y) }) {
			oy := *y
			drop(&oy)
		}
	}
}

// obj names a schema object in the planner's dependency graph.
type obj string

func tableObj(t string) obj    { return obj("table " + t) }
func colObj(t, c string) obj   { return obj("column " + t + "." + c) }
func keyObj(t, n string) obj   { return obj("key " + t + "." + n) }
func fkObj(t, n string) obj    { return obj("fk " + t + "." + n) }
func indexObj(t, n string) obj { return obj("index " + t + "." + n) }
func checkObj(t, n string) obj { return obj("check " + t + "." + n) }
func enumObj(n string) obj     { return obj("enum " + n) }
func colObjs(t string, cs []string) []obj {
	out := make([]obj, len(cs))
	for i, c := range cs {
		out[i] = colObj(t, c)
	}
	return out
}

// deps returns, for every object of m, what it needs: the constraint-level
// graph of [schema.DependencyGraph] refined to columns.
func deps(m *schema.MetaData) map[obj][]obj {
	d := map[obj][]obj{}
	for _, t := range m.Tables() {
		var cols []obj
		for _, c := range t.Columns {
			co := colObj(t.Key(), c.Name)
			cols = append(cols, co)
			d[co] = []obj{tableObj(t.Key())}
			if c.Type.Kind == schema.KindEnum && c.Type.EnumName != "" {
				d[co] = append(d[co], enumObj(c.Type.EnumName))
			}
		}
		if t.PrimaryKey != nil {
			d[keyObj(t.Key(), t.PrimaryKey.Name)] = colObjs(t.Key(), t.PrimaryKey.Columns)
		}
		for _, u := range t.Uniques {
			d[keyObj(t.Key(), u.Name)] = colObjs(t.Key(), u.Columns)
		}
		for _, x := range t.Indexes {
			d[indexObj(t.Key(), x.Name)] = colObjs(t.Key(), x.Columns)
		}
		for _, k := range t.Checks {
			d[checkObj(t.Key(), k.Name)] = slices.Clone(cols) // the expression may use any column
		}
		for _, f := range t.ForeignKeys {
			fd := colObjs(t.Key(), f.Columns)
			if ref := m.Table(f.RefKey()); ref != nil {
				if k, ok := ref.KeyFor(f.RefColumns); ok {
					fd = append(fd, keyObj(ref.Key(), k))
				}
				fd = append(fd, colObjs(ref.Key(), f.RefColumns)...)
			}
			d[fkObj(t.Key(), f.Name)] = fd
		}
	}
	return d
}

// owned lists the objects a table holds (the table itself first).
func owned(t *schema.Table) []obj {
	out := []obj{tableObj(t.Key())}
	for _, c := range t.Columns {
		out = append(out, colObj(t.Key(), c.Name))
	}
	if t.PrimaryKey != nil {
		out = append(out, keyObj(t.Key(), t.PrimaryKey.Name))
	}
	for _, u := range t.Uniques {
		out = append(out, keyObj(t.Key(), u.Name))
	}
	for _, x := range t.Indexes {
		out = append(out, indexObj(t.Key(), x.Name))
	}
	for _, k := range t.Checks {
		out = append(out, checkObj(t.Key(), k.Name))
	}
	for _, f := range t.ForeignKeys {
		out = append(out, fkObj(t.Key(), f.Name))
	}
	return out
}

// node is an operation in the ordering graph.
type node struct {
	op                       Op
	phase                    int
	table, name              string
	provides, removes, needs []obj
	// rename: what it removes lives on under a new name, so what depends
	// on it need not go first.
	rename bool
}

// The phases break ties: drops (most dependent first), then creates.
const (
	phDropFK = iota
	phDropIndex
	phDropCheck
	phDropUnique
	phDropColumn
	phDropTable
	phDropEnum
	phRenameConstraint
	phCreateEnum
	phCreateTable
	phAddColumn
	phAlterColumn
	phComment
	phAddUnique
	phAddCheck
	phCreateIndex
	phAddFK
	phAlterFK
)

func describe(op Op, want map[obj][]obj) node {
	n := node{op: op}
	needsOf := func(os ...obj) {
		for _, o := range os {
			n.needs = append(n.needs, want[o]...)
		}
	}
	switch o := op.(type) {
	case CreateEnum:
		n.phase, n.name, n.provides = phCreateEnum, o.Type.EnumName, []obj{enumObj(o.Type.EnumName)}
	case DropEnum:
		n.phase, n.name, n.removes = phDropEnum, o.Type.EnumName, []obj{enumObj(o.Type.EnumName)}
	case AlterEnum:
		// replaced in place: the columns using it follow, nothing need go first
		n.phase, n.name, n.rename = phCreateEnum, o.New.EnumName, true
		n.provides = []obj{enumObj(o.New.EnumName)}
		n.removes = n.provides
	case CreateTable:
		n.phase, n.table, n.provides = phCreateTable, o.Table.Key(), owned(o.Table)
		needsOf(n.provides...)
	case DropTable:
		n.phase, n.table, n.removes = phDropTable, o.Table.Key(), owned(o.Table)
	case AddColumn:
		n.phase, n.table, n.name = phAddColumn, o.Table, o.Column.Name
		n.provides = []obj{colObj(o.Table, o.Column.Name)}
		needsOf(n.provides...)
	case DropColumn:
		n.phase, n.table, n.name = phDropColumn, o.Table, o.Column.Name
		n.removes = []obj{colObj(o.Table, o.Column.Name)}
	case AlterColumn:
		n.phase, n.table, n.name = phAlterColumn, o.Table, o.New.Name
		n.provides = []obj{colObj(o.Table, o.New.Name)}
		n.removes = n.provides
		needsOf(n.provides...)
	case SetTableComment:
		n.phase, n.table = phComment, o.Table
	case RenameConstraint:
		n.phase, n.table, n.name, n.rename = phRenameConstraint, o.Table, o.To, true
		mk := map[dialect.ObjectKind]func(t, n string) obj{dialect.PrimaryKeyObject: keyObj, dialect.UniqueObject: keyObj,
			dialect.ForeignKeyObject: fkObj, dialect.CheckObject: checkObj, dialect.IndexObject: indexObj}[o.Kind]
		if mk != nil {
			n.removes = []obj{mk(o.Table, o.From)}
			n.provides = []obj{mk(o.Table, o.To)}
			needsOf(n.provides...)
		}
	case AddPrimaryKey:
		n.phase, n.table, n.name, n.provides = phAddUnique, o.Table, o.PrimaryKey.Name, []obj{keyObj(o.Table, o.PrimaryKey.Name)}
		needsOf(n.provides...)
	case DropPrimaryKey:
		n.phase, n.table, n.name, n.removes = phDropUnique, o.Table, o.PrimaryKey.Name, []obj{keyObj(o.Table, o.PrimaryKey.Name)}
	case AddUnique:
		n.phase, n.table, n.name, n.provides = phAddUnique, o.Table, o.Unique.Name, []obj{keyObj(o.Table, o.Unique.Name)}
		needsOf(n.provides...)
	case DropUnique:
		n.phase, n.table, n.name, n.removes = phDropUnique, o.Table, o.Unique.Name, []obj{keyObj(o.Table, o.Unique.Name)}
	case AddCheck:
		n.phase, n.table, n.name, n.provides = phAddCheck, o.Table, o.Check.Name, []obj{checkObj(o.Table, o.Check.Name)}
		needsOf(n.provides...)
	case DropCheck:
		n.phase, n.table, n.name, n.removes = phDropCheck, o.Table, o.Check.Name, []obj{checkObj(o.Table, o.Check.Name)}
	case CreateIndex:
		n.phase, n.table, n.name, n.provides = phCreateIndex, o.Table, o.Index.Name, []obj{indexObj(o.Table, o.Index.Name)}
		needsOf(n.provides...)
	case DropIndex:
		n.phase, n.table, n.name, n.removes = phDropIndex, o.Table, o.Index.Name, []obj{indexObj(o.Table, o.Index.Name)}
	case AddForeignKey:
		n.phase, n.table, n.name, n.provides = phAddFK, o.Table, o.ForeignKey.Name, []obj{fkObj(o.Table, o.ForeignKey.Name)}
		needsOf(n.provides...)
	case DropForeignKey:
		n.phase, n.table, n.name, n.removes = phDropFK, o.Table, o.ForeignKey.Name, []obj{fkObj(o.Table, o.ForeignKey.Name)}
	case AlterForeignKeyActions:
		n.phase, n.table, n.name = phAlterFK, o.Table, o.ForeignKey.Name
		n.provides = []obj{fkObj(o.Table, o.ForeignKey.Name)}
		n.removes = n.provides
		needsOf(n.provides...)
	case AlterForeignKeyDeferrability:
		// in place: nothing need go before or after it but the key itself
		n.phase, n.table, n.name, n.rename = phAlterFK, o.Table, o.ForeignKey.Name, true
		n.needs = []obj{fkObj(o.Table, o.ForeignKey.Name)}
	}
	return n
}

// graph builds the edges between nodes: after[i] lists the nodes i must
// follow.
func graph(nodes []node, have map[obj][]obj) [][]int {
	provider, remover := map[obj]int{}, map[obj]int{}
	for i, n := range nodes {
		for _, o := range n.provides {
			provider[o] = i
		}
		for _, o := range n.removes {
			remover[o] = i
		}
	}
	dependents := map[obj][]obj{}
	for o, ds := range have {
		for _, d := range ds {
			dependents[d] = append(dependents[d], o)
		}
	}
	after := make([][]int, len(nodes))
	dep := func(i, j int) {
		if i != j && !slices.Contains(after[i], j) {
			after[i] = append(after[i], j)
		}
	}
	for i, n := range nodes {
		for _, o := range n.needs {
			if p, ok := provider[o]; ok {
				dep(i, p) // created after what it needs
			}
		}
		for _, o := range n.removes {
			if n.rename {
				break
			}
			for _, d := range dependents[o] {
				if r, ok := remover[d]; ok && !nodes[r].rename {
					dep(i, r) // dropped after what needs it (a rename keeps it: no need)
				}
			}
		}
		for _, o := range n.provides {
			if r, ok := remover[o]; ok {
				dep(i, r) // replaced: the old one goes first
			}
		}
	}
	for i := range after {
		slices.Sort(after[i])
	}
	return after
}

func (n node) less(m node) int {
	if c := cmp.Compare(n.phase, m.phase); c != 0 {
		return c
	}
	if c := schema.CompareKeys(n.table, m.table); c != 0 {
		return c
	}
	return cmp.Compare(n.name, m.name)
}

// order sorts ops topologically, splitting off the foreign keys of cycles.
func order(work, want *schema.MetaData, ops []Op) ([]Op, error) {
	have, need := deps(work), deps(want)
	for range 3 {
		nodes := make([]node, len(ops))
		for i, op := range ops {
			nodes[i] = describe(op, need)
		}
		after := graph(nodes, have)
		sccs := cycles(after)
		if len(sccs) == 0 {
			return topo(nodes, after), nil
		}
		var err error
		if ops, err = breakCycles(ops, nodes, sccs, work, want); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("migrate: plan: operations depend on each other in a cycle that splitting foreign keys does not break")
}

// breakCycles splits the foreign keys whose referenced key is created (or
// dropped) by another operation of the same cycle out of CreateTable (and
// DropTable) operations.
func breakCycles(ops []Op, nodes []node, sccs [][]int, work, want *schema.MetaData) ([]Op, error) {
	in := map[int]int{} // node -> scc number + 1
	for k, c := range sccs {
		for _, i := range c {
			in[i] = k + 1
		}
	}
	provider, remover := map[obj]int{}, map[obj]int{}
	for i, n := range nodes {
		for _, o := range n.provides {
			provider[o] = i
		}
		for _, o := range n.removes {
			remover[o] = i
		}
	}
	refKey := func(m *schema.MetaData, f *schema.ForeignKey) obj {
		if ref := m.Table(f.RefKey()); ref != nil {
			if k, ok := ref.KeyFor(f.RefColumns); ok {
				return keyObj(ref.Key(), k)
			}
		}
		return ""
	}
	out := slices.Clone(ops)
	split := false
	for i, op := range ops {
		if in[i] == 0 {
			continue
		}
		switch o := op.(type) {
		case CreateTable:
			t := o.Table.Clone()
			var keep []*schema.ForeignKey
			for _, f := range t.ForeignKeys {
				if p, ok := provider[refKey(want, f)]; ok && p != i && in[p] == in[i] {
					out = append(out, AddForeignKey{Table: t.Key(), ForeignKey: f})
					split = true
					continue
				}
				keep = append(keep, f)
			}
			t.ForeignKeys = keep
			out[i] = CreateTable{Table: t}
		case DropTable:
			t := o.Table.Clone()
			var keep []*schema.ForeignKey
			for _, f := range t.ForeignKeys {
				if r, ok := remover[refKey(work, f)]; ok && r != i && in[r] == in[i] {
					out = append(out, DropForeignKey{Table: t.Key(), ForeignKey: f})
					split = true
					continue
				}
				keep = append(keep, f)
			}
			t.ForeignKeys = keep
			out[i] = DropTable{Table: t}
		}
	}
	if !split {
		var names []string
		for _, c := range sccs {
			for _, i := range c {
				names = append(names, nodes[i].op.String())
			}
		}
		return nil, fmt.Errorf("migrate: plan: operations depend on each other in a cycle: %s", strings.Join(names, "; "))
	}
	return out, nil
}

// cycles returns the strongly connected components with more than one
// operation, each sorted.
func cycles(after [][]int) [][]int {
	var out [][]int
	for _, comp := range graphs.Components(after) {
		if len(comp) > 1 {
			slices.Sort(comp)
			out = append(out, comp)
		}
	}
	return out
}

// topo is Kahn's algorithm taking, among the ready nodes, the least by
// phase, table and name.
func topo(nodes []node, after [][]int) []Op {
	waiting := make([]int, len(nodes))
	dependents := make([][]int, len(nodes))
	for i, a := range after {
		waiting[i] = len(a)
		for _, j := range a {
			dependents[j] = append(dependents[j], i)
		}
	}
	h := &nodeHeap{nodes: nodes}
	for i := range nodes {
		if waiting[i] == 0 {
			heap.Push(h, i)
		}
	}
	var out []Op
	for h.Len() > 0 {
		i := heap.Pop(h).(int)
		out = append(out, nodes[i].op)
		for _, j := range dependents[i] {
			if waiting[j]--; waiting[j] == 0 {
				heap.Push(h, j)
			}
		}
	}
	return out
}

type nodeHeap struct {
	nodes []node
	idx   []int
}

func (h *nodeHeap) Len() int { return len(h.idx) }
func (h *nodeHeap) Less(i, j int) bool {
	a, b := h.idx[i], h.idx[j]
	if c := h.nodes[a].less(h.nodes[b]); c != 0 {
		return c < 0
	}
	return a < b
}
func (h *nodeHeap) Swap(i, j int) { h.idx[i], h.idx[j] = h.idx[j], h.idx[i] }
func (h *nodeHeap) Push(x any)    { h.idx = append(h.idx, x.(int)) }
func (h *nodeHeap) Pop() any {
	n := h.idx[len(h.idx)-1]
	h.idx = h.idx[:len(h.idx)-1]
	return n
}
