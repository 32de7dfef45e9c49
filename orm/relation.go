package orm

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/strata-go/strata/schema"
)

// A relationship is declared by a [Ref] or [List] field and an optional
// `rel:"..."` tag (SQLAlchemy's relationship() arguments):
//
//	via:col[+col]         the foreign-key columns, when the tables have more than one
//	backref:Field         the field on the other side (found by itself when only one matches)
//	cascade:a+b           save-update, merge, delete, delete-orphan, expunge, all
//	                      (save-update+merge+delete+expunge); default save-update+merge
//	single_parent         an object may have one parent through this relationship
//	passive_deletes       the database deletes unloaded children (ON DELETE CASCADE):
//	                      deleting the parent loads and deletes nothing itself;
//	                      passive_deletes:all does not touch loaded children either
//	order_by:col[+-col]   the order a List is loaded in (-col: descending)
//	ordering:col          the List keeps col equal to each child's index
//	count_from:n          with ordering: the first position is n (default 0)
//	reorder_on_append:false  with ordering: a child appended with a position
//	                      of its own keeps it (SQLAlchemy's default); others
//	                      still follow their index
//
// The foreign key itself is declared on the child's column (fk:table.col
// and ondelete:... in its db tag, or the ForeignKey option). Relationships
// are resolved when the first session factory uses the registry (or by
// [Registry.Check]); an invalid one is a *ModelError naming the field.

type relKind uint8

const (
	manyToOne      relKind = iota + 1 // Ref; the key is in the owner's table
	oneToMany                         // List; the key is in the target's table
	oneToOneRemote                    // Ref; the key is in the target's table
	manyToMany                        // List; pairs of keys in a secondary table
)

type cascadeSet uint8

const (
	cascadeSaveUpdate cascadeSet = 1 << iota
	cascadeMerge
	cascadeDelete
	cascadeDeleteOrphan
	cascadeExpunge
)

func (c cascadeSet) has(x cascadeSet) bool { return c&x != 0 }

type passiveMode uint8

const (
	passiveNone passiveMode = iota
	passiveUnloaded
	passiveAll
)

// relation is a resolved relationship of one mapper.
type relation struct {
	owner  *Mapper
	field  string
	offset uintptr
	kind   relKind
	target *Mapper

	// The foreign key: fk are the child's columns, ref the parent's
	// columns they hold.
	child, parent *Mapper
	fk, ref       []*Field
	nullable      bool // every fk column can hold NULL

	back         *relation
	dep          depProcessor // what the relationship means to a flush, by kind
	cascade      cascadeSet
	singleParent bool
	passive      passiveMode
	orderBy      []relOrder
	ordering     *Field // position column of the target, kept = index + countFrom
	countFrom    int
	keepAppend   bool // an appended child's own position is kept

	// many-to-many: rows of secondary pair the owner's ownerRef values
	// (in secLocal columns) with the target's targetRef values (secRemote)
	secondary           *schema.Table
	secLocal, secRemote []string
	ownerRef, targetRef []*Field
	primary             bool // of the two sides, the one that writes the pairs

	postUpdate bool // the key is set by an UPDATE after the inserts (row cycles)
}

type relOrder struct {
	f    *Field
	desc bool
}

// relSpec is a relationship as declared, before resolution.
type relSpec struct {
	field      string
	offset     uintptr
	list       bool
	target     reflect.Type
	fk         []string
	backref    string
	cascade    cascadeSet
	single     bool
	passive    passiveMode
	orderBy    []string
	ordering   string
	countFrom  int
	keepAppend bool
	secondary  string
	postUpdate bool
}

// refAt and listAt return the relationship field of the object obj points
// to. The field is a Ref[T] or List[T] whose only field is its core, so
// its address is the core's address.
func (r *relation) refAt(obj unsafe.Pointer) *refCore {
	return (*refCore)(unsafe.Add(obj, r.offset))
}

func (r *relation) listAt(obj unsafe.Pointer) *listCore {
	return (*listCore)(unsafe.Add(obj, r.offset))
}

// isList reports whether the relationship is a List (one-to-many or
// many-to-many) rather than a Ref.
func (r *relation) isList() bool { return r.kind == oneToMany || r.kind == manyToMany }

// ownerIsChild reports whether the owner holds the foreign key.
func (r *relation) ownerIsChild() bool { return r.kind == manyToOne }

func (r *relation) String() string { return r.owner.Type.Name() + "." + r.field }

// relFieldType is implemented by Ref and List.
type relField interface {
	relTarget() reflect.Type
	relIsList() bool
}

func (*Ref[T]) relTarget() reflect.Type  { return reflect.TypeFor[T]() }
func (*Ref[T]) relIsList() bool          { return false }
func (*List[T]) relTarget() reflect.Type { return reflect.TypeFor[T]() }
func (*List[T]) relIsList() bool         { return true }

