package migrate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// planFromDB inspects db and plans from it to models, normalized for the
// dialect (the live-database path of autogenerate).
func planFromDB(t *testing.T, db *engine.DB, models *schema.MetaData) []migrate.Op {
	t.Helper()
	live, err := engine.Inspect(context.Background(), db, dialect.InspectOptions{Exclude: []string{"strata_version", "strata_lock"}})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := migrate.Plan(live, models, migrate.PlanOptions{Normalize: db.Dialect().Normalize, Dialect: db.Dialect()})
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// applyOps renders ops for db's dialect from the live schema and runs them
// (a rebuild's statements in order, without the runner's transaction).
func applyOps(t *testing.T, db *engine.DB, ops []migrate.Op) {
	t.Helper()
	ctx := context.Background()
	live, err := engine.Inspect(ctx, db, dialect.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	steps, err := migrate.Render(db.Dialect(), live, ops)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		stmts := []string{s.SQL}
		if r := s.Rebuild; r != nil {
			stmts = append(append(append(append([]string{}, r.Before...), r.Copy...), r.Swap...), r.After...)
		}
		for _, q := range stmts {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
}

// TestHandMadeForeignKeyIndexes plans against a MariaDB database made by
// hand, whose foreign keys got InnoDB's implicit indexes: one named after
// its constraint, one (of a foreign key without a name) after its column.
// Neither shows as an index to drop or create; the foreign key without a
// name is renamed to the convention's name, and then nothing is left.
func TestHandMadeForeignKeyIndexes(t *testing.T) {
	tg := testdb.New(t, "mariadb")
	ctx := context.Background()
	db := open(t, tg)
	for _, s := range []string{
		"CREATE TABLE p (id BIGINT NOT NULL AUTO_INCREMENT, CONSTRAINT pk_p PRIMARY KEY (id)) ENGINE=InnoDB",
		"CREATE TABLE c (id BIGINT NOT NULL AUTO_INCREMENT, pid BIGINT NOT NULL, qid BIGINT NOT NULL, PRIMARY KEY (id), " +
			"FOREIGN KEY (pid) REFERENCES p (id), CONSTRAINT fk_c_qid_p FOREIGN KEY (qid) REFERENCES p (id)) ENGINE=InnoDB",
	} {
		if _, err := db.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	models := md(
		&schema.Table{Name: "p", Columns: []*schema.Column{id()}, PrimaryKey: pk()},
		&schema.Table{Name: "c", Columns: []*schema.Column{id(), {Name: "pid", Type: schema.BigInt()}, {Name: "qid", Type: schema.BigInt()}},
			PrimaryKey: pk(), ForeignKeys: []*schema.ForeignKey{fk("pid", "p"), fk("qid", "p")}},
	)
	ops := planFromDB(t, db, models)
	got := opLines(ops)
	if strings.Contains(got, "index") {
		t.Fatalf("implicit foreign key indexes planned as changes:\n%s", got)
	}
	if got != "rename foreign key c_ibfk_1 on c to fk_c_pid_p\n" {
		t.Fatalf("plan:\n%s", got)
	}
	applyOps(t, db, ops)
	if again := planFromDB(t, db, models); len(again) > 0 {
		t.Fatalf("after applying the plan:\n%s", opLines(again))
	}
}
