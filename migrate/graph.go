package migrate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-go/strata/schema"
)

// ErrMultipleHeads is returned when "head" is asked for but the graph has
// several heads (branches not merged yet).
var ErrMultipleHeads = errors.New("migrate: multiple head revisions; merge them or name one")

// ErrUnknownRevision is returned for a revision id (or prefix) that the
// graph does not hold.
var ErrUnknownRevision = errors.New("migrate: unknown revision")

// Graph is the revision graph: each revision names its parents (several
// for a merge revision) and may depend on revisions of other branches
// (depends_on), which are applied before it without being its parents.
// Heads are the revisions no other revision has as parent; bases have no
// parents.
type Graph struct {
	revs     map[string]*Revision
	order    []*Revision // topological: parents and dependencies first, ties by id
	children map[string][]string
}

// NewGraph checks that ids are unique, that every parent and dependency
// exists and that there is no cycle.
func NewGraph(revs []*Revision) (*Graph, error) {
	g := &Graph{revs: map[string]*Revision{}, children: map[string][]string{}}
	for _, r := range revs {
		if _, dup := g.revs[r.ID]; dup {
			return nil, fmt.Errorf("migrate: revision %s defined twice", r.ID)
		}
		g.revs[r.ID] = r
	}
	for _, r := range revs {
		for _, p := range r.Parents {
			if g.revs[p] == nil {
				return nil, fmt.Errorf("%w: %s, parent of %s", ErrUnknownRevision, p, r.ID)
			}
			g.children[p] = append(g.children[p], r.ID)
		}
		for _, p := range r.DependsOn {
			if g.revs[p] == nil {
				return nil, fmt.Errorf("%w: %s, dependency of %s", ErrUnknownRevision, p, r.ID)
			}
		}
	}
	// Kahn's algorithm, smallest id first among the ready ones.
	waiting := map[string]int{}
	dependents := map[string][]string{}
	for _, r := range revs {
		for _, p := range r.requires() {
			waiting[r.ID]++
			dependents[p] = append(dependents[p], r.ID)
		}
	}
	var ready []string
	for id := range g.revs {
		if waiting[id] == 0 {
			ready = append(ready, id)
		}
	}
	for len(ready) > 0 {
		slices.Sort(ready)
		id := ready[0]
		ready = ready[1:]
		g.order = append(g.order, g.revs[id])
		for _, c := range dependents[id] {
			if waiting[c]--; waiting[c] == 0 {
				ready = append(ready, c)
			}
		}
	}
	if len(g.order) != len(g.revs) {
		var stuck []string
		for id, n := range waiting {
			if n > 0 {
				stuck = append(stuck, id)
			}
		}
		slices.Sort(stuck)
		return nil, fmt.Errorf("migrate: revisions form a cycle: %s", strings.Join(stuck, ", "))
	}
	// Snapshots recorded as a digest are rebuilt, parents first.
	for _, r := range g.order {
		if r.Snapshot != nil {
			continue
		}
		before, err := g.SchemaBefore(r)
		if err != nil {
			return nil, err
		}
		if err := r.replaySnapshot(before); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (r *Revision) requires() []string {
	out := slices.Clone(r.Parents)
	for _, d := range r.DependsOn {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// Revision returns the revision with this id, or nil.
func (g *Graph) Revision(id string) *Revision { return g.revs[id] }

// Len is the number of revisions.
func (g *Graph) Len() int { return len(g.revs) }

// Ordered returns every revision, parents and dependencies before
// children, ties broken by id.
func (g *Graph) Ordered() []*Revision { return slices.Clone(g.order) }

// Heads returns the ids of the revisions that are nobody's parent, sorted.
func (g *Graph) Heads() []string {
	var out []string
	for id := range g.revs {
		if len(g.children[id]) == 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Bases returns the ids of the revisions without parents, sorted.
func (g *Graph) Bases() []string {
	var out []string
	for id, r := range g.revs {
		if len(r.Parents) == 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Resolve turns a target into revision ids: "head" (the single head, or
// ErrMultipleHeads), "heads" (every head), "base" (none), a revision id,
// or a unique prefix of one.
func (g *Graph) Resolve(target string) ([]string, error) {
	switch target {
	case "heads":
		return g.Heads(), nil
	case "head":
		h := g.Heads()
		if len(h) > 1 {
			return nil, fmt.Errorf("%w: %s", ErrMultipleHeads, strings.Join(h, ", "))
		}
		return h, nil
	case "base":
		return nil, nil
	}
	if g.revs[target] != nil {
		return []string{target}, nil
	}
	var match []string
	for id := range g.revs {
		if strings.HasPrefix(id, target) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 1:
		return match, nil
	case 0:
		return nil, fmt.Errorf("%w: %q", ErrUnknownRevision, target)
	}
	slices.Sort(match)
	return nil, fmt.Errorf("migrate: revision prefix %q is ambiguous: %s", target, strings.Join(match, ", "))
}

// Ancestors returns ids and everything they need (parents and
// dependencies, transitively), ids included.
func (g *Graph) Ancestors(ids ...string) map[string]bool {
	out := map[string]bool{}
	var visit func(string)
	visit = func(id string) {
		if out[id] {
			return
		}
		out[id] = true
		for _, p := range g.revs[id].requires() {
			visit(p)
		}
	}
	for _, id := range ids {
		visit(id)
	}
	return out
}

// SchemaBefore returns the schema a revision's upgrade starts from: empty
// for a base, the parent's snapshot, or for a merge the three-way merge of
// its parents' snapshots over their nearest common ancestors: a table
// changed (or dropped, or added) on one branch only takes that branch's
// definition; a table changed differently on two branches is an error
// (resolve it in a revision on one branch first).
func (g *Graph) SchemaBefore(r *Revision) (*schema.MetaData, error) {
	if len(r.Parents) == 0 {
		return schema.NewMetaData(), nil
	}
	if len(r.Parents) == 1 {
		return g.revs[r.Parents[0]].Snapshot.Clone(), nil
	}
	base, err := g.commonBase(r.Parents)
	if err != nil {
		return nil, err
	}
	out := g.revs[r.Parents[0]].Snapshot
	for _, p := range r.Parents[1:] {
		if out, err = merge3(base, out, g.revs[p].Snapshot); err != nil {
			return nil, fmt.Errorf("migrate: revision %s merges %s: %w", r.ID, strings.Join(r.Parents, ", "), err)
		}
	}
	return out.Clone(), nil
}

// commonBase is the schema at the nearest common ancestors of ids.
func (g *Graph) commonBase(ids []string) (*schema.MetaData, error) {
	common := g.Ancestors(ids[0])
	for _, id := range ids[1:] {
		anc := g.Ancestors(id)
		for c := range common {
			if !anc[c] {
				delete(common, c)
			}
		}
	}
	var nearest []string
	for c := range common {
		below := false
		for o := range common {
			if o != c && g.Ancestors(o)[c] {
				below = true // c is an ancestor of another common ancestor
			}
		}
		if !below {
			nearest = append(nearest, c)
		}
	}
	slices.Sort(nearest)
	switch len(nearest) {
	case 0:
		return schema.NewMetaData(), nil
	case 1:
		return g.revs[nearest[0]].Snapshot, nil
	}
	return g.SchemaBefore(&Revision{ID: "(common)", Parents: nearest})
}

// merge3 merges the schemas a and b that both derive from base, table by
// table.
func merge3(base, a, b *schema.MetaData) (*schema.MetaData, error) {
	same := func(x, y *schema.Table) bool {
		if x == nil || y == nil {
			return x == y
		}
		ops, err := diffTable(x, y)
		return err == nil && len(ops) == 0
	}
	names := map[string]bool{}
	for _, m := range []*schema.MetaData{base, a, b} {
		for _, t := range m.Tables() {
			names[t.Key()] = true
		}
	}
	out := schema.NewMetaData()
	for _, n := range sortedKeys(names) {
		t0, ta, tb := base.Table(n), a.Table(n), b.Table(n)
		var pick *schema.Table
		switch {
		case same(ta, t0):
			pick = tb
		case same(tb, t0), same(ta, tb):
			pick = ta
		default:
			return nil, fmt.Errorf("table %s is changed on both branches", n)
		}
		if pick != nil {
			if err := out.Add(pick.Clone()); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// HeadSchema is the schema at the single head, what autogenerate compares
// the models with; an empty schema when there are no revisions.
func (g *Graph) HeadSchema() (*schema.MetaData, []string, error) {
	h, err := g.Resolve("head")
	if err != nil {
		return nil, nil, err
	}
	if len(h) == 0 {
		return schema.NewMetaData(), nil, nil
	}
	return g.revs[h[0]].Snapshot, h, nil
}

// Merge returns a revision joining the given heads: no operations, and as
// snapshot the union of theirs (see SchemaBefore).
func (g *Graph) Merge(id, message string, heads []string) (*Revision, error) {
	if len(heads) < 2 {
		return nil, fmt.Errorf("migrate: merge needs at least two revisions, got %d", len(heads))
	}
	for _, h := range heads {
		if g.revs[h] == nil {
			return nil, fmt.Errorf("%w: %s", ErrUnknownRevision, h)
		}
	}
	r := &Revision{ID: id, Parents: slices.Sorted(slices.Values(heads)), Message: message}
	snap, err := g.SchemaBefore(r)
	if err != nil {
		return nil, err
	}
	r.Snapshot = snap
	return r, nil
}

// History lists the revisions newest first, one line each:
// "<id> <- <parents> (head|merge|base) message".
func (g *Graph) History() []string {
	heads := g.Heads()
	var out []string
	for i := len(g.order) - 1; i >= 0; i-- {
		r := g.order[i]
		var tags []string
		if slices.Contains(heads, r.ID) {
			tags = append(tags, "head")
		}
		if len(r.Parents) > 1 {
			tags = append(tags, "merge")
		}
		if len(r.Parents) == 0 {
			tags = append(tags, "base")
		}
		line := strings.Join(r.Parents, ", ")
		if line == "" {
			line = "<base>"
		}
		line += " -> " + r.ID
		if len(tags) > 0 {
			line += " (" + strings.Join(tags, ", ") + ")"
		}
		if len(r.DependsOn) > 0 {
			line += " depends on " + strings.Join(r.DependsOn, ", ")
		}
		out = append(out, line+", "+r.Message)
	}
	return out
}

// Verify checks every revision against its snapshot without a database:
// the upgrade applied to the schema before it must give its snapshot, and
// the downgrade applied to the snapshot must give the schema before it
// (raw SQL and Go steps are opaque and count as no schema change). It
// returns one [*VerifyError] per revision that does not (with the
// operations still to do), or an error saying why the schema before a
// revision cannot be built; a hand-edited revision whose snapshot was not
// updated shows here.
func (g *Graph) Verify() []error {
	var out []error
	for _, r := range g.order {
		before, err := g.SchemaBefore(r)
		if err != nil {
			out = append(out, fmt.Errorf("revision %s: %w", r.ID, err))
			continue
		}
		if err := r.verify(before); err != nil {
			out = append(out, err)
		}
	}
	return out
}