var relFieldIface = reflect.TypeFor[relField]()

// relFieldOf returns the relationship field type's target and kind, if sf
// is a Ref or a List.
func relFieldOf(t reflect.Type) (relField, bool) {
	if !reflect.PointerTo(t).Implements(relFieldIface) {
		return nil, false
	}
	return reflect.New(t).Interface().(relField), true
}

func parseRelTag(tag string, sp *relSpec) error {
	sp.cascade = cascadeSaveUpdate | cascadeMerge
	if tag == "" {
		return nil
	}
	for _, p := range strings.Split(tag, ",") {
		key, val, _ := strings.Cut(strings.TrimSpace(p), ":")
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		need := func() error {
			if val == "" {
				return fmt.Errorf("rel tag option %q needs a value", key)
			}
			return nil
		}
		switch key {
		case "":
		case "via":
			if err := need(); err != nil {
				return err
			}
			sp.fk = strings.Split(val, "+")
		case "fk":
			// fk: declares a foreign key in the db tag; one meaning only
			return fmt.Errorf("rel tag option fk: is the db tag's (fk:table.column declares a foreign key); name a relationship's key columns with via:%s", val)
		case "backref", "back_populates":
			if err := need(); err != nil {
				return err
			}
			sp.backref = val
		case "cascade":
			if err := need(); err != nil {
				return err
			}
			sp.cascade = 0
			var unknown []string
			for _, c := range strings.Split(val, "+") {
				switch strings.ToLower(strings.TrimSpace(c)) {
				case "all":
					sp.cascade |= cascadeSaveUpdate | cascadeMerge | cascadeDelete | cascadeExpunge
				case "save-update":
					sp.cascade |= cascadeSaveUpdate
				case "merge":
					sp.cascade |= cascadeMerge
				case "delete":
					sp.cascade |= cascadeDelete
				case "delete-orphan":
					sp.cascade |= cascadeDeleteOrphan
				case "expunge":
					sp.cascade |= cascadeExpunge
				case "none":
				default:
					unknown = append(unknown, strconv.Quote(c))
				}
			}
			if len(unknown) > 0 {
				return fmt.Errorf("unknown cascade %s (save-update, merge, delete, delete-orphan, expunge, all, none)", strings.Join(unknown, ", "))
			}
		case "single_parent":
			sp.single = true
		case "post_update":
			sp.postUpdate = true
		case "passive_deletes":
			switch strings.ToLower(val) {
			case "", "true":
				sp.passive = passiveUnloaded
			case "all":
				sp.passive = passiveAll
			default:
				return fmt.Errorf("passive_deletes takes no value or all, not %q", val)
			}
		case "order_by":
			if err := need(); err != nil {
				return err
			}
			sp.orderBy = strings.Split(val, "+")
		case "count_from":
			if err := need(); err != nil {
				return err
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return fmt.Errorf("count_from takes a non-negative integer, not %q", val)
			}
			sp.countFrom = n
		case "reorder_on_append":
			switch strings.ToLower(val) {
			case "", "true":
				sp.keepAppend = false
			case "false":
				sp.keepAppend = true
			default:
				return fmt.Errorf("reorder_on_append takes true or false, not %q", val)
			}
		case "ordering":
			if err := need(); err != nil {
				return err
			}
			sp.ordering = val
		case "secondary":
			if err := need(); err != nil {
				return err
			}
			sp.secondary = val
		default:
			return fmt.Errorf("unknown rel tag option %q", key)
		}
	}
	if sp.cascade.has(cascadeDeleteOrphan) && !sp.cascade.has(cascadeDelete) {
		return fmt.Errorf("cascade delete-orphan needs delete too (cascade:all+delete-orphan)")
	}
	if sp.passive == passiveAll && sp.cascade.has(cascadeDelete) {
		return fmt.Errorf("passive_deletes:all leaves the children to the database, which contradicts cascade delete: drop one (passive_deletes alone lets the database delete unloaded children)")
	}
	return nil
}

// Check resolves every relationship of the registered models and returns
// the first invalid one as a *ModelError. Session factories do it on first
// use; call it at start-up to fail early.
func (r *Registry) Check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resolveLocked()
}

