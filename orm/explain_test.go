package orm_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// flushCase is one golden flush: set-up committed first, then the change
// whose flush plan is explained and run.
type flushCase struct {
	name     string
	register func(*orm.Registry)
	setup    func(t *testing.T, s *orm.Session) any
	change   func(t *testing.T, s *orm.Session, state any)
}

func flushCases() []flushCase {
	return []flushCase{
		{
			name: "graph_insert", register: registerMoves,
			setup: func(t *testing.T, s *orm.Session) any { return nil },
			change: func(t *testing.T, s *orm.Session, _ any) {
				f := &MvFolder{Name: "inbox", Items: orm.ListOf(&MvItem{Name: "a"}, &MvItem{Name: "b"})}
				must(t, s.Add(f))
				u := &MvUser{Name: "ann", Orders: orm.ListOf(&MvOrder{Name: "o1"})}
				must(t, s.Add(u))
			},
		},
		{
			name: "grouped_updates_and_versioned_deletes",
			register: func(reg *orm.Registry) {
				orm.MustRegister[AppDoc](reg)
				orm.MustRegister[VDoc](reg)
				orm.MustRegister[VRev](reg)
			},
			setup: func(t *testing.T, s *orm.Session) any {
				var docs []*VDoc
				for i := range 5 {
					d := &VDoc{Title: fmt.Sprint("d", i)}
					must(t, s.Add(d))
					docs = append(docs, d)
				}
				return docs
			},
			change: func(t *testing.T, s *orm.Session, st any) {
				docs := st.([]*VDoc)
				docs[0].Title, docs[1].Title, docs[2].Touches = "x", "y", 7
				must(t, s.Delete(docs[3]))
				must(t, s.Delete(docs[4]))
			},
		},
		{
			name: "delete_cascade_reads_unloaded_children", register: registerMoves,
			setup: func(t *testing.T, s *orm.Session) any {
				u := &MvUser{Name: "ann", Orders: orm.ListOf(&MvOrder{Name: "o1"}, &MvOrder{Name: "o2"})}
				must(t, s.Add(u))
				return u
			},
			change: func(t *testing.T, s *orm.Session, st any) {
				u, err := orm.Get[MvUser](context.Background(), s, st.(*MvUser).ID)
				must(t, err)
				must(t, s.Delete(u))
			},
		},
		{
			name: "move_child_to_new_parent", register: registerMoves,
			setup: func(t *testing.T, s *orm.Session) any {
				f := &MvFolder{Name: "old", Items: orm.ListOf(&MvItem{Name: "a"})}
				must(t, s.Add(f))
				return f
			},
			change: func(t *testing.T, s *orm.Session, st any) {
				items, err := st.(*MvFolder).Items.All()
				must(t, err)
				nf := &MvFolder{Name: "new"}
				must(t, nf.Items.Append(items[0]))
				must(t, s.Add(nf))
			},
		},
		{
			name: "natural_key_change", register: registerNaturalKeys(false),
			setup: func(t *testing.T, s *orm.Session) any {
				c := &NkCountry{Code: "eu", Name: "Europe", Cities: orm.ListOf(&NkCity{Name: "Ghent"})}
				must(t, s.Add(c))
				return c
			},
			change: func(t *testing.T, s *orm.Session, st any) { st.(*NkCountry).Code = "ue" },
		},
		{
			name: "many_to_many_and_row_cycle",
			register: func(reg *orm.Registry) {
				registerSingleParents(reg)
				orm.MustRegister[VDoc](reg)
				orm.MustRegister[VRev](reg)
			},
			setup: func(t *testing.T, s *orm.Session) any { return nil },
			change: func(t *testing.T, s *orm.Session, _ any) {
				must(t, s.Add(&Recipe{Name: "r", Steps: orm.ListOf(&RStep{Text: "a"}, &RStep{Text: "b"})}))
				r := &VRev{Body: "one"}
				must(t, s.Add(&VDoc{Title: "d", Revs: orm.ListOf(r), Current: orm.RefTo(r)}))
			},
		},
	}
}

// The statements of every flush case, per dialect, as Explain shows them
// (testdata/flush/<case>.<dialect>.golden; -update rewrites them), and
// Explain shows what the flush then sends: the same statements, in the
// same order, without writing anything itself.
func TestFlushPlansExplained(t *testing.T) {
	for _, c := range flushCases() {
		t.Run(c.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, tg testdb.Target) {
				ctx := context.Background()
				f, rec := openModels(t, tg, c.register)
				s := f.New()
				defer s.Close(ctx)
				st := c.setup(t, s)
				must(t, s.Commit(ctx))
				c.change(t, s, st)
				rec.take("")
				plan, err := s.Explain(ctx)
				must(t, err)
				_, read := rec.take("")
				for _, q := range read {
					if !strings.HasPrefix(q, "SELECT") && !strings.HasPrefix(q, "BEGIN") {
						t.Fatalf("Explain sent %q", q)
					}
				}
				golden.Check(t, "flush/"+c.name+"."+tg.Name+".golden", orm.FormatPlan(plan))
				// explaining twice gives the same plan: the session was left as it was
				again, err := s.Explain(ctx)
				must(t, err)
				if orm.FormatPlan(again) != orm.FormatPlan(plan) {
					t.Fatalf("a second Explain differs:\n%s\nthen\n%s", orm.FormatPlan(plan), orm.FormatPlan(again))
				}
				rec.take("")
				must(t, s.Commit(ctx))
				_, sent := rec.take("")
				var want, got []string
				for _, p := range plan {
					for _, x := range p.Statements {
						want = append(want, x.SQL)
					}
				}
				for _, q := range sent {
					switch {
					case strings.HasPrefix(q, "BEGIN"), strings.HasPrefix(q, "COMMIT"),
						strings.HasPrefix(q, "SAVEPOINT"), strings.HasPrefix(q, "RELEASE"):
						continue
					case strings.HasPrefix(q, "SELECT") && !slices.Contains(want, q):
						continue // a read of the cascade (Explain read it too)
					}
					got = append(got, q)
				}
				if !slices.Equal(want, got) {
					t.Fatalf("the flush sent\n%s\nExplain said\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		})
	}
}
