package fuzz_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-go/strata/migrate"
)

// roundTrip checks the parser's contract on data: an error, or a revision
// that writes back to a file that parses to the same bytes again.
func roundTrip(t *testing.T, data []byte) {
	r, err := migrate.ParseRevision(data)
	if err != nil {
		return
	}
	out, err := r.Marshal()
	if err != nil {
		return // valid JSON whose operations cannot be written back (nil column, say) is still an error path
	}
	r2, err := migrate.ParseRevision(out)
	if err != nil {
		t.Fatalf("a written revision does not parse: %v\n%s", err, out)
	}
	out2, err := r2.Marshal()
	if err != nil || !bytes.Equal(out, out2) {
		t.Fatalf("write is not stable: %v", err)
	}
}

// FuzzParseRevision feeds arbitrary bytes to the revision parser.
//
// The seeds are the golden revision files compacted (no indentation: the
// mutator's work grows with the input, and whitespace is most of a
// pretty-printed file) and small one-operation revisions, so that
// mutations reach every operation's decoder rather than breaking the
// JSON syntax of a large file.
func FuzzParseRevision(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "migrate", "testdata", "revision_*.json"))
	if len(files) == 0 {
		f.Fatal("no seed revisions in migrate/testdata")
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, data); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	const head = `{"strata_revision":1,"id":"a","parents":["p"],"message":"m","upgrade":[`
	const tail = `],"downgrade":[],"snapshot":{"tables":[]}}`
	for _, op := range []string{
		`{"op":"sql","sql":["SELECT 1"],"reverse":{"op":"sql","sql":["SELECT 2"]}}`,
		`{"op":"go","func":"f"}`,
		`{"op":"create_table","definition":{"name":"t","columns":[{"name":"id","type":{"kind":"bigint"},"autoincrement":true}],"primary_key":{"columns":["id"]}}}`,
		`{"op":"add_column","table":"t","column":{"name":"c","type":{"kind":"varchar","length":20},"nullable":true,"default":{"kind":"string","value":"x"}}}`,
		`{"op":"create_index","table":"t","index":{"name":"ix","columns":["c"],"unique":true}}`,
		`{"op":"add_foreign_key","table":"t","foreign_key":{"name":"fk","columns":["c"],"ref_table":"u","ref_columns":["id"],"on_delete":"CASCADE"}}`,
		`{"op":"rename_table","from":"t","to":"u"}`,
		`{"op":"create_enum","enum":{"kind":"enum","name":"mood","values":["a","b"]}}`,
	} {
		f.Add([]byte(head + op + tail))
	}
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data) })
}

// FuzzRevisionFields builds well-formed revision files from fuzzed names,
// types, defaults and SQL, so that the fuzzer spends its inputs past the
// JSON syntax: in identifier, type and default validation and in writing
// revisions back.
func FuzzRevisionFields(f *testing.F) {
	f.Add("0001", "parent", "add notes", "notes", "body", "varchar", 40, "string", "x", "SELECT 1", true)
	f.Add("a-b", "", "", "t", "id", "bigint", 0, "int", "42", "", false)
	f.Add("z", "y", "msg", "we\"ird", "c`ol", "numeric", 10, "expr", "now()", "DROP TABLE x", true)
	f.Add("e", "d", "enum", "t", "m", "enum", 3, "bool", "true", "\x00", false)
	f.Fuzz(func(t *testing.T, id, parent, message, table, column, kind string, length int, defKind, defValue, sql string, nullable bool) {
		var parents []string
		if parent != "" {
			parents = []string{parent}
		}
		typ := map[string]any{"kind": kind}
		if length != 0 {
			typ["length"] = length
		}
		if kind == "enum" {
			typ["name"] = column
			typ["values"] = []string{defValue, message}
		}
		col := map[string]any{"name": column, "type": typ, "nullable": nullable, "default": map[string]any{"kind": defKind, "value": defValue}}
		tbl := map[string]any{"name": table, "columns": []any{col}}
		rev := map[string]any{
			"strata_revision": 1, "id": id, "parents": parents, "message": message,
			"upgrade": []any{
				map[string]any{"op": "create_table", "definition": tbl},
				map[string]any{"op": "sql", "sql": []string{sql}},
			},
			"downgrade": []any{map[string]any{"op": "drop_table", "definition": tbl}},
			"snapshot":  map[string]any{"tables": []any{tbl}},
		}
		data, err := json.Marshal(rev)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, data)
	})
}
