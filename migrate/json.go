package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// The JSON forms of schema objects in revision files and snapshots. Field
// names are snake_case, zero values are left out, and kinds, actions and
// default kinds are written as words, so a revision reads well in review.

type typeJSON struct {
	Kind      string    `json:"kind"`
	Length    int       `json:"length,omitempty"`
	Precision int       `json:"precision,omitempty"`
	Scale     int       `json:"scale,omitempty"`
	Name      string    `json:"name,omitempty"`
	Values    []string  `json:"values,omitempty"`
	Custom    string    `json:"custom,omitempty"`
	Elem      *typeJSON `json:"elem,omitempty"` // an array's element type
}

type defaultJSON struct {
	Kind  string `json:"kind"`
	Value string `json:"value,omitempty"`
}

type columnJSON struct {
	Name          string       `json:"name"`
	Type          typeJSON     `json:"type"`
	Nullable      bool         `json:"nullable,omitempty"`
	AutoIncrement bool         `json:"autoincrement,omitempty"`
	Default       *defaultJSON `json:"default,omitempty"`
	Comment       string       `json:"comment,omitempty"`
}

type keyJSON struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
}

type fkJSON struct {
	Name              string   `json:"name"`
	Columns           []string `json:"columns"`
	RefSchema         string   `json:"ref_schema,omitempty"`
	RefTable          string   `json:"ref_table"`
	RefColumns        []string `json:"ref_columns"`
	OnDelete          string   `json:"on_delete,omitempty"`
	OnUpdate          string   `json:"on_update,omitempty"`
	Deferrable        bool     `json:"deferrable,omitempty"`
	InitiallyDeferred bool     `json:"initially_deferred,omitempty"`
}

type indexJSON struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Unique  bool     `json:"unique,omitempty"`
	Where   string   `json:"where,omitempty"`
}

type checkJSON struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

type tableJSON struct {
	Schema      string        `json:"schema,omitempty"`
	Name        string        `json:"name"`
	Comment     string        `json:"comment,omitempty"`
	Columns     []*columnJSON `json:"columns"`
	PrimaryKey  *keyJSON      `json:"primary_key,omitempty"`
	Uniques     []*keyJSON    `json:"uniques,omitempty"`
	Checks      []*checkJSON  `json:"checks,omitempty"`
	ForeignKeys []*fkJSON     `json:"foreign_keys,omitempty"`
	Indexes     []*indexJSON  `json:"indexes,omitempty"`
}

type deferJSON struct {
	Deferrable        bool `json:"deferrable"`
	InitiallyDeferred bool `json:"initially_deferred"`
}

type actionsJSON struct {
	OnDelete string `json:"on_delete,omitempty"`
	OnUpdate string `json:"on_update,omitempty"`
}

var defaultKinds = map[schema.DefaultKind]string{
	schema.DefaultString: "string", schema.DefaultNumber: "number", schema.DefaultBool: "bool",
	schema.DefaultCurrentTimestamp: "current_timestamp", schema.DefaultCurrentDate: "current_date", schema.DefaultExpr: "expr",
}

func encType(t schema.Type) typeJSON {
	if t.Kind == schema.KindArray {
		e := encType(t.Elem())
		return typeJSON{Kind: t.Kind.String(), Elem: &e}
	}
	return typeJSON{Kind: t.Kind.String(), Length: t.Length, Precision: t.Precision, Scale: t.Scale, Name: t.EnumName, Values: t.Values, Custom: t.Custom}
}

func decType(j typeJSON) (schema.Type, error) {
	if j.Kind == schema.KindArray.String() {
		if j.Elem == nil {
			return schema.Type{}, fmt.Errorf("array type without an element type")
		}
		e, err := decType(*j.Elem)
		if err != nil {
			return schema.Type{}, fmt.Errorf("array element: %w", err)
		}
		return schema.Array(e), nil
	}
	for k := schema.KindSmallInt; k <= schema.KindCustom; k++ {
		if k.String() == j.Kind {
			return schema.Type{Kind: k, Length: j.Length, Precision: j.Precision, Scale: j.Scale, EnumName: j.Name, Values: j.Values, Custom: j.Custom}, nil
		}
	}
	return schema.Type{}, fmt.Errorf("unknown type kind %q", j.Kind)
}

