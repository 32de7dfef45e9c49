package migrate

import (
	"fmt"
	"slices"

	"github.com/strata-go/strata/schema"
)

// Destructive returns why op may lose data or fail on existing rows, or ""
// if it cannot: dropping a table or a column, narrowing a column's type,
// making a column NOT NULL without a default, adding a NOT NULL column
// without a default. Autogenerate lists these in the revision, which must
// then be acknowledged before it runs.
func Destructive(op Op) string {
	switch o := op.(type) {
	case DropTable:
		return fmt.Sprintf("drops table %s and all its rows", o.Table.Name)
	case DropColumn:
		return fmt.Sprintf("drops column %s.%s and its values", o.Table, o.Column.Name)
	case AddColumn:
		if !o.Column.Nullable && o.Column.Default == nil && !o.Column.AutoIncrement {
			return fmt.Sprintf("adds NOT NULL column %s.%s without a default: fails if the table has rows", o.Table, o.Column.Name)
		}
	case AlterEnum:
		if !widens(o.Old, o.New) {
			return fmt.Sprintf("removes values from enum %s: fails if a row holds one", o.New.EnumName)
		}
	case AlterColumn:
		if !o.Old.Type.Equal(o.New.Type) && !widens(o.Old.Type, o.New.Type) {
			return fmt.Sprintf("changes the type of %s.%s from %s to %s, which may not hold every value", o.Table, o.New.Name, o.Old.Type, o.New.Type)
		}
		if o.Old.Nullable && !o.New.Nullable && o.New.Default == nil {
			return fmt.Sprintf("makes %s.%s NOT NULL without a default: fails if a row holds NULL", o.Table, o.New.Name)
		}
	}
	return ""
}

// widens reports whether every value of type a fits type b unchanged.
func widens(a, b schema.Type) bool {
	rank := map[schema.Kind]int{schema.KindSmallInt: 1, schema.KindInteger: 2, schema.KindBigInt: 3}
	isString := func(k schema.Kind) bool {
		return k == schema.KindVarchar || k == schema.KindChar || k == schema.KindText
	}
	switch {
	case a.Kind == schema.KindArray && b.Kind == schema.KindArray:
		return a.Elem().Equal(b.Elem()) || widens(a.Elem(), b.Elem())
	case a.Kind.IsInteger() && b.Kind.IsInteger():
		return rank[a.Kind] <= rank[b.Kind]
	case a.Kind.IsInteger() && b.Kind == schema.KindNumeric:
		return b.Precision == 0 || b.Precision-b.Scale >= 19
	case a.Kind == schema.KindFloat && b.Kind == schema.KindDouble:
		return true
	case isString(a.Kind) && b.Kind == schema.KindText:
		return true
	case isString(a.Kind) && b.Kind == schema.KindVarchar && a.Kind != schema.KindText:
		return b.Length >= a.Length
	case a.Kind == schema.KindNumeric && b.Kind == schema.KindNumeric:
		return b.Precision == 0 || (a.Precision != 0 && b.Scale >= a.Scale && b.Precision-b.Scale >= a.Precision-a.Scale)
	case a.Kind == schema.KindEnum && b.Kind == schema.KindEnum:
		for _, v := range a.Values {
			if !slices.Contains(b.Values, v) {
				return false
			}
		}
		return true
	case a.Kind == schema.KindEnum && isString(b.Kind):
		return b.Kind == schema.KindText
	case a.Kind == schema.KindTimestamp && b.Kind == schema.KindTimestampTZ:
		return false // reinterprets values in a time zone
	}
	return false
}
