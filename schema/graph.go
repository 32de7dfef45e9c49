package schema

import (
	"cmp"
	"container/heap"
	"github.com/strata-go/strata/internal/graph"
	"slices"
)

// NodeKind says what a dependency-graph node stands for.
type NodeKind uint8

// The node kinds, in the order ties between them are broken.
const (
	NodeEnum       NodeKind = iota + 1 // a named enum type
	NodeTable                          // a table with its columns
	NodeKey                            // a primary key or unique constraint
	NodeForeignKey                     // a foreign key constraint
	NodeIndex                          // an index
	NodeCheck                          // a check constraint
)

// Node identifies a schema object in a dependency [Graph]. Table is empty
// for enum types; Name is empty for tables.
type Node struct {
	Kind  NodeKind
	Table string
	Name  string
}

func compareNodes(a, b Node) int {
	if c := CompareKeys(a.Table, b.Table); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// Graph is a dependency graph between schema objects: an edge from a to b
// means a needs b to exist first (so b is created before a and dropped
// after it). The migration planner builds one over its operations; the
// create-all planner builds one over tables.
type Graph struct {
	deps  map[Node][]Node
	nodes []Node
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{deps: map[Node][]Node{}} }

// Add adds a node (idempotent).
func (g *Graph) Add(n Node) {
	if _, ok := g.deps[n]; !ok {
		g.deps[n] = nil
		g.nodes = append(g.nodes, n)
	}
}

// Depend records that a needs b; both are added if missing.
func (g *Graph) Depend(a, b Node) {
	g.Add(a)
	g.Add(b)
	if !slices.Contains(g.deps[a], b) {
		g.deps[a] = append(g.deps[a], b)
	}
}

// Deps returns what n depends on.
func (g *Graph) Deps(n Node) []Node { return g.deps[n] }

// Nodes returns every node in a deterministic order (sorted).
func (g *Graph) Nodes() []Node {
	out := slices.Clone(g.nodes)
	slices.SortFunc(out, compareNodes)
	return out
}

// Cycles returns the graph's strongly connected components that contain a
// cycle (more than one node, or a node depending on itself), each sorted,
// and the list sorted by first node. An edge lies on a cycle exactly when
// both its ends are in the same returned component.
func (g *Graph) Cycles() [][]Node {
	// Nodes and edges are numbered in sorted order, so the result does not
	// depend on insertion order.
	nodes := g.Nodes()
	num := make(map[Node]int, len(nodes))
	for i, n := range nodes {
		num[n] = i
	}
	after := make([][]int, len(nodes))
	for i, n := range nodes {
		deps := slices.Clone(g.deps[n])
		slices.SortFunc(deps, compareNodes)
		for _, d := range deps {
			after[i] = append(after[i], num[d])
		}
	}
	var out [][]Node
	for _, comp := range graph.Components(after) {
		if len(comp) == 1 && !slices.Contains(g.deps[nodes[comp[0]]], nodes[comp[0]]) {
			continue
		}
		c := make([]Node, len(comp))
		for i, v := range comp {
			c[i] = nodes[v]
		}
		slices.SortFunc(c, compareNodes)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b []Node) int { return compareNodes(a[0], b[0]) })
	return out
}

// Sort returns the nodes so that every node comes after what it depends on;
// among nodes that are ready at the same time the smallest (by table, kind,
// name) comes first, so the order is deterministic. It returns ok=false and
// no order if the graph has a cycle; remove the edges reported by Cycles
// first.
func (g *Graph) Sort() (order []Node, ok bool) {
	waiting := map[Node]int{}       // unmet dependency count
	dependents := map[Node][]Node{} // b -> nodes that need b
	for _, n := range g.nodes {
		for _, d := range g.deps[n] {
			if d == n {
				return nil, false
			}
			waiting[n]++
			dependents[d] = append(dependents[d], n)
		}
	}
	ready := &nodeHeap{}
	for _, n := range g.nodes {
		if waiting[n] == 0 {
			heap.Push(ready, n)
		}
	}
	for ready.Len() > 0 {
		n := heap.Pop(ready).(Node)
		order = append(order, n)
		for _, m := range dependents[n] {
			waiting[m]--
			if waiting[m] == 0 {
				heap.Push(ready, m)
			}
		}
	}
	if len(order) != len(g.nodes) {
		return nil, false
	}
	return order, true
}

type nodeHeap []Node

func (h nodeHeap) Len() int           { return len(h) }
func (h nodeHeap) Less(i, j int) bool { return compareNodes(h[i], h[j]) < 0 }
func (h nodeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)        { *h = append(*h, x.(Node)) }
func (h *nodeHeap) Pop() any {
	old := *h
	n := old[len(old)-1]
	*h = old[:len(old)-1]
	return n
}

