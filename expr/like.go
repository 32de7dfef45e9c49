package expr

import (
	"strings"

	"github.com/strata-go/strata/dialect"
)

// likeEscape is the escape character of the patterns [Contains],
// [StartsWith], [EndsWith] and their case-insensitive forms build, and the
// one [EscapeLike] escapes with.
const likeEscape = '\\'

// EscapeLike escapes the LIKE wildcards % and _ and the backslash itself
// with a backslash, so that s matches literally in a pattern used with
// ESCAPE '\' ([LikeEscape] with '\\'):
//
//	expr.LikeEscape(c, expr.EscapeLike(userInput)+"%", '\\')
func EscapeLike(s string) string { return escapeLike(s, likeEscape) }

func escapeLike(s string, esc rune) string {
	if !strings.ContainsAny(s, "%_"+string(esc)) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if r == '%' || r == '_' || r == esc {
			b.WriteRune(esc)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LikeEscape is l LIKE pattern ESCAPE 'c': in pattern, escape followed by
// %, _ or itself stands for that character. The pattern is bound; the
// escape character is a literal Strata writes in the dialect's quoting
// (a backslash is '\\' on MariaDB, whose string literals treat it as an
// escape, and '\' elsewhere). escape must be one printable ASCII
// character other than % and _; another fails the build.
//
// Like's case sensitivity is the database's: PostgreSQL's LIKE is
// case-sensitive, SQLite's ignores the case of ASCII letters, MariaDB's
// follows the column's collation (case-insensitive for the utf8mb4 tables
// Strata creates). For case-insensitive matching everywhere use [ILike]
// and the I- helpers.
func LikeEscape(l, pattern any, escape rune) Expr {
	return like{l: l, pattern: pattern, esc: escape}
}

// Contains is l LIKE '%s%' ESCAPE '\', with s's %, _ and \ escaped: it
// matches when s occurs in l, every character of s taken literally. The
// pattern is built in Go and bound as one parameter. Case sensitivity is
// the database's LIKE's (see [LikeEscape]); [IContains] ignores case.
func Contains(l any, s string) Expr {
	return like{l: l, pattern: "%" + EscapeLike(s) + "%", esc: likeEscape}
}

// StartsWith is l LIKE 's%' ESCAPE '\', with s escaped (see [Contains]).
func StartsWith(l any, s string) Expr {
	return like{l: l, pattern: EscapeLike(s) + "%", esc: likeEscape}
}

// EndsWith is l LIKE '%s' ESCAPE '\', with s escaped (see [Contains]).
func EndsWith(l any, s string) Expr {
	return like{l: l, pattern: "%" + EscapeLike(s), esc: likeEscape}
}

// ILike matches l against pattern ignoring case: l ILIKE pattern on
// dialects with [dialect.ILike] (PostgreSQL), LOWER(l) LIKE LOWER(pattern)
// elsewhere. LOWER is used on MariaDB because its LIKE is case-sensitive
// under a _bin collation, and on SQLite because its LIKE folds only ASCII;
// note that SQLite's LOWER folds only ASCII letters too (A-Z), so on SQLite
// "É" and "é" stay different. The pattern's wildcards are the database's
// own, with no escape character (PostgreSQL's and MariaDB's LIKE treat
// backslash as one by default, SQLite's does not): to match user input,
// use [IContains], [IStartsWith] or [IEndsWith].
func ILike(l, pattern any) Expr { return like{l: l, pattern: pattern, ci: true} }

// IContains is [Contains] ignoring case (see [ILike]).
func IContains(l any, s string) Expr {
	return like{l: l, pattern: "%" + EscapeLike(s) + "%", esc: likeEscape, ci: true}
}

// IStartsWith is [StartsWith] ignoring case (see [ILike]).
func IStartsWith(l any, s string) Expr {
	return like{l: l, pattern: EscapeLike(s) + "%", esc: likeEscape, ci: true}
}

// IEndsWith is [EndsWith] ignoring case (see [ILike]).
func IEndsWith(l any, s string) Expr {
	return like{l: l, pattern: "%" + EscapeLike(s), esc: likeEscape, ci: true}
}

// like is every LIKE but the plain [Like]: an optional escape character
// (0 for none) and case-insensitivity.
type like struct {
	l, pattern any
	esc        rune
	ci         bool
}

func (x like) WriteSQL(w *Writer) {
	if x.esc != 0 && (x.esc == '%' || x.esc == '_' || x.esc <= ' ' || x.esc > '~') {
		w.Failf("LIKE escape character %q: want one printable ASCII character other than %% and _", x.esc)
		return
	}
	switch {
	case !x.ci:
		w.Expr(x.l)
		w.Raw(" LIKE ")
		w.Expr(x.pattern)
	case w.d.Features().Has(dialect.ILike):
		w.Expr(x.l)
		w.Raw(" ILIKE ")
		w.Expr(x.pattern)
	default:
		w.Raw("LOWER(")
		w.Expr(x.l)
		w.Raw(") LIKE LOWER(")
		w.Expr(x.pattern)
		w.Raw(")")
	}
	if x.esc != 0 {
		w.Raw(" ESCAPE ")
		w.literal(string(x.esc))
	}
}
