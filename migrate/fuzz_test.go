package migrate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-go/strata/migrate"
)

// FuzzParseRevision feeds arbitrary bytes to the revision parser: it must
// return an error or a revision that writes back to a file that parses to
// the same bytes again.
func FuzzParseRevision(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "revision_*.json"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"strata_revision":1,"id":"a","parents":[],"message":"","upgrade":[{"op":"sql","sql":["SELECT 1"],"reverse":{"op":"sql","sql":["SELECT 2"]}}],"downgrade":[],"snapshot":{"tables":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
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
	})
}
