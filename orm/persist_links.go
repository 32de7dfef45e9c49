package orm

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
)

// Rows written for relationships: association rows of many-to-many
// relationships, and the keys of row cycles (post_update).

// pairSteps plans the secondary tables' writes: removed pairs (and every
// pair of deleted owners whose list was not loaded) first, then new pairs.
// They run after the inserts, so generated keys are known, and before the
// deletes of either side.
func pairSteps(rp *relPlan) []action {
	var out []action
	byRel := func(list []pair) ([]*relation, map[*relation][]pair) {
		var order []*relation
		m := map[*relation][]pair{}
		for _, p := range list {
			if m[p.rel] == nil {
				order = append(order, p.rel)
			}
			m[p.rel] = append(m[p.rel], p)
		}
		return order, m
	}
	for _, l := range rp.dropAll {
		out = append(out, &dropPairs{cost: cost{n: 1}, l: l})
	}
	rels, del := byRel(rp.pairDel)
	for _, rel := range rels {
		for _, chunk := range chunks(del[rel], maxBatchRows) {
			out = append(out, &linkPairs{cost: cost{n: 1}, rel: rel, pairs: chunk})
		}
	}
	rels, add := byRel(rp.pairAdd)
	for _, rel := range rels {
		for _, chunk := range chunks(add[rel], maxBatchRows) {
			out = append(out, &linkPairs{cost: cost{n: 1}, rel: rel, pairs: chunk, add: true})
		}
	}
	return out
}

// dropPairs deletes every association row of an owner whose list was not
// loaded (the owner is deleted).
type dropPairs struct {
	cost
	l link
}

func (a *dropPairs) String() string {
	return fmt.Sprintf("delete every %s row of a deleted %s", a.l.rel.secondary.Name, a.l.rel.owner.Type.Name())
}

func (a *dropPairs) stmt() expr.Statement {
	rel := a.l.rel
	tr := tref(rel.secondary)
	var ands []expr.Expr
	for i, c := range rel.secLocal {
		ands = append(ands, expr.Eq(tr.C(c), rel.ownerRef[i].valueAt(a.l.parent.ptr)))
	}
	return expr.Delete(tr).Where(ands...)
}

func (a *dropPairs) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	return buildAll(d, a.stmt())
}

func (a *dropPairs) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	_, err := engine.ExecStmt(ctx, ex, a.stmt())
	return err
}

// linkPairs inserts (add) or deletes association rows of a many-to-many
// relationship.
type linkPairs struct {
	cost
	rel   *relation
	pairs []pair
	add   bool
}

func (a *linkPairs) String() string {
	verb := "delete"
	if a.add {
		verb = "insert"
	}
	return fmt.Sprintf("%s %s of %s", verb, rowsWord(len(a.pairs)), a.rel.secondary.Name)
}

func (a *linkPairs) stmt() expr.Statement {
	rel := a.rel
	tr := tref(rel.secondary)
	if a.add {
		ins := expr.Insert(tr).Columns(append(slices.Clone(rel.secLocal), rel.secRemote...)...)
		for _, p := range a.pairs {
			var vals []any
			for _, f := range rel.ownerRef {
				vals = append(vals, f.valueAt(p.a))
			}
			for _, f := range rel.targetRef {
				vals = append(vals, f.valueAt(p.b))
			}
			ins.Values(vals...)
		}
		return ins
	}
	ors := make([]expr.Expr, len(a.pairs))
	for i, p := range a.pairs {
		var ands []expr.Expr
		for j, c := range rel.secLocal {
			ands = append(ands, expr.Eq(tr.C(c), rel.ownerRef[j].valueAt(p.a)))
		}
		for j, c := range rel.secRemote {
			ands = append(ands, expr.Eq(tr.C(c), rel.targetRef[j].valueAt(p.b)))
		}
		ors[i] = expr.And(ands...)
	}
	return expr.Delete(tr).Where(expr.Or(ors...))
}

func (a *linkPairs) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	return buildAll(d, a.stmt())
}

func (a *linkPairs) run(ctx context.Context, ex engine.Executor, _ *undo) error {
	_, err := engine.ExecStmt(ctx, ex, a.stmt())
	return err
}

