package orm

import (
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/schema"
)

// tref is the statement-level reference to t: its name, qualified by its
// schema ([TableSchema]). Every statement the ORM writes names its tables
// through it.
func tref(t *schema.Table) *expr.TableRef { return expr.T(t.Name).InSchema(t.Schema) }
