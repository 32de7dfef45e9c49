package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// NamingConvention names every constraint and index that its author left
// unnamed, so that a later migration can always drop it by name. Templates
// use the tokens {table}, {columns} (column names joined by "_"),
// {column0} (the first column), {ref_table} (foreign keys) and {hash} (a
// short hash of a check's expression).
//
// Names longer than MaxLen bytes are shortened deterministically: cut on a
// character boundary and suffixed with "_" and eight hex digits of the full
// name's SHA-256, so two long names never collapse into one. PostgreSQL
// truncates identifiers at 63 bytes without telling; this never lets it.
type NamingConvention struct {
	PrimaryKey string
	ForeignKey string
	Unique     string
	Index      string
	Check      string
	MaxLen     int
}

// DefaultNaming is the convention a [MetaData] uses unless told otherwise.
var DefaultNaming = NamingConvention{
	PrimaryKey: "pk_{table}",
	ForeignKey: "fk_{table}_{columns}_{ref_table}",
	Unique:     "uq_{table}_{columns}",
	Index:      "ix_{table}_{columns}",
	Check:      "ck_{table}_{hash}",
	MaxLen:     MaxIdentifierLen,
}

// MaxIdentifierLen is the longest identifier, in bytes, that Strata accepts:
// PostgreSQL's limit, and within MariaDB's 64 characters.
const MaxIdentifierLen = 63

func (nc NamingConvention) name(tmpl, table string, cols []string, refTable, hashOf string) string {
	r := strings.NewReplacer(
		"{table}", table,
		"{columns}", strings.Join(cols, "_"),
		"{column0}", first(cols),
		"{ref_table}", refTable,
		"{hash}", shortHash(hashOf),
	)
	return Shorten(r.Replace(tmpl), nc.MaxLen)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// Shorten returns name unchanged if it fits in max bytes, and otherwise a
// deterministic shortened form that does: a prefix cut on a UTF-8
// boundary, "_", and eight hex digits of the full name's SHA-256.
func Shorten(name string, max int) string {
	if max <= 0 || len(name) <= max {
		return name
	}
	suffix := "_" + shortHash(name)
	cut := max - len(suffix)
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + suffix
}

// Apply names every unnamed constraint and index of t.
func (nc NamingConvention) Apply(t *Table) {
	if t.PrimaryKey != nil && t.PrimaryKey.Name == "" {
		t.PrimaryKey.Name = nc.name(nc.PrimaryKey, t.Name, t.PrimaryKey.Columns, "", "")
	}
	for _, f := range t.ForeignKeys {
		if f.Name == "" {
			f.Name = nc.name(nc.ForeignKey, t.Name, f.Columns, f.RefTable, "")
		}
	}
	for _, u := range t.Uniques {
		if u.Name == "" {
			u.Name = nc.name(nc.Unique, t.Name, u.Columns, "", "")
		}
	}
	for _, x := range t.Indexes {
		if x.Name == "" {
			tmpl := nc.Index
			x.Name = nc.name(tmpl, t.Name, x.Columns, "", x.Where)
		}
	}
	for _, c := range t.Checks {
		if c.Name == "" {
			c.Name = nc.name(nc.Check, t.Name, nil, "", c.Expr)
		}
	}
}
