package schema

import (
	"fmt"
	"slices"
	"strings"
)

// Diff describes how got differs from want, one line per difference, in a
// deterministic order; it is empty when they are equal. Callers compare a
// dialect-normalized declaration with what introspection read back; the
// migration differ builds typed changes on the same rules.
//
// Check constraint expressions and partial index predicates are compared
// after [NormalizeExpr], because databases rewrite them (PostgreSQL adds
// parentheses and casts); expressions that a database rewrites beyond that
// (PostgreSQL turns IN lists into = ANY (ARRAY[...])) will show up here.
func Diff(want, got *MetaData) []string {
	var out []string
	for _, t := range want.Tables() {
		g := got.Table(t.Name)
		if g == nil {
			out = append(out, fmt.Sprintf("table %q: missing", t.Name))
			continue
		}
		out = append(out, DiffTable(t, g)...)
	}
	for _, g := range got.Tables() {
		if want.Table(g.Name) == nil {
			out = append(out, fmt.Sprintf("table %q: unexpected", g.Name))
		}
	}
	return out
}

// DiffTable is [Diff] for one table.
func DiffTable(want, got *Table) []string {
	var out []string
	add := func(format string, args ...any) {
		out = append(out, fmt.Sprintf("table %q: ", want.Name)+fmt.Sprintf(format, args...))
	}
	if want.Comment != got.Comment {
		add("comment %q, got %q", want.Comment, got.Comment)
	}
	var wn, gn []string
	for _, c := range want.Columns {
		wn = append(wn, c.Name)
	}
	for _, c := range got.Columns {
		gn = append(gn, c.Name)
	}
	if !slices.Equal(wn, gn) {
		add("columns %q, got %q", wn, gn)
	}
	for _, c := range want.Columns {
		g := got.Column(c.Name)
		if g == nil {
			continue
		}
		if !c.Type.Equal(g.Type) {
			add("column %q: type %s, got %s", c.Name, c.Type, g.Type)
		}
		if c.Nullable != g.Nullable {
			add("column %q: nullable %v, got %v", c.Name, c.Nullable, g.Nullable)
		}
		if c.AutoIncrement != g.AutoIncrement {
			add("column %q: autoincrement %v, got %v", c.Name, c.AutoIncrement, g.AutoIncrement)
		}
		if !c.Default.Equal(g.Default) {
			add("column %q: default %s, got %s", c.Name, c.Default, g.Default)
		}
		if c.Comment != g.Comment {
			add("column %q: comment %q, got %q", c.Name, c.Comment, g.Comment)
		}
	}
	switch {
	case (want.PrimaryKey == nil) != (got.PrimaryKey == nil):
		add("primary key %v, got %v", want.PrimaryKey, got.PrimaryKey)
	case want.PrimaryKey != nil:
		if want.PrimaryKey.Name != got.PrimaryKey.Name || !slices.Equal(want.PrimaryKey.Columns, got.PrimaryKey.Columns) {
			add("primary key %s%q, got %s%q", want.PrimaryKey.Name, want.PrimaryKey.Columns, got.PrimaryKey.Name, got.PrimaryKey.Columns)
		}
	}
	diffNamed(add, "foreign key", want.ForeignKeys, got.ForeignKeys, func(f *ForeignKey) string { return f.Name }, func(a, b *ForeignKey) bool {
		return slices.Equal(a.Columns, b.Columns) && a.RefTable == b.RefTable && slices.Equal(a.RefColumns, b.RefColumns) &&
			a.OnDelete == b.OnDelete && a.OnUpdate == b.OnUpdate && a.Deferrable == b.Deferrable && a.InitiallyDeferred == b.InitiallyDeferred
	}, fkString)
	diffNamed(add, "unique", want.Uniques, got.Uniques, func(u *Unique) string { return u.Name }, func(a, b *Unique) bool {
		return slices.Equal(a.Columns, b.Columns)
	}, func(u *Unique) string { return fmt.Sprintf("%q", u.Columns) })
	diffNamed(add, "index", want.Indexes, got.Indexes, func(x *Index) string { return x.Name }, func(a, b *Index) bool {
		return slices.Equal(a.Columns, b.Columns) && a.Unique == b.Unique && NormalizeExpr(a.Where) == NormalizeExpr(b.Where)
	}, func(x *Index) string { return fmt.Sprintf("%q unique=%v where=%q", x.Columns, x.Unique, x.Where) })
	diffNamed(add, "check", want.Checks, got.Checks, func(c *Check) string { return c.Name }, func(a, b *Check) bool {
		return NormalizeExpr(a.Expr) == NormalizeExpr(b.Expr)
	}, func(c *Check) string { return c.Expr })
	return out
}

func fkString(f *ForeignKey) string {
	s := fmt.Sprintf("%q -> %s%q on delete %s on update %s", f.Columns, f.RefTable, f.RefColumns, f.OnDelete, f.OnUpdate)
	if f.Deferrable {
		s += fmt.Sprintf(" deferrable (initially deferred %v)", f.InitiallyDeferred)
	}
	return s
}

func diffNamed[T any](add func(string, ...any), kind string, want, got []*T, name func(*T) string, eq func(a, b *T) bool, str func(*T) string) {
	gm := map[string]*T{}
	for _, g := range got {
		gm[name(g)] = g
	}
	wm := map[string]bool{}
	for _, w := range sortedBy(want, name) {
		wm[name(w)] = true
		g, ok := gm[name(w)]
		if !ok {
			add("%s %q missing", kind, name(w))
			continue
		}
		if !eq(w, g) {
			add("%s %q: %s, got %s", kind, name(w), str(w), str(g))
		}
	}
	for _, g := range sortedBy(got, name) {
		if !wm[name(g)] {
			add("%s %q unexpected: %s", kind, name(g), str(g))
		}
	}
}

func sortedBy[T any](in []*T, name func(*T) string) []*T {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b *T) int { return strings.Compare(name(a), name(b)) })
	return out
}

// NormalizeExpr reduces an SQL expression to a form that survives the
// rewriting databases apply when they store it: lower case outside string
// literals, no identifier quotes, no parentheses or whitespace, no
// PostgreSQL ::type casts. Two expressions equal after it are taken as the
// same; it is a comparison key, not SQL.
func NormalizeExpr(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			// copy the literal verbatim, including doubled quotes
			j := i + 1
			for j < len(s) {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(s) {
				j = len(s) - 1
			}
			b.WriteString(s[i : j+1])
			i = j
		case c == '"' || c == '`':
			// a quoted identifier: its text verbatim, without the quotes
			j := i + 1
			for j < len(s) {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			i = j
		case c == ':' && i+1 < len(s) && s[i+1] == ':':
			// skip the cast and its type name (letters, digits, spaces inside "character varying", [])
			i += 2
			for i < len(s) && (isWordByte(s[i]) || s[i] == '[' || s[i] == ']' ||
				(s[i] == ' ' && i+1 < len(s) && isWordByte(s[i+1]) && castContinues(s[i+1:]))) {
				i++
			}
			i--
		case c == '(' || c == ')' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// castContinues reports whether a space inside a cast is followed by the
// rest of a multi-word type name.
func castContinues(s string) bool {
	for _, w := range []string{"varying", "precision", "without", "with", "time", "zone"} {
		if strings.HasPrefix(strings.ToLower(s), w) {
			return true
		}
	}
	return false
}
