package pgdialect

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/strata-go/strata/schema"
)

// Normalize returns a copy of t as Inspect reports it after PostgreSQL has
// created it:
//
//   - custom types spelled with an alias PostgreSQL resolves to a portable
//     type ("int4", "VARCHAR(20)", "timestamptz") become that type; other
//     custom types are spelled as format_type prints them where that can be
//     told without a server ("float8[]" becomes an array of double,
//     "timestamptz(3)" -> "timestamp(3) with time zone");
//   - numeric defaults are written as PostgreSQL prints the constant
//     ("1e3" -> "1000", "+5" -> "5", "007" -> "7", "1.50" stays "1.50");
//   - string defaults on columns whose type reads them as something else
//     become that something: numbers on integer, numeric and float columns,
//     booleans ('t', 'yes', 'on', ...) on boolean columns; uuid, jsonb and
//     bytea literals are rewritten in their output form;
//   - expression defaults PostgreSQL reads as a literal or as the current
//     time or date ("now()", "CURRENT_TIMESTAMP", "'x'", "42", "NULL") take
//     that kind; other expressions are kept as written (PostgreSQL may print
//     them differently);
//   - primary key and identity columns are NOT NULL;
//   - foreign keys, unique constraints, indexes and checks are sorted by
//     name, the order Inspect returns them in.
//
// Check expressions and index predicates are left alone: PostgreSQL
// rewrites them, and the differ (migrate.Plan) compares them after
// schema.NormalizeExpr.
func (*Dialect) Normalize(t *schema.Table) *schema.Table {
	n := t.Clone()
	pk := map[string]bool{}
	if n.PrimaryKey != nil {
		for _, c := range n.PrimaryKey.Columns {
			pk[c] = true
		}
	}
	for _, c := range n.Columns {
		if c.Type.Kind == schema.KindCustom {
			c.Type = typeFromFormat(canonicalTypeName(c.Type.Custom))
		}
		if c.Type.Kind == schema.KindNumeric && c.Type.Precision == 0 {
			c.Type.Scale = 0
		}
		if pk[c.Name] || c.AutoIncrement {
			c.Nullable = false
		}
		if c.Default != nil {
			c.Default = normalizeDefault(c.Type, c.Default)
		}
	}
	sortByName(n.ForeignKeys, func(f *schema.ForeignKey) string { return f.Name })
	sortByName(n.Uniques, func(u *schema.Unique) string { return u.Name })
	sortByName(n.Indexes, func(x *schema.Index) string { return x.Name })
	sortByName(n.Checks, func(c *schema.Check) string { return c.Name })
	return n
}

func sortByName[T any](s []*T, name func(*T) string) {
	sort.SliceStable(s, func(i, j int) bool { return name(s[i]) < name(s[j]) })
}

// normalizeDefault returns the default as Inspect reads it back from a
// column of type typ, or nil if PostgreSQL stores no default.
func normalizeDefault(typ schema.Type, d *schema.Default) *schema.Default {
	nd := *d
	if nd.Kind == schema.DefaultExpr {
		p := parseDefault(nd.Value)
		if p == nil {
			return nil
		}
		nd = *p
	}
	switch nd.Kind {
	case schema.DefaultNumber:
		if v, ok := pgNumeric(nd.Value); ok {
			nd.Value = v
		}
	case schema.DefaultString:
		return stringDefault(typ, nd.Value)
	}
	return &nd
}

// stringDefault is what PostgreSQL prints for the string literal s used as
// a default of a column of type typ: the literal is converted by the type's
// input function when the table is created, and printed by its output
// function.
func stringDefault(typ schema.Type, s string) *schema.Default {
	str := &schema.Default{Kind: schema.DefaultString, Value: s}
	v := strings.TrimSpace(s)
	switch typ.Kind {
	case schema.KindSmallInt, schema.KindInteger, schema.KindBigInt:
		if isIntegerLiteral(v) {
			n, _ := pgNumeric(v)
			return &schema.Default{Kind: schema.DefaultNumber, Value: n}
		}
	case schema.KindNumeric:
		if isNumberLiteral(v) {
			n, _ := pgNumeric(v)
			return &schema.Default{Kind: schema.DefaultNumber, Value: n}
		}
		if s, ok := specialFloat(v); ok {
			str.Value = s
		}
	case schema.KindFloat, schema.KindDouble:
		bits := 64
		if typ.Kind == schema.KindFloat {
			bits = 32
		}
		if s, ok := specialFloat(v); ok {
			str.Value = s
			return str
		}
		if isNumberLiteral(v) {
			if f, err := strconv.ParseFloat(v, bits); err == nil && !math.IsInf(f, 0) {
				n, _ := pgNumeric(strconv.FormatFloat(f, 'g', -1, bits))
				return &schema.Default{Kind: schema.DefaultNumber, Value: n}
			}
		}
	case schema.KindBoolean:
		if b, ok := parseBool(v); ok {
			return schema.DefaultBoolean(b)
		}
	case schema.KindUUID:
		if u, ok := canonicalUUID(v); ok {
			str.Value = u
		}
	case schema.KindJSON:
		if j, ok := jsonbText(s); ok {
			str.Value = j
		}
	case schema.KindBytes:
		if b, ok := byteaHex(s); ok {
			str.Value = b
		}
	}
	return str
}

