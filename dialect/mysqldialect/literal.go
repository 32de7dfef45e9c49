package mysqldialect

import (
	"strings"
)

// scanLiteral reads the string literal that starts at s[i] (a ' or "
// quote) with MariaDB's rules: a doubled quote stands for itself and a
// backslash escapes the next character (\0 \b \n \r \t \Z as in C; \% and
// \_ keep their backslash, as they do outside LIKE patterns). It returns the
// literal's value and the index just past its closing quote, or ok=false if
// the literal is not terminated.
func scanLiteral(s string, i int) (val string, end int, ok bool) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == q:
			if j+1 < len(s) && s[j+1] == q {
				b.WriteByte(q)
				j++
				continue
			}
			return b.String(), j + 1, true
		case c == '\\' && j+1 < len(s):
			j++
			switch e := s[j]; e {
			case '0':
				b.WriteByte(0)
			case 'b':
				b.WriteByte('\b')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'Z':
				b.WriteByte(0x1a)
			case '%', '_':
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", len(s), false
}

// unquote returns the value of s if s is exactly one quoted literal.
func unquote(s string) (string, bool) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", false
	}
	v, end, ok := scanLiteral(s, 0)
	if !ok || end != len(s) {
		return "", false
	}
	return v, true
}

// parseLiteralList reads a comma-separated list of quoted literals, as in
// the parentheses of enum('a','b').
func parseLiteralList(s string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) || s[i] != '\'' {
			return nil, false
		}
		v, end, ok := scanLiteral(s, i)
		if !ok {
			return nil, false
		}
		out = append(out, v)
		i = end
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			return out, true
		}
		if s[i] != ',' {
			return nil, false
		}
		i++
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 ||
		('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// canonExpr rewrites an SQL expression into the form MariaDB reports in
// information_schema.CHECK_CLAUSE as far as that is cheap to do: every
// string literal (single- or double-quoted, with either escaping style) is
// rewritten as a single-quoted literal escaped by [appendString], which is
// what both sides of a comparison go through. With rewrite set, the
// spellings MariaDB changes are changed too: != becomes <>, TRUE and FALSE
// become 1 and 0, LENGTH( becomes octet_length(. Backquoted identifiers are
// copied verbatim. The result is meant for [schema.NormalizeExpr].
func canonExpr(s string, rewrite bool) string {
	var b []byte
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			v, end, ok := scanLiteral(s, i)
			if !ok {
				return string(append(b, s[i:]...))
			}
			b = appendString(b, v)
			i = end
		case c == '`':
			j := i + 1
			for j < len(s) {
				if s[j] == '`' {
					if j+1 < len(s) && s[j+1] == '`' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(s) {
				return string(append(b, s[i:]...))
			}
			b = append(b, s[i:j+1]...)
			i = j + 1
		case rewrite && c == '!' && i+1 < len(s) && s[i+1] == '=':
			b = append(b, "<>"...)
			i += 2
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			w := s[i:j]
			if rewrite {
				switch strings.ToLower(w) {
				case "true":
					w = "1"
				case "false":
					w = "0"
				case "length":
					k := j
					for k < len(s) && s[k] == ' ' {
						k++
					}
					if k < len(s) && s[k] == '(' {
						w = "octet_length"
					}
				}
			}
			b = append(b, w...)
			i = j
		default:
			b = append(b, c)
			i++
		}
	}
	return string(b)
}
