package migrate

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/strata-go/strata/dialect"
)

// WriteSQL writes, without a database, the SQL that upgrades (or
// downgrades) a database from the revisions in from to those in to: for an
// upgrade, from is "base" or a revision and to a target of
// [Graph.Resolve]; for a downgrade, from is the revision the database is
// at and to the target. Each revision is one transaction where the
// dialect has transactional DDL, with the version table updated in it
// (steps that cannot run in a transaction, CREATE INDEX CONCURRENTLY,
// close it and open a new one after them); Go steps appear as comments,
// since they only run online. The version table
// is created first when from is "base".
func WriteSQL(w io.Writer, d dialect.Dialect, g *Graph, dir Direction, from, to string) error {
	fromIDs, err := g.Resolve(from)
	if err != nil {
		return err
	}
	toIDs, err := g.Resolve(to)
	if err != nil {
		return err
	}
	have := g.Ancestors(fromIDs...)
	want := g.Ancestors(toIDs...)
	m := &Migrator{table: DefaultVersionTable}
	vt := string(d.AppendIdent(nil, m.table))
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	tx := d.Features().Has(dialect.TransactionalDDL)
	if dir == Up && from == "base" {
		stmts, err := d.CreateTable(m.versionTable(), nil)
		if err != nil {
			return err
		}
		for _, s := range stmts {
			p("%s;\n\n", s)
		}
	}
	var revs []*Revision
	order := g.Ordered()
	if dir == Up {
		for _, r := range order {
			if want[r.ID] && !have[r.ID] {
				revs = append(revs, r)
			}
		}
	} else {
		for i := len(order) - 1; i >= 0; i-- {
			if r := order[i]; have[r.ID] && !want[r.ID] {
				revs = append(revs, r)
			}
		}
	}
	for _, r := range revs {
		var steps []Step
		if dir == Up {
			before, err := g.SchemaBefore(r)
			if err != nil {
				return err
			}
			if steps, err = Render(d, before, r.Upgrade); err != nil {
				return err
			}
		} else if steps, err = Render(d, r.Snapshot, r.Downgrade); err != nil {
			return err
		}
		p("-- %s %s: %s\n", dir, r.ID, r.Message)
		var before, after []string
		for _, st := range steps {
			if st.Rebuild != nil {
				before = append(before, st.Rebuild.Before...)
				after = append(after, st.Rebuild.After...)
			}
		}
		for _, q := range dedupe(before) {
			p("%s;\n", q)
		}
		open := false // a transaction is open
		begin := func() {
			if tx && !open {
				p("BEGIN;\n")
				open = true
			}
		}
		for _, st := range steps {
			if tx && st.NoTx {
				// CREATE INDEX CONCURRENTLY and the like: between two
				// transactions of the revision.
				if open {
					p("COMMIT;\n")
					open = false
				}
				p("-- outside a transaction")
				if st.Cleanup != "" {
					p("; after a failed attempt, first: %s", st.Cleanup)
				}
				p("\n%s;\n", st.SQL)
				continue
			}
			begin()
			p("%s;\n", st.String())
			if st.Rebuild != nil && st.Rebuild.Check != "" {
				p("%s; -- must return no rows\n", st.Rebuild.Check)
			}
		}
		begin()
		id := string(d.AppendString(nil, r.ID))
		if dir == Up {
			n := strconv.Itoa(len(steps))
			p("INSERT INTO %s (%s) VALUES (%s, 'applied', %s, %s);\n", vt, string(dialect.AppendIdents(d, nil, []string{"revision", "state", "done", "total"})), id, n, n)
		} else {
			p("DELETE FROM %s WHERE %s = %s;\n", vt, string(d.AppendIdent(nil, "revision")), id)
		}
		if tx {
			p("COMMIT;\n")
		}
		if len(after) > 0 {
			p("%s;\n", strings.Join(dedupe(after), ";\n"))
		}
		p("\n")
	}
	return nil
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
