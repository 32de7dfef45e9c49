package migrate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// TestEnumAddValueInPlace: on PostgreSQL a value added to an enum type is
// ALTER TYPE ... ADD VALUE (the table keeps its storage: no rewrite), the
// revision names its downgrade as irreversible in place (a rebuild of the
// type), the downgrade works while no row holds the value, and the round
// trip passes; with "strategy": "rebuild" both directions rebuild.
func TestEnumAddValueInPlace(t *testing.T) {
	tg := testdb.New(t, "postgres")
	ctx := context.Background()
	v1, v2 := enumModels("sad", "ok", "happy"), enumModels("meh", "sad", "ok", "happy", "ecstatic")
	r1, err := migrate.Autogenerate(schema.NewMetaData(), v1, "0001", "people", nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := migrate.AutogenerateFor(tg.Dialect, r1.Snapshot, v2, "0002", "more moods", []string{"0001"})
	if err != nil {
		t.Fatal(err)
	}
	if got := opLines(r2.Upgrade); !strings.Contains(got, "(add value)") {
		t.Fatalf("plan:\n%s", got)
	}
	if len(r2.Irreversible()) != 1 || len(r2.Destructive()) != 0 {
		t.Fatalf("irreversible %v, destructive %v", r2.Irreversible(), r2.Destructive())
	}
	steps, err := migrate.Render(tg.Dialect, r1.Snapshot, r2.Upgrade)
	if err != nil {
		t.Fatal(err)
	}
	var sql []string
	for _, s := range steps {
		sql = append(sql, s.SQL)
	}
	want := `ALTER TYPE "mood" ADD VALUE 'meh' BEFORE 'sad'` + "\n" + `ALTER TYPE "mood" ADD VALUE 'ecstatic' AFTER 'happy'`
	if got := strings.Join(sql, "\n"); got != want {
		t.Fatalf("upgrade SQL:\n%s\nwant\n%s", got, want)
	}
	g := writeDir(t, r1, r2)
	db := open(t, tg)
	m := newMigrator(t, db, g)
	if _, err := m.Upgrade(ctx, "0001"); err != nil {
		t.Fatal(err)
	}
	people := expr.T("people")
	if err := exec(t, db, expr.Insert(people).Columns("id", "mood").Values(1, "happy")); err != nil {
		t.Fatal(err)
	}
	storage := func() int64 {
		var n int64
		if err := db.QueryRow(ctx, "SELECT relfilenode::int8 FROM pg_class WHERE oid = 'people'::regclass").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := storage()
	if _, err := m.Upgrade(ctx, "head"); err != nil {
		t.Fatal(err)
	}
	if after := storage(); after != before {
		t.Fatalf("the table was rewritten: relfilenode %d -> %d", before, after)
	}
	if err := exec(t, db, expr.Insert(people).Columns("id", "mood").Values(2, "meh")); err != nil {
		t.Fatal(err)
	}
	if err := exec(t, db, expr.Delete(people).Where(expr.Eq(people.C("id"), 2))); err != nil {
		t.Fatal(err)
	}
	if d, err := m.Check(ctx); err != nil || len(d) > 0 {
		t.Fatalf("drift: %v %v", d, err)
	}
	if _, err := m.Downgrade(ctx, "0001"); err != nil {
		t.Fatal(err)
	}
	if err := newMigrator(t, open(t, testdb.New(t, "postgres")), g).RoundTrip(ctx); err != nil {
		t.Fatal(err)
	}

	// The rebuild strategy, chosen in the file.
	data, err := r2.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	edited, err := migrate.ParseRevision([]byte(strings.Replace(string(data), `"strategy": "add_value"`, `"strategy": "rebuild"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(edited.Irreversible()) != 0 || strings.Contains(opLines(edited.Upgrade), "add value") {
		t.Fatalf("rebuild strategy: %s %v", opLines(edited.Upgrade), edited.Irreversible())
	}
	if err := newMigrator(t, open(t, testdb.New(t, "postgres")), writeDir(t, r1, edited)).RoundTrip(ctx); err != nil {
		t.Fatal(err)
	}
}
