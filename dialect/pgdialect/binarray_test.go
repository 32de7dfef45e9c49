package pgdialect_test

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-go/strata/dialect"
	"github.com/strata-go/strata/dialect/pgdialect"
	"github.com/strata-go/strata/internal/testdb"
)

// arrayRows are the columns of an unnest INSERT, one slice per column.
type arrayRows struct {
	k  []int32
	t  []string
	v  []string
	i2 []int16
	i8 []int64
	b  []bool
	f4 []float32
	f8 []float64
}

func newArrayRows(from, n int) arrayRows {
	var r arrayRows
	for i := range n {
		x := from + i
		r.k = append(r.k, int32(x))
		r.t = append(r.t, fmt.Sprintf("té€xt %d %q", x, "{,}"))
		r.v = append(r.v, fmt.Sprint(x*7))
		r.i2 = append(r.i2, int16(x%math.MaxInt16))
		r.i8 = append(r.i8, int64(x)*math.MaxInt32)
		r.b = append(r.b, x%3 == 0)
		r.f4 = append(r.f4, float32(x)/3)
		r.f8 = append(r.f8, -float64(x)/7)
	}
	return r
}

func (r arrayRows) args() []any { return []any{r.k, r.t, r.v, r.i2, r.i8, r.b, r.f4, r.f8} }

const arrayInsert = `INSERT INTO bin_arrays SELECT * FROM unnest($1::int4[], $2::text[], $3::varchar(40)[], $4::int2[], $5::int8[], $6::bool[], $7::float4[], $8::float8[])`

