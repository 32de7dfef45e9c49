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
	"github.com/strata-go/strata/schema"
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

// TestGoldenArrayDDL renders the array schema's DDL and the changes of an
// array column (element type widened, a scalar becoming an array, an array
// added) for every dialect into testdata/ddl_arrays_<dialect>.golden.
func TestGoldenArrayDDL(t *testing.T) {
	for _, d := range []dialect.Dialect{pgdialect.New(), mysqldialect.New(), sqlitedialect.New()} {
		t.Run(d.Name(), func(t *testing.T) {
			md := testdb.ArraySchema()
			create, err := dialect.CreateAllSQL(d, md)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString("-- CreateAllSQL(ArraySchema)\n\n")
			for _, s := range create {
				b.WriteString(s + ";\n\n")
			}
			tb := md.Table("arrays")
			al := d.(dialect.Alterer)
			for _, c := range []struct {
				what     string
				from, to *schema.Column
			}{
				{"integer[] to bigint[]", tb.Column("ints"), &schema.Column{Name: "ints", Type: schema.Array(schema.BigInt()), Nullable: true}},
				{"text to text[]", &schema.Column{Name: "labels", Type: schema.Text()}, tb.Column("labels")},
			} {
				b.WriteString("-- AlterColumn " + c.what + "\n\n")
				stmts, err := al.AlterColumn(tb, c.from, c.to)
				if err != nil {
					b.WriteString("-- " + err.Error() + "\n\n")
					continue
				}
				for _, s := range stmts {
					b.WriteString(s + ";\n\n")
				}
			}
			b.WriteString("-- AddColumn double[]\n\n")
			stmts, err := al.AddColumn(tb, &schema.Column{Name: "scores", Type: schema.Array(schema.Double()), Nullable: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range stmts {
				b.WriteString(s + ";\n")
			}
			golden.Check(t, "ddl_arrays_"+d.Name()+".golden", b.String())
		})
	}
}
