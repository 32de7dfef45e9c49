package sqlitedialect

import (
	"errors"
	"strings"
)

// This file holds a small tokenizer and parser for the DDL SQLite stores in
// sqlite_schema.sql. SQLite keeps the CREATE TABLE and CREATE INDEX text
// exactly as it was written, and some facts exist nowhere else: constraint
// names, DEFERRABLE clauses, CHECK expressions, the AUTOINCREMENT keyword,
// partial index predicates and defaults written in parentheses. The parser
// only has to be right about the structure (which parenthesis closes which,
// where a top-level comma is); everything it does not understand it skips.
// It never panics, whatever the input (see FuzzParseCreateTable).

type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokWord           // bare identifier or keyword
	tokQuoted         // "ident", `ident` or [ident]; val is unquoted
	tokString         // 'literal'; val is unquoted
	tokNumber         // numeric literal, as written
	tokBlob           // x'ABCD', as written
	tokVar            // ?, ?1, :name, @name, $name
	tokPunct          // any other single character: ( ) , ; . + - ...
)

type token struct {
	kind     tokKind
	val      string // unquoted value (quoted identifiers, strings) or the raw text
	pos, end int    // byte offsets of the token in the source
}

// is reports whether t is the bare keyword kw (upper case).
func (t token) is(kw string) bool {
	return t.kind == tokWord && sameName(t.val, kw)
}

// isPunct reports whether t is the single character c.
func (t token) isPunct(c byte) bool {
	return t.kind == tokPunct && len(t.val) == 1 && t.val[0] == c
}

// isName reports whether t can stand for a name: a bare word, a quoted
// identifier or (as SQLite allows) a string literal.
func (t token) isName() bool {
	return t.kind == tokWord || t.kind == tokQuoted || t.kind == tokString
}

func isWordStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c >= 0x80
}

func isWordPart(c byte) bool {
	return isWordStart(c) || ('0' <= c && c <= '9') || c == '$'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// tokenize splits SQL text into tokens, dropping white space and comments.
// Unterminated quotes and comments run to the end of the input.
func tokenize(s string) []token {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				i = len(s)
			} else {
				i += j + 1
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				i = len(s)
			} else {
				i += 2 + j + 2
			}
		case c == '"' || c == '`' || c == '\'':
			val, end := scanQuoted(s, i, c)
			kind := tokQuoted
			if c == '\'' {
				kind = tokString
			}
			out = append(out, token{kind: kind, val: val, pos: i, end: end})
			i = end
		case c == '[':
			j := strings.IndexByte(s[i+1:], ']')
			end := len(s)
			val := s[i+1:]
			if j >= 0 {
				end = i + 1 + j + 1
				val = s[i+1 : i+1+j]
			}
			out = append(out, token{kind: tokQuoted, val: val, pos: i, end: end})
			i = end
		case (c == 'x' || c == 'X') && i+1 < len(s) && s[i+1] == '\'':
			_, end := scanQuoted(s, i+1, '\'')
			out = append(out, token{kind: tokBlob, val: s[i:end], pos: i, end: end})
			i = end
		case isWordStart(c):
			j := i + 1
			for j < len(s) && isWordPart(s[j]) {
				j++
			}
			out = append(out, token{kind: tokWord, val: s[i:j], pos: i, end: j})
			i = j
		case isDigit(c) || (c == '.' && i+1 < len(s) && isDigit(s[i+1])):
			j := i + 1
			for j < len(s) {
				d := s[j]
				if (d == 'e' || d == 'E') && j+1 < len(s) && (s[j+1] == '+' || s[j+1] == '-') &&
					!(j > i+1 && (s[i+1] == 'x' || s[i+1] == 'X')) {
					j += 2
					continue
				}
				if isWordPart(d) || d == '.' {
					j++
					continue
				}
				break
			}
			out = append(out, token{kind: tokNumber, val: s[i:j], pos: i, end: j})
			i = j
		case c == '?':
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			out = append(out, token{kind: tokVar, val: s[i:j], pos: i, end: j})
			i = j
		case (c == ':' || c == '@' || c == '$') && i+1 < len(s) && isWordPart(s[i+1]):
			j := i + 1
			for j < len(s) && isWordPart(s[j]) {
				j++
			}
			out = append(out, token{kind: tokVar, val: s[i:j], pos: i, end: j})
			i = j
		default:
			out = append(out, token{kind: tokPunct, val: s[i : i+1], pos: i, end: i + 1})
			i++
		}
	}
	return out
}