func encAction(a schema.Action) string {
	if a == schema.NoAction {
		return ""
	}
	return a.String()
}

func decAction(s string) (schema.Action, error) {
	if s == "" {
		return schema.NoAction, nil
	}
	return schema.ParseAction(s)
}

func encColumn(c *schema.Column) *columnJSON {
	j := &columnJSON{Name: c.Name, Type: encType(c.Type), Nullable: c.Nullable, AutoIncrement: c.AutoIncrement, Comment: c.Comment}
	if c.Default != nil {
		j.Default = &defaultJSON{Kind: defaultKinds[c.Default.Kind], Value: c.Default.Value}
	}
	return j
}

func decColumn(j *columnJSON) (*schema.Column, error) {
	if j == nil {
		return nil, fmt.Errorf("missing column")
	}
	t, err := decType(j.Type)
	if err != nil {
		return nil, fmt.Errorf("column %s: %w", j.Name, err)
	}
	c := &schema.Column{Name: j.Name, Type: t, Nullable: j.Nullable, AutoIncrement: j.AutoIncrement, Comment: j.Comment}
	if j.Default != nil {
		k, ok := schema.DefaultKind(0), false
		for dk, n := range defaultKinds {
			if n == j.Default.Kind {
				k, ok = dk, true
			}
		}
		if !ok {
			return nil, fmt.Errorf("column %s: unknown default kind %q", j.Name, j.Default.Kind)
		}
		c.Default = &schema.Default{Kind: k, Value: j.Default.Value}
	}
	return c, nil
}

func encFK(f *schema.ForeignKey) *fkJSON {
	return &fkJSON{Name: f.Name, Columns: f.Columns, RefSchema: f.RefSchema, RefTable: f.RefTable, RefColumns: f.RefColumns,
		OnDelete: encAction(f.OnDelete), OnUpdate: encAction(f.OnUpdate), Deferrable: f.Deferrable, InitiallyDeferred: f.InitiallyDeferred}
}

func decFK(j *fkJSON) (*schema.ForeignKey, error) {
	if j == nil {
		return nil, fmt.Errorf("missing foreign key")
	}
	od, err := decAction(j.OnDelete)
	if err != nil {
		return nil, err
	}
	ou, err := decAction(j.OnUpdate)
	if err != nil {
		return nil, err
	}
	return &schema.ForeignKey{Name: j.Name, Columns: j.Columns, RefSchema: j.RefSchema, RefTable: j.RefTable, RefColumns: j.RefColumns,
		OnDelete: od, OnUpdate: ou, Deferrable: j.Deferrable, InitiallyDeferred: j.InitiallyDeferred}, nil
}

func encUnique(u *schema.Unique) *keyJSON { return &keyJSON{Name: u.Name, Columns: u.Columns} }
func encIndex(x *schema.Index) *indexJSON {
	return &indexJSON{Name: x.Name, Columns: x.Columns, Unique: x.Unique, Where: x.Where}
}
func encCheck(c *schema.Check) *checkJSON { return &checkJSON{Name: c.Name, Expr: c.Expr} }

func encTable(t *schema.Table) *tableJSON {
	j := &tableJSON{Schema: t.Schema, Name: t.Name, Comment: t.Comment}
	for _, c := range t.Columns {
		j.Columns = append(j.Columns, encColumn(c))
	}
	if t.PrimaryKey != nil {
		j.PrimaryKey = &keyJSON{Name: t.PrimaryKey.Name, Columns: t.PrimaryKey.Columns}
	}
	for _, u := range t.Uniques {
		j.Uniques = append(j.Uniques, encUnique(u))
	}
	for _, c := range t.Checks {
		j.Checks = append(j.Checks, encCheck(c))
	}
	for _, f := range t.ForeignKeys {
		j.ForeignKeys = append(j.ForeignKeys, encFK(f))
	}
	for _, x := range t.Indexes {
		j.Indexes = append(j.Indexes, encIndex(x))
	}
	return j
}

