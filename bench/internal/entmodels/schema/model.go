// Package schema is the ent schema of the public go-orm-benchmarks
// workload: its models table, as ent declares it. The generated client is
// the parent package, entmodels.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Model is a row of the models table: ent's default integer id plus the
// seven columns of go-orm-benchmarks' model.
type Model struct {
	ent.Schema
}

// Annotations names the table.
func (Model) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "models"}}
}

// Fields of the Model.
func (Model) Fields() []ent.Field {
	return []ent.Field{
		field.String("name"),
		field.String("title"),
		field.String("fax"),
		field.String("web"),
		field.Int32("age"),
		field.Bool("right"),
		field.Int64("counter"),
	}
}
