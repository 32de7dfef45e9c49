package orm

// Every test of the package checks the flush's shortcuts against the
// walks they replace.
func init() { verifyShortcuts = true }
