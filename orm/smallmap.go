package orm

import "iter"

// smallMap is a map that keeps its first few entries inline, so that a
// session holding a handful of objects (the common request) allocates no
// map at all. Beyond inlineN entries it moves everything to a Go map.
// Iteration order is unspecified, as with a map.
type smallMap[K comparable, V any] struct {
	n    int // entries used in keys/vals while m is nil
	keys [inlineN]K
	vals [inlineN]V
	m    map[K]V
}

const inlineN = 4

func (s *smallMap[K, V]) get(k K) (V, bool) {
	if s.m != nil {
		v, ok := s.m[k]
		return v, ok
	}
	for i := 0; i < s.n; i++ {
		if s.keys[i] == k {
			return s.vals[i], true
		}
	}
	var zero V
	return zero, false
}

func (s *smallMap[K, V]) set(k K, v V) {
	if s.m != nil {
		s.m[k] = v
		return
	}
	for i := 0; i < s.n; i++ {
		if s.keys[i] == k {
			s.vals[i] = v
			return
		}
	}
	if s.n < inlineN {
		s.keys[s.n], s.vals[s.n] = k, v
		s.n++
		return
	}
	s.m = make(map[K]V, 2*inlineN)
	for i := 0; i < s.n; i++ {
		s.m[s.keys[i]] = s.vals[i]
	}
	s.m[k] = v
	s.clearInline()
}

func (s *smallMap[K, V]) delete(k K) {
	if s.m != nil {
		delete(s.m, k)
		return
	}
	for i := 0; i < s.n; i++ {
		if s.keys[i] == k {
			last := s.n - 1
			s.keys[i], s.vals[i] = s.keys[last], s.vals[last]
			var zk K
			var zv V
			s.keys[last], s.vals[last] = zk, zv
			s.n--
			return
		}
	}
}

func (s *smallMap[K, V]) len() int {
	if s.m != nil {
		return len(s.m)
	}
	return s.n
}

// all iterates over the entries. The body may delete the entry it is
// given, as with a map.
func (s *smallMap[K, V]) all() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		if s.m != nil {
			for k, v := range s.m {
				if !yield(k, v) {
					return
				}
			}
			return
		}
		// copy: the body may delete, which moves entries
		n := s.n
		keys, vals := s.keys, s.vals
		for i := 0; i < n; i++ {
			if !yield(keys[i], vals[i]) {
				return
			}
		}
	}
}

func (s *smallMap[K, V]) clearInline() {
	var zk [inlineN]K
	var zv [inlineN]V
	s.keys, s.vals, s.n = zk, zv, 0
}

// reset empties the map, keeping a Go map's memory for reuse.
func (s *smallMap[K, V]) reset() {
	if s.m != nil {
		clear(s.m)
	}
	s.clearInline()
}

// reserve makes room for n more entries in one allocation, so that a large
// load does not grow the map step by step.
func (s *smallMap[K, V]) reserve(n int) {
	if s.m == nil && s.n+n <= inlineN {
		return
	}
	if s.m != nil && n < len(s.m) {
		return // growth will be amortized anyway
	}
	m := make(map[K]V, s.len()+n)
	for k, v := range s.all() {
		m[k] = v
	}
	s.clearInline()
	s.m = m
}
