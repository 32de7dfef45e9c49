package sqlitedialect

// Exports for the external tests of package sqlite_test.

type (
	ParsedTable  = parsedTable
	ParsedColumn = parsedColumn
	ParsedIndex  = parsedIndex
)

var (
	ParseCreateTable = parseCreateTable
	ParseCreateIndex = parseCreateIndex
	ParseEnumCheck   = parseEnumCheck
	TypeFromDecl     = typeFromDecl
	BuildDSN         = buildDSN
	BusyTimeout      = busyTimeout
)

// DefaultOf returns a parsed column's DEFAULT clause as (syntax, text), with
// syntax one of "expr", "string", "number", "word", "blob", or "" if none.
func DefaultOf(c *ParsedColumn) (string, string) {
	if c.Default == nil {
		return "", ""
	}
	names := map[defaultSyntax]string{defExpr: "expr", defString: "string", defNumber: "number", defWord: "word", defBlob: "blob"}
	return names[c.Default.kind], c.Default.text
}

// Tokens returns the values of the tokens of s, for tokenizer tests.
func Tokens(s string) []string {
	var out []string
	for _, t := range tokenize(s) {
		out = append(out, t.val)
	}
	return out
}
