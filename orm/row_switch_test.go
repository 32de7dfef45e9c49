package orm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// Code is keyed by its natural key.
type Code struct {
	Code    string          `db:"code,pk,size:20"`
	Label   string          `db:"label"`
	Version int32           `db:"version,version"`
	Notes   orm.List[CNote] `rel:"cascade:all+delete-orphan"`
}

type CNote struct {
	ID   int64  `db:"id,pk"`
	Code string `db:"code,fk:code.code,size:20"`
	Text string `db:"text"`
}

// Deleting an object and adding a new one with the same primary key in one
// flush updates the row (SQLAlchemy's row switch): no key violation, the
// new object holds the row, the old one's delete-orphan children are
// replaced by the new one's.
func TestRowSwitchUpdatesTheRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, rec := openModels(t, tg, func(reg *orm.Registry) {
			orm.MustRegister[Code](reg)
			orm.MustRegister[CNote](reg)
		})
		s := f.New()
		defer s.Close(ctx)
		old := &Code{Code: "eu", Label: "Europe", Notes: orm.ListOf(&CNote{Text: "old note"})}
		must(t, s.Add(old))
		must(t, s.Commit(ctx))

		must(t, s.Delete(old))
		repl := &Code{Code: "eu", Label: "European Union", Notes: orm.ListOf(&CNote{Text: "new note"})}
		must(t, s.Add(repl))
		rec.take("")
		must(t, s.Commit(ctx))
		_, all := rec.take("")
		for _, q := range all {
			if strings.HasPrefix(q, `INSERT INTO "code"`) || strings.HasPrefix(q, "INSERT INTO `code`") ||
				strings.HasPrefix(q, `DELETE FROM "code"`) || strings.HasPrefix(q, "DELETE FROM `code`") {
				t.Fatalf("a row switch deleted or inserted the row: %q", all)
			}
		}
		if s.Status(old) != orm.Detached || s.Status(repl) != orm.Persistent || repl.Version != 2 {
			t.Fatalf("after the switch: old %s, new %s (version %d)", s.Status(old), s.Status(repl), repl.Version)
		}
		got, err := orm.Get[Code](ctx, s, "eu")
		if err != nil || got != repl {
			t.Fatalf("Get by the key returns %p (%v), want the new object %p", got, err, repl)
		}
		fresh := f.New()
		defer fresh.Close(ctx)
		row, err := orm.Get[Code](ctx, fresh, "eu")
		must(t, err)
		must(t, orm.Load(ctx, fresh, row, "Notes"))
		notes, _ := row.Notes.All()
		if row.Label != "European Union" || row.Version != 2 || len(notes) != 1 || notes[0].Text != "new note" {
			t.Fatalf("row after the switch: %+v with %d notes", row, len(notes))
		}
	})
}
