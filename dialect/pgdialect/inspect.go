package pgdialect

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

// The catalog queries of Inspect. They read the schemas of the text[]
// parameter $2 ($1 for qTables) and take the selected table names as the
// text[] parameter $1; each row starts with the table's schema.
const (
	qTables = `SELECT n.nspname::text, c.relname::text, COALESCE(obj_description(c.oid, 'pg_class'), '')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1, 2`

	qColumns = `SELECT n.nspname::text, c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
	t.typtype::text, t.typname::text, a.atttypid::int8, a.attnotnull, a.attidentity::text, a.attgenerated::text,
	COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), COALESCE(col_description(c.oid, a.attnum), '')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = ANY($2::text[]) AND c.relname::text = ANY($1::text[])
ORDER BY n.nspname, c.relname, a.attnum`

	qEnums = `SELECT e.enumtypid::int8, e.enumlabel::text
FROM pg_catalog.pg_enum e
WHERE e.enumtypid IN (
	SELECT a.atttypid FROM pg_catalog.pg_attribute a
	JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
	JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = ANY($2::text[]) AND c.relname::text = ANY($1::text[]) AND a.attnum > 0 AND NOT a.attisdropped)
ORDER BY e.enumtypid, e.enumsortorder`

	qKeys = `SELECT n.nspname::text, c.relname::text, con.conname::text, con.contype::text, con.condeferrable, con.condeferred,
	con.confdeltype::text, con.confupdtype::text, COALESCE(rn.nspname::text, ''), COALESCE(rc.relname::text, ''), k.ord, a.attname::text, COALESCE(ra.attname::text, '')
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
LEFT JOIN pg_catalog.pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[k.ord]
WHERE n.nspname = ANY($2::text[]) AND c.relname::text = ANY($1::text[]) AND con.contype IN ('p', 'u', 'f')
ORDER BY n.nspname, c.relname, con.conname, k.ord`

	qChecks = `SELECT n.nspname::text, c.relname::text, con.conname::text, pg_get_constraintdef(con.oid)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($2::text[]) AND c.relname::text = ANY($1::text[]) AND con.contype = 'c'
ORDER BY n.nspname, c.relname, con.conname`

	// Indexes that back a primary key, unique or exclusion constraint are
	// read as those constraints, not as indexes.
	qIndexes = `SELECT n.nspname::text, c.relname::text, ic.relname::text, i.indisunique, COALESCE(pg_get_expr(i.indpred, i.indrelid), ''),
	k.ord, k.attnum::int4, COALESCE(a.attname::text, '')
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE n.nspname = ANY($2::text[]) AND c.relname::text = ANY($1::text[]) AND k.ord <= i.indnkeyatts
	AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
		WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY n.nspname, c.relname, ic.relname, k.ord`
)

