package mysqldialect

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/strata-go/strata/schema"
)

// parseColumnType maps information_schema.COLUMNS.COLUMN_TYPE back to a
// portable type. Types with no portable kind (unsigned or zerofill
// integers, tinyint(4), mediumint, datetime without fractional seconds,
// varbinary, set, ...) come back as custom types in [canonCustom] form.
// Enums have no name.
func parseColumnType(ct string) schema.Type {
	s := strings.ToLower(strings.TrimSpace(ct))
	custom := schema.Custom(canonCustom(ct))
	base, args, rest := s, "", ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		j := strings.LastIndexByte(s, ')')
		if j < i {
			return custom
		}
		base, args, rest = s[:i], s[i+1:j], strings.TrimSpace(s[j+1:])
	} else if i := strings.IndexByte(s, ' '); i >= 0 {
		base, rest = s[:i], strings.TrimSpace(s[i+1:])
	}
	if base == "enum" && rest == "" {
		vals, ok := parseLiteralList(ct[strings.IndexByte(ct, '(')+1 : strings.LastIndexByte(ct, ')')])
		if !ok {
			return custom
		}
		return schema.Type{Kind: schema.KindEnum, Values: vals}
	}
	if rest != "" { // unsigned, zerofill, character set ...
		return custom
	}
	nums := func() []int {
		if args == "" {
			return nil
		}
		var out []int
		for _, p := range strings.Split(args, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return nil
			}
			out = append(out, n)
		}
		return out
	}
	n := nums()
	switch base {
	case "tinyint", "bool", "boolean":
		if base != "tinyint" || (len(n) == 1 && n[0] == 1) {
			return schema.Boolean()
		}
	case "smallint":
		return schema.SmallInt()
	case "int", "integer":
		return schema.Integer()
	case "bigint":
		return schema.BigInt()
	case "decimal", "numeric", "dec", "fixed":
		switch {
		case args == "":
			return schema.Numeric(10, 0)
		case len(n) == 1:
			return schema.Numeric(n[0], 0)
		case len(n) == 2:
			return schema.Numeric(n[0], n[1])
		}
	case "float":
		if args == "" {
			return schema.Float()
		}
	case "double", "real":
		if args == "" {
			return schema.Double()
		}
	case "date":
		if args == "" {
			return schema.Date()
		}
	case "time":
		if args == "" || (len(n) == 1 && n[0] == 6) {
			return schema.Time()
		}
	case "datetime":
		if len(n) == 1 && n[0] == 6 {
			return schema.Timestamp()
		}
	case "char":
		if len(n) == 1 {
			return schema.Char(n[0])
		}
	case "varchar":
		if len(n) == 1 {
			return schema.Varchar(n[0])
		}
	case "text", "mediumtext", "longtext":
		if args == "" {
			return schema.Text()
		}
	case "blob", "mediumblob", "longblob":
		if args == "" {
			return schema.Bytes()
		}
	case "json":
		return schema.JSON()
	case "uuid": // MariaDB 10.7's native type
		return schema.UUID()
	}
	return custom
}

var intWidthRe = regexp.MustCompile(`^(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)`)

// canonCustom is the form of a type with no portable kind that both
// Normalize and Inspect use: lower case (unless it holds quoted text), and
// integer types without their display width, which MariaDB adds (int(11))
// and MySQL 8 leaves out, and which means nothing without ZEROFILL.
func canonCustom(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "'\"`") {
		return s
	}
	s = strings.ToLower(s)
	if !strings.Contains(s, "zerofill") {
		s = intWidthRe.ReplaceAllString(s, "$1")
	}
	return s
}

func isNumericKind(k schema.Kind) bool {
	switch k {
	case schema.KindSmallInt, schema.KindInteger, schema.KindBigInt, schema.KindNumeric,
		schema.KindFloat, schema.KindDouble, schema.KindBoolean:
		return true
	}
	return false
}

func isStringKind(k schema.Kind) bool {
	switch k {
	case schema.KindText, schema.KindVarchar, schema.KindChar, schema.KindUUID, schema.KindEnum, schema.KindJSON:
		return true
	}
	return false
}

// canonNumber writes a numeric default the way MariaDB reports it for a
// column of type t, or as near as both sides of a comparison can agree on:
// integers without fraction or exponent, DECIMAL(p,s) with exactly s
// decimals, floating point in Go's shortest form.
func canonNumber(t schema.Type, v string) string {
	switch t.Kind {
	case schema.KindSmallInt, schema.KindInteger, schema.KindBigInt, schema.KindBoolean:
		if r, ok := new(big.Rat).SetString(v); ok && r.IsInt() {
			return r.Num().String()
		}
	case schema.KindNumeric:
		if r, ok := new(big.Rat).SetString(v); ok {
			return r.FloatString(t.Scale)
		}
	case schema.KindFloat, schema.KindDouble:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	return v
}

// canonTemporal rewrites a date, time or timestamp literal default in the
// form MariaDB reports it: zero-padded, with six fractional digits for
// TIME(6) and DATETIME(6). Other values are returned unchanged.
func canonTemporal(k schema.Kind, v string) string {
	var layouts []string
	var out string
	switch k {
	case schema.KindDate:
		layouts, out = []string{"2006-1-2"}, "2006-01-02"
	case schema.KindTime:
		layouts, out = []string{"15:04:05.999999999", "15:04:05", "15:04"}, "15:04:05.000000"
	case schema.KindTimestamp, schema.KindTimestampTZ:
		layouts = []string{"2006-1-2 15:04:05.999999999", "2006-1-2 15:04:05", "2006-1-2 15:04",
			"2006-1-2T15:04:05.999999999", "2006-1-2T15:04:05", "2006-1-2"}
		out = "2006-01-02 15:04:05.000000"
	default:
		return v
	}
	for _, l := range layouts {
		if tm, err := time.Parse(l, v); err == nil {
			return tm.Format(out)
		}
	}
	return v
}

// canonDefault turns a default into the form Inspect reports for a column
// of type t. Both Normalize and Inspect use it, so equal defaults compare
// equal whatever their spelling.
func canonDefault(t schema.Type, d *schema.Default) *schema.Default {
	if d == nil {
		return nil
	}
	out := *d
	switch d.Kind {
	case schema.DefaultBool:
		if t.Kind != schema.KindBoolean {
			v := "0"
			if d.Value == "true" {
				v = "1"
			}
			if isStringKind(t.Kind) {
				return &schema.Default{Kind: schema.DefaultString, Value: v}
			}
			return &schema.Default{Kind: schema.DefaultNumber, Value: canonNumber(t, v)}
		}
	case schema.DefaultNumber:
		switch {
		case t.Kind == schema.KindBoolean:
			v := canonNumber(t, d.Value)
			if v == "0" || v == "1" {
				return schema.DefaultBoolean(v == "1")
			}
			out.Value = v
		case isStringKind(t.Kind):
			return &schema.Default{Kind: schema.DefaultString, Value: d.Value}
		default:
			out.Value = canonNumber(t, d.Value)
		}
	case schema.DefaultString:
		switch {
		case isNumericKind(t.Kind) && schema.IsNumberLiteral(strings.TrimSpace(d.Value)):
			return canonDefault(t, &schema.Default{Kind: schema.DefaultNumber, Value: strings.TrimSpace(d.Value)})
		default:
			out.Value = canonTemporal(t.Kind, d.Value)
		}
	}
	return &out
}