// specialFloat recognises the non-finite values of float and numeric
// input, returning their output spelling.
func specialFloat(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "nan", "+nan", "-nan":
		return "NaN", true
	case "inf", "+inf", "infinity", "+infinity":
		return "Infinity", true
	case "-inf", "-infinity":
		return "-Infinity", true
	}
	return "", false
}

// parseBool reads a boolean as PostgreSQL's boolin does: any unambiguous
// prefix of true/false/yes/no, on/off, 1/0, in any case.
func parseBool(s string) (bool, bool) {
	l := strings.ToLower(s)
	prefix := func(word string, min int) bool { return len(l) >= min && strings.HasPrefix(word, l) }
	switch {
	case prefix("true", 1), prefix("yes", 1), prefix("on", 2), l == "1":
		return true, true
	case prefix("false", 1), prefix("no", 1), prefix("off", 2), l == "0":
		return false, true
	}
	return false, false
}

// canonicalUUID returns a UUID in its output form (lower case, 8-4-4-4-12).
func canonicalUUID(s string) (string, bool) {
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return "", false
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", false
	}
	h = strings.ToLower(h)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], true
}

// byteaHex converts bytea input (hex or escape format) to its hex output.
func byteaHex(s string) (string, bool) {
	var out []byte
	if strings.HasPrefix(s, `\x`) {
		h := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s[2:])
		b, err := hex.DecodeString(h)
		if err != nil {
			return "", false
		}
		out = b
	} else {
		for i := 0; i < len(s); i++ {
			if s[i] != '\\' {
				out = append(out, s[i])
				continue
			}
			switch {
			case i+1 < len(s) && s[i+1] == '\\':
				out = append(out, '\\')
				i++
			case i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3':
				out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
				i += 3
			default:
				return "", false
			}
		}
	}
	return `\x` + hex.EncodeToString(out), true
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// jsonbText returns the JSON document s as jsonb prints it: object keys
// sorted by length and then bytes, the last of duplicate keys kept, ", "
// and ": " as separators, numbers as numeric prints them.
func jsonbText(s string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	if _, err := dec.Token(); err == nil {
		return "", false // trailing data
	}
	var b bytes.Buffer
	if !writeJSONB(&b, v) {
		return "", false
	}
	return b.String(), true
}

func writeJSONB(b *bytes.Buffer, v any) bool {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		n, ok := pgNumeric(string(v))
		if !ok {
			return false
		}
		b.WriteString(n)
	case string:
		writeJSONString(b, v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			if !writeJSONB(b, e) {
				return false
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if len(a) != len(b) {
				return len(a) - len(b)
			}
			return strings.Compare(a, b)
		})
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONString(b, k)
			b.WriteString(": ")
			if !writeJSONB(b, v[k]) {
				return false
			}
		}
		b.WriteByte('}')
	default:
		return false
	}
	return true
}

// writeJSONString escapes like PostgreSQL's escape_json.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// isNumberLiteral accepts an optional sign, digits with an optional
// fraction, and an optional exponent.
func isNumberLiteral(s string) bool {
	_, _, _, _, ok := splitNumber(s)
	return ok
}

// isIntegerLiteral accepts an optional sign and digits.
func isIntegerLiteral(s string) bool {
	_, in, _, _, ok := splitNumber(s)
	return ok && in != "" && !strings.ContainsAny(s, ".eE")
}

// splitNumber splits a number literal into its sign, integer and fraction
// digits and exponent.
func splitNumber(s string) (neg bool, in, frac string, exp int, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	in = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		frac = s[start:i]
	}
	if in == "" && frac == "" {
		return false, "", "", 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		start = i
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		ds := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == ds || i-ds > 6 {
			return false, "", "", 0, false
		}
		e, err := strconv.Atoi(s[start:i])
		if err != nil {
			return false, "", "", 0, false
		}
		exp = e
	}
	if i != len(s) {
		return false, "", "", 0, false
	}
	return neg, in, frac, exp, true
}

