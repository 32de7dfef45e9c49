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
	tr := expr.T(rel.secondary.Name)
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
	tr := expr.T(rel.secondary.Name)
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
	byRel := map[*relation][]link{}
	var rels []*relation
	for _, l := range rp.post {
		if l.child.status == Deleted {
			continue
		}
		if byRel[l.rel] == nil {
			rels = append(rels, l.rel)
		}
		byRel[l.rel] = append(byRel[l.rel], l)
	}
	var out []action
	for _, rel := range rels {
		links := byRel[rel]
		out = append(out, &postLinks{cost: cost{n: 1, check: len(links) > 1}, rel: rel, links: links})
	}
	return out
}

// postLinks sets (or clears) the post_update keys of rows: the UPDATE
// that closes a row cycle.
type postLinks struct {
	cost
	rel   *relation
	links []link
}

func (a *postLinks) String() string {
	return fmt.Sprintf("update %s of %s set (%s) (post_update)", rowsWord(len(a.links)), a.rel.child.Table.Name, columnList(a.rel.fk))
}

func (a *postLinks) commands(d dialect.Dialect, u *undo) ([]command, error) {
	stmt, _, err := postUpdateStmt(a.rel, a.links, u)
	if err != nil {
		return nil, err
	}
	return buildAll(d, stmt)
}

func (a *postLinks) run(ctx context.Context, ex engine.Executor, u *undo) error {
	return postUpdate(ctx, ex, a.rel, a.links, u)
}

// postUpdate sets (or clears) the post_update keys of links' rows: one
// UPDATE, keyed and multi-row for several. It is an UPDATE like any other:
// it runs the onupdate rules, checks the version the row holds now (after
// this flush's own UPDATE of it, if any) and bumps it, and reads back
// server-onupdate columns.
func postUpdate(ctx context.Context, ex engine.Executor, rel *relation, links []link, u *undo) error {
	m := rel.child
	stmt, rows, err := postUpdateStmt(rel, links, u)
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

// postUpdateStmt sets the links' keys, onupdate values and next versions
// in the objects (through u) and builds their UPDATE.
func postUpdateStmt(rel *relation, links []link, u *undo) (expr.Statement, []updateRow, error) {
	m := rel.child
	set := slices.Clone(rel.fk)
	for _, f := range m.Fields {
		if f.OnUpdate != nil && !slices.Contains(set, f) {
			set = append(set, f)
		}
	}
	rows := make([]updateRow, len(links))
	for j, l := range links {
		ptr := l.child.ptr
		for i, f := range rel.fk {
			if l.parent == nil {
				u.set(f, ptr, reflect.Zero(f.Type))
				continue
			}
			v, err := keyValueFor(f.Type, rel.ref[i].rv(l.parent.ptr))
			if err != nil {
				return nil, nil, err
			}
			u.set(f, ptr, v)
		}
		for _, f := range set[len(rel.fk):] {
			u.set(f, ptr, reflect.ValueOf(f.OnUpdate()).Convert(f.Type))
		}
		rows[j] = updateRow{st: l.child, set: set}
		if v := m.Version; v != nil && m.appVersion {
			rows[j].old = v.rv(ptr).Interface() // matched, not bumped
		} else if v != nil {
			cur := v.rv(ptr)
			rows[j].old = cur.Interface()
			next := reflect.New(v.Type).Elem()
			if cur.CanInt() {
				next.SetInt(cur.Int() + 1)
			} else {
				next.SetUint(cur.Uint() + 1)
			}
			u.set(v, ptr, next)
		}
	}
	if m.Version != nil && !m.appVersion {
		set = append(set, m.Version)
	}
	tr := expr.T(m.Table.Name)
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
	for _, l := range rp.preNull {
		out = append(out, &clearLink{cost: cost{n: 1}, l: l})
	}
	return out
}

// clearLink sets a post_update key to NULL before the deletes, so that the
// rows of a cycle can go.
type clearLink struct {
	cost
	l link
}

func (a *clearLink) String() string {
	return fmt.Sprintf("clear %s.%s of 1 row (post_update)", a.l.child.m.Table.Name, columnList(a.l.rel.fk))
}

func (a *clearLink) stmt() expr.Statement {
	m, rel := a.l.child.m, a.l.rel
	tr := expr.T(m.Table.Name)
	up := expr.Update(tr)
	for _, f := range rel.fk {
		up.Set(f.Column.Name, nil)
	}
	for _, f := range m.PK {
		up.Where(expr.Eq(tr.C(f.Column.Name), f.valueAt(a.l.child.ptr)))
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
	if a.l.child.status != Deleted {
		for _, f := range a.l.rel.fk {
			u.set(f, a.l.child.ptr, reflect.Zero(f.Type))
		}
	}
	return nil
}
