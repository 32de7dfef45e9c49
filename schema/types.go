package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is a portable column type. Each dialect maps every Kind to its own
// type name; see the dialect packages for the tables.
type Kind uint8

// The portable column types.
const (
	KindInvalid     Kind = iota
	KindSmallInt         // 16-bit integer
	KindInteger          // 32-bit integer
	KindBigInt           // 64-bit integer
	KindBoolean          // true/false
	KindText             // unbounded string
	KindVarchar          // string of at most Length characters
	KindChar             // string of exactly Length characters
	KindNumeric          // exact decimal with Precision and Scale
	KindFloat            // 32-bit IEEE float
	KindDouble           // 64-bit IEEE float
	KindDate             // calendar date
	KindTime             // time of day without time zone
	KindTimestamp        // date and time without time zone
	KindTimestampTZ      // date and time with time zone (an instant)
	KindUUID             // 128-bit UUID
	KindJSON             // JSON document
	KindBytes            // binary string
	KindEnum             // one of EnumValues; named EnumName where the dialect has named enum types
	KindCustom           // a type written verbatim as Custom; never portable
	KindArray            // a one-dimensional array of Elem; see [Array]
)

var kindNames = [...]string{
	KindInvalid:     "invalid",
	KindSmallInt:    "smallint",
	KindInteger:     "integer",
	KindBigInt:      "bigint",
	KindBoolean:     "boolean",
	KindText:        "text",
	KindVarchar:     "varchar",
	KindChar:        "char",
	KindNumeric:     "numeric",
	KindFloat:       "float",
	KindDouble:      "double",
	KindDate:        "date",
	KindTime:        "time",
	KindTimestamp:   "timestamp",
	KindTimestampTZ: "timestamptz",
	KindUUID:        "uuid",
	KindJSON:        "json",
	KindBytes:       "bytes",
	KindEnum:        "enum",
	KindCustom:      "custom",
	KindArray:       "array",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// IsInteger reports whether k is one of the integer kinds.
func (k Kind) IsInteger() bool { return k == KindSmallInt || k == KindInteger || k == KindBigInt }

// Type is a column type: a Kind with its parameters. Construct types with
// the helper functions ([Integer], [Varchar], [Numeric], [Enum], ...); the
// zero Type is invalid.
type Type struct {
	Kind      Kind
	Length    int      // Varchar, Char
	Precision int      // Numeric; 0 means the dialect's default
	Scale     int      // Numeric
	EnumName  string   // Enum: the type's name where enums are named types (PostgreSQL)
	Values    []string // Enum: the allowed values, in order
	Custom    string   // Custom: the type as written in DDL

	// elem is an array's element type; it is set only by [Array] and never
	// changed afterwards, so copies of a Type may share it.
	elem *Type
}

// Type constructors.
func SmallInt() Type         { return Type{Kind: KindSmallInt} }
func Integer() Type          { return Type{Kind: KindInteger} }
func BigInt() Type           { return Type{Kind: KindBigInt} }
func Boolean() Type          { return Type{Kind: KindBoolean} }
func Text() Type             { return Type{Kind: KindText} }
func Varchar(n int) Type     { return Type{Kind: KindVarchar, Length: n} }
func Char(n int) Type        { return Type{Kind: KindChar, Length: n} }
func Float() Type            { return Type{Kind: KindFloat} }
func Double() Type           { return Type{Kind: KindDouble} }
func Date() Type             { return Type{Kind: KindDate} }
func Time() Type             { return Type{Kind: KindTime} }
func Timestamp() Type        { return Type{Kind: KindTimestamp} }
func TimestampTZ() Type      { return Type{Kind: KindTimestampTZ} }
func UUID() Type             { return Type{Kind: KindUUID} }
func JSON() Type             { return Type{Kind: KindJSON} }
func Bytes() Type            { return Type{Kind: KindBytes} }
func Custom(sql string) Type { return Type{Kind: KindCustom, Custom: sql} }

// Numeric is an exact decimal type with the given precision and scale.
func Numeric(precision, scale int) Type {
	return Type{Kind: KindNumeric, Precision: precision, Scale: scale}
}

// Enum is an enumerated type. name is used where the dialect has named enum
// types (PostgreSQL's CREATE TYPE); elsewhere the values are rendered inline
// (MariaDB ENUM) or enforced by a named CHECK constraint (SQLite).
func Enum(name string, values ...string) Type {
	return Type{Kind: KindEnum, EnumName: name, Values: append([]string(nil), values...)}
}

// Array is a one-dimensional array of elem: a PostgreSQL array
// (text[], bigint[], ...) and, on MariaDB and SQLite, a JSON array of the
// elements in a text column (see the dialect packages). The portable
// element types are [Text], [BigInt], [Integer], [Double], [Boolean] and
// [UUID]; validation refuses any other element, in particular arrays of
// arrays (PostgreSQL has no arrays of arrays, only multidimensional
// arrays with no JSON counterpart of the same shape), enums (a named
// PostgreSQL type each dialect would have to create first, with no
// portable JSON check), JSON and custom types (no portable equality for
// the array operators), numerics, floats, strings of a bounded length and
// temporal types (whose JSON text would compare as strings, not by
// value, on MariaDB and SQLite).
func Array(elem Type) Type {
	e := elem
	return Type{Kind: KindArray, elem: &e}
}

// Elem returns an array's element type, and the zero (invalid) Type for
// any other kind.
func (t Type) Elem() Type {
	if t.Kind != KindArray || t.elem == nil {
		return Type{}
	}
	return *t.elem
}

// IsArrayElem reports whether an array of k is portable: whether
// Array(Type{Kind: k}) passes validation.
func IsArrayElem(k Kind) bool {
	switch k {
	case KindText, KindBigInt, KindInteger, KindDouble, KindBoolean, KindUUID:
		return true
	}
	return false
}

// Equal reports whether two types are identical.
func (t Type) Equal(u Type) bool {
	if t.Kind == KindArray || u.Kind == KindArray {
		return t.Kind == u.Kind && t.Elem().Equal(u.Elem())
	}
	if t.Kind != u.Kind || t.Length != u.Length || t.Precision != u.Precision ||
		t.Scale != u.Scale || t.EnumName != u.EnumName || t.Custom != u.Custom ||
		len(t.Values) != len(u.Values) {
		return false
	}
	for i := range t.Values {
		if t.Values[i] != u.Values[i] {
			return false
		}
	}
	return true
}

// String renders the type in a portable, readable form such as
// "varchar(40)" or "enum mood(sad,happy)". It is for messages and
// snapshots, not for DDL: dialects render DDL.
func (t Type) String() string {
	switch t.Kind {
	case KindVarchar, KindChar:
		return fmt.Sprintf("%s(%d)", t.Kind, t.Length)
	case KindNumeric:
		if t.Precision == 0 {
			return "numeric"
		}
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	case KindEnum:
		return fmt.Sprintf("enum %s(%s)", t.EnumName, strings.Join(t.Values, ","))
	case KindCustom:
		return "custom " + t.Custom
	case KindArray:
		return t.Elem().String() + "[]"
	}
	return t.Kind.String()
}

func (t Type) validate() error {
	switch t.Kind {
	case KindInvalid:
		return fmt.Errorf("no type given")
	case KindVarchar, KindChar:
		if t.Length <= 0 {
			return fmt.Errorf("%s needs a positive length, got %d", t.Kind, t.Length)
		}
	case KindNumeric:
		if t.Precision < 0 || t.Scale < 0 || (t.Precision > 0 && t.Scale > t.Precision) {
			return fmt.Errorf("numeric(%d,%d): scale must be between 0 and the precision", t.Precision, t.Scale)
		}
		if t.Precision == 0 && t.Scale != 0 {
			return fmt.Errorf("numeric with a scale needs a precision")
		}
	case KindEnum:
		// The name may be empty in metadata read back from a database
		// without named enum types; PostgreSQL's dialect refuses to create
		// a nameless one.
		if len(t.Values) == 0 {
			return fmt.Errorf("enum %s has no values", t.EnumName)
		}
		seen := map[string]bool{}
		for _, v := range t.Values {
			if seen[v] {
				return fmt.Errorf("enum %s lists %q twice", t.EnumName, v)
			}
			seen[v] = true
		}
	case KindCustom:
		if strings.TrimSpace(t.Custom) == "" {
			return fmt.Errorf("custom type is empty")
		}
	case KindArray:
		e := t.Elem()
		switch {
		case e.Kind == KindInvalid:
			return fmt.Errorf("array has no element type")
		case e.Kind == KindArray:
			return fmt.Errorf("arrays of arrays are not supported: %s", t)
		case !IsArrayElem(e.Kind):
			return fmt.Errorf("arrays of %s are not portable; the element type must be text, bigint, integer, double, boolean or uuid", e)
		}
	default:
		if t.Kind >= Kind(len(kindNames)) {
			return fmt.Errorf("unknown type kind %d", t.Kind)
		}
	}
	return nil
}
