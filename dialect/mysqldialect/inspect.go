package mysqldialect

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/schema"
)

type inspectedColumn struct {
	pos     int64
	col     *schema.Column
	rawType string
}

type keyPart struct {
	pos            int64
	column, refCol string
}

type keyInfo struct {
	table, name, refTable string
	unique                bool
	parts                 []keyPart
}

func (k *keyInfo) columns() []string {
	slices.SortFunc(k.parts, func(a, b keyPart) int { return cmp.Compare(a.pos, b.pos) })
	out := make([]string, len(k.parts))
	for i, p := range k.parts {
		out[i] = p.column
	}
	return out
}

func (k *keyInfo) refColumns() []string {
	k.columns() // sorts
	out := make([]string, len(k.parts))
	for i, p := range k.parts {
		out[i] = p.refCol
	}
	return out
}

// keyMap groups rows of a key by table and name, comparing names byte by
// byte (information_schema compares them without regard to case).
type keyMap struct {
	m     map[[2]string]*keyInfo
	order []*keyInfo
}

func (km *keyMap) get(table, name string) *keyInfo {
	if km.m == nil {
		km.m = map[[2]string]*keyInfo{}
	}
	k := [2]string{table, name}
	if v := km.m[k]; v != nil {
		return v
	}
	v := &keyInfo{table: table, name: name}
	km.m[k] = v
	km.order = append(km.order, v)
	return v
}