// postSteps sets post_update keys once the inserts have run: one UPDATE
// per relationship (a keyed multi-row UPDATE for several rows).
func postSteps(rp *relPlan) []action {
	// every post_update key of one row in one UPDATE; rows setting the same
	// keys in one keyed multi-row UPDATE
	type group struct {
		m    *Mapper
		rels []*relation
		rows []postRow
	}
	var groups []*group
	var order []*state
	sets := map[*state][]link{}
	for _, l := range rp.post {
		if l.child.status == Deleted {
			continue
		}
		if sets[l.child] == nil {
			order = append(order, l.child)
		}
		sets[l.child] = append(sets[l.child], l)
	}
	for _, c := range order {
		ls := sets[c]
		slices.SortStableFunc(ls, func(a, b link) int { return slices.Index(c.m.rels, a.rel) - slices.Index(c.m.rels, b.rel) })
		var g *group
		for _, x := range groups {
			if x.m == c.m && slices.EqualFunc(x.rels, ls, func(r *relation, l link) bool { return r == l.rel }) {
				g = x
				break
			}
		}
		if g == nil {
			g = &group{m: c.m}
			for _, l := range ls {
				g.rels = append(g.rels, l.rel)
			}
			groups = append(groups, g)
		}
		row := postRow{child: c}
		for _, l := range ls {
			row.parents = append(row.parents, l.parent)
		}
		g.rows = append(g.rows, row)
	}
	var out []action
	for _, g := range groups {
		out = append(out, &postLinks{cost: cost{n: 1, check: len(g.rows) > 1}, m: g.m, rels: g.rels, rows: g.rows})
	}
	return out
}

// postRow is one row's post_update keys: the parent each relationship of
// the action points at (nil clears the key).
type postRow struct {
	child   *state
	parents []*state
}

// postLinks sets (or clears) the post_update keys of rows: the UPDATE
// that closes row cycles, one per row and set of keys.
type postLinks struct {
	cost
	m    *Mapper
	rels []*relation
	rows []postRow
}

func (a *postLinks) String() string {
	var cols []*Field
	for _, r := range a.rels {
		cols = append(cols, r.fk...)
	}
	return fmt.Sprintf("update %s of %s set (%s) (post_update)", rowsWord(len(a.rows)), a.m.Table.Name, columnList(cols))
}

func (a *postLinks) commands(d dialect.Dialect, u *undo) ([]command, error) {
	stmt, _, err := postUpdateStmt(a.m, a.rels, a.rows, u)
	if err != nil {
		return nil, err
	}
	return buildAll(d, stmt)
}

func (a *postLinks) run(ctx context.Context, ex engine.Executor, u *undo) error {
	m := a.m
	stmt, rows, err := postUpdateStmt(m, a.rels, a.rows, u)
	if err != nil {
		return err
	}
	res, err := engine.ExecStmt(ctx, ex, stmt)
	if err != nil {
		return err
	}
	if res.RowsAffected != int64(len(rows)) {
		return newStaleBatch("UPDATE", m, rows)
	}
	if back := serverOnUpdateFields(m); len(back) > 0 {
		states := make([]*state, len(rows))
		for i, r := range rows {
			states[i] = r.st
		}
		return selectBack(ctx, ex, m, back, states, u)
	}
	return nil
}