// DependencyGraph returns the constraint-level dependency graph of m: each
// key, foreign key, index and check depends on its table; a foreign key also
// depends on the exact primary key or unique constraint it references; a
// table with an enum column depends on the enum. Foreign keys are leaves, so
// this graph never has a cycle; cycles appear when foreign keys are created
// inline with their tables, which [PlanCreate] handles.
func DependencyGraph(m *MetaData) *Graph {
	g := NewGraph()
	for _, t := range m.Tables() {
		tn := Node{Kind: NodeTable, Table: t.Key()}
		g.Add(tn)
		for _, c := range t.Columns {
			if c.Type.Kind == KindEnum {
				g.Depend(tn, Node{Kind: NodeEnum, Name: c.Type.EnumName})
			}
		}
		if t.PrimaryKey != nil {
			g.Depend(Node{Kind: NodeKey, Table: t.Key(), Name: t.PrimaryKey.Name}, tn)
		}
		for _, u := range t.Uniques {
			g.Depend(Node{Kind: NodeKey, Table: t.Key(), Name: u.Name}, tn)
		}
		for _, x := range t.Indexes {
			g.Depend(Node{Kind: NodeIndex, Table: t.Key(), Name: x.Name}, tn)
		}
		for _, c := range t.Checks {
			g.Depend(Node{Kind: NodeCheck, Table: t.Key(), Name: c.Name}, tn)
		}
		for _, f := range t.ForeignKeys {
			fn := Node{Kind: NodeForeignKey, Table: t.Key(), Name: f.Name}
			g.Depend(fn, tn)
			if ref := m.Table(f.RefKey()); ref != nil {
				if key, ok := ref.KeyFor(f.RefColumns); ok {
					g.Depend(fn, Node{Kind: NodeKey, Table: ref.Key(), Name: key})
				}
			}
		}
	}
	return g
}

// TableFK is a foreign key together with the table that holds it.
type TableFK struct {
	Table *Table
	FK    *ForeignKey
}

// CreatePlan is the order in which to create a set of tables: enum types
// first, then Tables in order, each with its primary key, unique and check
// constraints and the foreign keys not listed in Deferred; then the Deferred
// foreign keys (those on a cycle between tables) by ALTER TABLE; then
// indexes. Dropping runs the plan backwards: deferred foreign keys first,
// then tables in reverse order, then enum types.
type CreatePlan struct {
	Enums    []Type
	Tables   []*Table
	Deferred []TableFK
}

// IsDeferred reports whether fk of table t is created by a later ALTER.
func (p *CreatePlan) IsDeferred(t *Table, fk *ForeignKey) bool {
	for _, d := range p.Deferred {
		if d.Table == t && d.FK == fk {
			return true
		}
	}
	return false
}

// PlanCreate orders m's tables by their foreign keys. Ties are broken by
// table name. A self-referencing foreign key stays inline. Foreign keys
// between tables of one cycle are deferred when deferCycles is true (the
// dialect can add a foreign key by ALTER TABLE); when it is false they stay
// inline and the cyclic tables are created in name order, which is valid
// only where the database accepts a foreign key to a table that does not
// exist yet (SQLite).
func PlanCreate(m *MetaData, deferCycles bool) (*CreatePlan, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	g := NewGraph()
	tables := m.Tables()
	node := func(name string) Node { return Node{Kind: NodeTable, Table: name} }
	for _, t := range tables {
		g.Add(node(t.Key()))
		for _, f := range t.ForeignKeys {
			if f.RefKey() != t.Key() {
				g.Depend(node(t.Key()), node(f.RefKey()))
			}
		}
	}
	plan := &CreatePlan{Enums: m.Enums()}
	comp := map[string]int{}
	for i, c := range g.Cycles() {
		for _, n := range c {
			comp[n.Table] = i + 1
		}
	}
	// Rebuild without the edges on a cycle.
	acyclic := NewGraph()
	for _, t := range tables {
		acyclic.Add(node(t.Key()))
		for _, f := range t.ForeignKeys {
			if f.RefKey() == t.Key() {
				continue
			}
			if c := comp[t.Key()]; c != 0 && c == comp[f.RefKey()] {
				if deferCycles {
					plan.Deferred = append(plan.Deferred, TableFK{Table: t, FK: f})
				}
				continue
			}
			acyclic.Depend(node(t.Key()), node(f.RefKey()))
		}
	}
	order, ok := acyclic.Sort()
	if !ok {
		panic("schema: cycle left after removing cycle edges") // unreachable: every cyclic edge was removed
	}
	for _, n := range order {
		plan.Tables = append(plan.Tables, m.Table(n.Table))
	}
	slices.SortFunc(plan.Deferred, func(a, b TableFK) int {
		if c := cmp.Compare(a.Table.Key(), b.Table.Key()); c != 0 {
			return c
		}
		return cmp.Compare(a.FK.Name, b.FK.Name)
	})
	return plan, nil
}