// pgNumeric returns the number literal s as PostgreSQL's numeric output
// prints it: no exponent, no leading zeros, no plus sign, and as many
// fraction digits as the literal had after applying its exponent
// ("1.50" -> "1.50", "1e3" -> "1000", "15e-1" -> "1.5", "-0" -> "0").
// ok is false if s is not a number literal or its exponent is absurd.
func pgNumeric(s string) (string, bool) {
	neg, in, frac, exp, ok := splitNumber(s)
	if !ok || exp > 1000 || exp < -1000 {
		return s, false
	}
	digits := in + frac
	scale := len(frac) - exp // digits after the point in digits*10^-scale
	if scale < 0 {
		digits += strings.Repeat("0", -scale)
		scale = 0
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	ip, fp := strings.TrimLeft(digits[:len(digits)-scale], "0"), digits[len(digits)-scale:]
	if ip == "" {
		ip = "0"
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if neg && strings.Trim(digits, "0") != "" {
		out = "-" + out
	}
	return out, true
}

// parseDefault reads a default expression as pg_get_expr prints it (or as
// an author wrote it) into a schema.Default; nil means no default (NULL).
func parseDefault(expr string) *schema.Default {
	s := stripParens(strings.TrimSpace(expr))
	if s == "" {
		return nil
	}
	u := strings.ToUpper(s)
	switch u {
	case "NULL":
		return nil
	case "TRUE":
		return schema.DefaultBoolean(true)
	case "FALSE":
		return schema.DefaultBoolean(false)
	case "NOW()", "CURRENT_TIMESTAMP":
		return schema.DefaultNow()
	case "CURRENT_DATE", "('NOW'::TEXT)::DATE":
		return schema.DefaultToday()
	}
	if strings.HasPrefix(u, "NULL::") && isCastSuffix(s[4:]) {
		return nil
	}
	num := s
	if strings.HasPrefix(num, "+") {
		num = "+" + strings.TrimLeft(num[1:], " ")
	}
	if n, ok := pgNumeric(num); ok {
		return &schema.Default{Kind: schema.DefaultNumber, Value: n}
	}
	if lit, typ, ok := splitLiteral(s); ok {
		if isNumericTypeName(typ) {
			if n, ok := pgNumeric(lit); ok {
				return &schema.Default{Kind: schema.DefaultNumber, Value: n}
			}
		}
		return schema.DefaultStr(lit)
	}
	return schema.DefaultSQL(s)
}

// isNumericTypeName reports whether a cast target is a number type.
func isNumericTypeName(t string) bool {
	t = strings.ToLower(t)
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	switch t {
	case "smallint", "integer", "bigint", "numeric", "real", "double precision",
		"int2", "int4", "int8", "int", "float4", "float8", "decimal":
		return true
	}
	return false
}

// splitLiteral splits 'text'::type[::type...] into the unescaped text and
// the last cast's type (empty if none).
func splitLiteral(s string) (lit, typ string, ok bool) {
	if len(s) < 2 || s[0] != '\'' {
		return "", "", false
	}
	var b strings.Builder
	i := 1
	for {
		if i >= len(s) {
			return "", "", false
		}
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			break
		}
		b.WriteByte(s[i])
		i++
	}
	rest := s[i+1:]
	if rest == "" {
		return b.String(), "", true
	}
	if !isCastSuffix(rest) {
		return "", "", false
	}
	last := lastCast(rest)
	return b.String(), last, true
}

// isCastSuffix reports whether s is one or more ::type casts and nothing
// else.
func isCastSuffix(s string) bool {
	if !strings.HasPrefix(s, "::") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			if i+1 >= len(s) || s[i+1] != ':' {
				return false
			}
			i++
		case c == '"':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return false
			}
			i = j
		case c == ' ' || c == '.' || c == ',' || c == '(' || c == ')' || c == '[' || c == ']' || c == '_' ||
			('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c >= 0x80:
		default:
			return false
		}
	}
	return true
}

// lastCast returns the type of the last ::type cast of a cast suffix.
func lastCast(s string) string {
	last, inQuote := 0, false
	for i := 0; i+1 < len(s); i++ {
		switch {
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && s[i] == ':' && s[i+1] == ':':
			last = i + 2
			i++
		}
	}
	return strings.TrimSpace(s[last:])
}

