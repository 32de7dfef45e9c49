package migrate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
	"github.com/strata-go/strata/sqlerr"
)

// FormatVersion is the version of the revision file format this package
// writes and reads.
const FormatVersion = 1

// Revision is one migration: its place in the graph (ID, Parents,
// DependsOn), the operations that upgrade to it and downgrade from it, and
// Snapshot, the schema after the upgrade, so that autogenerate can compare
// the models with the last revision without a database.
//
// # File format
//
// A revision is a JSON file, <id>_<slug>.json. JSON because a revision is
// data that the CLI runs without compiling the user's program, and
// encoding/json is in the standard library: no dependency for users, a
// strict decoder (unknown fields are errors, so a mistyped key in a
// hand-edited file is reported, not ignored), no implicit typing (YAML
// reads an unquoted no as false and 1.10 as 1.1), and byte-deterministic
// output: struct fields in a fixed order, map keys sorted, tables sorted by
// name, so the same input gives the same bytes. Hand-written steps are
// "sql" operations (per dialect where needed) and "go" operations naming a
// function registered with [Funcs].
//
// An operation that can lose data carries a "destructive" reason, and the
// revision then has "acknowledged": false; the runner refuses to apply it
// until a person sets it to true.
type Revision struct {
	ID           string
	Parents      []string
	DependsOn    []string
	Message      string
	Upgrade      []Op
	Downgrade    []Op
	Snapshot     *schema.MetaData
	Acknowledged bool
	// LockImpact lists the upgrade's operations that hold long locks or
	// rewrite tables on the database the revision was generated for (see
	// [LockImpact]); like destructive operations they must be
	// acknowledged before the revision runs.
	LockImpact []string
	// Notes are the differences between the schema before and the
	// snapshot that the database the revision was generated for cannot
	// tell apart (see [Note]): part of the snapshot, run by nothing.
	Notes []Note

	// EmbedSnapshot writes the whole snapshot into the file. By default a
	// file records only its SHA-256 ("snapshot_sha256"): the snapshot is
	// the schema before the revision with its upgrade (and notes) applied,
	// which [NewGraph] rebuilds by replaying the revisions in order and
	// checks against that digest, so verification stays exact while a
	// revision holds only what it changes. A file read with a snapshot
	// keeps it, and a revision with raw SQL or Go steps (whose effect on
	// the schema only the snapshot says) always has it.
	EmbedSnapshot bool

	// File is the file name the revision was read from (set by OpenDir).
	File string
	// sum is the snapshot's digest as read from a file without one.
	sum string
}

// SnapshotSum returns the hex SHA-256 of a schema's snapshot encoding
// ([MarshalSnapshot]): what a revision file records of its snapshot.
func SnapshotSum(m *schema.MetaData) (string, error) {
	data, err := MarshalSnapshot(m)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:]), nil
}