// Inspect reads the ordinary tables of the connection's current schema
// (the first existing schema of search_path; its tables have Schema "")
// and of the named schemas opts.Schemas lists (tables with that Schema,
// foreign keys naming the referenced table's schema) that opts selects by
// key: columns
// with their portable types, nullability, identity, defaults and comments;
// table comments; the primary key, foreign keys, unique and check
// constraints with their names; and the indexes that do not back a
// constraint. Indexes on expressions cannot be described by package schema
// and are left out. The result does not depend on catalog order.
func (d *Dialect) Inspect(ctx context.Context, q dialect.Querier, opts dialect.InspectOptions) (*schema.MetaData, error) {
	md := schema.NewMetaData()
	var cur string
	err := each(ctx, q, "SELECT COALESCE(current_schema()::text, '')", nil, func(r dialect.Rows) error { return r.Scan(&cur) })
	if err != nil {
		return nil, err
	}
	// nsp is the Schema of a table of namespace n: "" for the current one.
	nsp := func(n string) string {
		if n == cur {
			return ""
		}
		return n
	}
	schemas := append([]string{cur}, opts.Schemas...)
	tables := map[string]*schema.Table{} // by key
	var keys, names []string
	err = each(ctx, q, qTables, []any{schemas}, func(r dialect.Rows) error {
		var sch, name, comment string
		if err := r.Scan(&sch, &name, &comment); err != nil {
			return err
		}
		t := &schema.Table{Schema: nsp(sch), Name: name, Comment: comment}
		if k := t.Key(); opts.Wants(k) && tables[k] == nil {
			tables[k] = t
			keys = append(keys, k)
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return md, nil
	}
	sort.Strings(names)
	args := []any{names, schemas}
	table := func(sch, name string) *schema.Table { return tables[schema.TableKey(nsp(sch), name)] }

	enums := map[int64][]string{}
	err = each(ctx, q, qEnums, args, func(r dialect.Rows) error {
		var oid int64
		var label string
		if err := r.Scan(&oid, &label); err != nil {
			return err
		}
		enums[oid] = append(enums[oid], label)
		return nil
	})
	if err != nil {
		return nil, err
	}

	serial := map[*schema.Column]bool{} // integer columns defaulting to nextval()
	err = each(ctx, q, qColumns, args, func(r dialect.Rows) error {
		var sch, tname, cname, format, typtype, typname, identity, generated, def, comment string
		var typid int64
		var notNull bool
		if err := r.Scan(&sch, &tname, &cname, &format, &typtype, &typname, &typid, &notNull, &identity, &generated, &def, &comment); err != nil {
			return err
		}
		t := table(sch, tname)
		if t == nil {
			return nil
		}
		c := &schema.Column{Name: cname, Nullable: !notNull, Comment: comment}
		if typtype == "e" {
			c.Type = schema.Enum(typname, enums[typid]...)
		} else {
			c.Type = typeFromFormat(format)
		}
		c.AutoIncrement = identity != ""
		switch {
		case generated != "":
			// A generated column's expression is not a default; package
			// schema has no way to describe it.
		case def != "":
			c.Default = parseDefault(def)
			if c.Type.Kind.IsInteger() && strings.HasPrefix(strings.ToLower(def), "nextval(") {
				serial[c] = true
			}
		}
		t.Columns = append(t.Columns, c)
		return nil
	})
	if err != nil {
		return nil, err
	}

	type keyRow struct {
		schema, table, name, kind, delType, updType, refSchema, refTable string
		deferrable, deferred                                             bool
	}
	var last keyRow
	var pk *schema.PrimaryKey
	var fk *schema.ForeignKey
	var uq *schema.Unique
	err = each(ctx, q, qKeys, args, func(r dialect.Rows) error {
		var k keyRow
		var ord int64
		var col, refCol string
		if err := r.Scan(&k.schema, &k.table, &k.name, &k.kind, &k.deferrable, &k.deferred, &k.delType, &k.updType, &k.refSchema, &k.refTable, &ord, &col, &refCol); err != nil {
			return err
		}
		t := table(k.schema, k.table)
		if t == nil {
			return nil
		}
		if k.schema != last.schema || k.table != last.table || k.name != last.name || k.kind != last.kind {
			last, pk, fk, uq = k, nil, nil, nil
			switch k.kind {
			case "p":
				pk = &schema.PrimaryKey{Name: k.name}
				t.PrimaryKey = pk
			case "u":
				uq = &schema.Unique{Name: k.name}
				t.Uniques = append(t.Uniques, uq)
			case "f":
				del, err := action(k.delType)
				if err != nil {
					return fmt.Errorf("foreign key %s of table %s: %w", k.name, k.table, err)
				}
				upd, err := action(k.updType)
				if err != nil {
					return fmt.Errorf("foreign key %s of table %s: %w", k.name, k.table, err)
				}
				fk = &schema.ForeignKey{Name: k.name, RefSchema: nsp(k.refSchema), RefTable: k.refTable, OnDelete: del, OnUpdate: upd,
					Deferrable: k.deferrable, InitiallyDeferred: k.deferred}
				t.ForeignKeys = append(t.ForeignKeys, fk)
			}
		}
		switch {
		case pk != nil:
			pk.Columns = append(pk.Columns, col)
		case uq != nil:
			uq.Columns = append(uq.Columns, col)
		case fk != nil:
			fk.Columns = append(fk.Columns, col)
			fk.RefColumns = append(fk.RefColumns, refCol)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = each(ctx, q, qChecks, args, func(r dialect.Rows) error {
		var sch, tname, name, def string
		if err := r.Scan(&sch, &tname, &name, &def); err != nil {
			return err
		}
		if t := table(sch, tname); t != nil {
			t.Checks = append(t.Checks, &schema.Check{Name: name, Expr: checkExpr(def)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	var lastIndex struct{ schema, table, name string }
	var x *schema.Index
	skip := map[*schema.Index]bool{}
	err = each(ctx, q, qIndexes, args, func(r dialect.Rows) error {
		var sch, tname, name, where, col string
		var unique bool
		var ord int64
		var attnum int32
		if err := r.Scan(&sch, &tname, &name, &unique, &where, &ord, &attnum, &col); err != nil {
			return err
		}
		t := table(sch, tname)
		if t == nil {
			return nil
		}
		if sch != lastIndex.schema || tname != lastIndex.table || name != lastIndex.name {
			lastIndex.schema, lastIndex.table, lastIndex.name = sch, tname, name
			x = &schema.Index{Name: name, Unique: unique, Where: stripParens(where)}
			t.Indexes = append(t.Indexes, x)
		}
		if attnum == 0 || col == "" {
			skip[x] = true // an expression: not expressible in package schema
		}
		x.Columns = append(x.Columns, col)
		return nil
	})
	if err != nil {
		return nil, err
	}

	sort.Strings(keys)
	for _, k := range keys {
		t := tables[k]
		for _, c := range t.Columns {
			if serial[c] && t.PrimaryKey != nil && len(t.PrimaryKey.Columns) == 1 && t.PrimaryKey.Columns[0] == c.Name {
				c.AutoIncrement, c.Default = true, nil
			}
		}
		t.Indexes = slices.DeleteFunc(t.Indexes, func(x *schema.Index) bool { return skip[x] })
		sortByName(t.ForeignKeys, func(f *schema.ForeignKey) string { return f.Name })
		sortByName(t.Uniques, func(u *schema.Unique) string { return u.Name })
		sortByName(t.Indexes, func(x *schema.Index) string { return x.Name })
		sortByName(t.Checks, func(c *schema.Check) string { return c.Name })
		if err := md.Add(t); err != nil {
			return nil, fmt.Errorf("postgres: inspect: %w", err)
		}
	}
	return md, nil
}

// each runs a catalog query and calls fn for every row.
func each(ctx context.Context, q dialect.Querier, query string, args []any, fn func(dialect.Rows) error) error {
	if err := dialect.QueryEach(ctx, q, query, args, fn); err != nil {
		return fmt.Errorf("postgres: inspect: %w", err)
	}
	return nil
}

// action maps pg_constraint.confdeltype / confupdtype to an action.
func action(code string) (schema.Action, error) {
	switch strings.TrimSpace(code) {
	case "a", "":
		return schema.NoAction, nil
	case "r":
		return schema.Restrict, nil
	case "c":
		return schema.Cascade, nil
	case "n":
		return schema.SetNull, nil
	case "d":
		return schema.SetDefault, nil
	}
	return schema.NoAction, fmt.Errorf("unknown referential action code %q", code)
}

// checkExpr extracts the expression from pg_get_constraintdef's
// "CHECK (expr)" (followed by NOT VALID or NO INHERIT, if so), without the
// parentheses PostgreSQL puts around the whole expression.
func checkExpr(def string) string {
	s := strings.TrimSpace(def)
	for _, suffix := range []string{" NOT VALID", " NO INHERIT"} {
		s = strings.TrimSuffix(s, suffix)
	}
	if strings.HasPrefix(s, "CHECK (") && strings.HasSuffix(s, ")") && matchingParen(s, len("CHECK ")) == len(s)-1 {
		s = s[len("CHECK (") : len(s)-1]
	}
	return stripParens(s)
}
