package orm

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

var (
	opA = &op{"Flush"}
	opB = &op{"Query"}
)

func TestGuardNamesBothOperations(t *testing.T) {
	var g guard
	if err := g.enter(opA); err != nil {
		t.Fatal(err)
	}
	err := g.enter(opB)
	var ce *ConcurrentUseError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConcurrentUse) || ce.Op != "Query" || ce.Running != "Flush" {
		t.Fatalf("got %v", err)
	}
	g.exit()
	if err := g.enter(opB); err != nil {
		t.Fatalf("after exit: %v", err)
	}
	g.exit()
}

func TestGuardUnderContention(t *testing.T) {
	var g guard
	var inside, maxInside, refused atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if err := g.enter(opA); err != nil {
					refused.Add(1)
					continue
				}
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				inside.Add(-1)
				g.exit()
			}
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Fatalf("%d operations were inside at once", maxInside.Load())
	}
	t.Logf("%d entries refused", refused.Load())
}

func BenchmarkGuardEnterExit(b *testing.B) {
	var g guard
	b.ReportAllocs()
	for b.Loop() {
		if err := g.enter(opA); err != nil {
			b.Fatal(err)
		}
		g.exit()
	}
}