// postUpdateStmt sets the rows' post_update keys, onupdate values and
// next versions in the objects (through u) and builds their UPDATE. It is
// an UPDATE like any other: it runs the onupdate rules, checks the
// version the row holds now (after this flush's own UPDATE of it, if any)
// and bumps it.
func postUpdateStmt(m *Mapper, rels []*relation, prs []postRow, u *undo) (expr.Statement, []updateRow, error) {
	var set []*Field
	for _, rel := range rels {
		set = append(set, rel.fk...)
	}
	nkeys := len(set)
	for _, f := range m.Fields {
		if f.OnUpdate != nil && !slices.Contains(set, f) {
			set = append(set, f)
		}
	}
	rows := make([]updateRow, len(prs))
	for j, pr := range prs {
		ptr := pr.child.ptr
		for k, rel := range rels {
			parent := pr.parents[k]
			for i, f := range rel.fk {
				if parent == nil {
					u.set(f, ptr, reflect.Zero(f.Type))
					continue
				}
				v, err := keyValueFor(f.Type, rel.ref[i].rv(parent.ptr))
				if err != nil {
					return nil, nil, err
				}
				u.set(f, ptr, v)
			}
		}
		for _, f := range set[nkeys:] {
			u.set(f, ptr, reflect.ValueOf(f.OnUpdate()).Convert(f.Type))
		}
		rows[j] = updateRow{st: pr.child, set: set}
		if v := m.Version; v != nil && m.appVersion {
			rows[j].old = v.rv(ptr).Interface() // matched, not bumped
		} else if v != nil {
			cur := v.rv(ptr)
			rows[j].old = cur.Interface()
			u.set(v, ptr, nextVersion(cur))
		}
	}
	if m.Version != nil && !m.appVersion {
		set = append(set, m.Version)
	}
	tr := tref(m.Table)
	var stmt expr.Statement
	if len(rows) == 1 {
		up := expr.Update(tr)
		ptr := rows[0].st.ptr
		for _, f := range set {
			up.Set(f.Column.Name, f.valueAt(ptr))
		}
		for _, f := range m.PK {
			up.Where(expr.Eq(tr.C(f.Column.Name), f.valueAt(ptr)))
		}
		if m.Version != nil {
			up.Where(expr.Eq(tr.C(m.Version.Column.Name), rows[0].old))
		}
		stmt = up
	} else {
		var match []*Field
		if m.Version != nil {
			match = []*Field{m.Version}
		}
		ur := keyedUpdate(m, set, match)
		for _, r := range rows {
			vals := keyValues(m, r.st.ptr)
			for _, f := range set {
				vals = append(vals, f.valueAt(r.st.ptr))
			}
			if m.Version != nil {
				vals = append(vals, r.old)
			}
			ur.Row(vals...)
		}
		stmt = ur
	}
	return stmt, rows, nil
}

// preNullSteps clears post_update keys before the deletes.
func preNullSteps(rp *relPlan) []action {
	var out []action
	byChild := map[*state]*clearLink{}
	for _, l := range rp.preNull {
		if c := byChild[l.child]; c != nil {
			if !slices.Contains(c.rels, l.rel) {
				c.rels = append(c.rels, l.rel)
			}
			continue
		}
		c := &clearLink{cost: cost{n: 1}, child: l.child, rels: []*relation{l.rel}}
		byChild[l.child] = c
		out = append(out, c)
	}
	return out
}

// clearLink sets a row's post_update keys to NULL before the deletes, so
// that the rows of a cycle can go: one UPDATE per row.
type clearLink struct {
	cost
	child *state
	rels  []*relation
}

func (a *clearLink) fields() []*Field {
	var fs []*Field
	for _, r := range a.rels {
		fs = append(fs, r.fk...)
	}
	return fs
}

func (a *clearLink) String() string {
	return fmt.Sprintf("clear %s.(%s) of 1 row (post_update)", a.child.m.Table.Name, columnList(a.fields()))
}

func (a *clearLink) stmt() expr.Statement {
	m := a.child.m
	tr := tref(m.Table)
	up := expr.Update(tr)
	for _, f := range a.fields() {
		up.Set(f.Column.Name, nil)
	}
	for _, f := range m.PK {
		up.Where(expr.Eq(tr.C(f.Column.Name), f.valueAt(a.child.ptr)))
	}
	return up
}

func (a *clearLink) commands(d dialect.Dialect, _ *undo) ([]command, error) {
	return buildAll(d, a.stmt())
}

func (a *clearLink) run(ctx context.Context, ex engine.Executor, u *undo) error {
	if _, err := engine.ExecStmt(ctx, ex, a.stmt()); err != nil {
		return err
	}
	if a.child.status != Deleted {
		for _, f := range a.fields() {
			u.set(f, a.child.ptr, reflect.Zero(f.Type))
		}
	}
	return nil
}
