package sqlitedialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"modernc.org/sqlite"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/sqlerr"
)

// SQLite result codes (https://sqlite.org/rescode.html). The extended
// codes carry the primary code in their low byte.
const (
	codeBusy                 = 5
	codeLocked               = 6
	codeReadOnly             = 8
	codeConstraint           = 19
	codeConstraintCheck      = 275
	codeConstraintForeignKey = 787
	codeConstraintNotNull    = 1299
	codeConstraintPrimaryKey = 1555
	codeConstraintUnique     = 2067
	codeConstraintRowID      = 2579
	codeConstraintTrigger    = 1811
)

// TranslateError turns a modernc.org/sqlite error into Strata's typed
// errors, keeping the driver's error in the chain:
//
//   - sql.ErrNoRows matches sqlerr.ErrNotFound.
//   - SQLITE_BUSY and SQLITE_LOCKED (and their extended codes, such as
//     SQLITE_BUSY_SNAPSHOT) become a *sqlerr.RetryableError.
//   - SQLITE_READONLY (a database opened with mode=ro, say) becomes a
//     *sqlerr.ReadOnlyError.
//   - SQLITE_CONSTRAINT_* become a *sqlerr.IntegrityError. SQLite names the
//     violated constraint only for CHECK (and for an unnamed column-level
//     CHECK, such as an enum's, it gives the column's name). For UNIQUE and
//     PRIMARY KEY it lists the columns instead: Constraint is that text
//     ("t.a, t.b") and Table is t, until [Dialect.ResolveConstraint] looks
//     the name up in the schema. For NOT NULL, Constraint is the column and
//     Table the table. For FOREIGN KEY SQLite says nothing about which one:
//     Constraint and Table are empty. (A RESTRICT action fails with
//     SQLITE_CONSTRAINT_TRIGGER and the foreign key's message; it is a
//     ForeignKey error too.) Other constraint failures (a trigger's
//     RAISE(ABORT), a STRICT table's type check) have Kind
//     UnknownConstraint.
//
// Errors it does not recognise are returned unchanged.
func (d *Dialect) TranslateError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		if errors.Is(err, sqlerr.ErrNotFound) {
			return err
		}
		return fmt.Errorf("%w: %w", sqlerr.ErrNotFound, err)
	}
	var ie *sqlerr.IntegrityError
	var re *sqlerr.RetryableError
	var ro *sqlerr.ReadOnlyError
	if errors.As(err, &ie) || errors.As(err, &re) || errors.As(err, &ro) {
		return err // already translated
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	code := se.Code()
	switch code & 0xff {
	case codeBusy:
		return &sqlerr.RetryableError{Reason: "busy", Err: err}
	case codeLocked:
		return &sqlerr.RetryableError{Reason: "locked", Err: err}
	case codeReadOnly:
		return &sqlerr.ReadOnlyError{Err: err}
	case codeConstraint:
	default:
		return err
	}
	msg := message(se)
	out := &sqlerr.IntegrityError{Err: err}
	switch {
	case code == codeConstraintUnique || code == codeConstraintPrimaryKey || code == codeConstraintRowID:
		out.Kind = sqlerr.Unique
		out.Constraint = after(msg, "UNIQUE constraint failed: ")
		if c := columnListCandidates(out.Constraint); len(c) > 0 {
			out.Table = c[0].table
		}
	case code == codeConstraintForeignKey || (code == codeConstraintTrigger && strings.HasSuffix(msg, "FOREIGN KEY constraint failed")):
		// ON DELETE/UPDATE RESTRICT fails from a trigger SQLite builds for
		// it: SQLITE_CONSTRAINT_TRIGGER, with the foreign key's message.
		out.Kind = sqlerr.ForeignKey
	case code == codeConstraintNotNull:
		out.Kind = sqlerr.NotNull
		text := after(msg, "NOT NULL constraint failed: ")
		if t, c, ok := strings.Cut(text, "."); ok {
			out.Table, out.Constraint = t, c
		} else {
			out.Constraint = text
		}
	case code == codeConstraintCheck:
		out.Kind = sqlerr.Check
		out.Constraint = after(msg, "CHECK constraint failed: ")
	}
	return out
}

// message returns the text of a driver error without the code the driver
// appends (" (2067)"): "constraint failed: UNIQUE constraint failed: t.a".
func message(se *sqlite.Error) string {
	s := se.Error()
	s = strings.TrimSuffix(s, " (SQLITE_BUSY)")
	s = strings.TrimSuffix(s, " ("+strconv.Itoa(se.Code())+")")
	return s
}