func (r *Registry) resolveLocked() error {
	var todo []*Mapper
	for _, m := range r.byType {
		if !m.resolvedFlag.Load() {
			todo = append(todo, m)
		}
	}
	slices.SortFunc(todo, func(a, b *Mapper) int { return strings.Compare(a.Table.Name, b.Table.Name) })
	for _, m := range todo {
		rels := make([]*relation, 0, len(m.relSpecs))
		for i := range m.relSpecs {
			rel, err := r.resolveRel(m, &m.relSpecs[i])
			if err != nil {
				return err
			}
			rels = append(rels, rel)
		}
		m.rels = rels
	}
	// back references, once every side exists
	for _, m := range todo {
		for i, rel := range m.rels {
			if rel.back != nil {
				continue
			}
			sp := &m.relSpecs[i]
			var cands []*relation
			for _, o := range rel.target.rels {
				if rel.kind == manyToMany {
					if o != rel && o.kind == manyToMany && o.secondary == rel.secondary && o.target == m &&
						slices.Equal(o.secLocal, rel.secRemote) && (sp.backref == "" || o.field == sp.backref) {
						cands = append(cands, o)
					}
					continue
				}
				if o != rel && o.kind != manyToMany && o.child == rel.child && o.parent == rel.parent && slices.Equal(o.fk, rel.fk) && o.ownerIsChild() != rel.ownerIsChild() {
					if sp.backref == "" || o.field == sp.backref {
						cands = append(cands, o)
					}
				}
			}
			switch {
			case len(cands) == 1:
				rel.back, cands[0].back = cands[0], rel
				if rel.kind == manyToMany {
					rel.primary, cands[0].primary = true, false
				}
			case sp.backref != "":
				return &ModelError{Struct: m.Type.Name(), Field: rel.field,
					Err: fmt.Errorf("backref %s: %s has no relationship of that name over the same foreign key", sp.backref, rel.target.Type.Name())}
			}
		}
	}
	for _, m := range todo {
		for _, rel := range m.rels {
			rel.dep = processorFor(rel)
		}
		m.resolvedFlag.Store(true)
	}
	return nil
}

func (r *Registry) resolveRel(m *Mapper, sp *relSpec) (*relation, error) {
	fail := func(format string, args ...any) error {
		return &ModelError{Struct: m.Type.Name(), Field: sp.field, Err: fmt.Errorf(format, args...)}
	}
	target := r.byType[sp.target]
	if target == nil {
		return nil, fail("relationship to %s, which is not registered", sp.target)
	}
	rel := &relation{owner: m, field: sp.field, offset: sp.offset, target: target,
		cascade: sp.cascade, singleParent: sp.single, passive: sp.passive}
	if sp.secondary != "" {
		return r.resolveManyToMany(m, sp, rel, fail)
	}
	// foreign keys of child's table referencing parent's table
	fks := func(child, parent *Mapper) []*schema.ForeignKey {
		var out []*schema.ForeignKey
		for _, fk := range child.Table.ForeignKeys {
			if fk.RefTable == parent.Table.Name && (sp.fk == nil || slices.Equal(fk.Columns, sp.fk)) {
				out = append(out, fk)
			}
		}
		return out
	}
	var fk *schema.ForeignKey
	pick := func(child, parent *Mapper, kind relKind) error {
		list := fks(child, parent)
		if len(list) > 1 {
			return fail("%s has %d foreign keys to %s: name its columns with rel:\"via:...\"", child.Table.Name, len(list), parent.Table.Name)
		}
		if len(list) == 1 {
			fk, rel.child, rel.parent, rel.kind = list[0], child, parent, kind
		}
		return nil
	}
	if sp.list {
		if err := pick(target, m, oneToMany); err != nil {
			return nil, err
		}
	} else {
		if err := pick(m, target, manyToOne); err != nil {
			return nil, err
		}
		if fk == nil && m != target {
			if err := pick(target, m, oneToOneRemote); err != nil {
				return nil, err
			}
		}
	}
	if fk == nil {
		return nil, fail("no foreign key between %s and %s for this relationship: declare one on the column (fk:table.column)", m.Table.Name, target.Table.Name)
	}
	rel.nullable = true
	for i, c := range fk.Columns {
		cf := rel.child.FieldByColumn(c)
		pf := rel.parent.FieldByColumn(fk.RefColumns[i])
		if cf == nil || pf == nil {
			return nil, fail("foreign key %s names a column no field maps", fk.Name)
		}
		rel.fk, rel.ref = append(rel.fk, cf), append(rel.ref, pf)
		if !cf.Column.Nullable {
			rel.nullable = false
		}
	}
	var err error
	if rel.orderBy, err = orderBy(target, sp.orderBy, fail); err != nil {
		return nil, err
	}
	if sp.ordering == "" && (sp.countFrom != 0 || sp.keepAppend) {
		return nil, fail("count_from and reorder_on_append need ordering:col")
	}
	if sp.ordering != "" {
		if !sp.list {
			return nil, fail("ordering needs a List")
		}
		f := target.fieldNamed(sp.ordering)
		if f == nil || !f.Column.Type.Kind.IsInteger() {
			return nil, fail("ordering %s: %s has no integer field or column of that name", sp.ordering, target.Type.Name())
		}
		rel.ordering, rel.countFrom, rel.keepAppend = f, sp.countFrom, sp.keepAppend
		if uniqueCovers(target.Table, f.Column.Name) && !slices.Contains(target.uniqueOrdering, f) {
			target.uniqueOrdering = append(target.uniqueOrdering, f)
		}
		if len(rel.orderBy) == 0 {
			rel.orderBy = []relOrder{{f: f}}
		}
	}
	if rel.cascade.has(cascadeDeleteOrphan) && rel.kind == manyToOne && !rel.singleParent {
		return nil, fail("delete-orphan on a reference to a parent needs single_parent: otherwise deleting the orphan would take it from its other children")
	}
	if rel.cascade.has(cascadeDeleteOrphan) && !rel.ownerIsChild() && !slices.Contains(rel.child.orphanOf, rel) {
		rel.child.orphanOf = append(rel.child.orphanOf, rel)
	}
	if sp.postUpdate {
		if rel.kind != manyToOne {
			return nil, fail("post_update belongs on a Ref whose key is in the owner's table")
		}
		rel.postUpdate = true
	}
	if rel.passive != passiveNone && rel.ownerIsChild() {
		return nil, fail("passive_deletes belongs on the parent's side (a List, or a Ref whose key is in the other table)")
	}
	return rel, nil
}

