package orm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

type Reading struct {
	ID     uuid.UUID      `db:"id,pk"`
	Sensor string         `db:"sensor,size:20"`
	Value  float64        `db:"value"`
	Tags   []string       `db:"tags"`
	Meta   map[string]any `db:"meta"`
}

// A large flush of rows whose keys the program chose, with nothing for the
// database to fill, is one COPY on PostgreSQL (INSERTs elsewhere); the
// objects are tracked as after any flush.
func TestFlushCopiesLargeBatchesWithNothingToReadBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) { orm.MustRegister[Reading](reg) })
		s := f.New()
		defer s.Close(ctx)
		var rs []*Reading
		for i := range 100 {
			r := &Reading{ID: uuid.New(), Sensor: fmt.Sprintf("s%d", i%7), Value: float64(i) / 4,
				Tags: []string{"t", fmt.Sprint(i)}, Meta: map[string]any{"i": float64(i)}}
			rs = append(rs, r)
			s.Add(r)
		}
		plan, err := s.Explain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		text := orm.FormatPlan(plan)
		rec.take("")
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		copies, sent := rec.take("COPY")
		if tg.Name == "postgres" {
			if copies != 1 || !strings.Contains(text, "copy 100 rows into reading") {
				t.Fatalf("PostgreSQL: %d COPY statements, plan:\n%s\nsent: %v", copies, text, sent)
			}
		} else if copies != 0 {
			t.Fatalf("%s: COPY sent: %v", tg.Name, sent)
		}
		if s.Status(rs[3]) != orm.Persistent {
			t.Fatalf("a copied object is %s", s.Status(rs[3]))
		}
		rs[3].Value = -1
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check := f.New()
		defer check.Close(ctx)
		n, err := orm.Select[Reading](check).Count(ctx)
		if err != nil || n != 100 {
			t.Fatalf("%d rows, %v", n, err)
		}
		back, err := orm.Get[Reading](ctx, check, rs[3].ID)
		if err != nil || back.Value != -1 || back.Tags[1] != "3" || back.Meta["i"] != 3.0 {
			t.Fatalf("read back: %+v %v", back, err)
		}
	})
}

// InsertMany writes rows without reading anything back and without
// tracking the objects; a failure writes nothing and keeps the
// transaction's earlier work.
func TestInsertManyWritesUntrackedRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		kept := &Note{Title: "kept"}
		s.Add(kept)
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		var ns []*Note
		for i := range 50 {
			ns = append(ns, &Note{Title: fmt.Sprintf("bulk %02d", i), Stars: int32(i % 5)})
		}
		rec.take("")
		n, err := orm.InsertMany(ctx, s, ns)
		if err != nil || n != 50 {
			t.Fatalf("InsertMany: %d %v", n, err)
		}
		if c, sent := rec.take("COPY"); (tg.Name == "postgres") != (c == 1) {
			t.Fatalf("%s: %d COPY statements: %v", tg.Name, c, sent)
		}
		if ns[0].ID != 0 || s.Status(ns[0]) != orm.Transient || ns[0].Version != 1 {
			t.Fatalf("an InsertMany object: %+v %s", ns[0], s.Status(ns[0]))
		}
		// a nil object is refused before anything is set or sent
		first := &Note{Title: "before a nil"}
		if _, err := orm.InsertMany(ctx, s, []*Note{first, nil}); err == nil || first.Version != 0 {
			t.Fatalf("InsertMany with a nil object: %v, the first object's version %d", err, first.Version)
		}
		// a duplicate title fails the whole call, and only it
		dup := []*Note{{Title: "fresh"}, {Title: "bulk 07"}}
		_, err = orm.InsertMany(ctx, s, dup)
		if err == nil || sqlerr.OutcomeOf(err) != sqlerr.NothingWritten {
			t.Fatalf("InsertMany over a unique key: %v (outcome %v)", err, sqlerr.OutcomeOf(err))
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check := f.New()
		defer check.Close(ctx)
		c, err := orm.Select[Note](check).Count(ctx)
		if err != nil || c != 51 {
			t.Fatalf("%d rows (%v), want the kept note and 50 bulk ones", c, err)
		}
		if _, err := orm.Select[Note](check).FilterBy("Title", "fresh").One(ctx); err == nil {
			t.Fatal("the failed InsertMany wrote a row")
		}
	})
}

// InsertMany writes each row with the columns it gives: rows leaving
// different server defaults to the database, interleaved, each keep the
// values they were given and get the defaults for the rest.
func TestInsertManyKeepsEachRowsOwnColumnsWhenShapesInterleave(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := setup(t, tg)
		s := f.New()
		defer s.Close(ctx)
		at := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
		var ns []*Note
		for i := range 12 {
			n := &Note{Title: fmt.Sprintf("shape %02d", i), Stars: int32(i)}
			switch i % 3 {
			case 0: // its own time, the default pinned
				n.Created = at.Add(time.Duration(i) * time.Hour)
			case 1: // both defaults
			case 2: // pinned given (true equals the default), its own time
				n.Pinned, n.Created = true, at.Add(time.Duration(i)*time.Hour)
			}
			ns = append(ns, n)
		}
		if n, err := orm.InsertMany(ctx, s, ns); err != nil || n != 12 {
			t.Fatalf("InsertMany: %d %v", n, err)
		}
		must(t, s.Commit(ctx))
		check := f.New()
		defer check.Close(ctx)
		q := orm.Select[Note](check)
		got, err := q.OrderBy(expr.Asc(q.C("Stars"))).All(ctx)
		if err != nil || len(got) != 12 {
			t.Fatalf("%d rows, %v", len(got), err)
		}
		for i, n := range got {
			if n.Title != fmt.Sprintf("shape %02d", i) || !n.Pinned {
				t.Fatalf("row %d: %+v", i, n)
			}
			given := i%3 != 1
			if own := n.Created.Equal(at.Add(time.Duration(i) * time.Hour)); own != given || n.Created.IsZero() {
				t.Fatalf("row %d: created %v, its own time given: %v", i, n.Created, given)
			}
		}
	})
}
