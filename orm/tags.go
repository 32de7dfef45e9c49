package orm

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/strata-go/strata/schema"
)

// fieldTag is a parsed `db:"..."` struct tag:
//
//	db:"name,opt,opt:value,..."
//
// The first element is the column name (empty: derived from the field
// name); "-" skips the field. Options:
//
//	pk                  part of the primary key
//	autoincrement       database-generated key (default for a single integer pk)
//	noautoincrement     a single integer pk the program assigns itself
//	null / notnull      override the nullability derived from the Go type
//	type:varchar(40)    the column type (see parseType); size:40 for varchar(40)
//	default:<literal>   server default: 'text', 42, 1.5, true, now, today, (sql expr)
//	server_onupdate     the database changes the column on UPDATE (trigger,
//	                    ON UPDATE CURRENT_TIMESTAMP): re-read after each update
//	version             optimistic-concurrency version counter, kept by Strata
//	                    (1 at insert, +1 at every UPDATE)
//	version:app         a version the application sets (a UUID, a timestamp):
//	                    the UPDATE matches the value loaded and writes the new one
//	unique / index      a single-column unique constraint / index
//	fk:table.column     a foreign key; ondelete:cascade, onupdate:set null
//	comment:text        the column comment (no commas)
type fieldTag struct {
	name           string
	skip           bool
	pk             bool
	autoIncrement  *bool
	nullable       *bool
	typ            *schema.Type
	def            *schema.Default
	serverOnUpdate bool
	version        bool
	appVersion     bool
	unique         bool
	index          bool
	fkTable        string
	fkColumn       string
	onDelete       schema.Action
	onUpdate       schema.Action
	comment        string
}

func parseTag(tag string) (fieldTag, error) {
	var t fieldTag
	if tag == "-" {
		t.skip = true
		return t, nil
	}
	parts := splitTag(tag)
	if len(parts) > 0 {
		t.name = strings.TrimSpace(parts[0])
	}
	yes, no := true, false
	for _, p := range parts[min(1, len(parts)):] {
		key, val, hasVal := strings.Cut(strings.TrimSpace(p), ":")
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		needVal := func() error {
			if !hasVal || val == "" {
				return fmt.Errorf("tag option %q needs a value", key)
			}
			return nil
		}
		switch key {
		case "":
		case "pk", "primarykey", "primary_key":
			t.pk = true
		case "autoincrement":
			t.autoIncrement = &yes
		case "noautoincrement":
			t.autoIncrement = &no
		case "null", "nullable":
			t.nullable = &yes
		case "notnull":
			t.nullable = &no
		case "type":
			if err := needVal(); err != nil {
				return t, err
			}
			typ, err := parseType(val)
			if err != nil {
				return t, err
			}
			t.typ = &typ
		case "size":
			n, err := strconv.Atoi(val)
			if err != nil || n <= 0 {
				return t, fmt.Errorf("size %q is not a positive integer", val)
			}
			typ := schema.Varchar(n)
			t.typ = &typ
		case "default":
			if err := needVal(); err != nil {
				return t, err
			}
			d, err := parseDefault(val)
			if err != nil {
				return t, err
			}
			t.def = d
		case "server_onupdate":
			t.serverOnUpdate = true
		case "version":
			t.version = true
			switch strings.ToLower(val) {
			case "":
			case "app":
				t.appVersion = true
			default:
				return t, fmt.Errorf("version takes no value or app, not %q", val)
			}
		case "unique":
			t.unique = true
		case "index":
			t.index = true
		case "fk":
			if err := needVal(); err != nil {
				return t, err
			}
			tbl, col, ok := strings.Cut(val, ".")
			if !ok || tbl == "" || col == "" {
				return t, fmt.Errorf("fk %q: write fk:table.column", val)
			}
			t.fkTable, t.fkColumn = tbl, col
		case "ondelete", "onupdate":
			if err := needVal(); err != nil {
				return t, err
			}
			a, err := schema.ParseAction(strings.ReplaceAll(val, "_", " "))
			if err != nil {
				return t, err
			}
			if key == "ondelete" {
				t.onDelete = a
			} else {
				t.onUpdate = a
			}
		case "comment":
			t.comment = val
		default:
			return t, fmt.Errorf("unknown tag option %q", key)
		}
	}
	if (t.onDelete != schema.NoAction || t.onUpdate != schema.NoAction) && t.fkTable == "" {
		return t, fmt.Errorf("ondelete/onupdate without fk")
	}
	return t, nil
}

