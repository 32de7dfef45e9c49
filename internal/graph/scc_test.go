package graph

import (
	"fmt"
	"slices"
	"testing"
)

func TestComponents(t *testing.T) {
	// 0 -> 1 -> 2 -> 0 (a cycle), 3 -> 3 (a self-loop), 4 -> 0 (alone)
	after := [][]int{{1}, {2}, {0}, {3}, {0}}
	var got []string
	for _, c := range Components(after) {
		slices.Sort(c)
		got = append(got, fmt.Sprint(c))
	}
	slices.Sort(got)
	if want := "[[0 1 2] [3] [4]]"; fmt.Sprint(got) != want {
		t.Fatalf("components %v, want %s", got, want)
	}
}
