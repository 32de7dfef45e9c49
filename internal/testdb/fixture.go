package testdb

import (
	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// RichSchema is the schema the cross-database suites create, introspect and
// drop: a foreign-key cycle (departments <-> employees), a self-reference
// (employees.manager_id), composite primary and foreign keys
// (order_lines -> orders), a foreign key to a unique key that is not the
// primary key, every referential action the dialect enforces, every
// portable type, server defaults, comments, unique constraints, plain,
// unique and partial indexes, and checks. Features the dialect lacks
// (SET DEFAULT, deferrable constraints, partial indexes) are left out so the
// same schema is valid everywhere.
func RichSchema(f dialect.Feature) *schema.MetaData {
	md := schema.NewMetaData()
	dept := &schema.Table{
		Name:    "departments",
		Comment: "Company departments",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.Integer(), AutoIncrement: true},
			{Name: "code", Type: schema.Char(4)},
			{Name: "name", Type: schema.Varchar(100), Comment: "Display name"},
			{Name: "head_id", Type: schema.BigInt(), Nullable: true},
			{Name: "budget", Type: schema.Numeric(12, 2), Default: schema.DefaultInt(0)},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		Uniques:    []*schema.Unique{{Columns: []string{"code"}}},
		ForeignKeys: []*schema.ForeignKey{
			{Columns: []string{"head_id"}, RefTable: "employees", RefColumns: []string{"id"}, OnDelete: schema.SetNull},
		},
		Checks: []*schema.Check{{Name: "ck_departments_budget", Expr: "budget >= 0"}},
	}
	emp := &schema.Table{
		Name: "employees",
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt(), AutoIncrement: true},
			{Name: "department_id", Type: schema.Integer()},
			{Name: "manager_id", Type: schema.BigInt(), Nullable: true},
			{Name: "email", Type: schema.Varchar(200)},
			{Name: "active", Type: schema.Boolean(), Default: schema.DefaultBoolean(true)},
			{Name: "hired_on", Type: schema.Date(), Default: schema.DefaultToday()},
			{Name: "created_at", Type: schema.TimestampTZ(), Default: schema.DefaultNow()},
			{Name: "mood", Type: schema.Enum("mood", "sad", "ok", "happy"), Default: schema.DefaultStr("ok")},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"id"}},
		ForeignKeys: []*schema.ForeignKey{
			{Columns: []string{"department_id"}, RefTable: "departments", RefColumns: []string{"id"}, OnDelete: schema.Restrict, OnUpdate: schema.Cascade},
			{Columns: []string{"manager_id"}, RefTable: "employees", RefColumns: []string{"id"}, OnDelete: schema.SetNull},
		},
		Uniques: []*schema.Unique{{Columns: []string{"email"}}},
		Indexes: []*schema.Index{{Columns: []string{"department_id", "manager_id"}}},
	}
	orders := &schema.Table{
		Name: "orders",
		Columns: []*schema.Column{
			{Name: "region", Type: schema.Varchar(8)},
			{Name: "number", Type: schema.Integer()},
			{Name: "employee_id", Type: schema.BigInt(), Nullable: true},
			{Name: "dept_code", Type: schema.Char(4), Nullable: true},
			{Name: "note", Type: schema.Text(), Nullable: true},
			{Name: "status", Type: schema.Varchar(20), Default: schema.DefaultStr("new 'open'")},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"region", "number"}},
		ForeignKeys: []*schema.ForeignKey{
			{Columns: []string{"employee_id"}, RefTable: "employees", RefColumns: []string{"id"}, OnDelete: schema.NoAction},
			// references a unique key, not the primary key
			{Columns: []string{"dept_code"}, RefTable: "departments", RefColumns: []string{"code"}, OnUpdate: schema.Cascade, OnDelete: schema.SetNull},
		},
		Indexes: []*schema.Index{{Columns: []string{"status"}, Unique: false}},
	}
	lines := &schema.Table{
		Name: "order_lines",
		Columns: []*schema.Column{
			{Name: "region", Type: schema.Varchar(8)},
			{Name: "number", Type: schema.Integer()},
			{Name: "line", Type: schema.SmallInt()},
			{Name: "qty", Type: schema.Integer(), Default: schema.DefaultInt(1)},
			{Name: "price", Type: schema.Double()},
			{Name: "weight", Type: schema.Float(), Nullable: true},
			{Name: "sku", Type: schema.UUID(), Nullable: true},
			{Name: "attrs", Type: schema.JSON(), Nullable: true},
			{Name: "blob", Type: schema.Bytes(), Nullable: true},
			{Name: "ship_at", Type: schema.Timestamp(), Nullable: true},
			{Name: "ship_window", Type: schema.Time(), Nullable: true},
		},
		PrimaryKey: &schema.PrimaryKey{Columns: []string{"region", "number", "line"}},
		ForeignKeys: []*schema.ForeignKey{
			{Columns: []string{"region", "number"}, RefTable: "orders", RefColumns: []string{"region", "number"}, OnDelete: schema.Cascade, OnUpdate: schema.Cascade},
		},
		Checks: []*schema.Check{{Name: "ck_order_lines_qty", Expr: "qty > 0 AND qty < 1000"}},
		Indexes: []*schema.Index{
			{Name: "ix_order_lines_sku", Columns: []string{"sku"}, Unique: true},
		},
	}
	if f.Has(dialect.PartialIndexes) {
		lines.Indexes = append(lines.Indexes, &schema.Index{Name: "ix_order_lines_heavy", Columns: []string{"weight"}, Where: "weight > 10"})
	}
	if f.Has(dialect.SetDefaultAction) {
		lines.Columns = append(lines.Columns, &schema.Column{Name: "packer_id", Type: schema.BigInt(), Nullable: true})
		lines.ForeignKeys = append(lines.ForeignKeys, &schema.ForeignKey{Columns: []string{"packer_id"}, RefTable: "employees", RefColumns: []string{"id"}, OnDelete: schema.SetDefault})
	}
	if f.Has(dialect.DeferrableConstraints) {
		orders.ForeignKeys[0].Deferrable = true
		orders.ForeignKeys[0].InitiallyDeferred = true
	}
	md.MustAdd(dept, emp, orders, lines)
	return md
}
