package mysqldialect

import (
	"strings"

	"github.com/strata-go/strata/schema"
)

// primaryKeyName is the name MariaDB and MySQL give every primary key.
const primaryKeyName = "PRIMARY"

// Normalize returns a copy of t as MariaDB reports it through Inspect:
//
//   - the primary key is named PRIMARY;
//   - TIMESTAMPTZ becomes TIMESTAMP and UUID becomes CHAR(36) (both are
//     stored as such); an array becomes JSON (it is stored as a JSON
//     array in a JSON column, and its element type is not kept); DECIMAL without precision becomes DECIMAL(10,0); an
//     enum loses its name (MariaDB enums have none) and the trailing
//     spaces of its values, which MariaDB strips; a custom type that
//     spells a portable one (INT, DATETIME(6)) becomes that type;
//   - defaults are written the way MariaDB reports them: numbers in
//     canonical form for the column's type (0 in a DECIMAL(12,2) is 0.00),
//     TRUE and FALSE as numbers outside BOOLEAN columns and 1 and 0 as
//     booleans inside them, numbers in string columns as strings and
//     strings in numeric columns as numbers, dates and times zero-padded
//     with six fractional digits;
//   - a foreign key's RESTRICT becomes NO ACTION: InnoDB enforces both the
//     same way (immediately), and MariaDB reports an action left out of
//     the DDL as RESTRICT, so Inspect reports both as NO ACTION;
//   - unique indexes without a predicate become unique constraints, since
//     MariaDB keeps both as unique indexes and cannot tell them apart;
//   - check expressions get MariaDB's spelling of string literals, <> for
//     !=, 1 and 0 for TRUE and FALSE and octet_length for LENGTH.
func (d *Dialect) Normalize(t *schema.Table) *schema.Table {
	n := t.Clone()
	if n.PrimaryKey != nil {
		n.PrimaryKey.Name = primaryKeyName
	}
	for _, c := range n.Columns {
		c.Type = normalizeType(c.Type)
		c.Default = canonDefault(c.Type, c.Default)
	}
	for _, fk := range n.ForeignKeys {
		if fk.OnDelete == schema.Restrict {
			fk.OnDelete = schema.NoAction
		}
		if fk.OnUpdate == schema.Restrict {
			fk.OnUpdate = schema.NoAction
		}
	}
	var idx []*schema.Index
	for _, x := range n.Indexes {
		if x.Unique && x.Where == "" {
			n.Uniques = append(n.Uniques, &schema.Unique{Name: x.Name, Columns: x.Columns})
			continue
		}
		idx = append(idx, x)
	}
	n.Indexes = idx
	for _, c := range n.Checks {
		c.Expr = canonExpr(c.Expr, true)
	}
	return n
}

func normalizeType(t schema.Type) schema.Type {
	switch t.Kind {
	case schema.KindTimestampTZ:
		return schema.Timestamp()
	case schema.KindUUID:
		return schema.Char(36)
	case schema.KindNumeric:
		if t.Precision == 0 {
			return schema.Numeric(10, 0)
		}
	case schema.KindEnum:
		vals := make([]string, len(t.Values))
		for i, v := range t.Values {
			vals[i] = strings.TrimRight(v, " ")
		}
		return schema.Type{Kind: schema.KindEnum, Values: vals}
	case schema.KindCustom:
		return parseColumnType(t.Custom)
	case schema.KindArray:
		// Stored as a JSON array in a JSON column, which reads back as
		// JSON: the element type is not kept.
		return schema.JSON()
	}
	return t
}