// TestLargeArrayArgumentsRoundTripOnEveryPath writes large array
// arguments (encoded by pgdialect, not pgx) through every way a
// statement reaches a connection, on pools of one connection (so a
// connection the pool's Query took and did not give back would hang the
// next statement): one Strata opened, one adopted with FromPool, and one
// per other pgx query mode. It reads every value back.
func TestLargeArrayArgumentsRoundTripOnEveryPath(t *testing.T) {
	ctx := testCtx(t)
	dsn := testdb.New(t, "postgres").DSN
	opened, err := pgdialect.New().OpenPool(ctx, dsn, dialect.PoolOptions{MaxOpen: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pp, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	adopted := pgdialect.FromPool(pp) // the encoder is installed on its connection when first needed
	defer adopted.Close()

	mustExec(t, ctx, opened, `CREATE TABLE bin_arrays (k int4 PRIMARY KEY, t text, v varchar(40), i2 int2, i8 int8, b bool, f4 float4, f8 float8)`)
	const n = 100
	want := arrayRows{}
	add := func(r arrayRows) {
		want.k, want.t, want.v = append(want.k, r.k...), append(want.t, r.t...), append(want.v, r.v...)
		want.i2, want.i8, want.b = append(want.i2, r.i2...), append(want.i8, r.i8...), append(want.b, r.b...)
		want.f4, want.f8 = append(want.f4, r.f4...), append(want.f8, r.f8...)
	}
	returning := func(q dialect.Querier, r arrayRows, readAll bool) {
		t.Helper()
		rows, err := q.Query(ctx, arrayInsert+` RETURNING k`, r.args()...)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for readAll && rows.Next() {
			got++
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if readAll && got != n {
			t.Fatalf("RETURNING gave %d rows, want %d", got, n)
		}
		add(r)
	}
	exec := func(q dialect.Querier, r arrayRows) {
		t.Helper()
		res, err := q.Exec(ctx, arrayInsert, r.args()...)
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsAffected != n {
			t.Fatalf("wrote %d rows, want %d", res.RowsAffected, n)
		}
		add(r)
	}
	pools := []dialect.Pool{opened, adopted}
	// pgx's other query modes: the hook must leave what it cannot encode
	// (the text format of the simple protocol) to pgx
	for _, mode := range []string{"cache_describe", "describe_exec", "exec", "simple_protocol"} {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("default_query_exec_mode", mode)
		u.RawQuery = q.Encode()
		p, err := pgdialect.New().OpenPool(ctx, u.String(), dialect.PoolOptions{MaxOpen: 1})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		defer p.Close()
		pools = append(pools, p)
	}
	for i, p := range pools {
		base := i * 10 * n
		exec(p, newArrayRows(base, n))                 // the pool's Exec
		returning(p, newArrayRows(base+n, n), true)    // the pool's Query, read to the end
		returning(p, newArrayRows(base+2*n, n), false) // ... closed unread
		tx, err := p.Begin(ctx, dialect.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		returning(tx, newArrayRows(base+3*n, n), true) // sent with BEGIN
		exec(tx, newArrayRows(base+4*n, n))            // on the open transaction
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		tx, err = p.Begin(ctx, dialect.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		exec(tx, newArrayRows(base+5*n, n)) // an Exec sent with BEGIN
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := p.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		exec(c, newArrayRows(base+6*n, n))
		returning(c, newArrayRows(base+7*n, n), true)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}

	rows, err := opened.Query(ctx, `SELECT k, t, v, i2, i8, b, f4, f8 FROM bin_arrays ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	var got arrayRows
	for rows.Next() {
		var (
			k      int32
			s, v   string
			i2     int16
			i8     int64
			b      bool
			f4     float32
			f8     float64
			scanTo = []any{&k, &s, &v, &i2, &i8, &b, &f4, &f8}
		)
		if err := rows.Scan(scanTo...); err != nil {
			t.Fatal(err)
		}
		got.k, got.t, got.v = append(got.k, k), append(got.t, s), append(got.v, v)
		got.i2, got.i8, got.b = append(got.i2, i2), append(got.i8, i8), append(got.b, b)
		got.f4, got.f8 = append(got.f4, f4), append(got.f8, f8)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %d rows differing from the %d written", len(got.k), len(want.k))
		for i := range min(len(got.k), len(want.k)) {
			g := fmt.Sprint(got.k[i], got.t[i], got.v[i], got.i2[i], got.i8[i], got.b[i], got.f4[i], got.f8[i])
			w := fmt.Sprint(want.k[i], want.t[i], want.v[i], want.i2[i], want.i8[i], want.b[i], want.f4[i], want.f8[i])
			if g != w {
				t.Fatalf("first difference: %s, want %s", g, w)
			}
		}
	}
}

// TestLargeArrayArgumentsAreNotEncodedElementByElement proves that every
// path hands large slices to pgdialect's encoder: pgx's own encoding of
// a []string allocates once per element.
func TestLargeArrayArgumentsAreNotEncodedElementByElement(t *testing.T) {
	ctx := testCtx(t)
	dsn := testdb.New(t, "postgres").DSN
	p, err := pgdialect.New().OpenPool(ctx, dsn, dialect.PoolOptions{MaxOpen: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const n = 2000
	strs := make([]string, n)
	for i := range strs {
		strs[i] = fmt.Sprint("s", i)
	}
	const q = `SELECT count(*) FROM unnest($1::text[])`
	count := func(qr dialect.Querier) {
		rows, err := qr.Query(ctx, q, strs)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(path string, run func()) {
		t.Helper()
		run() // plans made and cached
		if allocs := testing.AllocsPerRun(3, run); allocs > n/4 {
			t.Errorf("%s: %v allocations for %d strings: encoded element by element", path, allocs, n)
		}
	}
	check("pool Query", func() { count(p) })
	check("pool Exec", func() {
		if _, err := p.Exec(ctx, q, strs); err != nil {
			t.Fatal(err)
		}
	})
	check("transaction", func() {
		tx, err := p.Begin(ctx, dialect.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		count(tx) // sent with BEGIN
		count(tx)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	})
	check("conn", func() {
		c, err := p.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		count(c)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