// Destructive lists why the upgrade may lose data, one line per operation.
func (r *Revision) Destructive() []string {
	var out []string
	for _, op := range r.Upgrade {
		if d := Destructive(op); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// NeedsAcknowledgement lists what a person must review before the
// revision runs: its destructive operations and its lock impact.
func (r *Revision) NeedsAcknowledgement() []string {
	return append(r.Destructive(), r.LockImpact...)
}

// Irreversible lists, one line per operation, what the downgrade cannot
// undo in place: removing enum values that the upgrade added with ALTER
// TYPE ... ADD VALUE is a rebuild of the type on PostgreSQL (it rewrites
// the tables using it) and fails if a row holds one of those values.
func (r *Revision) Irreversible() []string {
	var out []string
	for _, op := range r.Upgrade {
		if o, ok := op.(AlterEnum); ok && o.Strategy == EnumAddValue {
			out = append(out, fmt.Sprintf("enum %s: values added in place cannot be dropped in place; the downgrade recreates the type "+
				"(rewriting the tables that use it) and fails if a row holds an added value; "+
				"set \"strategy\": \"rebuild\" on the upgrade to rebuild both ways", o.New.EnumName))
		}
	}
	return out
}

type revisionJSON struct {
	Format       int           `json:"strata_revision"`
	ID           string        `json:"id"`
	Parents      []string      `json:"parents"`
	DependsOn    []string      `json:"depends_on,omitempty"`
	Message      string        `json:"message"`
	Acknowledged *bool         `json:"acknowledged,omitempty"`
	Upgrade      []*opJSON     `json:"upgrade"`
	Downgrade    []*opJSON     `json:"downgrade"`
	LockImpact   []string      `json:"lock_impact,omitempty"`
	Notes        []*noteJSON   `json:"notes,omitempty"`
	SnapshotSum  string        `json:"snapshot_sha256"`
	Snapshot     *snapshotJSON `json:"snapshot,omitempty"`
}

type noteJSON struct {
	Reason string  `json:"reason"`
	Op     *opJSON `json:"op"`
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidID reports whether id can name a revision: letters, digits, "_" and
// "-", starting with a letter or digit, at most 64 bytes.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Marshal writes the revision file: indented JSON ending in a newline.
func (r *Revision) Marshal() ([]byte, error) {
	if !ValidID(r.ID) {
		return nil, fmt.Errorf("migrate: invalid revision id %q", r.ID)
	}
	j := revisionJSON{Format: FormatVersion, ID: r.ID, Parents: r.Parents, DependsOn: r.DependsOn, Message: r.Message,
		Upgrade: []*opJSON{}, Downgrade: []*opJSON{}}
	if j.Parents == nil {
		j.Parents = []string{}
	}
	for _, op := range r.Upgrade {
		o, err := encOp(op)
		if err != nil {
			return nil, err
		}
		j.Upgrade = append(j.Upgrade, o)
	}
	created := map[string][]byte{} // tables the upgrade creates, as encoded
	for _, op := range r.Upgrade {
		if ct, ok := op.(CreateTable); ok {
			b, err := json.Marshal(encTable(ct.Table))
			if err != nil {
				return nil, err
			}
			created[ct.Table.Key()] = b
		}
	}
	for _, op := range r.Downgrade {
		o, err := encOp(op)
		if err != nil {
			return nil, err
		}
		o.Destructive = "" // a downgrade undoes; only upgrades are gated
		if dt, ok := op.(DropTable); ok && created[dt.Table.Key()] != nil {
			// Dropping a table the upgrade creates as it was created: the
			// definition is the upgrade's (filled in when read), written once.
			if b, err := json.Marshal(o.Definition); err == nil && bytes.Equal(b, created[dt.Table.Key()]) {
				o.Definition, o.Table = nil, dt.Table.Key()
			}
		}
		j.Downgrade = append(j.Downgrade, o)
	}
	for _, n := range r.Notes {
		o, err := encOp(n.Op)
		if err != nil {
			return nil, err
		}
		o.Destructive = ""
		j.Notes = append(j.Notes, &noteJSON{Reason: n.Reason, Op: o})
	}
	j.LockImpact = r.LockImpact
	if len(r.NeedsAcknowledgement()) > 0 || r.Acknowledged {
		ack := r.Acknowledged
		j.Acknowledged = &ack
	}
	switch {
	case r.Snapshot != nil:
		sum, err := SnapshotSum(r.Snapshot)
		if err != nil {
			return nil, err
		}
		j.SnapshotSum = sum
		if r.EmbedSnapshot || opaque(r.Upgrade) {
			j.Snapshot = encSnapshot(r.Snapshot)
		}
	case r.sum != "":
		j.SnapshotSum = r.sum
	default:
		return nil, fmt.Errorf("migrate: revision %s has no snapshot", r.ID)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(j); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParseRevision reads a revision file. Unknown fields, unknown operations
// and invalid snapshots are errors that name the problem.
func ParseRevision(data []byte) (*Revision, error) {
	var j revisionJSON
	if err := strictUnmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("migrate: revision: %w", err)
	}
	if j.Format != FormatVersion {
		return nil, fmt.Errorf("migrate: revision %q: format %d, this version of Strata reads format %d", j.ID, j.Format, FormatVersion)
	}
	if !ValidID(j.ID) {
		return nil, fmt.Errorf("migrate: invalid revision id %q", j.ID)
	}
	r := &Revision{ID: j.ID, Parents: j.Parents, DependsOn: j.DependsOn, Message: j.Message, LockImpact: j.LockImpact}
	if j.Acknowledged != nil {
		r.Acknowledged = *j.Acknowledged
	}
	for _, p := range append(append([]string(nil), j.Parents...), j.DependsOn...) {
		if !ValidID(p) {
			return nil, fmt.Errorf("migrate: revision %s: invalid parent or dependency %q", j.ID, p)
		}
	}
	for i, oj := range j.Upgrade {
		op, err := decOp(oj)
		if err != nil {
			return nil, fmt.Errorf("migrate: revision %s: upgrade operation %d: %w", j.ID, i+1, err)
		}
		r.Upgrade = append(r.Upgrade, op)
	}
	for i, oj := range j.Downgrade {
		if oj != nil && oj.Op == "drop_table" && oj.Definition == nil && oj.Table != "" {
			// a table the upgrade creates, dropped as created
			for _, uj := range j.Upgrade {
				if uj != nil && uj.Op == "create_table" && uj.Definition != nil && schema.TableKey(uj.Definition.Schema, uj.Definition.Name) == oj.Table {
					c := *oj
					c.Definition, c.Table = uj.Definition, ""
					oj = &c
					break
				}
			}
			if oj.Definition == nil {
				return nil, fmt.Errorf("migrate: revision %s: downgrade operation %d: drop_table %q without a definition needs a create_table of it in the upgrade", j.ID, i+1, oj.Table)
			}
		}
		op, err := decOp(oj)
		if err != nil {
			return nil, fmt.Errorf("migrate: revision %s: downgrade operation %d: %w", j.ID, i+1, err)
		}
		r.Downgrade = append(r.Downgrade, op)
	}
	for i, nj := range j.Notes {
		if nj == nil {
			return nil, fmt.Errorf("migrate: revision %s: note %d: null", j.ID, i+1)
		}
		op, err := decOp(nj.Op)
		if err != nil {
			return nil, fmt.Errorf("migrate: revision %s: note %d: %w", j.ID, i+1, err)
		}
		r.Notes = append(r.Notes, Note{Op: op, Reason: nj.Reason})
	}
	if !sumPattern.MatchString(j.SnapshotSum) {
		return nil, fmt.Errorf("migrate: revision %s: snapshot_sha256 %q is not a hex SHA-256", j.ID, j.SnapshotSum)
	}
	r.sum = j.SnapshotSum
	if j.Snapshot != nil {
		snap, err := decSnapshot(j.Snapshot)
		if err != nil {
			return nil, fmt.Errorf("migrate: revision %s: snapshot: %w", j.ID, err)
		}
		if sum, err := SnapshotSum(snap); err != nil || sum != j.SnapshotSum {
			return nil, fmt.Errorf("migrate: revision %s: the snapshot does not match snapshot_sha256 (edited by hand?)", j.ID)
		}
		r.Snapshot, r.EmbedSnapshot = snap, true
	}
	return r, nil
}

// opaque reports whether ops hold raw SQL or Go steps, whose effect on
// the schema only the snapshot records: such a revision keeps it whole.
func opaque(ops []Op) bool {
	return slices.ContainsFunc(ops, func(op Op) bool {
		switch op.(type) {
		case RawSQL, GoStep:
			return true
		}
		return false
	})
}

var sumPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// replaySnapshot sets r.Snapshot, when its file holds only the digest, to
// before with the upgrade and the notes applied, and checks the digest (a
// revision built in memory without a snapshot just takes the replay).
func (r *Revision) replaySnapshot(before *schema.MetaData) error {
	if r.Snapshot != nil {
		return nil
	}
	fwd := slices.Clone(r.Upgrade)
	for _, n := range r.Notes {
		fwd = append(fwd, n.Op)
	}
	snap, err := ApplyAll(before, fwd)
	if err != nil {
		return fmt.Errorf("migrate: revision %s: its upgrade does not apply to the schema before it: %w", r.ID, err)
	}
	if snap, err = normalized(snap, nil); err != nil {
		return err
	}
	sum, err := SnapshotSum(snap)
	if err != nil {
		return err
	}
	if r.sum != "" && sum != r.sum { // a revision built in memory has none to check
		return fmt.Errorf("%w: revision %s: replaying it gives a schema whose SHA-256 is %s, the file records %s", ErrSnapshotMismatch, r.ID, sum, r.sum)
	}
	r.Snapshot = snap
	return nil
}

// ErrSnapshotMismatch is returned by [NewGraph] when replaying a revision
// does not give the schema its file records (an operation edited by hand,
// a parent changed).
var ErrSnapshotMismatch = errors.New("migrate: revision does not give its recorded snapshot")

// Autogenerate builds the revision that takes the schema from prev (the
// snapshot of the revision it follows; empty for the first) to models. The
// upgrade is Plan(prev, models) honouring the models' renamed-from hints;
// the downgrade is the same planner run the other way with the renames
// inverted. Both are checked to be exact before the revision is returned.
// It returns a revision with no operations when nothing changed.
func Autogenerate(prev, models *schema.MetaData, id, message string, parents []string) (*Revision, error) {
	return AutogenerateFor(nil, prev, models, id, message, parents)
}

// AutogenerateFor is [Autogenerate] for the database of dialect d (nil:
// for none in particular, as Autogenerate): differences d cannot tell
// apart are [Note]s, not operations, and on a database with
// [dialect.LockImpactLint] the revision lists its lock impact, to be
// acknowledged.
func AutogenerateFor(d dialect.Dialect, prev, models *schema.MetaData, id, message string, parents []string) (*Revision, error) {
	if err := models.Validate(); err != nil {
		return nil, err
	}
	if s := models.Schemas(); d != nil && len(s) > 0 && !d.Features().Has(dialect.Schemas) {
		return nil, sqlerr.Unsupported(d.Name(), fmt.Sprintf("tables in named schemas (%s)", strings.Join(s, ", ")))
	}
	renames := RenameHints(models)
	up, notes, err := plan(prev, models, PlanOptions{Renames: renames, Dialect: d})
	if err != nil {
		return nil, err
	}
	down, _, err := plan(models, prev, PlanOptions{Renames: InvertRenames(renames), Dialect: d})
	if err != nil {
		return nil, err
	}
	// The snapshot is what the operations make of prev (the models up to
	// column order, which a migration does not choose): the schema a
	// reader rebuilds by replaying the revisions, byte for byte.
	fwd := slices.Clone(up)
	for _, n := range notes {
		fwd = append(fwd, n.Op)
	}
	snap, err := ApplyAll(prev, fwd)
	if err != nil {
		return nil, fmt.Errorf("migrate: autogenerate: %w", err)
	}
	if snap, err = normalized(snap, nil); err != nil {
		return nil, err
	}
	r := &Revision{ID: id, Parents: parents, Message: message, Upgrade: up, Downgrade: down, Snapshot: snap, Notes: notes}
	if err := checkExact(snap, nil, models); err != nil {
		return nil, fmt.Errorf("migrate: autogenerate: %w", err)
	}
	if err := r.verify(prev); err != nil {
		return nil, fmt.Errorf("migrate: autogenerate: %w", err)
	}
	if r.LockImpact, err = LockImpacts(d, prev, up); err != nil {
		return nil, fmt.Errorf("migrate: autogenerate: %w", err)
	}
	return r, nil
}

// verify checks the revision against before, the schema before it: the
// upgrade (and the notes) applied to before give the snapshot, and the
// downgrade (and the notes undone) applied to the snapshot give before.
func (r *Revision) verify(before *schema.MetaData) error {
	var fwd []Op
	for _, n := range r.Notes {
		fwd = append(fwd, n.Op)
	}
	back, err := InverseAll(fwd)
	if err != nil {
		return &VerifyError{Revision: r.ID, Direction: Down, Err: fmt.Errorf("notes: %w", err)}
	}
	if err := checkExact(before, append(slices.Clone(r.Upgrade), fwd...), r.Snapshot); err != nil {
		return verifyError(r.ID, Up, err)
	}
	if err := checkExact(r.Snapshot, append(slices.Clone(r.Downgrade), back...), before); err != nil {
		return verifyError(r.ID, Down, err)
	}
	return nil
}

// VerifyError says that a revision's upgrade (or downgrade) does not give
// its snapshot (or the schema before it): Remaining are the operations the
// differ finds still to do after it, or Err says why its operations do not
// even apply. It matches [ErrSnapshotMismatch].
type VerifyError struct {
	Revision  string
	Direction Direction
	Remaining []Op
	Err       error
}

func (e *VerifyError) Error() string {
	if len(e.Remaining) > 0 {
		return fmt.Sprintf("revision %s: %s: planned operations do not reach the target schema; still to do: %s", e.Revision, e.Direction, joinOps(e.Remaining))
	}
	return fmt.Sprintf("revision %s: %s: %v", e.Revision, e.Direction, e.Err)
}

// Is makes a VerifyError match ErrSnapshotMismatch.
func (e *VerifyError) Is(target error) bool { return target == ErrSnapshotMismatch }

// Unwrap returns why the operations do not apply, if they do not.
func (e *VerifyError) Unwrap() error { return e.Err }

func verifyError(id string, dir Direction, err error) *VerifyError {
	var rem *remainingError
	if errors.As(err, &rem) {
		return &VerifyError{Revision: id, Direction: dir, Remaining: rem.ops}
	}
	return &VerifyError{Revision: id, Direction: dir, Err: err}
}

// remainingError is checkExact's answer when the operations apply but do
// not reach the target.
type remainingError struct{ ops []Op }

func (e *remainingError) Error() string {
	return "planned operations do not reach the target schema; still to do: " + joinOps(e.ops)
}

func checkExact(from *schema.MetaData, ops []Op, want *schema.MetaData) error {
	got, err := ApplyAll(from, ops)
	if err != nil {
		return err
	}
	d, err := Plan(got, want, PlanOptions{})
	if err != nil {
		return err
	}
	if len(d) > 0 {
		return &remainingError{ops: d}
	}
	return nil
}

// joinOps describes ops on one line, separated by "; ".
func joinOps(ops []Op) string {
	s := make([]string, len(ops))
	for i, op := range ops {
		s[i] = op.String()
	}
	return strings.Join(s, "; ")
}
