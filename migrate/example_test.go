package migrate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/migrate"
	"github.com/strata-go/strata/schema"
)

// Autogenerate a revision from the models, write it with its checksum,
// read the directory back (any fs.FS, an embed.FS included) and upgrade
// an SQLite database.
func Example() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "strata-example")
	defer os.RemoveAll(tmp)

	models := schema.NewMetaData()
	models.MustAdd(&schema.Table{
		Name: "users",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "email", Type: schema.Varchar(200)},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		Uniques:    []*schema.Unique{{Columns: []string{"email"}}},
	})
	rev, err := migrate.Autogenerate(schema.NewMetaData(), models, "0001", "users", nil)
	if err != nil {
		panic(err)
	}
	for _, op := range rev.Upgrade {
		fmt.Println("upgrade:", op)
	}
	for _, op := range rev.Downgrade {
		fmt.Println("downgrade:", op)
	}
	if _, err := migrate.WriteRevision(tmp, rev); err != nil {
		panic(err)
	}

	dir, err := migrate.OpenDir(os.DirFS(tmp))
	if err != nil {
		panic(err)
	}
	g, err := migrate.NewGraph(dir.Revisions())
	if err != nil {
		panic(err)
	}
	db, err := engine.Open(ctx, sqlitedialect.New(), "file:"+filepath.Join(tmp, "app.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	m, err := migrate.New(db, g)
	if err != nil {
		panic(err)
	}
	if _, err := m.Upgrade(ctx, "head"); err != nil {
		panic(err)
	}
	cur, _ := m.Current(ctx)
	drift, _ := m.Check(ctx)
	fmt.Println("current:", cur, "drift:", len(drift))
	// Output:
	// upgrade: create table users
	// downgrade: drop table users
	// current: [0001] drift: 0
}
