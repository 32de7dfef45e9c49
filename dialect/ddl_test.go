package dialect_test

import (
	"strings"
	"testing"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/mysqldialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/internal/golden"
	"github.com/strata-go/strata/internal/testdb"
)

// TestGoldenDDL renders create-all and drop-all of the rich schema for
// every dialect into testdata/ddl_<dialect>.golden (-update rewrites them).
func TestGoldenDDL(t *testing.T) {
	for _, d := range []dialect.Dialect{pgdialect.New(), mysqldialect.New(), sqlitedialect.New()} {
		t.Run(d.Name(), func(t *testing.T) {
			md := testdb.RichSchema(d.Features())
			create, err := dialect.CreateAllSQL(d, md)
			if err != nil {
				t.Fatal(err)
			}
			drop, err := dialect.DropAllSQL(d, md)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString("-- CreateAllSQL(RichSchema)\n\n")
			for _, s := range create {
				b.WriteString(s + ";\n\n")
			}
			b.WriteString("-- DropAllSQL(RichSchema)\n\n")
			for _, s := range drop {
				b.WriteString(s + ";\n")
			}
			golden.Check(t, "ddl_"+d.Name()+".golden", b.String())
		})
	}
}
