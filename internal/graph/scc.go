// Package graph holds graph algorithms shared by the schema planner and the
// migration planner, over nodes numbered 0..n-1.
package graph

// Components returns the strongly connected components of the graph whose
// node v has edges to after[v] (Tarjan's algorithm), every node in exactly
// one component, singletons included. Nodes are visited in index order and
// edges in the order given, so the result is deterministic; each component
// lists the node that closed it last.
func Components(after [][]int) [][]int {
	index, low := make([]int, len(after)), make([]int, len(after))
	for i := range index {
		index[i] = -1
	}
	onStack := make([]bool, len(after))
	var stack []int
	var out [][]int
	next := 0
	var visit func(v int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range after[v] {
			if index[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			out = append(out, comp)
		}
	}
	for i := range after {
		if index[i] < 0 {
			visit(i)
		}
	}
	return out
}
