package sqlitedialect

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// Inspect reads the tables of the main database into metadata. Columns,
// primary key columns, foreign keys and indexes come from the pragma table
// functions; constraint names, DEFERRABLE clauses, CHECK expressions,
// AUTOINCREMENT, defaults and partial index predicates from the CREATE
// statements SQLite keeps in sqlite_schema. Constraints left unnamed in the
// DDL get names from [schema.DefaultNaming]. Indexes on expressions cannot
// be represented and are skipped. The result is deterministic.
func (d *Dialect) Inspect(ctx context.Context, q dialect.Querier, opts dialect.InspectOptions) (*schema.MetaData, error) {
	tables, err := listTables(ctx, q)
	if err != nil {
		return nil, err
	}
	md := schema.NewMetaData()
	for _, tt := range tables {
		if !opts.Wants(tt.name) {
			continue
		}
		t, err := inspectTable(ctx, q, tt.name, tt.sql, tables)
		if err != nil {
			return nil, err
		}
		if err := md.Add(t); err != nil {
			return nil, fmt.Errorf("sqlite: inspect: table %s cannot be represented: %w", tt.name, err)
		}
	}
	return md, nil
}

type tableSQL struct {
	name, sql string
}

// listTables returns the ordinary tables of the main database, sorted by
// name, without SQLite's internal tables, virtual tables and their shadow
// tables.
func listTables(ctx context.Context, q dialect.Querier) ([]tableSQL, error) {
	var out []tableSQL
	err := dialect.QueryEach(ctx, q, `SELECT s.name, s.sql FROM sqlite_schema AS s
JOIN pragma_table_list AS l ON l.schema = 'main' AND l.name = s.name
WHERE s.type = 'table' AND l.type = 'table' AND s.name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY s.name`, nil, func(r dialect.Rows) error {
		var t tableSQL
		var s sql.NullString
		if err := r.Scan(&t.name, &s); err != nil {
			return err
		}
		t.sql = s.String
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: inspect: listing tables: %w", err)
	}
	return out, nil
}

type pragmaColumn struct {
	name    string
	decl    string
	notNull bool
	dflt    sql.NullString
	pk      int
}

func tableColumns(ctx context.Context, q dialect.Querier, table string) ([]pragmaColumn, error) {
	var cols []pragmaColumn
	err := dialect.QueryEach(ctx, q, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?, 'main') ORDER BY cid`, []any{table}, func(r dialect.Rows) error {
		var c pragmaColumn
		var notNull int64
		var pk int64
		if err := r.Scan(&c.name, &c.decl, &notNull, &c.dflt, &pk); err != nil {
			return err
		}
		c.notNull, c.pk = notNull != 0, int(pk)
		cols = append(cols, c)
		return nil
	})
	return cols, err
}

// primaryKeyColumns returns the table's primary key columns in key order.
func primaryKeyColumns(cols []pragmaColumn) []string {
	var pk []pragmaColumn
	for _, c := range cols {
		if c.pk > 0 {
			pk = append(pk, c)
		}
	}
	slices.SortStableFunc(pk, func(a, b pragmaColumn) int { return a.pk - b.pk })
	var out []string
	for _, c := range pk {
		out = append(out, c.name)
	}
	return out
}

type pragmaIndex struct {
	name    string
	unique  bool
	origin  string // "c" CREATE INDEX, "u" UNIQUE constraint, "pk" PRIMARY KEY
	partial bool
	columns []string // nil if the index has an expression
}

func tableIndexes(ctx context.Context, q dialect.Querier, table string) ([]pragmaIndex, error) {
	var xs []pragmaIndex
	err := dialect.QueryEach(ctx, q, `SELECT name, "unique", origin, partial FROM pragma_index_list(?, 'main') ORDER BY name`, []any{table}, func(r dialect.Rows) error {
		var x pragmaIndex
		var unique, partial int64
		if err := r.Scan(&x.name, &unique, &x.origin, &partial); err != nil {
			return err
		}
		x.unique, x.partial = unique != 0, partial != 0
		xs = append(xs, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range xs {
		var cols []string
		expr := false
		err := dialect.QueryEach(ctx, q, `SELECT cid, name FROM pragma_index_info(?, 'main') ORDER BY seqno`, []any{xs[i].name}, func(r dialect.Rows) error {
			var cid int64
			var name sql.NullString
			if err := r.Scan(&cid, &name); err != nil {
				return err
			}
			if cid < 0 || !name.Valid {
				expr = true
			}
			cols = append(cols, name.String)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if !expr {
			xs[i].columns = cols
		}
	}
	return xs, nil
}

type pragmaFK struct {
	id         int64
	columns    []string
	refTable   string
	refColumns []string // entries may be "" (the parent's primary key)
	onUpdate   string
	onDelete   string
}

func tableForeignKeys(ctx context.Context, q dialect.Querier, table string) ([]*pragmaFK, error) {
	var fks []*pragmaFK
	byID := map[int64]*pragmaFK{}
	err := dialect.QueryEach(ctx, q, `SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?, 'main') ORDER BY id, seq`, []any{table}, func(r dialect.Rows) error {
		var id int64
		var ref, from, onUpdate, onDelete string
		var to sql.NullString
		if err := r.Scan(&id, &ref, &from, &to, &onUpdate, &onDelete); err != nil {
			return err
		}
		fk := byID[id]
		if fk == nil {
			fk = &pragmaFK{id: id, refTable: ref, onUpdate: onUpdate, onDelete: onDelete}
			byID[id] = fk
			fks = append(fks, fk)
		}
		fk.columns = append(fk.columns, from)
		fk.refColumns = append(fk.refColumns, to.String)
		return nil
	})
	// SQLite numbers foreign keys from the last declared; list them in
	// declaration order.
	slices.Reverse(fks)
	return fks, err
}

// canonical returns the name in names equal to n without regard to ASCII
// case (SQLite's rule for identifiers), or n itself.
func canonical(names []string, n string) string {
	for _, x := range names {
		if x == n {
			return x
		}
	}
	for _, x := range names {
		if sameName(x, n) {
			return x
		}
	}
	return n
}

func canonicalAll(names, ns []string) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = canonical(names, n)
	}
	return out
}

func inspectTable(ctx context.Context, q dialect.Querier, name, ddl string, all []tableSQL) (*schema.Table, error) {
	fail := func(what string, err error) error {
		return fmt.Errorf("sqlite: inspect: table %s: %s: %w", name, what, err)
	}
	pt, perr := parseCreateTable(ddl)
	if perr != nil {
		pt = &parsedTable{Name: name} // columns and keys still come from the pragmas
	}
	pcols, err := tableColumns(ctx, q, name)
	if err != nil {
		return nil, fail("columns", err)
	}
	var colNames []string
	for _, c := range pcols {
		colNames = append(colNames, c.name)
	}
	t := &schema.Table{Name: name}

	// Primary key.
	pkCols := primaryKeyColumns(pcols)
	if len(pkCols) > 0 {
		t.PrimaryKey = &schema.PrimaryKey{Columns: pkCols}
		if pt.PrimaryKey != nil {
			t.PrimaryKey.Name = pt.PrimaryKey.Name
		}
	}
	rowidAlias := len(pkCols) == 1 && !pt.WithoutRowID

	// Columns.
	var checks []*schema.Check
	for _, pc := range pcols {
		c := &schema.Column{Name: pc.name, Nullable: !pc.notNull}
		c.Type = typeFromDecl(pc.decl)
		ptc := pt.column(pc.name)
		if ptc != nil {
			c.AutoIncrement = ptc.AutoIncrement && ptc.PrimaryKey
			for _, ck := range ptc.Checks {
				if c.Type.Kind == schema.KindText && ck.Name == "" && c.Type.Values == nil {
					if vals, ok := parseEnumCheck(ck.Expr, pc.name); ok {
						c.Type = schema.Type{Kind: schema.KindEnum, Values: vals}
						continue
					}
				}
				checks = append(checks, &schema.Check{Name: ck.Name, Expr: ck.Expr})
			}
		}
		if rowidAlias && pc.pk == 1 && strings.EqualFold(strings.TrimSpace(pc.decl), "INTEGER") {
			c.Nullable = false // INTEGER PRIMARY KEY is the rowid: never NULL
		}
		if ptc != nil && ptc.Default != nil {
			c.Default = defaultFromParse(ptc.Default, c.Type)
		} else if pc.dflt.Valid {
			c.Default = defaultFromPragma(pc.dflt.String, c.Type)
		}
		t.Columns = append(t.Columns, c)
	}
	for _, ck := range pt.Checks {
		checks = append(checks, &schema.Check{Name: ck.Name, Expr: ck.Expr})
	}
	t.Checks = checks

	// Foreign keys: the pragma is the truth about columns and actions; the
	// parsed DDL gives names and deferrability.
	pfks, err := tableForeignKeys(ctx, q, name)
	if err != nil {
		return nil, fail("foreign keys", err)
	}
	tableNames := make([]string, len(all))
	for i, x := range all {
		tableNames[i] = x.name
	}
	used := make([]bool, len(pt.ForeignKeys))
	for _, pf := range pfks {
		fk := &schema.ForeignKey{
			Columns:  canonicalAll(colNames, pf.columns),
			RefTable: canonical(tableNames, pf.refTable),
		}
		if fk.OnDelete, err = schema.ParseAction(pf.onDelete); err != nil {
			return nil, fail("foreign keys", err)
		}
		if fk.OnUpdate, err = schema.ParseAction(pf.onUpdate); err != nil {
			return nil, fail("foreign keys", err)
		}
		if slices.Contains(pf.refColumns, "") {
			// REFERENCES t without columns: the parent's primary key.
			if fk.RefTable == name {
				fk.RefColumns = slices.Clone(pkCols)
			} else {
				rcols, err := tableColumns(ctx, q, fk.RefTable)
				if err != nil {
					return nil, fail("foreign keys", err)
				}
				fk.RefColumns = primaryKeyColumns(rcols)
			}
		} else {
			refNames := colNames
			if fk.RefTable != name {
				rcols, err := tableColumns(ctx, q, fk.RefTable)
				if err != nil {
					return nil, fail("foreign keys", err)
				}
				refNames = nil
				for _, c := range rcols {
					refNames = append(refNames, c.name)
				}
			}
			fk.RefColumns = canonicalAll(refNames, pf.refColumns)
		}
		for i, pp := range pt.ForeignKeys {
			if used[i] || !sameNames(pp.Columns, fk.Columns) || !sameName(pp.RefTable, fk.RefTable) ||
				(len(pp.RefColumns) > 0 && !sameNames(pp.RefColumns, fk.RefColumns)) {
				continue
			}
			used[i] = true
			fk.Name, fk.Deferrable, fk.InitiallyDeferred = pp.Name, pp.Deferrable, pp.InitiallyDeferred
			break
		}
		t.ForeignKeys = append(t.ForeignKeys, fk)
	}

	// Unique constraints and indexes.
	xs, err := tableIndexes(ctx, q, name)
	if err != nil {
		return nil, fail("indexes", err)
	}
	for _, u := range pt.Uniques {
		cols := canonicalAll(colNames, u.Columns)
		if slices.Contains(cols, "") {
			continue
		}
		t.Uniques = append(t.Uniques, &schema.Unique{Name: u.Name, Columns: cols})
	}
	for _, x := range xs {
		if x.columns == nil {
			continue // an index on expressions: not representable
		}
		switch x.origin {
		case "u":
			// Covered by a parsed UNIQUE constraint unless the parser
			// missed it.
			known := false
			for _, u := range t.Uniques {
				if slices.Equal(u.Columns, x.columns) {
					known = true
				}
			}
			if !known {
				t.Uniques = append(t.Uniques, &schema.Unique{Columns: x.columns})
			}
		case "c":
			ix := &schema.Index{Name: x.name, Columns: x.columns, Unique: x.unique}
			if x.partial {
				where, err := indexPredicate(ctx, q, x.name)
				if err != nil {
					return nil, fail("index "+x.name, err)
				}
				ix.Where = where
			}
			t.Indexes = append(t.Indexes, ix)
		}
	}
	return t, nil
}

// sameNames compares name lists by SQLite's rule (ASCII case ignored).
func sameNames(a, b []string) bool {
	return slices.EqualFunc(a, b, sameName)
}

func indexPredicate(ctx context.Context, q dialect.Querier, index string) (string, error) {
	var ddl string
	err := dialect.QueryEach(ctx, q, `SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?`, []any{index}, func(r dialect.Rows) error {
		var s sql.NullString
		err := r.Scan(&s)
		ddl = s.String
		return err
	})
	if err != nil {
		return "", err
	}
	x, err := parseCreateIndex(ddl)
	if err != nil {
		return "", err
	}
	return x.Where, nil
}

// defaultFromParse turns a DEFAULT clause as written into a server default.
func defaultFromParse(pd *parsedDefault, t schema.Type) *schema.Default {
	switch pd.kind {
	case defExpr:
		return schema.DefaultSQL(pd.text)
	case defString:
		return schema.DefaultStr(pd.text)
	case defNumber:
		if t.Kind == schema.KindBoolean {
			switch pd.text {
			case "1":
				return schema.DefaultBoolean(true)
			case "0":
				return schema.DefaultBoolean(false)
			}
		}
		return &schema.Default{Kind: schema.DefaultNumber, Value: pd.text}
	case defWord:
		switch pd.text {
		case "NULL":
			return nil
		case "TRUE":
			return schema.DefaultBoolean(true)
		case "FALSE":
			return schema.DefaultBoolean(false)
		case "CURRENT_TIMESTAMP":
			return schema.DefaultNow()
		case "CURRENT_DATE":
			return schema.DefaultToday()
		}
		return schema.DefaultSQL(pd.text)
	case defBlob:
		return schema.DefaultSQL(pd.text)
	}
	return nil
}

// defaultFromPragma reads pragma_table_info's dflt_value, used only when
// the CREATE TABLE text could not be parsed. SQLite drops the parentheses
// around a default expression there, so anything that is not a plain
// literal reads as an expression.
func defaultFromPragma(v string, t schema.Type) *schema.Default {
	toks := tokenize(v)
	switch {
	case len(toks) == 1 && toks[0].kind == tokString:
		return schema.DefaultStr(toks[0].val)
	case len(toks) == 1 && toks[0].kind == tokNumber:
		return defaultFromParse(&parsedDefault{kind: defNumber, text: v}, t)
	case len(toks) == 2 && (toks[0].isPunct('-') || toks[0].isPunct('+')) && toks[1].kind == tokNumber:
		return defaultFromParse(&parsedDefault{kind: defNumber, text: toks[0].val + toks[1].val}, t)
	case len(toks) == 1 && toks[0].kind == tokWord:
		switch w := strings.ToUpper(toks[0].val); w {
		case "NULL", "TRUE", "FALSE", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME":
			return defaultFromParse(&parsedDefault{kind: defWord, text: w}, t)
		}
	}
	return schema.DefaultSQL(v)
}