// scanQuoted reads a quoted token starting at s[i] == q, where a doubled q
// stands for one. It returns the unquoted value and the offset after the
// closing quote (len(s) if there is none).
func scanQuoted(s string, i int, q byte) (string, int) {
	var b strings.Builder
	j := i + 1
	for j < len(s) {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				b.WriteByte(q)
				j += 2
				continue
			}
			return b.String(), j + 1
		}
		b.WriteByte(s[j])
		j++
	}
	return b.String(), len(s)
}

// parser walks a token slice of one statement.
type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tokEOF, pos: len(p.src), end: len(p.src)}
}

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return token{kind: tokEOF, pos: len(p.src), end: len(p.src)}
}

func (p *parser) next() token {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func (p *parser) eof() bool { return p.i >= len(p.toks) }

// accept consumes the keyword sequence kws if it is next.
func (p *parser) accept(kws ...string) bool {
	for n, kw := range kws {
		if !p.peekAt(n).is(kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

// name consumes a name (possibly schema-qualified; the schema is dropped).
func (p *parser) name() (string, bool) {
	t := p.peek()
	if !t.isName() {
		return "", false
	}
	p.i++
	if p.peek().isPunct('.') && p.peekAt(1).isName() {
		t = p.peekAt(1)
		p.i += 2
	}
	return t.val, true
}

// group consumes a parenthesised group starting at the current '(' and
// returns the tokens inside it and the source text between the
// parentheses. A missing ')' closes the group at the end of input.
func (p *parser) group() (inner []token, text string, ok bool) {
	if !p.peek().isPunct('(') {
		return nil, "", false
	}
	open := p.next()
	depth := 1
	start := p.i
	for !p.eof() {
		t := p.next()
		switch {
		case t.isPunct('('):
			depth++
		case t.isPunct(')'):
			depth--
			if depth == 0 {
				return p.toks[start : p.i-1], p.src[open.end:t.pos], true
			}
		}
	}
	return p.toks[start:], p.src[open.end:], true
}

// splitTop splits tokens at commas outside parentheses.
func splitTop(toks []token) [][]token {
	var out [][]token
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.isPunct('('):
			depth++
		case t.isPunct(')'):
			if depth > 0 {
				depth--
			}
		case t.isPunct(',') && depth == 0:
			out = append(out, toks[start:i])
			start = i + 1
		}
	}
	if start < len(toks) || len(out) > 0 {
		out = append(out, toks[start:])
	}
	return out
}

// parsedDefault is a DEFAULT clause as written.
type parsedDefault struct {
	kind defaultSyntax
	text string // expression inside the parentheses, literal value unquoted, number or word as written
}

type defaultSyntax uint8

const (
	defExpr   defaultSyntax = iota + 1 // DEFAULT (expr)
	defString                          // DEFAULT 'text' (or a bare/double-quoted identifier, which SQLite takes as text)
	defNumber                          // DEFAULT -1.5
	defWord                            // DEFAULT NULL, TRUE, CURRENT_TIMESTAMP, ...
	defBlob                            // DEFAULT x'00'
)

type parsedColumn struct {
	Name          string
	Type          string // declared type as written
	NotNull       bool
	PrimaryKey    bool
	PKName        string // CONSTRAINT name before a column-level PRIMARY KEY
	AutoIncrement bool
	Default       *parsedDefault
	Checks        []parsedCheck // column-level checks
}

type parsedKey struct {
	Name    string
	Columns []string
}

type parsedCheck struct {
	Name string
	Expr string // text between the parentheses, as written
}

type parsedFK struct {
	Name              string
	Columns           []string
	RefTable          string
	RefColumns        []string // empty: the referenced table's primary key
	OnDelete          string
	OnUpdate          string
	Deferrable        bool
	InitiallyDeferred bool
}

// parsedTable is what parseCreateTable reads from a CREATE TABLE statement.
// Column names in constraints are as written (SQLite compares them without
// regard to ASCII case).
type parsedTable struct {
	Name         string
	Columns      []*parsedColumn
	PrimaryKey   *parsedKey // table-level, or column-level (one column)
	Uniques      []parsedKey
	Checks       []parsedCheck // table-level checks
	ForeignKeys  []parsedFK
	WithoutRowID bool
	Strict       bool
}

// column returns the parsed column whose name equals name without regard to
// ASCII case, or nil.
func (pt *parsedTable) column(name string) *parsedColumn {
	for _, c := range pt.Columns {
		if sameName(c.Name, name) {
			return c
		}
	}
	return nil
}

var errNotCreateTable = errors.New("sqlite: not a CREATE TABLE statement")

// parseCreateTable parses the text of a CREATE TABLE statement as SQLite
// stores it. It returns an error only when the statement's outline (CREATE
// TABLE name ( ... )) is not there; inside the body it skips what it does
// not understand.
func parseCreateTable(sql string) (*parsedTable, error) {
	p := &parser{src: sql, toks: tokenize(sql)}
	if !p.accept("CREATE") {
		return nil, errNotCreateTable
	}
	if !p.accept("TEMP") {
		p.accept("TEMPORARY")
	}
	if !p.accept("TABLE") {
		return nil, errNotCreateTable
	}
	p.accept("IF", "NOT", "EXISTS")
	name, ok := p.name()
	if !ok {
		return nil, errNotCreateTable
	}
	pt := &parsedTable{Name: name}
	body, _, ok := p.group()
	if !ok {
		return nil, errors.New("sqlite: CREATE TABLE without a column list")
	}
	for _, item := range splitTop(body) {
		if len(item) == 0 {
			continue
		}
		ip := &parser{src: sql, toks: item}
		first := item[0]
		if first.is("CONSTRAINT") || first.is("PRIMARY") || first.is("UNIQUE") || first.is("CHECK") || first.is("FOREIGN") {
			ip.tableConstraint(pt)
			continue
		}
		ip.columnDef(pt)
	}
	for !p.eof() {
		t := p.next()
		switch {
		case t.is("WITHOUT") && p.peek().is("ROWID"):
			p.next()
			pt.WithoutRowID = true
		case t.is("STRICT"):
			pt.Strict = true
		}
	}
	return pt, nil
}

func isColumnConstraintStart(t token) bool {
	if t.kind != tokWord {
		return false
	}
	switch strings.ToUpper(t.val) {
	case "CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS":
		return true
	}
	return false
}

func (p *parser) columnDef(pt *parsedTable) {
	name, ok := p.name()
	if !ok {
		return
	}
	col := &parsedColumn{Name: name}
	pt.Columns = append(pt.Columns, col)
	// The type: names and at most one parenthesised group, up to the first
	// constraint keyword.
	typeStart := p.i
	for !p.eof() && !isColumnConstraintStart(p.peek()) {
		if p.peek().isPunct('(') {
			p.group()
			continue
		}
		p.next()
	}
	if p.i > typeStart {
		col.Type = p.src[p.toks[typeStart].pos:p.toks[p.i-1].end]
	}
	pending := "" // CONSTRAINT name waiting for its constraint
	for !p.eof() {
		t := p.next()
		switch {
		case t.is("CONSTRAINT"):
			if n, ok := p.name(); ok {
				pending = n
			}
			continue
		case t.is("PRIMARY"):
			p.accept("KEY")
			col.PrimaryKey = true
			col.PKName = pending
			if !p.accept("ASC") {
				p.accept("DESC")
			}
			p.conflictClause()
			if p.accept("AUTOINCREMENT") {
				col.AutoIncrement = true
			}
		case t.is("NOT"):
			if p.accept("NULL") {
				col.NotNull = true
				p.conflictClause()
			}
		case t.is("NULL"):
			p.conflictClause()
		case t.is("UNIQUE"):
			p.conflictClause()
			pt.Uniques = append(pt.Uniques, parsedKey{Name: pending, Columns: []string{col.Name}})
		case t.is("CHECK"):
			if _, text, ok := p.group(); ok {
				col.Checks = append(col.Checks, parsedCheck{Name: pending, Expr: strings.TrimSpace(text)})
			}
		case t.is("DEFAULT"):
			col.Default = p.defaultValue()
		case t.is("COLLATE"):
			p.name()
		case t.is("REFERENCES"):
			fk := parsedFK{Name: pending, Columns: []string{col.Name}}
			p.references(&fk)
			pt.ForeignKeys = append(pt.ForeignKeys, fk)
		case t.is("GENERATED"):
			p.accept("ALWAYS")
		case t.is("AS"):
			p.group()
			if !p.accept("STORED") {
				p.accept("VIRTUAL")
			}
		default:
			if t.isPunct('(') {
				p.i--
				p.group()
			}
		}
		pending = ""
	}
	if col.PrimaryKey {
		pt.PrimaryKey = &parsedKey{Name: col.PKName, Columns: []string{col.Name}}
	}
}

func (p *parser) conflictClause() {
	if p.accept("ON", "CONFLICT") {
		p.next()
	}
}

func (p *parser) defaultValue() *parsedDefault {
	t := p.peek()
	switch {
	case t.isPunct('('):
		_, text, _ := p.group()
		return &parsedDefault{kind: defExpr, text: text}
	case (t.isPunct('-') || t.isPunct('+')) && p.peekAt(1).kind == tokNumber:
		p.i += 2
		return &parsedDefault{kind: defNumber, text: t.val + p.toks[p.i-1].val}
	case t.kind == tokNumber:
		p.next()
		return &parsedDefault{kind: defNumber, text: t.val}
	case t.kind == tokString || t.kind == tokQuoted:
		p.next()
		return &parsedDefault{kind: defString, text: t.val}
	case t.kind == tokBlob:
		p.next()
		return &parsedDefault{kind: defBlob, text: t.val}
	case t.kind == tokWord:
		p.next()
		switch strings.ToUpper(t.val) {
		case "NULL", "TRUE", "FALSE", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME":
			return &parsedDefault{kind: defWord, text: strings.ToUpper(t.val)}
		}
		// SQLite takes any other bare word as a string.
		return &parsedDefault{kind: defString, text: t.val}
	}
	return nil
}

// columnNames reads an indexed-column list: each item's leading name.
// Items that are expressions give "".
func columnNames(toks []token) []string {
	var out []string
	for _, item := range splitTop(toks) {
		if len(item) == 0 {
			out = append(out, "")
			continue
		}
		ip := &parser{toks: item}
		n, ok := ip.name()
		if !ok {
			out = append(out, "")
			continue
		}
		// what may follow a plain column: COLLATE x, ASC, DESC
		if ip.accept("COLLATE") {
			ip.next()
		}
		if !ip.accept("ASC") {
			ip.accept("DESC")
		}
		if !ip.eof() {
			n = "" // an expression
		}
		out = append(out, n)
	}
	return out
}

func (p *parser) tableConstraint(pt *parsedTable) {
	name := ""
	if p.accept("CONSTRAINT") {
		name, _ = p.name()
	}
	t := p.next()
	switch {
	case t.is("PRIMARY"):
		p.accept("KEY")
		cols, _, _ := p.group()
		pt.PrimaryKey = &parsedKey{Name: name, Columns: columnNames(cols)}
	case t.is("UNIQUE"):
		cols, _, _ := p.group()
		pt.Uniques = append(pt.Uniques, parsedKey{Name: name, Columns: columnNames(cols)})
	case t.is("CHECK"):
		if _, text, ok := p.group(); ok {
			pt.Checks = append(pt.Checks, parsedCheck{Name: name, Expr: strings.TrimSpace(text)})
		}
	case t.is("FOREIGN"):
		p.accept("KEY")
		cols, _, _ := p.group()
		fk := parsedFK{Name: name, Columns: columnNames(cols)}
		if p.accept("REFERENCES") {
			p.references(&fk)
		}
		pt.ForeignKeys = append(pt.ForeignKeys, fk)
	}
}

// references reads what follows REFERENCES: the table, its columns, the
// actions and deferrability.
func (p *parser) references(fk *parsedFK) {
	fk.RefTable, _ = p.name()
	if p.peek().isPunct('(') {
		cols, _, _ := p.group()
		fk.RefColumns = columnNames(cols)
	}
	for !p.eof() {
		switch {
		case p.accept("ON"):
			which := p.next()
			var action string
			switch {
			case p.accept("SET", "NULL"):
				action = "SET NULL"
			case p.accept("SET", "DEFAULT"):
				action = "SET DEFAULT"
			case p.accept("CASCADE"):
				action = "CASCADE"
			case p.accept("RESTRICT"):
				action = "RESTRICT"
			case p.accept("NO", "ACTION"):
				action = "NO ACTION"
			default:
				p.next()
			}
			if which.is("DELETE") {
				fk.OnDelete = action
			} else if which.is("UPDATE") {
				fk.OnUpdate = action
			}
		case p.accept("MATCH"):
			p.next()
		case p.accept("NOT", "DEFERRABLE"):
			fk.Deferrable, fk.InitiallyDeferred = false, false
			p.initially()
		case p.accept("DEFERRABLE"):
			fk.Deferrable = true
			fk.InitiallyDeferred = p.initially()
		default:
			return
		}
	}
}

// initially reads an optional INITIALLY DEFERRED|IMMEDIATE and reports
// whether it said DEFERRED.
func (p *parser) initially() bool {
	if p.accept("INITIALLY", "DEFERRED") {
		return true
	}
	p.accept("INITIALLY", "IMMEDIATE")
	return false
}

// parsedIndex is what parseCreateIndex reads from CREATE INDEX.
type parsedIndex struct {
	Name    string
	Table   string
	Unique  bool
	Columns []string // "" for expressions
	Where   string   // partial index predicate, as written
}

// parseCreateIndex parses CREATE [UNIQUE] INDEX text.
func parseCreateIndex(sql string) (*parsedIndex, error) {
	p := &parser{src: sql, toks: tokenize(sql)}
	if !p.accept("CREATE") {
		return nil, errors.New("sqlite: not a CREATE INDEX statement")
	}
	x := &parsedIndex{Unique: p.accept("UNIQUE")}
	if !p.accept("INDEX") {
		return nil, errors.New("sqlite: not a CREATE INDEX statement")
	}
	p.accept("IF", "NOT", "EXISTS")
	var ok bool
	if x.Name, ok = p.name(); !ok || !p.accept("ON") {
		return nil, errors.New("sqlite: malformed CREATE INDEX statement")
	}
	if x.Table, ok = p.name(); !ok {
		return nil, errors.New("sqlite: malformed CREATE INDEX statement")
	}
	cols, _, ok := p.group()
	if !ok {
		return nil, errors.New("sqlite: CREATE INDEX without a column list")
	}
	x.Columns = columnNames(cols)
	if w := p.peek(); w.is("WHERE") {
		x.Where = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(sql[w.end:]), ";"))
	}
	return x, nil
}

// parseEnumCheck recognises the column-level check this dialect writes for
// an enum column, `"col" IN ('a', 'b')`, and returns the values in order.
func parseEnumCheck(expr, column string) ([]string, bool) {
	p := &parser{src: expr, toks: tokenize(expr)}
	if k := p.peek().kind; k != tokWord && k != tokQuoted {
		return nil, false
	}
	n, ok := p.name()
	if !ok || !sameName(n, column) || !p.accept("IN") {
		return nil, false
	}
	inner, _, ok := p.group()
	if !ok || !p.eof() {
		return nil, false
	}
	var vals []string
	for _, item := range splitTop(inner) {
		if len(item) != 1 || item[0].kind != tokString {
			return nil, false
		}
		vals = append(vals, item[0].val)
	}
	return vals, len(vals) > 0
}

// sameName compares identifiers the way SQLite does: ignoring the case of
// ASCII letters only.
func sameName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
