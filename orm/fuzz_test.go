package orm

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseTag feeds arbitrary `db` tags to the tag parser: it returns an
// error or a tag, never panics, gives the same answer twice, keeps the
// column name as written, never keeps half a foreign key, and splits
// options so that joining them gives the tag back.
func FuzzParseTag(f *testing.F) {
	for _, s := range []string{
		"", "-", "id,pk", "id,pk,autoincrement", "n,noautoincrement", "name,type:varchar(40),notnull",
		"price,type:numeric(10,2),default:0", "note,default:'a,b'", "at,default:now,server_onupdate",
		"v,version", "email,unique,index,comment:mail", "team_id,fk:teams.id,ondelete:cascade,onupdate:set_null",
		"mood,type:enum(mood:sad|ok|happy),default:'ok'", "s,size:20", "x,default:(1 + 2)", "bad,type:", "y,fk:nodot",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		if got := strings.Join(splitTag(tag), ","); got != tag {
			t.Fatalf("splitTag loses text: %q -> %q", tag, got)
		}
		a, errA := parseTag(tag)
		b, errB := parseTag(tag)
		if fmt.Sprint(errA) != fmt.Sprint(errB) || !reflect.DeepEqual(a, b) {
			t.Fatalf("parseTag(%q) is not deterministic", tag)
		}
		if errA != nil || a.skip {
			return
		}
		if want := strings.TrimSpace(splitTag(tag)[0]); a.name != want {
			t.Fatalf("parseTag(%q) names the column %q, want %q", tag, a.name, want)
		}
		if (a.fkTable == "") != (a.fkColumn == "") {
			t.Fatalf("parseTag(%q) keeps half a foreign key: %q.%q", tag, a.fkTable, a.fkColumn)
		}
	})
}

// FuzzParseRelTag feeds arbitrary `rel` tags to the relationship tag
// parser: an error or a spec, never a panic, the same answer twice.
func FuzzParseRelTag(f *testing.F) {
	for _, s := range []string{
		"", "backref:Items", "cascade:all+delete-orphan,ordering:Position", "cascade:all+delete-orphan,single_parent",
		"passive_deletes", "passive_deletes:all", "fk:FolderID", "fk:A+B", "secondary:links,order_by:Name desc",
		"post_update", "cascade:none", "cascade:bogus", "order_by:", ",,,", "back_populates:Parent",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		var a, b relSpec
		errA, errB := parseRelTag(tag, &a), parseRelTag(tag, &b)
		if fmt.Sprint(errA) != fmt.Sprint(errB) || !reflect.DeepEqual(a, b) {
			t.Fatalf("parseRelTag(%q) is not deterministic", tag)
		}
	})
}
