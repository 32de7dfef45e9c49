package orm

import (
	"testing"
	"unsafe"
)

// The link table finds every link by child and foreign key, keeps the
// order links were claimed in, replaces a link in place, tells two
// foreign keys of one child apart, and starts empty after a reset with
// the same results.
func TestLinkTableFindsEveryLinkInClaimOrder(t *testing.T) {
	var tbl linkTable
	objs := make([]int64, 3000) // children, 8 bytes apart
	fks := []*Field{{Name: "a"}, {Name: "b"}}
	parents := make([]state, 7)
	key := func(i, f int) fkSlot { return fkSlot{child: unsafe.Pointer(&objs[i]), fk: fks[f]} }
	for round := range 2 {
		tbl.reserve(100) // less than is put: the table grows as it goes
		for i := range objs {
			for f := range fks {
				if i%3 == 0 && f == 1 {
					continue
				}
				tbl.put(key(i, f), link{parent: &parents[(i+f)%7]})
			}
		}
		want := len(objs) + len(objs)*2/3 // every a, and b of two children in three
		if tbl.len() != want {
			t.Fatalf("round %d: %d links, want %d", round, tbl.len(), want)
		}
		for i := range objs {
			for f := range fks {
				l, ok := tbl.get(key(i, f))
				if i%3 == 0 && f == 1 {
					if ok {
						t.Fatalf("round %d: a link never claimed found for %d/%d", round, i, f)
					}
					continue
				}
				if !ok || l.parent != &parents[(i+f)%7] {
					t.Fatalf("round %d: link of %d/%d: %v %v", round, i, f, l, ok)
				}
			}
		}
		// claim order: child 0's a, child 1's a and b, ...
		if tbl.keys[0] != key(0, 0) || tbl.keys[1] != key(1, 0) || tbl.keys[2] != key(1, 1) {
			t.Fatalf("round %d: order %v", round, tbl.keys[:3])
		}
		tbl.put(key(5, 1), link{}) // replaced where it stands
		if tbl.len() != want || tbl.links[tbl.find(key(5, 1))].parent != nil || tbl.find(key(5, 1)) != 9 {
			t.Fatalf("round %d: a replaced link moved or was added: %d links, at %d", round, tbl.len(), tbl.find(key(5, 1)))
		}
		tbl.reset()
		if tbl.len() != 0 || tbl.find(key(1, 0)) != -1 {
			t.Fatalf("round %d: after reset: %d links", round, tbl.len())
		}
	}
}