func decTable(j *tableJSON) (*schema.Table, error) {
	if j == nil {
		return nil, fmt.Errorf("missing table")
	}
	t := &schema.Table{Schema: j.Schema, Name: j.Name, Comment: j.Comment}
	for _, cj := range j.Columns {
		c, err := decColumn(cj)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", j.Name, err)
		}
		t.Columns = append(t.Columns, c)
	}
	if j.PrimaryKey != nil {
		t.PrimaryKey = &schema.PrimaryKey{Name: j.PrimaryKey.Name, Columns: j.PrimaryKey.Columns}
	}
	for _, u := range j.Uniques {
		if u == nil {
			return nil, fmt.Errorf("table %s: null unique", j.Name)
		}
		t.Uniques = append(t.Uniques, &schema.Unique{Name: u.Name, Columns: u.Columns})
	}
	for _, c := range j.Checks {
		if c == nil {
			return nil, fmt.Errorf("table %s: null check", j.Name)
		}
		t.Checks = append(t.Checks, &schema.Check{Name: c.Name, Expr: c.Expr})
	}
	for _, fj := range j.ForeignKeys {
		f, err := decFK(fj)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", j.Name, err)
		}
		t.ForeignKeys = append(t.ForeignKeys, f)
	}
	for _, x := range j.Indexes {
		if x == nil {
			return nil, fmt.Errorf("table %s: null index", j.Name)
		}
		t.Indexes = append(t.Indexes, &schema.Index{Name: x.Name, Columns: x.Columns, Unique: x.Unique, Where: x.Where})
	}
	return t, nil
}

// snapshotJSON is a whole schema: its tables sorted by name.
type snapshotJSON struct {
	Tables []*tableJSON `json:"tables"`
}

func encSnapshot(m *schema.MetaData) *snapshotJSON {
	s := &snapshotJSON{Tables: []*tableJSON{}}
	for _, t := range m.Tables() {
		s.Tables = append(s.Tables, encTable(t))
	}
	return s
}