// after returns what follows the first occurrence of marker in s, or "".
func after(s, marker string) string {
	if i := strings.Index(s, marker); i >= 0 {
		return s[i+len(marker):]
	}
	return ""
}

type columnList struct {
	table string
	cols  []string
}

// columnListCandidates reads SQLite's "t.a, t.b" column list. Names
// containing "." or ", " make it ambiguous, so it returns every reading in
// which one table name prefixes all columns, shortest table name first.
func columnListCandidates(text string) []columnList {
	var out []columnList
	for i := 0; i < len(text); i++ {
		if text[i] != '.' {
			continue
		}
		table := text[:i]
		cols := strings.Split(text[i+1:], ", "+table+".")
		if slices.Contains(cols, "") {
			continue
		}
		out = append(out, columnList{table: table, cols: cols})
	}
	return out
}

// ResolveConstraint fills in what SQLite's error message leaves out, by
// reading the schema through q (any connection or transaction on the same
// database; a transaction that a failed statement left open can still be
// used). It changes e in place and returns an error only if reading the
// schema fails; when the answer is not certain it leaves e as it is.
//
//   - Unique: Constraint becomes the name of the primary key, UNIQUE
//     constraint or unique index whose columns are exactly those SQLite
//     listed (if exactly one such key has a name), and Table the table.
//   - NotNull: Table and Constraint (the column) are set to the only NOT
//     NULL column the message can stand for, which settles names
//     containing ".".
//   - Check: Table is set when exactly one table has a check of that name
//     (or, for an unnamed column-level check, a column of that name with a
//     check).
//   - ForeignKey: SQLite does not say which foreign key failed; the name is
//     filled in only when the database has exactly one foreign key.
func (d *Dialect) ResolveConstraint(ctx context.Context, q dialect.Querier, e *sqlerr.IntegrityError) error {
	if e == nil {
		return nil
	}
	switch e.Kind {
	case sqlerr.Unique:
		return resolveUnique(ctx, q, e)
	case sqlerr.NotNull:
		return resolveNotNull(ctx, q, e)
	case sqlerr.Check:
		return resolveCheck(ctx, q, e)
	case sqlerr.ForeignKey:
		return resolveForeignKey(ctx, q, e)
	}
	return nil
}