// Inspect reads the base tables of the connection's current database
// (DATABASE()) from information_schema, every name passed as a bind
// parameter. The result is what [Dialect.Normalize] predicts for a table
// Strata created:
//
//   - the primary key is named PRIMARY;
//   - every unique index (a UNIQUE constraint or CREATE UNIQUE INDEX) is a
//     schema.Unique; non-unique indexes are schema.Index values, except the
//     index InnoDB creates by itself for a foreign key that has none (over
//     the foreign key's columns, named after the foreign key or, when the
//     foreign key has no declared name, after its first column);
//   - a LONGTEXT column with MariaDB's automatic CHECK (json_valid(`col`))
//     named after it is a JSON column, and that check is left out;
//   - enum columns are schema enums without a name (EnumName ""), values
//     in declaration order;
//   - RESTRICT and NO ACTION are both NoAction;
//   - defaults: current_timestamp(n) is DefaultNow, curdate() DefaultToday,
//     quoted literals are strings (unescaped), numbers are numbers (or
//     booleans in BOOLEAN columns), anything else is an expression without
//     its outer parentheses.
//
// Tables, columns, keys, indexes and checks come out in a deterministic
// order: columns by position, the rest by name.
func (d *Dialect) Inspect(ctx context.Context, q dialect.Querier, opts dialect.InspectOptions) (*schema.MetaData, error) {
	wrap := func(what string, err error) error {
		return fmt.Errorf("mysql: inspect %s: %w", what, d.TranslateError(err))
	}
	var db sql.NullString
	var version string
	if err := dialect.QueryEach(ctx, q, "SELECT DATABASE(), VERSION()", nil, func(r dialect.Rows) error {
		return r.Scan(&db, &version)
	}); err != nil {
		return nil, wrap("database", err)
	}
	if !db.Valid {
		return nil, fmt.Errorf("mysql: inspect: the connection has no current database (name one in the DSN)")
	}
	mariadb := strings.Contains(strings.ToLower(version), "mariadb")
	args := []any{db.String}

	tables := map[string]*schema.Table{}
	err := dialect.QueryEach(ctx, q, "SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", args,
		func(r dialect.Rows) error {
			var name string
			var comment sql.NullString
			if err := r.Scan(&name, &comment); err != nil {
				return err
			}
			if opts.Wants(name) {
				tables[name] = &schema.Table{Name: name, Comment: comment.String}
			}
			return nil
		})
	if err != nil {
		return nil, wrap("tables", err)
	}

	cols := map[string][]*inspectedColumn{}
	err = dialect.QueryEach(ctx, q, "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?", args,
		func(r dialect.Rows) error {
			var table, name, colType, nullable, extra, comment string
			var pos int64
			var def sql.NullString
			if err := r.Scan(&table, &name, &pos, &colType, &nullable, &def, &extra, &comment); err != nil {
				return err
			}
			if tables[table] == nil {
				return nil
			}
			typ := parseColumnType(colType)
			c := &schema.Column{
				Name:          name,
				Type:          typ,
				Nullable:      nullable == "YES",
				AutoIncrement: strings.Contains(strings.ToLower(extra), "auto_increment"),
				Comment:       comment,
			}
			if !c.AutoIncrement {
				c.Default = parseDefault(mariadb, typ, def, extra)
			}
			cols[table] = append(cols[table], &inspectedColumn{pos: pos, col: c, rawType: strings.ToLower(colType)})
			return nil
		})
	if err != nil {
		return nil, wrap("columns", err)
	}
	rawTypes := map[[2]string]string{}
	for tn, cs := range cols {
		slices.SortFunc(cs, func(a, b *inspectedColumn) int { return cmp.Compare(a.pos, b.pos) })
		for _, c := range cs {
			tables[tn].Columns = append(tables[tn].Columns, c.col)
			rawTypes[[2]string{tn, c.col.Name}] = c.rawType
		}
	}

	// Check constraints. MariaDB names a column-level check after its
	// column and keeps check names per table, so CHECK_CONSTRAINTS has
	// the table name; MySQL 8 needs TABLE_CONSTRAINTS for it.
	checkSQL := "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?"
	if !mariadb {
		checkSQL = "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, 'Table' FROM information_schema.TABLE_CONSTRAINTS tc " +
			"JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME " +
			"WHERE tc.TABLE_SCHEMA = ? AND tc.CONSTRAINT_TYPE = 'CHECK'"
	}
	err = dialect.QueryEach(ctx, q, checkSQL, args, func(r dialect.Rows) error {
		var table, name, clause, level string
		if err := r.Scan(&table, &name, &clause, &level); err != nil {
			return err
		}
		t := tables[table]
		if t == nil {
			return nil
		}
		if c := t.Column(name); c != nil && level == "Column" && rawTypes[[2]string{table, name}] == "longtext" &&
			clause == "json_valid("+quoteIdent(name)+")" {
			c.Type = schema.JSON()
			return nil
		}
		t.Checks = append(t.Checks, &schema.Check{Name: name, Expr: canonExpr(clause, false)})
		return nil
	})
	if err != nil {
		return nil, wrap("check constraints", err)
	}

	// Foreign keys, joined with their rules here rather than in SQL so that
	// names are matched exactly.
	var fks keyMap
	err = dialect.QueryEach(ctx, q, "SELECT TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "+
		"FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL", args,
		func(r dialect.Rows) error {
			var table, name, col, refTable, refCol string
			var pos int64
			if err := r.Scan(&table, &name, &pos, &col, &refTable, &refCol); err != nil {
				return err
			}
			if tables[table] == nil {
				return nil
			}
			k := fks.get(table, name)
			k.refTable = refTable
			k.parts = append(k.parts, keyPart{pos: pos, column: col, refCol: refCol})
			return nil
		})
	if err != nil {
		return nil, wrap("foreign keys", err)
	}
	type rules struct{ update, delete string }
	fkRules := map[[2]string]rules{}
	err = dialect.QueryEach(ctx, q, "SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?", args,
		func(r dialect.Rows) error {
			var table, name string
			var rl rules
			if err := r.Scan(&table, &name, &rl.update, &rl.delete); err != nil {
				return err
			}
			fkRules[[2]string{table, name}] = rl
			return nil
		})
	if err != nil {
		return nil, wrap("foreign key rules", err)
	}
	for _, k := range fks.order {
		rl := fkRules[[2]string{k.table, k.name}]
		fk := &schema.ForeignKey{
			Name:       k.name,
			Columns:    k.columns(),
			RefTable:   k.refTable,
			RefColumns: k.refColumns(),
			OnUpdate:   parseRule(rl.update),
			OnDelete:   parseRule(rl.delete),
		}
		t := tables[k.table]
		t.ForeignKeys = append(t.ForeignKeys, fk)
	}

	// Primary keys, unique and plain indexes.
	var idx keyMap
	err = dialect.QueryEach(ctx, q, "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?", args,
		func(r dialect.Rows) error {
			var table, name string
			var nonUnique, seq int64
			var col sql.NullString
			if err := r.Scan(&table, &name, &nonUnique, &seq, &col); err != nil {
				return err
			}
			if tables[table] == nil {
				return nil
			}
			k := idx.get(table, name)
			k.unique = nonUnique == 0
			// A functional key part (MySQL 8) has no column: it cannot be
			// represented, and shows as an empty column name.
			k.parts = append(k.parts, keyPart{pos: seq, column: col.String})
			return nil
		})
	if err != nil {
		return nil, wrap("indexes", err)
	}
	for _, k := range idx.order {
		t := tables[k.table]
		cols := k.columns()
		switch {
		case k.name == primaryKeyName:
			t.PrimaryKey = &schema.PrimaryKey{Name: primaryKeyName, Columns: cols}
		case k.unique:
			t.Uniques = append(t.Uniques, &schema.Unique{Name: k.name, Columns: cols})
		default:
			if implicitFKIndex(t, k.name, cols) {
				continue // created by InnoDB for a foreign key
			}
			t.Indexes = append(t.Indexes, &schema.Index{Name: k.name, Columns: cols})
		}
	}

	md := schema.NewMetaData()
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		t := tables[n]
		slices.SortFunc(t.ForeignKeys, func(a, b *schema.ForeignKey) int { return strings.Compare(a.Name, b.Name) })
		slices.SortFunc(t.Uniques, func(a, b *schema.Unique) int { return strings.Compare(a.Name, b.Name) })
		slices.SortFunc(t.Indexes, func(a, b *schema.Index) int { return strings.Compare(a.Name, b.Name) })
		slices.SortFunc(t.Checks, func(a, b *schema.Check) int { return strings.Compare(a.Name, b.Name) })
		if err := md.Add(t); err != nil {
			return nil, fmt.Errorf("mysql: inspect: table %s cannot be represented: %w", n, err)
		}
	}
	return md, nil
}