func decSnapshot(s *snapshotJSON) (*schema.MetaData, error) {
	m := schema.NewMetaData()
	if s == nil {
		return m, nil
	}
	for _, tj := range s.Tables {
		t, err := decTable(tj)
		if err != nil {
			return nil, err
		}
		if err := m.Add(t); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// MarshalSnapshot writes m in the snapshot format of revision files
// (indented JSON, tables sorted by name), for a models file the CLI reads.
func MarshalSnapshot(m *schema.MetaData) ([]byte, error) {
	b, err := json.MarshalIndent(encSnapshot(m), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// UnmarshalSnapshot reads a schema written by [MarshalSnapshot].
func UnmarshalSnapshot(data []byte) (*schema.MetaData, error) {
	var s snapshotJSON
	if err := strictUnmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("migrate: snapshot: %w", err)
	}
	m, err := decSnapshot(&s)
	if err != nil {
		return nil, fmt.Errorf("migrate: snapshot: %w", err)
	}
	return m, nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// opJSON is every operation's JSON form: "op" names the operation and the
// fields it uses are set.
type opJSON struct {
	Op          string              `json:"op"`
	Destructive string              `json:"destructive,omitempty"`
	Table       string              `json:"table,omitempty"`
	From        string              `json:"from,omitempty"`
	To          string              `json:"to,omitempty"`
	Kind        string              `json:"kind,omitempty"`
	Enum        *typeJSON           `json:"enum,omitempty"`
	OldEnum     *typeJSON           `json:"old_enum,omitempty"`
	Definition  *tableJSON          `json:"definition,omitempty"`
	Column      *columnJSON         `json:"column,omitempty"`
	Old         *columnJSON         `json:"old,omitempty"`
	New         *columnJSON         `json:"new,omitempty"`
	PrimaryKey  *keyJSON            `json:"primary_key,omitempty"`
	Unique      *keyJSON            `json:"unique,omitempty"`
	Check       *checkJSON          `json:"check,omitempty"`
	ForeignKey  *fkJSON             `json:"foreign_key,omitempty"`
	OldActions  *actionsJSON        `json:"old_actions,omitempty"`
	OldDefer    *deferJSON          `json:"old_deferrability,omitempty"`
	Strategy    string              `json:"strategy,omitempty"`
	Index       *indexJSON          `json:"index,omitempty"`
	Concurrent  bool                `json:"concurrently,omitempty"`
	OldComment  *string             `json:"old_comment,omitempty"`
	NewComment  *string             `json:"new_comment,omitempty"`
	SQL         []string            `json:"sql,omitempty"`
	Dialects    map[string][]string `json:"dialects,omitempty"`
	Reverse     *opJSON             `json:"reverse,omitempty"`
	Func        string              `json:"func,omitempty"`
	ReverseFunc string              `json:"reverse_func,omitempty"`
}

func encOp(op Op) (*opJSON, error) {
	j := &opJSON{Op: op.Name(), Destructive: Destructive(op)}
	switch o := op.(type) {
	case CreateEnum:
		t := encType(o.Type)
		j.Enum = &t
	case DropEnum:
		t := encType(o.Type)
		j.Enum = &t
	case AlterEnum:
		ot, nt := encType(o.Old), encType(o.New)
		j.OldEnum, j.Enum, j.Strategy = &ot, &nt, string(o.Strategy)
	case CreateTable:
		j.Definition = encTable(o.Table)
	case DropTable:
		j.Definition = encTable(o.Table)
	case RenameTable:
		j.From, j.To = o.From, o.To
	case AddColumn:
		j.Table, j.Column = o.Table, encColumn(o.Column)
	case DropColumn:
		j.Table, j.Column = o.Table, encColumn(o.Column)
	case AlterColumn:
		j.Table, j.Old, j.New = o.Table, encColumn(o.Old), encColumn(o.New)
	case RenameColumn:
		j.Table, j.From, j.To = o.Table, o.From, o.To
	case RenameConstraint:
		j.Table, j.Kind, j.From, j.To = o.Table, string(o.Kind), o.From, o.To
	case AddPrimaryKey:
		j.Table, j.PrimaryKey = o.Table, &keyJSON{Name: o.PrimaryKey.Name, Columns: o.PrimaryKey.Columns}
	case DropPrimaryKey:
		j.Table, j.PrimaryKey = o.Table, &keyJSON{Name: o.PrimaryKey.Name, Columns: o.PrimaryKey.Columns}
	case AddUnique:
		j.Table, j.Unique = o.Table, encUnique(o.Unique)
	case DropUnique:
		j.Table, j.Unique = o.Table, encUnique(o.Unique)
	case AddCheck:
		j.Table, j.Check = o.Table, encCheck(o.Check)
	case DropCheck:
		j.Table, j.Check = o.Table, encCheck(o.Check)
	case AddForeignKey:
		j.Table, j.ForeignKey = o.Table, encFK(o.ForeignKey)
	case DropForeignKey:
		j.Table, j.ForeignKey = o.Table, encFK(o.ForeignKey)
	case AlterForeignKeyActions:
		j.Table, j.ForeignKey = o.Table, encFK(o.ForeignKey)
		j.OldActions = &actionsJSON{OnDelete: encAction(o.Old.OnDelete), OnUpdate: encAction(o.Old.OnUpdate)}
		if j.OldActions.OnDelete == "" {
			j.OldActions.OnDelete = schema.NoAction.String()
		}
	case AlterForeignKeyDeferrability:
		j.Table, j.ForeignKey = o.Table, encFK(o.ForeignKey)
		j.OldDefer = &deferJSON{Deferrable: o.Old.Deferrable, InitiallyDeferred: o.Old.InitiallyDeferred}
	case CreateIndex:
		j.Table, j.Index, j.Concurrent = o.Table, encIndex(o.Index), o.Concurrently
	case DropIndex:
		j.Table, j.Index, j.Concurrent = o.Table, encIndex(o.Index), o.Concurrently
	case SetTableComment:
		j.Table, j.OldComment, j.NewComment = o.Table, &o.Old, &o.New
	case RawSQL:
		j.SQL, j.Dialects = o.SQL, o.Dialects
		if o.Reverse != nil {
			r, _ := encOp(*o.Reverse)
			j.Reverse = r
		}
	case GoStep:
		j.Func, j.ReverseFunc = o.Func, o.Reverse
	default:
		return nil, fmt.Errorf("migrate: cannot encode operation %T", op)
	}
	return j, nil
}

func decOp(j *opJSON) (Op, error) {
	if j == nil {
		return nil, fmt.Errorf("null operation")
	}
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("operation %s needs %s", j.Op, what)
		}
		return nil
	}
	var err error
	col := func(c *columnJSON) *schema.Column {
		if err != nil {
			return nil
		}
		var out *schema.Column
		out, err = decColumn(c)
		return out
	}
	fk := func() *schema.ForeignKey {
		if err != nil {
			return nil
		}
		var out *schema.ForeignKey
		out, err = decFK(j.ForeignKey)
		return out
	}
	var op Op
	switch j.Op {
	case "create_enum", "drop_enum":
		if err = need(j.Enum != nil, "enum"); err != nil {
			return nil, err
		}
		var t schema.Type
		if t, err = decType(*j.Enum); err == nil {
			if j.Op == "create_enum" {
				op = CreateEnum{Type: t}
			} else {
				op = DropEnum{Type: t}
			}
		}
	case "alter_enum":
		if err = need(j.Enum != nil && j.OldEnum != nil, "old_enum and enum"); err != nil {
			return nil, err
		}
		var ot, nt schema.Type
		if ot, err = decType(*j.OldEnum); err == nil {
			nt, err = decType(*j.Enum)
		}
		switch EnumStrategy(j.Strategy) {
		case EnumRebuild, EnumAddValue:
		case "rebuild":
			j.Strategy = ""
		default:
			return nil, fmt.Errorf("alter_enum: unknown strategy %q (add_value or rebuild)", j.Strategy)
		}
		if err == nil && EnumStrategy(j.Strategy) == EnumAddValue && !addsValues(ot, nt) {
			return nil, fmt.Errorf("alter_enum: strategy add_value only adds values; %q -> %q needs rebuild", ot.Values, nt.Values)
		}
		op = AlterEnum{Old: ot, New: nt, Strategy: EnumStrategy(j.Strategy)}
	case "create_table", "drop_table":
		var t *schema.Table
		if t, err = decTable(j.Definition); err == nil {
			if j.Op == "create_table" {
				op = CreateTable{Table: t}
			} else {
				op = DropTable{Table: t}
			}
		}
	case "rename_table":
		err = need(j.From != "" && j.To != "", "from and to")
		op = RenameTable{From: j.From, To: j.To}
	case "add_column":
		op = AddColumn{Table: j.Table, Column: col(j.Column)}
	case "drop_column":
		op = DropColumn{Table: j.Table, Column: col(j.Column)}
	case "alter_column":
		op = AlterColumn{Table: j.Table, Old: col(j.Old), New: col(j.New)}
		if err == nil && j.Old.Name != j.New.Name {
			err = fmt.Errorf("alter_column: old and new name differ (%s, %s); use rename_column", j.Old.Name, j.New.Name)
		}
	case "rename_column":
		err = need(j.From != "" && j.To != "", "from and to")
		op = RenameColumn{Table: j.Table, From: j.From, To: j.To}
	case "rename_constraint":
		k := dialect.ObjectKind(j.Kind)
		err = need(j.From != "" && j.To != "" && slices.Contains([]dialect.ObjectKind{dialect.PrimaryKeyObject, dialect.UniqueObject,
			dialect.ForeignKeyObject, dialect.CheckObject, dialect.IndexObject}, k), "from, to and a kind (primary_key, unique, foreign_key, check, index)")
		op = RenameConstraint{Table: j.Table, Kind: k, From: j.From, To: j.To}
	case "add_primary_key", "drop_primary_key":
		if err = need(j.PrimaryKey != nil && len(j.PrimaryKey.Columns) > 0, "primary_key with columns"); err == nil {
			pk := &schema.PrimaryKey{Name: j.PrimaryKey.Name, Columns: j.PrimaryKey.Columns}
			if j.Op == "add_primary_key" {
				op = AddPrimaryKey{Table: j.Table, PrimaryKey: pk}
			} else {
				op = DropPrimaryKey{Table: j.Table, PrimaryKey: pk}
			}
		}
	case "add_unique", "drop_unique":
		if err = need(j.Unique != nil, "unique"); err == nil {
			u := &schema.Unique{Name: j.Unique.Name, Columns: j.Unique.Columns}
			if j.Op == "add_unique" {
				op = AddUnique{Table: j.Table, Unique: u}
			} else {
				op = DropUnique{Table: j.Table, Unique: u}
			}
		}
	case "add_check", "drop_check":
		if err = need(j.Check != nil, "check"); err == nil {
			c := &schema.Check{Name: j.Check.Name, Expr: j.Check.Expr}
			if j.Op == "add_check" {
				op = AddCheck{Table: j.Table, Check: c}
			} else {
				op = DropCheck{Table: j.Table, Check: c}
			}
		}
	case "add_foreign_key":
		op = AddForeignKey{Table: j.Table, ForeignKey: fk()}
	case "drop_foreign_key":
		op = DropForeignKey{Table: j.Table, ForeignKey: fk()}
	case "alter_foreign_key_actions":
		f := fk()
		if err == nil {
			err = need(j.OldActions != nil, "old_actions")
		}
		var a Actions
		if err == nil {
			if a.OnDelete, err = decAction(j.OldActions.OnDelete); err == nil {
				a.OnUpdate, err = decAction(j.OldActions.OnUpdate)
			}
		}
		op = AlterForeignKeyActions{Table: j.Table, ForeignKey: f, Old: a}
	case "alter_foreign_key_deferrability":
		f := fk()
		if err == nil {
			err = need(j.OldDefer != nil, "old_deferrability")
		}
		if err == nil {
			op = AlterForeignKeyDeferrability{Table: j.Table, ForeignKey: f, Old: Deferrability{j.OldDefer.Deferrable, j.OldDefer.InitiallyDeferred}}
		}
	case "create_index", "drop_index":
		if err = need(j.Index != nil, "index"); err == nil {
			x := &schema.Index{Name: j.Index.Name, Columns: j.Index.Columns, Unique: j.Index.Unique, Where: j.Index.Where}
			if j.Op == "create_index" {
				op = CreateIndex{Table: j.Table, Index: x, Concurrently: j.Concurrent}
			} else {
				op = DropIndex{Table: j.Table, Index: x, Concurrently: j.Concurrent}
			}
		}
	case "set_table_comment":
		if err = need(j.OldComment != nil && j.NewComment != nil, "old_comment and new_comment"); err == nil {
			op = SetTableComment{Table: j.Table, Old: *j.OldComment, New: *j.NewComment}
		}
	case "sql":
		r := RawSQL{SQL: j.SQL, Dialects: j.Dialects}
		err = need(len(j.SQL) > 0 || len(j.Dialects) > 0, "sql or dialects")
		if err == nil && j.Reverse != nil {
			var rev Op
			if rev, err = decOp(j.Reverse); err == nil {
				rr, ok := rev.(RawSQL)
				if !ok {
					err = fmt.Errorf("the reverse of raw SQL must be raw SQL")
				}
				r.Reverse = &rr
			}
		}
		op = r
	case "go":
		err = need(j.Func != "", "func")
		op = GoStep{Func: j.Func, Reverse: j.ReverseFunc}
	default:
		return nil, fmt.Errorf("unknown operation %q", j.Op)
	}
	if err != nil {
		return nil, fmt.Errorf("operation %s: %w", j.Op, err)
	}
	if needsTable(j.Op) && j.Table == "" {
		return nil, fmt.Errorf("operation %s needs a table", j.Op)
	}
	return op, nil
}

func needsTable(op string) bool {
	return !slices.Contains([]string{"create_enum", "drop_enum", "alter_enum", "create_table", "drop_table", "rename_table", "sql", "go"}, op)
}
