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

// Inspect reads the live schema, leaving out the migration tool's own
// tables.
func (m *Migrator) Inspect(ctx context.Context) (*schema.MetaData, error) {
	return engine.Inspect(ctx, m.db, m.InspectOptions())
}

// Drift compares the live database with want, leaving out the migration
// tool's own tables: it returns the operations that would turn the
// database into want (normalized for the dialect), from the same differ
// as autogenerate ([Plan]). Empty means no drift; column order is not
// compared.
func (m *Migrator) Drift(ctx context.Context, want *schema.MetaData) ([]Op, error) {
	live, err := m.Inspect(ctx)
	if err != nil {
		return nil, err
	}
	norm, err := normalized(want, m.db.Dialect().Normalize)
	if err != nil {
		return nil, err
	}
	return Plan(live, norm, PlanOptions{})
}

// Check compares the live database with the snapshot of the revisions it
// has applied (the drift check): the operations that would bring the
// database back to that snapshot, empty when there is no drift.
func (m *Migrator) Check(ctx context.Context) ([]Op, error) {
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
	return m.RoundTripWith(ctx, RoundTripOptions{})
}

// RoundTripOptions add data to a round trip.
type RoundTripOptions struct {
	// Seed inserts rows before every step that has no destructive
	// operation, and checks after it that every table still there holds at
	// least as many rows: data survives every non-destructive upgrade and
	// downgrade. Before a destructive step (a drop, a NOT NULL column
	// without a default) the tables are emptied instead. Rows are
	// generated per column type (one per table and step), or taken from
	// Rows.
	Seed bool
	// Rows are the rows to insert into a table (by [schema.Table.Key]:
	// its name, or "sch.t"; column name -> value) instead of generated ones, for tables whose checks or types a
	// generated row would not satisfy.
	Rows map[string][]map[string]any
}

// RoundTripWith is [Migrator.RoundTrip] with data: see [RoundTripOptions].
func (m *Migrator) RoundTripWith(ctx context.Context, opts RoundTripOptions) error {
	cur, err := m.Current(ctx)
	if err != nil {
		return err
	}
	if len(cur) > 0 {
		return fmt.Errorf("migrate: round trip needs a scratch database; this one has revisions applied (%s)", strings.Join(cur, ", "))
	}
	applied := map[string]bool{}
	seed := &seeder{m: m, rows: opts.Rows}
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
			return fmt.Errorf("migrate: round trip: after %s the database differs from the snapshot; to bring it back: %s", when, joinOps(d))
		}
		return nil
	}
	// step runs one upgrade or downgrade with the data checks around it.
	step := func(when string, ops []Op, run func() error) error {
		var before map[string]int
		if opts.Seed {
			now, err := m.g.SchemaAt(applied)
			if err != nil {
				return err
			}
			if before, err = seed.prepare(ctx, now, ops); err != nil {
				return fmt.Errorf("migrate: round trip: before %s: %w", when, err)
			}
		}
		if err := run(); err != nil {
			return err
		}
		if err := seed.check(ctx, when, before); err != nil {
			return err
		}
		return verify(when)
	}
	upAll := func(pass string) error {
		for _, r := range m.g.Ordered() {
			err := step(pass+" upgrade to "+r.ID, r.Upgrade, func() error {
				if _, err := m.Upgrade(ctx, r.ID); err != nil {
					return err
				}
				for id := range m.g.Ancestors(r.ID) {
					applied[id] = true
				}
				return nil
			})
			if err != nil {
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
		err := step("downgrade of "+order[i].ID, order[i].Downgrade, func() error {
			if _, err := m.Downgrade(ctx, "-1"); err != nil {
				return err
			}
			delete(applied, order[i].ID)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return upAll("second")
}
