package migrate

import (
	"context"
	"fmt"
	"strings"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/schema"
)

// SchemaAt returns the schema with exactly the revisions in applied
// applied: the union of the snapshots of its heads (applied revisions no
// other applied revision follows).
func (g *Graph) SchemaAt(applied map[string]bool) (*schema.MetaData, error) {
	var heads []string
	for id := range applied {
		if !applied[id] || g.revs[id] == nil {
			continue
		}
		head := true
		for _, c := range g.children[id] {
			if applied[c] {
				head = false
			}
		}
		if head {
			heads = append(heads, id)
		}
	}
	return g.SchemaBefore(&Revision{ID: "(current)", Parents: sortedKeys(toSet(heads))})
}

func toSet(ids []string) map[string]bool {
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// Drift compares the live database with want: the lines of [Compare]
// between want (normalized for the dialect) and what Inspect reads,
// leaving out the migration tool's own tables. Empty means no drift.
func (m *Migrator) Drift(ctx context.Context, want *schema.MetaData) ([]string, error) {
	live, err := engine.Inspect(ctx, m.db, m.InspectOptions())
	if err != nil {
		return nil, err
	}
	norm, err := normalized(want, m.db.Dialect().Normalize)
	if err != nil {
		return nil, err
	}
	return Compare(norm, live), nil
}

// Check compares the live database with the snapshot of the revisions it
// has applied (the drift check).
func (m *Migrator) Check(ctx context.Context) ([]string, error) {
	rows, err := m.readRows(ctx)
	if err != nil {
		return nil, err
	}
	applied := map[string]bool{}
	for _, id := range sortedKeys(rows) {
		r := rows[id]
		if r.state == stateFailed {
			continue // rolled back: not applied
		}
		if r.state != stateApplied {
			return nil, fmt.Errorf("migrate: revision %s is partly applied (%s, %d of %d steps)", id, r.state, r.done, r.total)
		}
		applied[id] = true
	}
	want, err := m.g.SchemaAt(applied)
	if err != nil {
		return nil, err
	}
	return m.Drift(ctx, want)
}

// RoundTrip runs upgrade head -> downgrade base -> upgrade head one
// revision at a time on a scratch database (it refuses one with applied
// revisions), comparing the introspected schema with the stored snapshots
// after every step. It returns the first difference as an error.
func (m *Migrator) RoundTrip(ctx context.Context) error {
	cur, err := m.Current(ctx)
	if err != nil {
		return err
	}
	if len(cur) > 0 {
		return fmt.Errorf("migrate: round trip needs a scratch database; this one has revisions applied (%s)", strings.Join(cur, ", "))
	}
	applied := map[string]bool{}
	verify := func(when string) error {
		want, err := m.g.SchemaAt(applied)
		if err != nil {
			return err
		}
		d, err := m.Drift(ctx, want)
		if err != nil {
			return err
		}
		if len(d) > 0 {
			return fmt.Errorf("migrate: round trip: after %s the database differs from the snapshot:\n%s", when, strings.Join(d, "\n"))
		}
		return nil
	}
	upAll := func(pass string) error {
		for _, r := range m.g.Ordered() {
			if _, err := m.Upgrade(ctx, r.ID); err != nil {
				return err
			}
			for id := range m.g.Ancestors(r.ID) {
				applied[id] = true
			}
			if err := verify(pass + " upgrade to " + r.ID); err != nil {
				return err
			}
		}
		return nil
	}
	if err := upAll("first"); err != nil {
		return err
	}
	order := m.g.Ordered()
	for i := len(order) - 1; i >= 0; i-- {
		if _, err := m.Downgrade(ctx, "-1"); err != nil {
			return err
		}
		delete(applied, order[i].ID)
		if err := verify("downgrade of " + order[i].ID); err != nil {
			return err
		}
	}
	return upAll("second")
}
