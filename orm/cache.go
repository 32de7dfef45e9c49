package orm

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/expr"
)

// The hot path renders nothing: statements that depend only on the mapper
// and the dialect (select by key today) are built once and kept on the
// Mapper. Rendering a SELECT through the expression layer costs about a
// microsecond and a dozen allocations (go test ./expr -bench Select),
// which is more than a raw pgx read allows.

type sqlCache struct {
	mu          sync.RWMutex
	selectByKey map[string]string  // dialect name -> SQL
	dests       sync.Pool          // *[]any of len(Fields), scan destinations
	stmts       map[stmtKey]string // SQL of single-row writes; under mu
	arrays      sync.Map           // n -> [n]T, the loaders' slab types
	updatable   []*Field           // UpdateByKey's default fields; under mu
	shapes      sync.Map           // mask of fields left to the database -> *[2][]*Field{cols, fetch} of a one-row INSERT

	// the first entries of stmts and shapes made, read before them
	// without the lock, the hash or the boxing of a look-up: a program
	// writes few shapes of row of a model, over and over
	hotStmts  [hotEntries]atomic.Pointer[stmtEntry]
	hotShapes [hotEntries]atomic.Pointer[shapeEntry]
}

const hotEntries = 4

type stmtEntry struct {
	k stmtKey
	q string
}

type shapeEntry struct {
	mask        uint64
	cols, fetch []*Field
}

// arrayOf returns the type [n]T of m's struct (reflect.ArrayOf is slow
// enough to matter once per slab).
func (m *Mapper) arrayOf(n int) reflect.Type {
	if t, ok := m.cache.arrays.Load(n); ok {
		return t.(reflect.Type)
	}
	t := reflect.ArrayOf(n, m.Type)
	m.cache.arrays.Store(n, t)
	return t
}

// getDest returns a scan destination slice of len(m.Fields); give it back
// with putDest once Scan has returned.
func (m *Mapper) getDest() *[]any {
	if d, ok := m.cache.dests.Get().(*[]any); ok {
		return d
	}
	d := make([]any, len(m.Fields))
	return &d
}

func (m *Mapper) putDest(d *[]any) {
	clear(*d) // keep no pointer into the object alive
	m.cache.dests.Put(d)
}

// selectByKey returns SELECT <every column> FROM t WHERE <pk> = ? [AND ...],
// rendered for d; its arguments are the key values in m.PK order.
func (m *Mapper) selectByKey(d dialect.Dialect) (string, error) {
	m.cache.mu.RLock()
	q, ok := m.cache.selectByKey[d.Name()]
	m.cache.mu.RUnlock()
	if ok {
		return q, nil
	}
	tr := tref(m.Table)
	sel := expr.Select(columnsOf(tr, m.Fields)...).From(tr)
	for _, f := range m.PK {
		sel.Where(expr.Eq(tr.C(f.Column.Name), expr.Value(nil)))
	}
	q, _, err := expr.Build(d, sel)
	if err != nil {
		return "", err
	}
	m.cache.mu.Lock()
	if m.cache.selectByKey == nil {
		m.cache.selectByKey = map[string]string{}
	}
	m.cache.selectByKey[d.Name()] = q
	m.cache.mu.Unlock()
	return q, nil
}

// stmtKey names a cached single-row write: its kind, the fields it
// writes or reads back (bit i is m.Fields[i]) and the dialect.
type stmtKey struct {
	dialect string
	kind    uint8 // stmtInsert, stmtUpdate
	cols    uint64
	ret     uint64
	version bool
}

const (
	stmtInsert uint8 = iota + 1
	stmtUpdate
)

// maskOf returns the bit set of fields, and false if a field's index is
// beyond 64 (such statements are not cached).
func (m *Mapper) maskOf(fields []*Field) (uint64, bool) {
	var mask uint64
	for _, f := range fields {
		if f.index >= 64 {
			return 0, false
		}
		mask |= 1 << f.index
	}
	return mask, true
}

// cachedSQL returns the SQL of the statement build makes, rendered once
// per key. args are the caller's arguments for it, in the order the
// builder binds them; the first rendering checks they agree, so a cached
// statement can never be sent with misplaced arguments.
func (m *Mapper) cachedSQL(d dialect.Dialect, k stmtKey, args []any, build func() expr.Statement) (string, error) {
	if q, ok := m.lookupSQL(k); ok {
		return q, nil
	}
	q, built, err := expr.Build(d, build())
	if err != nil {
		return "", err
	}
	if len(built) != len(args) {
		return "", fmt.Errorf("orm: internal error: statement cache of %s: %d arguments built, %d given", m.Type, len(built), len(args))
	}
	for i := range built {
		if !reflect.DeepEqual(built[i], args[i]) {
			return "", fmt.Errorf("orm: internal error: statement cache of %s: argument %d is %v, built %v", m.Type, i+1, args[i], built[i])
		}
	}
	m.cache.mu.Lock()
	if m.cache.stmts == nil {
		m.cache.stmts = map[stmtKey]string{}
	}
	_, had := m.cache.stmts[k] // another goroutine built it too
	m.cache.stmts[k] = q
	m.cache.mu.Unlock()
	if !had {
		hotPut(&m.cache.hotStmts, &stmtEntry{k, q})
	}
	return q, nil
}

// lookupSQL returns the cached SQL of a single-row write (a typed map, so
// looking a key up boxes nothing).
func (m *Mapper) lookupSQL(k stmtKey) (string, bool) {
	if e := hotFind(&m.cache.hotStmts, func(e *stmtEntry) bool { return e.k == k }); e != nil {
		return e.q, true
	}
	m.cache.mu.RLock()
	q, ok := m.cache.stmts[k]
	m.cache.mu.RUnlock()
	return q, ok
}

// hotFind returns the first entry of hot that match accepts, or nil. It
// stops at the first empty slot: slots fill in order (hotPut).
func hotFind[E any](hot *[hotEntries]atomic.Pointer[E], match func(*E) bool) *E {
	for i := range hot {
		e := hot[i].Load()
		if e == nil {
			return nil
		}
		if match(e) {
			return e
		}
	}
	return nil
}

// hotPut puts e in the first empty slot of hot, if one is left. Slots
// are filled in order and never emptied, so a reader may stop at the
// first empty one.
func hotPut[E any](hot *[hotEntries]atomic.Pointer[E], e *E) {
	for i := range hot {
		if hot[i].CompareAndSwap(nil, e) {
			return
		}
	}
}