// splitTag splits on commas outside parentheses and quotes, so that
// type:numeric(10,2) and default:'a,b' stay whole.
func splitTag(s string) []string {
	var out []string
	depth, start := 0, 0
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parseType reads a portable type name: smallint, integer (int), bigint,
// boolean (bool), text, varchar(n), char(n), numeric(p,s) (decimal),
// float, double, date, time, timestamp, timestamptz, uuid, json, bytes,
// enum(name:a|b|c), and arrays of text, bigint, integer, double, boolean
// and uuid written with [] (text[]).
func parseType(s string) (schema.Type, error) {
	if elem, ok := strings.CutSuffix(strings.TrimSpace(s), "[]"); ok {
		et, err := parseType(elem)
		if err != nil {
			return schema.Type{}, err
		}
		if et.Kind == schema.KindArray || !schema.IsArrayElem(et.Kind) {
			return schema.Type{}, fmt.Errorf("type %q: arrays hold text, bigint, integer, double, boolean or uuid", s)
		}
		return schema.Array(et), nil
	}
	name, args, _ := strings.Cut(s, "(")
	name = strings.ToLower(strings.TrimSpace(name))
	var params []string
	if args != "" {
		if !strings.HasSuffix(args, ")") {
			return schema.Type{}, fmt.Errorf("type %q: missing )", s)
		}
		for _, p := range strings.Split(strings.TrimSuffix(args, ")"), ",") {
			params = append(params, strings.TrimSpace(p))
		}
	}
	ints := func(n int) ([]int, error) {
		if len(params) != n {
			return nil, fmt.Errorf("type %q takes %d parameter(s)", s, n)
		}
		out := make([]int, n)
		for i, p := range params {
			v, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("type %q: %q is not an integer", s, p)
			}
			out[i] = v
		}
		return out, nil
	}
	plain := map[string]schema.Type{
		"smallint": schema.SmallInt(), "integer": schema.Integer(), "int": schema.Integer(),
		"bigint": schema.BigInt(), "boolean": schema.Boolean(), "bool": schema.Boolean(),
		"text": schema.Text(), "float": schema.Float(), "double": schema.Double(),
		"date": schema.Date(), "time": schema.Time(), "timestamp": schema.Timestamp(),
		"timestamptz": schema.TimestampTZ(), "uuid": schema.UUID(), "json": schema.JSON(),
		"bytes": schema.Bytes(),
	}
	if t, ok := plain[name]; ok {
		if len(params) != 0 {
			return schema.Type{}, fmt.Errorf("type %q takes no parameters", s)
		}
		return t, nil
	}
	switch name {
	case "varchar", "char":
		n, err := ints(1)
		if err != nil {
			return schema.Type{}, err
		}
		if name == "char" {
			return schema.Char(n[0]), nil
		}
		return schema.Varchar(n[0]), nil
	case "numeric", "decimal":
		if len(params) == 0 {
			return schema.Numeric(0, 0), nil
		}
		n, err := ints(2)
		if err != nil {
			return schema.Type{}, err
		}
		return schema.Numeric(n[0], n[1]), nil
	case "enum":
		if len(params) != 1 {
			return schema.Type{}, fmt.Errorf("type %q: write enum(name:a|b|c)", s)
		}
		en, vals, ok := strings.Cut(params[0], ":")
		if !ok || vals == "" {
			return schema.Type{}, fmt.Errorf("type %q: write enum(name:a|b|c)", s)
		}
		return schema.Enum(en, strings.Split(vals, "|")...), nil
	}
	return schema.Type{}, fmt.Errorf("unknown type %q", s)
}

// parseDefault reads a server default written in a tag.
func parseDefault(s string) (*schema.Default, error) {
	switch strings.ToLower(s) {
	case "now", "current_timestamp":
		return schema.DefaultNow(), nil
	case "today", "current_date":
		return schema.DefaultToday(), nil
	case "true", "false":
		return schema.DefaultBoolean(strings.EqualFold(s, "true")), nil
	}
	switch {
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		return schema.DefaultStr(strings.ReplaceAll(s[1:len(s)-1], "''", "'")), nil
	case len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')':
		return schema.DefaultSQL(s[1 : len(s)-1]), nil
	case schema.IsNumberLiteral(s):
		return &schema.Default{Kind: schema.DefaultNumber, Value: s}, nil
	}
	return nil, fmt.Errorf("default %q: write 'text', a number, true/false, now, today or (sql)", s)
}

// snake turns a Go name into snake_case: UserID -> user_id, HTTPStatus ->
// http_status.
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]) ||
				(i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}
