package dialect

import (
	"github.com/strata-go/strata/schema"
)

// CreateAllSQL renders the statements that create every table of m (and
// its enum types and indexes) in dependency order, as planned by
// [schema.PlanCreate]: foreign keys on a cycle between tables are added by
// ALTER TABLE after the tables exist, where the dialect can; where it cannot
// (SQLite), they stay inline, which SQLite accepts because it resolves
// foreign keys when rows are written.
func CreateAllSQL(d Dialect, m *schema.MetaData) ([]string, error) {
	plan, err := schema.PlanCreate(m, d.Features().Has(AlterConstraints))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range plan.Enums {
		s, err := d.CreateEnum(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	for _, t := range plan.Tables {
		s, err := d.CreateTable(t, func(fk *schema.ForeignKey) bool { return !plan.IsDeferred(t, fk) })
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	for _, x := range plan.Deferred {
		s, err := d.AddForeignKey(x.Table, x.FK)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	for _, t := range plan.Tables {
		for _, x := range t.Indexes {
			s, err := d.CreateIndex(t, x)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
	}
	return out, nil
}

// DropAllSQL renders the statements that drop every table of m: the
// deferred foreign keys of cycles first, then tables in reverse dependency
// order, then enum types.
func DropAllSQL(d Dialect, m *schema.MetaData) ([]string, error) {
	plan, err := schema.PlanCreate(m, d.Features().Has(AlterConstraints))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, x := range plan.Deferred {
		s, err := d.DropForeignKey(x.Table, x.FK)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	for i := len(plan.Tables) - 1; i >= 0; i-- {
		out = append(out, d.DropTable(plan.Tables[i])...)
	}
	for i := len(plan.Enums) - 1; i >= 0; i-- {
		out = append(out, d.DropEnum(plan.Enums[i])...)
	}
	return out, nil
}
