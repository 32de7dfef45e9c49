package schema

import (
	"strconv"
)

// DefaultKind says what a server default is.
type DefaultKind uint8

// The kinds of server default.
const (
	DefaultString           DefaultKind = iota + 1 // a string literal, Value unquoted
	DefaultNumber                                  // a numeric literal, Value in Go syntax ("42", "-1.5")
	DefaultBool                                    // "true" or "false"
	DefaultCurrentTimestamp                        // CURRENT_TIMESTAMP / now()
	DefaultCurrentDate                             // CURRENT_DATE
	DefaultExpr                                    // SQL expression written by the schema's author, verbatim
)

// Default is a column's server default: a value the database fills in when
// an INSERT omits the column. Literals are portable and rendered per dialect
// with correct escaping; [DefaultExpr] is written verbatim and is only as
// portable as its text.
type Default struct {
	Kind  DefaultKind
	Value string
}

// Server default constructors.
func DefaultStr(s string) *Default { return &Default{Kind: DefaultString, Value: s} }
func DefaultInt(n int64) *Default {
	return &Default{Kind: DefaultNumber, Value: strconv.FormatInt(n, 10)}
}
func DefaultFloat(f float64) *Default {
	return &Default{Kind: DefaultNumber, Value: strconv.FormatFloat(f, 'g', -1, 64)}
}
func DefaultBoolean(b bool) *Default {
	return &Default{Kind: DefaultBool, Value: strconv.FormatBool(b)}
}
func DefaultNow() *Default            { return &Default{Kind: DefaultCurrentTimestamp} }
func DefaultToday() *Default          { return &Default{Kind: DefaultCurrentDate} }
func DefaultSQL(expr string) *Default { return &Default{Kind: DefaultExpr, Value: expr} }

// Equal reports whether two defaults (either may be nil) are the same.
func (d *Default) Equal(e *Default) bool {
	if d == nil || e == nil {
		return d == e
	}
	return *d == *e
}

// String describes the default for messages and snapshots.
func (d *Default) String() string {
	if d == nil {
		return "none"
	}
	switch d.Kind {
	case DefaultString:
		return strconv.Quote(d.Value)
	case DefaultCurrentTimestamp:
		return "CURRENT_TIMESTAMP"
	case DefaultCurrentDate:
		return "CURRENT_DATE"
	case DefaultExpr:
		return "(" + d.Value + ")"
	}
	return d.Value
}