// uniqueCovers reports whether a unique constraint or index of t includes
// the column.
func uniqueCovers(t *schema.Table, col string) bool {
	if t.PrimaryKey != nil && slices.Contains(t.PrimaryKey.Columns, col) {
		return true
	}
	for _, u := range t.Uniques {
		if slices.Contains(u.Columns, col) {
			return true
		}
	}
	for _, x := range t.Indexes {
		if x.Unique && slices.Contains(x.Columns, col) {
			return true
		}
	}
	return false
}

// resolveManyToMany finds the secondary table's two foreign keys: to the
// owner's table (named by fk: when both point at one table) and to the
// target's.
func (r *Registry) resolveManyToMany(m *Mapper, sp *relSpec, rel *relation, fail func(string, ...any) error) (*relation, error) {
	if !sp.list {
		return nil, fail("secondary needs a List")
	}
	if sp.cascade.has(cascadeDelete) && !sp.single {
		return nil, fail("cascade delete over a secondary table needs single_parent: otherwise it would delete objects other owners share")
	}
	sec := r.meta.Table(sp.secondary)
	if sec == nil {
		return nil, fail("secondary table %s is not in the registry's metadata: register a model for it or add it to MetaData()", sp.secondary)
	}
	var local, remote *schema.ForeignKey
	for _, fk := range sec.ForeignKeys {
		switch {
		case fk.RefTable == m.Table.Name && local == nil && (sp.fk == nil || slices.Equal(fk.Columns, sp.fk)):
			local = fk
		case fk.RefTable == rel.target.Table.Name && remote == nil:
			remote = fk
		}
	}
	if local == nil || remote == nil {
		return nil, fail("secondary table %s needs a foreign key to %s and one to %s", sec.Name, m.Table.Name, rel.target.Table.Name)
	}
	rel.kind, rel.secondary = manyToMany, sec
	rel.secLocal, rel.secRemote = local.Columns, remote.Columns
	rel.primary = true
	for _, c := range local.RefColumns {
		f := m.FieldByColumn(c)
		if f == nil {
			return nil, fail("%s.%s is referenced by %s but no field maps it", m.Table.Name, c, sec.Name)
		}
		rel.ownerRef = append(rel.ownerRef, f)
	}
	for _, c := range remote.RefColumns {
		f := rel.target.FieldByColumn(c)
		if f == nil {
			return nil, fail("%s.%s is referenced by %s but no field maps it", rel.target.Table.Name, c, sec.Name)
		}
		rel.targetRef = append(rel.targetRef, f)
	}
	var err error
	if rel.orderBy, err = orderBy(rel.target, sp.orderBy, fail); err != nil {
		return nil, err
	}
	return rel, nil
}

// orderBy resolves order_by names (a leading - for descending) on target.
func orderBy(target *Mapper, names []string, fail func(string, ...any) error) ([]relOrder, error) {
	var out []relOrder
	for _, o := range names {
		name := strings.TrimPrefix(o, "-")
		f := target.fieldNamed(name)
		if f == nil {
			return nil, fail("order_by %s: %s has no such field or column", name, target.Type.Name())
		}
		out = append(out, relOrder{f: f, desc: strings.HasPrefix(o, "-")})
	}
	return out, nil
}

// postUpdateKeys names the foreign keys of post_update relationships, as
// "table\x00col,col".
func (r *Registry) postUpdateKeys() map[string]bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := map[string]bool{}
	for _, m := range r.byType {
		for _, rel := range m.rels {
			if rel.postUpdate {
				out[rel.child.Table.Name+"\x00"+strings.Join(columnNames(rel.fk), ",")] = true
			}
		}
	}
	return out
}