// stripParens removes parentheses that wrap the whole of s.
func stripParens(s string) string {
	for len(s) >= 2 && s[0] == '(' && matchingParen(s, 0) == len(s)-1 {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// matchingParen returns the index of the parenthesis closing the one at
// open, skipping string literals and quoted identifiers, or -1.
func matchingParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// typeFromFormat maps a type as format_type prints it to a portable type;
// what has no portable equivalent becomes a custom type. An array of a
// portable element type ("text[]", "double precision[]") is an array type;
// other arrays ("numeric[]", "character varying(20)[]") are custom.
// format_type prints every array with one pair of brackets, whatever its
// dimensions: PostgreSQL does not enforce them.
func typeFromFormat(f string) schema.Type {
	if e, ok := strings.CutSuffix(f, "[]"); ok {
		if et := typeFromFormat(e); schema.IsArrayElem(et.Kind) {
			return schema.Array(et)
		}
		return schema.Custom(f)
	}
	switch f {
	case "smallint":
		return schema.SmallInt()
	case "integer":
		return schema.Integer()
	case "bigint":
		return schema.BigInt()
	case "boolean":
		return schema.Boolean()
	case "text":
		return schema.Text()
	case "numeric":
		return schema.Numeric(0, 0)
	case "real":
		return schema.Float()
	case "double precision":
		return schema.Double()
	case "date":
		return schema.Date()
	case "time without time zone":
		return schema.Time()
	case "timestamp without time zone":
		return schema.Timestamp()
	case "timestamp with time zone":
		return schema.TimestampTZ()
	case "uuid":
		return schema.UUID()
	case "jsonb":
		return schema.JSON()
	case "bytea":
		return schema.Bytes()
	}
	var n, p, s int
	var tail string
	if k, _ := fmt.Sscanf(f, "character varying(%d)%s", &n, &tail); k == 1 && n > 0 && f == fmt.Sprintf("character varying(%d)", n) {
		return schema.Varchar(n)
	}
	if k, _ := fmt.Sscanf(f, "character(%d)%s", &n, &tail); k == 1 && n > 0 && f == fmt.Sprintf("character(%d)", n) {
		return schema.Char(n)
	}
	if k, _ := fmt.Sscanf(f, "numeric(%d,%d)%s", &p, &s, &tail); k == 2 && p > 0 && s >= 0 && s <= p && f == fmt.Sprintf("numeric(%d,%d)", p, s) {
		return schema.Numeric(p, s)
	}
	return schema.Custom(f)
}

// canonicalTypeName spells a type the way format_type prints it, for the
// aliases PostgreSQL's grammar accepts. Names with quoted identifiers, and
// names it does not know, are returned trimmed (unquoted ones in lower
// case, as PostgreSQL folds them).
func canonicalTypeName(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, `"`) {
		return s
	}
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	s = strings.NewReplacer(" (", "(", "( ", "(", " )", ")", " ,", ",", ", ", ",", " [", "[").Replace(s)
	array := ""
	if i := strings.IndexByte(s, '['); i > 0 && strings.HasSuffix(s, "]") {
		s, array = strings.TrimSpace(s[:i]), "[]"
	} else if strings.HasSuffix(s, " array") {
		s, array = strings.TrimSpace(strings.TrimSuffix(s, " array")), "[]"
	}
	base, args := s, ""
	if i := strings.IndexByte(s, '('); i > 0 {
		if j := strings.IndexByte(s, ')'); j > i {
			base, args = strings.TrimSpace(s[:i]), s[i+1:j]
			rest := strings.TrimSpace(s[j+1:])
			switch rest {
			case "":
			case "without time zone", "with time zone":
				base += " " + rest
			default:
				return s + array
			}
		}
	}
	var out string
	switch base {
	case "int2", "smallint":
		out = "smallint"
	case "int", "int4", "integer":
		out = "integer"
	case "int8", "bigint":
		out = "bigint"
	case "bool", "boolean":
		out = "boolean"
	case "float4", "real":
		out = "real"
	case "float8", "double precision":
		out = "double precision"
	case "float":
		out = "double precision"
		if n, err := strconv.Atoi(args); err == nil && n >= 1 && n <= 24 {
			out = "real"
		}
		args = ""
	case "decimal", "numeric":
		out = "numeric"
		if args != "" {
			parts := strings.Split(args, ",")
			if len(parts) == 1 {
				args += ",0"
			}
		}
	case "varchar", "character varying", "char varying":
		out = "character varying"
	case "char", "character", "bpchar":
		out = "character"
		if args == "" {
			if base == "bpchar" {
				out = "bpchar"
			} else {
				args = "1"
			}
		}
	case "timestamp", "timestamp without time zone":
		return withPrecision("timestamp", args, " without time zone") + array
	case "timestamptz", "timestamp with time zone":
		return withPrecision("timestamp", args, " with time zone") + array
	case "time", "time without time zone":
		return withPrecision("time", args, " without time zone") + array
	case "timetz", "time with time zone":
		return withPrecision("time", args, " with time zone") + array
	default:
		return s + array
	}
	if args != "" {
		out += "(" + args + ")"
	}
	return out + array
}

func withPrecision(name, args, zone string) string {
	if args != "" {
		name += "(" + args + ")"
	}
	return name + zone
}
