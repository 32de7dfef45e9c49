package orm_test

import (
	"context"
	"slices"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// Playlist numbers its tracks from 1.
type Playlist struct {
	ID     int64           `db:"id,pk"`
	Tracks orm.List[Track] `rel:"cascade:all+delete-orphan,ordering:Position,count_from:1"`
}

type Track struct {
	ID         int64  `db:"id,pk"`
	PlaylistID int64  `db:"playlist_id,fk:playlist.id"`
	Name       string `db:"name"`
	Position   int32  `db:"position"`
}

// Deck keeps the position a card was appended with.
type Deck struct {
	ID    int64          `db:"id,pk"`
	Cards orm.List[Card] `rel:"cascade:all+delete-orphan,ordering:Pos,reorder_on_append:false"`
}

type Card struct {
	ID     int64  `db:"id,pk"`
	DeckID int64  `db:"deck_id,fk:deck.id"`
	Name   string `db:"name"`
	Pos    int32  `db:"pos"`
}

func positions[T any](t *testing.T, l *orm.List[T], pos func(*T) int32) []int32 {
	t.Helper()
	items, err := l.All()
	must(t, err)
	var out []int32
	for _, it := range items {
		out = append(out, pos(it))
	}
	return out
}

func TestOrderingListOptions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[Playlist](reg)
			orm.MustRegister[Track](reg)
			orm.MustRegister[Deck](reg)
			orm.MustRegister[Card](reg)
		})
		s := f.New()
		defer s.Close(ctx)
		tpos := func(x *Track) int32 { return x.Position }
		cpos := func(x *Card) int32 { return x.Pos }

		// count_from:1
		p := &Playlist{Tracks: orm.ListOf(&Track{Name: "a"}, &Track{Name: "b"}, &Track{Name: "c"})}
		must(t, s.Add(p))
		must(t, s.Commit(ctx))
		if got := positions(t, &p.Tracks, tpos); !slices.Equal(got, []int32{1, 2, 3}) {
			t.Fatalf("positions counted from 1: %v", got)
		}
		must(t, p.Tracks.Move(2, 0))
		must(t, p.Tracks.RemoveAt(1))
		must(t, s.Commit(ctx))
		got, err := orm.Select[Track](f.New()).All(ctx)
		must(t, err)
		byName := map[string]int32{}
		for _, x := range got {
			byName[x.Name] = x.Position
		}
		if len(got) != 2 || byName["c"] != 1 || byName["b"] != 2 {
			t.Fatalf("rows after move and remove: %v, want c at 1, b at 2", byName)
		}

		// reorder_on_append:false: an appended card keeps its own position,
		// the others follow their index
		d := &Deck{Cards: orm.ListOf(&Card{Name: "x"}, &Card{Name: "y"})}
		must(t, s.Add(d))
		must(t, s.Commit(ctx))
		if got := positions(t, &d.Cards, cpos); !slices.Equal(got, []int32{0, 1}) {
			t.Fatalf("deck positions %v", got)
		}
		must(t, d.Cards.Append(&Card{Name: "z", Pos: 10}, &Card{Name: "w"}))
		must(t, s.Commit(ctx))
		if got := positions(t, &d.Cards, cpos); !slices.Equal(got, []int32{0, 1, 10, 3}) {
			t.Fatalf("after appending z at 10 and w without a position: %v, want [0 1 10 3]", got)
		}
		// a later reorder renumbers everything that is not newly appended
		must(t, d.Cards.Move(3, 0))
		must(t, s.Commit(ctx))
		if got := positions(t, &d.Cards, cpos); !slices.Equal(got, []int32{0, 1, 2, 3}) {
			t.Fatalf("after a move: %v, want [0 1 2 3]", got)
		}
	})
}
