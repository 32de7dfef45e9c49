package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/strata-go/strata/dialect/sqlitedialect"
	"github.com/strata-go/strata/engine"
)

// WithPool sizes the pool the same way on every dialect; Stats reads it
// back.
func ExampleWithPool() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "strata-pool")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := engine.Open(ctx, sqlitedialect.New(), "file:"+filepath.Join(dir, "app.db"), engine.WithPool(engine.PoolOptions{
		MaxOpen:     2,
		MaxIdleTime: 5 * time.Minute,
	}))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		panic(err)
	}
	s := db.Stats()
	fmt.Println("max open:", s.MaxOpen, "in use:", s.InUse)
	c.Close()
	// Output:
	// max open: 2 in use: 1
}
