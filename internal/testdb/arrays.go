package testdb

import "github.com/strata-go/strata/schema"

// ArraySchema is the schema of the array-column suites: one table,
// "arrays", with a nullable array column of every portable element type
// (two of uuid: "uuids" and "raws", scanned into UUID types with and
// without text methods) and a NOT NULL, commented text array "labels".
func ArraySchema() *schema.MetaData {
	md := schema.NewMetaData()
	md.MustAdd(&schema.Table{
		Name: "arrays",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt()},
			{Name: "texts", Type: schema.Array(schema.Text()), Nullable: true},
			{Name: "bigints", Type: schema.Array(schema.BigInt()), Nullable: true},
			{Name: "ints", Type: schema.Array(schema.Integer()), Nullable: true},
			{Name: "doubles", Type: schema.Array(schema.Double()), Nullable: true},
			{Name: "bools", Type: schema.Array(schema.Boolean()), Nullable: true},
			{Name: "uuids", Type: schema.Array(schema.UUID()), Nullable: true},
			{Name: "raws", Type: schema.Array(schema.UUID()), Nullable: true},
			{Name: "labels", Type: schema.Array(schema.Text()), Comment: "never NULL"},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
	})
	return md
}

// ArraySchemaChanged is [ArraySchema] after a migration: "ints" widened
// to a bigint array, "bools" dropped, and a double array "scores" added.
func ArraySchemaChanged() *schema.MetaData {
	md := ArraySchema().Clone()
	t := md.Table("arrays")
	t.Column("ints").Type = schema.Array(schema.BigInt())
	cols := t.Columns[:0]
	for _, c := range t.Columns {
		if c.Name != "bools" {
			cols = append(cols, c)
		}
	}
	t.Columns = append(cols, &schema.Column{Name: "scores", Type: schema.Array(schema.Double()), Nullable: true})
	return md
}
