package orm

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// The plan orders inserts, updates and deletes by their mapper's rank with
// a counting sort; it must give what a stable sort by rank gives, mappers
// of equal rank (two mappers of one table) included.
func TestSortByRankIsAStableSortByRank(t *testing.T) {
	mappers := make([]*Mapper, 5)
	for i := range mappers {
		mappers[i] = &Mapper{}
	}
	rank := map[*Mapper]int{mappers[0]: 3, mappers[1]: 1, mappers[2]: 3, mappers[3]: 0, mappers[4]: 7}
	rankOf := func(m *Mapper) int { return rank[m] }
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		n := r.IntN(40)
		list := make([]*state, n)
		for i := range list {
			// runs of one mapper, as the program adds them, and mixes
			list[i] = &state{m: mappers[r.IntN(len(mappers))]}
			if i > 0 && r.IntN(3) == 0 {
				list[i].m = list[i-1].m
			}
		}
		for _, desc := range []bool{false, true} {
			want := slices.Clone(list)
			slices.SortStableFunc(want, func(a, b *state) int {
				if desc {
					return cmp.Compare(rankOf(b.m), rankOf(a.m))
				}
				return cmp.Compare(rankOf(a.m), rankOf(b.m))
			})
			got := slices.Clone(list)
			sortByRank(got, rankOf, desc)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("trial %d (desc %v): entry %d differs from a stable sort", trial, desc, i)
				}
			}
		}
	}
}
