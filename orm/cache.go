package orm

import (
	"sync"

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
	selectByKey map[string]string // dialect name -> SQL
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
	tr := expr.T(m.Table.Name)
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