// implicitFKIndex reports whether the non-unique index called name over
// cols is the one InnoDB makes for a foreign key declared without an index:
// over exactly the foreign key's columns, and named after the foreign key
// (CONSTRAINT fk FOREIGN KEY ...) or, for a foreign key without a name
// (which InnoDB calls t_ibfk_N), after its first column, with _2, _3 ...
// when that name is taken. A declared index of the same shape and name
// cannot be told apart; it is left out too, and the foreign key is served
// either way.
func implicitFKIndex(t *schema.Table, name string, cols []string) bool {
	for _, fk := range t.ForeignKeys {
		if !slices.Equal(fk.Columns, cols) {
			continue
		}
		if name == fk.Name {
			return true
		}
		if !strings.HasPrefix(fk.Name, t.Name+"_ibfk_") {
			continue
		}
		first := fk.Columns[0]
		if name == first {
			return true
		}
		if n, ok := strings.CutPrefix(name, first+"_"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			return true
		}
	}
	return false
}

// parseRule maps UPDATE_RULE and DELETE_RULE. RESTRICT is NoAction: InnoDB
// enforces both alike, and MariaDB reports an action the DDL left out as
// RESTRICT.
func parseRule(s string) schema.Action {
	a, err := schema.ParseAction(s)
	if err != nil || a == schema.Restrict {
		return schema.NoAction
	}
	return a
}

var (
	nowRe   = regexp.MustCompile(`^(?i)(current_timestamp|now|localtimestamp|localtime)(\(\d*\))?$`)
	todayRe = regexp.MustCompile(`^(?i)(curdate|current_date)(\(\))?$`)
)

// parseDefault reads COLUMN_DEFAULT. MariaDB (10.2.7 and later) writes it as
// SQL: NULL (SQL NULL or the word NULL) for none, quoted and escaped string
// literals, bare numbers, function calls and expressions. MySQL 8 gives
// string values unquoted and marks expressions with DEFAULT_GENERATED in
// EXTRA.
func parseDefault(mariadb bool, t schema.Type, raw sql.NullString, extra string) *schema.Default {
	if !raw.Valid {
		return nil
	}
	v := raw.String
	if mariadb {
		switch {
		case v == "NULL":
			return nil
		case strings.HasPrefix(v, "'"):
			if s, ok := unquote(v); ok {
				return canonDefault(t, schema.DefaultStr(s))
			}
		case schema.IsNumberLiteral(v):
			return canonDefault(t, &schema.Default{Kind: schema.DefaultNumber, Value: v})
		}
		return exprDefault(v)
	}
	if strings.Contains(strings.ToUpper(extra), "DEFAULT_GENERATED") {
		return exprDefault(v)
	}
	if isNumericKind(t.Kind) && schema.IsNumberLiteral(v) {
		return canonDefault(t, &schema.Default{Kind: schema.DefaultNumber, Value: v})
	}
	return canonDefault(t, schema.DefaultStr(v))
}

func exprDefault(v string) *schema.Default {
	switch {
	case nowRe.MatchString(v):
		return schema.DefaultNow()
	case todayRe.MatchString(v):
		return schema.DefaultToday()
	}
	return schema.DefaultSQL(stripParens(v))
}

// stripParens removes parentheses that enclose the whole of s.
func stripParens(s string) string {
	for len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' && closingParen(s) == len(s)-1 {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// closingParen returns the index of the parenthesis that closes s[0],
// skipping quoted literals and identifiers, or -1.
func closingParen(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"':
			_, end, ok := scanLiteral(s, i)
			if !ok {
				return -1
			}
			i = end - 1
		case '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				return -1
			}
			i += j + 1 // a doubled backtick reads as two identifiers: harmless here
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
