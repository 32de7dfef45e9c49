package orm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// stagedRows is at least the batch a flush sends through a staging table
// on PostgreSQL (orm's stagedMinRows).
const stagedRows = 5000

// A flush of thousands of new objects whose keys and defaults the
// database generates goes, on PostgreSQL, by COPY into a staging table
// and one INSERT ... SELECT ... RETURNING; every object gets its own key
// and defaults, a second such flush in the same transaction writes only
// its own rows, and a failing one writes nothing and leaves its objects
// pending. Elsewhere the same flushes are INSERTs.
func TestFlushOfThousandsReadsEveryKeyBackThroughAStagingTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		at := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
		batch := func(first int) []*Note {
			ns := make([]*Note, 0, stagedRows+3)
			for i := first; i < first+stagedRows+3; i++ {
				n := &Note{Title: fmt.Sprintf("staged %05d", i), Stars: int32(i)}
				if i%1700 == 0 { // a second shape: its own time given
					n.Created = at.Add(time.Duration(i) * time.Minute)
				}
				ns = append(ns, n)
				s.Add(n)
			}
			return ns
		}
		first := batch(0)
		plan, err := s.Explain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if text := orm.FormatPlan(plan); strings.Contains(text, "5000 rows into note (title, body, stars, version) through a staging table") != (tg.Name == "postgres") {
			t.Fatalf("%s: plan:\n%.600s", tg.Name, text)
		}
		rec.take("")
		must(t, s.Flush(ctx))
		staged, sent := rec.take("INSERT INTO note (title, body, stars, version) FROM STDIN THROUGH A STAGING TABLE")
		if want := map[bool]int{true: 1}[tg.Name == "postgres"]; staged != want {
			t.Fatalf("%s: %d staged inserts, want %d: %.300v", tg.Name, staged, want, sent)
		}
		second := batch(stagedRows + 3)
		must(t, s.Flush(ctx))

		// a duplicate title fails the third batch, which stays pending
		third := batch(2 * (stagedRows + 3))
		third[stagedRows/2].Title = first[7].Title
		err = s.Flush(ctx)
		if err == nil || sqlerr.OutcomeOf(err) != sqlerr.NothingWritten {
			t.Fatalf("a flush over a unique key: %v (outcome %v)", err, sqlerr.OutcomeOf(err))
		}
		for _, n := range []*Note{third[0], third[stagedRows/2], third[len(third)-1]} {
			if n.ID != 0 || n.Version != 0 || s.Status(n) != orm.Pending {
				t.Fatalf("after the failed flush: %+v %s", n, s.Status(n))
			}
		}
		s.Expunge(third[stagedRows/2])
		must(t, s.Commit(ctx))

		all := append(append(first, second...), third...)
		seen := map[int64]bool{}
		for _, n := range all {
			if n == third[stagedRows/2] {
				continue
			}
			if n.ID == 0 || seen[n.ID] || n.Version != 1 || n.Created.IsZero() || !n.Pinned {
				t.Fatalf("%s: %+v (key seen before: %v)", n.Title, n, seen[n.ID])
			}
			seen[n.ID] = true
		}
		check := f.New()
		defer check.Close(ctx)
		q := orm.Select[Note](check)
		rows, err := q.OrderBy(expr.Asc(q.C("Title"))).All(ctx)
		if err != nil || len(rows) != len(all)-1 {
			t.Fatalf("%d rows, %v; want %d", len(rows), err, len(all)-1)
		}
		byTitle := map[string]*Note{}
		for _, n := range rows {
			byTitle[n.Title] = n
		}
		for i, n := range all {
			if n == third[stagedRows/2] {
				continue
			}
			got := byTitle[n.Title]
			if got == nil || got.ID != n.ID || got.Stars != n.Stars || !got.Created.Equal(n.Created) {
				t.Fatalf("object %d %+v, its row %+v", i, n, got)
			}
			if given := n.Stars%1700 == 0; given != n.Created.Equal(at.Add(time.Duration(n.Stars)*time.Minute)) {
				t.Fatalf("object %d: created %v, its own time given: %v", i, n.Created, given)
			}
		}
	})
}

// NoStagingTables keeps a flush of thousands of new objects to INSERTs
// from arrays on PostgreSQL (no temporary table is created), with every
// key read back all the same.
func TestNoStagingTablesKeepsLargeFlushesToInserts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Note](reg) }, orm.NoStagingTables())
		s := f.New()
		defer s.Close(ctx)
		ns := make([]*Note, stagedRows)
		for i := range ns {
			ns[i] = &Note{Title: fmt.Sprintf("unstaged %05d", i), Stars: int32(i)}
			s.Add(ns[i])
		}
		must(t, s.Commit(ctx))
		_, sent := rec.take("")
		for _, q := range sent {
			if strings.Contains(q, "STAGING") || strings.Contains(q, "COPY") {
				t.Fatalf("%s: sent %.200s", tg.Name, q)
			}
		}
		check := f.New()
		defer check.Close(ctx)
		for _, i := range []int{0, stagedRows / 3, stagedRows - 1} {
			got, err := orm.Get[Note](ctx, check, ns[i].ID)
			if err != nil || got.Title != ns[i].Title {
				t.Fatalf("object %d (key %d): its row %+v, %v", i, ns[i].ID, got, err)
			}
		}
	})
}
