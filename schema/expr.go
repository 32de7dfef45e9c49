package schema

import "strings"

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
