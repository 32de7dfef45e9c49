package orm_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/sqlerr"
)

// A Mixtape holds its songs in order: the position column is kept equal
// to each song's index, and deleting the mixtape deletes its songs.
type Mixtape struct {
	ID    int64          `db:"id,pk"`
	Name  string         `db:"name,unique"`
	Songs orm.List[Song] `rel:"cascade:all+delete-orphan,ordering:Position"`
}

type Song struct {
	ID        int64            `db:"id,pk"`
	MixtapeID int64            `db:"mixtape_id,fk:mixtape.id"`
	Title     string           `db:"title"`
	Position  int32            `db:"position"`
	Mixtape   orm.Ref[Mixtape] `rel:"backref:Songs"`
}

// openExample opens a fresh in-memory SQLite database and creates the
// tables of reg.
func openExample(ctx context.Context, reg *orm.Registry) (*engine.DB, func()) {
	db, err := engine.Open(ctx, sqlitedialect.New(), ":memory:")
	if err != nil {
		panic(err)
	}
	if err := engine.CreateAll(ctx, db, reg.MetaData()); err != nil {
		panic(err)
	}
	return db, func() { db.Close() }
}

// Register the models once, share one Factory, and open a session per
// unit of work: Add and Commit write the graph in dependency order, Get
// answers from the identity map.
func Example() {
	ctx := context.Background()
	reg := orm.NewRegistry()
	orm.MustRegister[Mixtape](reg)
	orm.MustRegister[Song](reg)
	db, done := openExample(ctx, reg)
	defer done()

	f := orm.NewFactory(db, reg) // shared, like SQLAlchemy's sessionmaker
	s := f.New()                 // one per request or job
	defer s.Close(ctx)

	p := &Mixtape{Name: "road trip"}
	if err := p.Songs.Append(&Song{Title: "Roadrunner"}, &Song{Title: "Radar Love"}); err != nil {
		panic(err)
	}
	if err := s.Add(p); err != nil {
		panic(err)
	}
	if err := s.Commit(ctx); err != nil { // the mixtape, then its songs with the new key
		panic(err)
	}
	same, err := orm.Get[Mixtape](ctx, s, p.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println("same object:", same == p)
	songs, _ := p.Songs.All()
	for _, t := range songs {
		fmt.Println(t.Position, t.Title, t.MixtapeID == p.ID)
	}

	// A key with no row is sqlerr.ErrNotFound, which matches sql.ErrNoRows.
	_, err = orm.Get[Mixtape](ctx, s, int64(999))
	fmt.Println("missing:", errors.Is(err, sqlerr.ErrNotFound))
	// Output:
	// same object: true
	// 0 Roadrunner true
	// 1 Radar Love true
	// missing: true
}

// Select builds a typed query; With loads a relationship with one more
// query per level (select-in). A relationship that was not loaded is an
// error to read, never an empty list.
func ExampleSelect() {
	ctx := context.Background()
	reg := orm.NewRegistry()
	orm.MustRegister[Mixtape](reg)
	orm.MustRegister[Song](reg)
	db, done := openExample(ctx, reg)
	defer done()
	f := orm.NewFactory(db, reg)

	seed := f.New()
	for _, name := range []string{"focus", "party"} {
		p := &Mixtape{Name: name}
		_ = p.Songs.Append(&Song{Title: name + " 1"}, &Song{Title: name + " 2"})
		_ = seed.Add(p)
	}
	if err := seed.Commit(ctx); err != nil {
		panic(err)
	}
	seed.Close(ctx)

	s := f.New()
	defer s.Close(ctx)
	q := orm.Select[Mixtape](s)
	lists, err := q.Where(expr.Like(q.C("Name"), "p%")).OrderBy(expr.Asc(q.C("Name"))).All(ctx)
	if err != nil {
		panic(err)
	}
	_, err = lists[0].Songs.All()
	fmt.Println(lists[0].Name, "songs not loaded:", errors.Is(err, orm.ErrNotLoaded))

	if err := orm.Load(ctx, s, lists, "Songs"); err != nil {
		panic(err)
	}
	songs, _ := lists[0].Songs.All()
	fmt.Println(lists[0].Name, len(songs), "songs")

	all, err := orm.Select[Mixtape](s).With("Songs").OrderBy(expr.Desc(q.C("Name"))).All(ctx)
	if err != nil {
		panic(err)
	}
	for _, p := range all {
		n, _ := p.Songs.Len()
		fmt.Println(p.Name, n)
	}
	// Output:
	// party songs not loaded: true
	// party 2 songs
	// party 2
	// focus 2
}

// Transact runs a unit of work in one transaction and commits it; a
// serialization failure or deadlock runs it again, as the DB's
// engine.RetryPolicy says.
func ExampleFactory_Transact() {
	ctx := context.Background()
	reg := orm.NewRegistry()
	orm.MustRegister[Mixtape](reg)
	orm.MustRegister[Song](reg)
	db, done := openExample(ctx, reg)
	defer done()
	f := orm.NewFactory(db, reg)

	err := f.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
		p := &Mixtape{Name: "mix"}
		if err := p.Songs.Append(&Song{Title: "a"}, &Song{Title: "b"}, &Song{Title: "c"}); err != nil {
			return err
		}
		return s.Add(p)
	})
	if err != nil {
		panic(err)
	}
	err = f.Transact(ctx, func(ctx context.Context, s *orm.Session) error {
		p, err := orm.Select[Mixtape](s).FilterBy("Name", "mix").With("Songs").One(ctx)
		if err != nil {
			return err
		}
		return p.Songs.Move(2, 0) // positions renumbered at commit
	})
	if err != nil {
		panic(err)
	}
	s := f.New()
	defer s.Close(ctx)
	q := orm.Select[Song](s)
	songs, _ := q.OrderBy(expr.Asc(q.C("Position"))).All(ctx)
	for _, t := range songs {
		fmt.Println(t.Position, t.Title)
	}
	// Output:
	// 0 c
	// 1 a
	// 2 b
}
