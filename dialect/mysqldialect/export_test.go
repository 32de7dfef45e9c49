package mysqldialect

// Internals exported to the external test package.
var (
	ParseColumnType = parseColumnType
	ParseDefault    = parseDefault
	CanonExpr       = canonExpr
	Unquote         = unquote
)