// tableDDL returns the CREATE TABLE text of a table, and whether it exists.
func tableDDL(ctx context.Context, q dialect.Querier, table string) (string, bool, error) {
	var ddl string
	found := false
	err := dialect.QueryEach(ctx, q, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`, []any{table}, func(r dialect.Rows) error {
		var s sql.NullString
		found = true
		err := r.Scan(&s)
		ddl = s.String
		return err
	})
	return ddl, found, err
}

type namedKey struct {
	name string
	cols []string
}

// uniqueKeys lists the keys of a table that SQLite reports as UNIQUE
// violations: the primary key, UNIQUE constraints and unique indexes.
func uniqueKeys(ctx context.Context, q dialect.Querier, table, ddl string) ([]namedKey, error) {
	pt, err := parseCreateTable(ddl)
	if err != nil {
		pt = &parsedTable{}
	}
	pcols, err := tableColumns(ctx, q, table)
	if err != nil {
		return nil, err
	}
	var colNames []string
	for _, c := range pcols {
		colNames = append(colNames, c.name)
	}
	var keys []namedKey
	if pk := primaryKeyColumns(pcols); len(pk) > 0 {
		name := ""
		if pt.PrimaryKey != nil {
			name = pt.PrimaryKey.Name
		}
		keys = append(keys, namedKey{name, pk})
	}
	for _, u := range pt.Uniques {
		keys = append(keys, namedKey{u.Name, canonicalAll(colNames, u.Columns)})
	}
	xs, err := tableIndexes(ctx, q, table)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		if !x.unique || x.columns == nil {
			continue
		}
		switch x.origin {
		case "c":
			keys = append(keys, namedKey{x.name, x.columns})
		case "u":
			known := false
			for _, k := range keys {
				if slices.Equal(k.cols, x.columns) {
					known = true
				}
			}
			if !known {
				keys = append(keys, namedKey{"", x.columns})
			}
		}
	}
	return keys, nil
}

func resolveUnique(ctx context.Context, q dialect.Querier, e *sqlerr.IntegrityError) error {
	// An index on expressions is reported by name: "index 'ix_name'".
	if name, ok := strings.CutPrefix(e.Constraint, "index '"); ok && strings.HasSuffix(name, "'") {
		name = strings.TrimSuffix(name, "'")
		return dialect.QueryEach(ctx, q, `SELECT tbl_name FROM sqlite_schema WHERE type = 'index' AND name = ?`, []any{name}, func(r dialect.Rows) error {
			e.Constraint = name
			return r.Scan(&e.Table)
		})
	}
	var found []namedKey
	var foundTable string
	for _, cand := range columnListCandidates(e.Constraint) {
		ddl, ok, err := tableDDL(ctx, q, cand.table)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		keys, err := uniqueKeys(ctx, q, cand.table, ddl)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if slices.Equal(k.cols, cand.cols) {
				found = append(found, k)
				foundTable = cand.table
			}
		}
	}
	if len(found) == 1 && found[0].name != "" {
		e.Constraint, e.Table = found[0].name, foundTable
	}
	return nil
}

func resolveNotNull(ctx context.Context, q dialect.Querier, e *sqlerr.IntegrityError) error {
	text := e.Constraint
	if e.Table != "" {
		text = e.Table + "." + e.Constraint
	}
	var hits [][2]string
	for i := 0; i < len(text); i++ {
		if text[i] != '.' {
			continue
		}
		table, col := text[:i], text[i+1:]
		pcols, err := tableColumns(ctx, q, table)
		if err != nil {
			return err
		}
		for _, c := range pcols {
			if c.name == col && c.notNull {
				hits = append(hits, [2]string{table, col})
			}
		}
	}
	if len(hits) == 1 {
		e.Table, e.Constraint = hits[0][0], hits[0][1]
	}
	return nil
}

// allTables returns every table with its parsed DDL.
func allTables(ctx context.Context, q dialect.Querier) ([]tableSQL, []*parsedTable, error) {
	tables, err := listTables(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	parsed := make([]*parsedTable, len(tables))
	for i, t := range tables {
		pt, err := parseCreateTable(t.sql)
		if err != nil {
			pt = &parsedTable{Name: t.name}
		}
		parsed[i] = pt
	}
	return tables, parsed, nil
}

func resolveCheck(ctx context.Context, q dialect.Querier, e *sqlerr.IntegrityError) error {
	if e.Table != "" || e.Constraint == "" {
		return nil
	}
	tables, parsed, err := allTables(ctx, q)
	if err != nil {
		return err
	}
	var named, byColumn []string
	for i, pt := range parsed {
		for _, c := range pt.Checks {
			if c.Name == e.Constraint {
				named = append(named, tables[i].name)
			}
		}
		for _, col := range pt.Columns {
			for _, c := range col.Checks {
				switch {
				case c.Name == e.Constraint:
					named = append(named, tables[i].name)
				case c.Name == "" && col.Name == e.Constraint:
					byColumn = append(byColumn, tables[i].name)
				}
			}
		}
	}
	switch {
	case len(named) == 1:
		e.Table = named[0]
	case len(named) == 0 && len(byColumn) == 1:
		e.Table = byColumn[0]
	}
	return nil
}

func resolveForeignKey(ctx context.Context, q dialect.Querier, e *sqlerr.IntegrityError) error {
	if e.Constraint != "" {
		return nil
	}
	tables, _, err := allTables(ctx, q)
	if err != nil {
		return err
	}
	var only *schemaFK
	count := 0
	for _, t := range tables {
		fks, err := tableForeignKeys(ctx, q, t.name)
		if err != nil {
			return err
		}
		count += len(fks)
		if count > 1 {
			return nil
		}
		if len(fks) == 1 {
			only = &schemaFK{table: t.name, ddl: t.sql, fk: fks[0]}
		}
	}
	if count != 1 || only == nil {
		return nil
	}
	pt, err := parseCreateTable(only.ddl)
	if err != nil {
		return err
	}
	if len(pt.ForeignKeys) != 1 || pt.ForeignKeys[0].Name == "" {
		return nil
	}
	e.Constraint, e.Table = pt.ForeignKeys[0].Name, only.table
	return nil
}

type schemaFK struct {
	table, ddl string
	fk         *pragmaFK
}

// Answered reports whether err comes from SQLite itself (in process, an
// error is always an answer): a failed COMMIT wrote nothing.
func (*Dialect) Answered(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se)
}
