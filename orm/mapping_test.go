package orm_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-go/strata/engine"
	"github.com/strata-go/strata/expr"
	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/schema"
)

type Base struct {
	ID        int64     `db:"id,pk"`
	CreatedAt time.Time `db:"created_at,default:now"`
}

type Account struct {
	Base
	Email    string          `db:"email,size:200,unique"`
	Name     *string         `db:"display_name"`
	Active   bool            `db:"active,default:true"`
	Balance  float64         `db:"balance,default:0"`
	Tier     string          `db:"tier,type:enum(tier:free|pro)"`
	Settings json.RawMessage `db:"settings"`
	Avatar   []byte          `db:"avatar"`
	Nick     sql.NullString  `db:"nick,index"`
	Version  int32           `db:"version,version"`
	internal int             //nolint:unused // unexported, unmapped
	Ignored  string          `db:"-"`
}

type OrderLine struct {
	OrderID int64  `db:"order_id,pk,fk:orders.id,ondelete:cascade"`
	LineNo  int32  `db:"line_no,pk"`
	SKU     string `db:",type:varchar(40)"`
}

type Order struct {
	ID        int64 `db:",pk"`
	AccountID int64 `db:",fk:account.id"`
	UpdatedAt time.Time
}

func TestRegisterBuildsSchema(t *testing.T) {
	r := orm.NewRegistry()
	m, err := orm.Register[Account](r, orm.Default("Base.CreatedAt", func() any { return time.Now() }))
	if err != nil {
		t.Fatal(err)
	}
	tbl := m.Table
	if tbl.Name != "account" {
		t.Errorf("table %q", tbl.Name)
	}
	var cols []string
	for _, c := range tbl.Columns {
		cols = append(cols, fmt.Sprintf("%s %s null=%v auto=%v default=%s", c.Name, c.Type, c.Nullable, c.AutoIncrement, c.Default))
	}
	want := []string{
		"id bigint null=false auto=true default=none",
		"created_at timestamptz null=false auto=false default=CURRENT_TIMESTAMP",
		"email varchar(200) null=false auto=false default=none",
		"display_name text null=true auto=false default=none",
		"active boolean null=false auto=false default=true",
		"balance double null=false auto=false default=0",
		"tier enum tier(free,pro) null=false auto=false default=none",
		"settings json null=true auto=false default=none",
		"avatar bytes null=true auto=false default=none",
		"nick text null=true auto=false default=none",
		"version integer null=false auto=false default=none",
	}
	if strings.Join(cols, "\n") != strings.Join(want, "\n") {
		t.Errorf("columns:\n%s\nwant:\n%s", strings.Join(cols, "\n"), strings.Join(want, "\n"))
	}
	if tbl.Uniques[0].Name != "uq_account_email" || tbl.Indexes[0].Name != "ix_account_nick" {
		t.Errorf("constraints %v %v", tbl.Uniques[0], tbl.Indexes[0])
	}
	if m.Version == nil || m.Version.Name != "Version" || m.FieldByName("Base.CreatedAt").Default == nil {
		t.Error("version or default field not recorded")
	}
	if r.Mapper(reflect.TypeFor[*Account]()) != m {
		t.Error("Mapper lookup by pointer type failed")
	}

	// composite keys, foreign keys, ID convention
	mo := orm.MustRegister[Order](r)
	ml := orm.MustRegister[OrderLine](r)
	if got := fmt.Sprint(ml.Table.PrimaryKey.Columns); got != "[order_id line_no]" || ml.Table.Columns[0].AutoIncrement {
		t.Errorf("composite pk %s, autoincrement %v", got, ml.Table.Columns[0].AutoIncrement)
	}
	if fk := ml.Table.ForeignKeys[0]; fk.RefTable != "orders" || fk.OnDelete != schema.Cascade {
		t.Errorf("fk %+v", fk)
	}
	if !mo.PK[0].Column.AutoIncrement || mo.Table.Name != "order" || mo.Table.Column("updated_at") == nil {
		t.Errorf("ID convention / snake case: %+v", mo.Table)
	}
}

func TestFieldAccessorsReachEmbeddedFields(t *testing.T) {
	r := orm.NewRegistry()
	m := orm.MustRegister[Account](r)
	a := &Account{Base: Base{ID: 7}, Email: "e"}
	rv := reflect.ValueOf(a)
	*(m.FieldByColumn("id").Ptr(rv).(*int64)) = 9
	if a.ID != 9 || m.FieldByColumn("email").Value(rv).Interface() != "e" {
		t.Fatalf("field access: %+v", a)
	}
	// an addressable struct value works as its pointer does
	m.FieldByColumn("email").Value(rv.Elem()).SetString("f")
	if a.Email != "f" {
		t.Fatalf("set through an addressable struct: %+v", a)
	}
	// a struct value that is not addressable can be read, not written
	v := m.FieldByColumn("id").Value(reflect.ValueOf(*a))
	if v.Int() != 9 || v.CanSet() {
		t.Fatalf("read from a struct value: %v (settable %v)", v, v.CanSet())
	}
}

func TestFieldAccessorsRefuseAnotherType(t *testing.T) {
	r := orm.NewRegistry()
	m := orm.MustRegister[Account](r)
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "Account.Email") {
			t.Fatalf("panic %v, want one naming Account.Email", p)
		}
	}()
	m.FieldByColumn("email").Value(reflect.ValueOf(&struct{ Email string }{}))
}

func TestInvalidModelsNameStructAndField(t *testing.T) {
	type NoKey struct{ Name string }
	type BadType struct {
		ID int64
		C  chan int
	}
	type BadTag struct {
		ID int64 `db:",pk,bogus"`
	}
	type NullPK struct {
		ID *int64 `db:",pk"`
	}
	type TwoCols struct {
		ID int64
		A  string `db:"x"`
		B  string `db:"x"`
	}
	type BadSize struct {
		ID int64
		S  string `db:",type:varchar(0)"`
	}
	type NullNotNullable struct {
		ID int64
		S  string `db:",null"`
	}
	type EnumInt struct {
		ID int64
		E  int `db:",type:enum(e:a|b)"`
	}
	type BadVersion struct {
		ID int64
		V  string `db:",version"`
	}
	cases := []struct {
		reg  func(*orm.Registry) error
		want string
	}{
		{func(r *orm.Registry) error { _, err := orm.Register[NoKey](r); return err }, "model NoKey: no primary key"},
		{func(r *orm.Registry) error { _, err := orm.Register[BadType](r); return err }, "model BadType, field C: no column type for Go type chan int"},
		{func(r *orm.Registry) error { _, err := orm.Register[BadTag](r); return err }, `model BadTag, field ID: unknown tag option "bogus"`},
		{func(r *orm.Registry) error { _, err := orm.Register[NullPK](r); return err }, "model NullPK, field ID: primary key field cannot be nullable"},
		{func(r *orm.Registry) error { _, err := orm.Register[TwoCols](r); return err }, `model TwoCols, field B: column "x" is also mapped by field A`},
		{func(r *orm.Registry) error { _, err := orm.Register[BadSize](r); return err }, "model BadSize, field S: "},
		{func(r *orm.Registry) error { _, err := orm.Register[NullNotNullable](r); return err }, "model NullNotNullable, field S: nullable column needs a pointer"},
		{func(r *orm.Registry) error { _, err := orm.Register[EnumInt](r); return err }, "model EnumInt, field E: enum column needs a string field"},
		{func(r *orm.Registry) error { _, err := orm.Register[BadVersion](r); return err }, "model BadVersion, field V: version column must be an integer"},
		{func(r *orm.Registry) error {
			_, err := orm.Register[Order](r, orm.Default("Nope", func() any { return 1 }))
			return err
		}, "model Order, field Nope: Default option names no mapped field"},
		{func(r *orm.Registry) error { orm.MustRegister[Order](r); _, err := orm.Register[Order](r); return err }, "model Order: registered twice"},
	}
	for _, c := range cases {
		err := c.reg(orm.NewRegistry())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
		var me *orm.ModelError
		if !errors.As(err, &me) || !errors.Is(err, orm.ErrInvalidModel) {
			t.Errorf("%v is not a ModelError matching ErrInvalidModel", err)
		}
	}
}

func TestRegistryIsSafeForConcurrentUse(t *testing.T) {
	r := orm.NewRegistry()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 4 {
			case 0:
				orm.Register[Account](r) // one wins, the rest get "registered twice"
			case 1:
				orm.Register[OrderLine](r) // registered while others look up
			}
			r.Mapper(reflect.TypeFor[Account]())
			r.Mapper(reflect.TypeFor[*OrderLine]())
			r.MetaData()
		}()
	}
	wg.Wait()
	if r.Mapper(reflect.TypeFor[Account]()) == nil || r.MetaData().Table("account") == nil {
		t.Fatal("registration lost")
	}
	// every registration is seen, whichever finished last
	if m := r.Mapper(reflect.TypeFor[OrderLine]()); m == nil || m.Type != reflect.TypeFor[OrderLine]() {
		t.Fatalf("OrderLine's mapper: %v", m)
	}
	if r.Mapper(reflect.TypeFor[Order]()) != nil {
		t.Fatal("a type never registered has a mapper")
	}
}

// TestMappedValuesRoundTrip creates the registry's schema on every database
// and checks that each mapped Go type is written and scanned back through
// the field pointers unchanged: the contract the session's scanning relies
// on.
func TestMappedValuesRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		r := orm.NewRegistry()
		m := orm.MustRegister[Account](r)
		db, err := engine.Open(ctx, tg.Dialect, tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := engine.CreateAll(ctx, db, r.MetaData()); err != nil {
			t.Fatal(err)
		}
		name := "Zoë"
		in := &Account{
			Base:  Base{ID: 1, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
			Email: "z@x", Name: &name, Active: false, Balance: 0,
			Tier: "pro", Settings: json.RawMessage(`{"a": 1}`), Avatar: []byte{0, 1, 2},
			Nick: sql.NullString{String: "", Valid: true}, Version: 3,
		}
		ins := expr.Insert(expr.T(m.Table.Name))
		var cols []string
		var vals []any
		for _, f := range m.Fields {
			cols = append(cols, f.Column.Name)
			vals = append(vals, f.Value(reflect.ValueOf(in)).Interface())
		}
		if _, err := engine.ExecStmt(ctx, db, ins.Columns(cols...).Values(vals...)); err != nil {
			t.Fatal(err)
		}
		out := &Account{}
		var sel []expr.Expr
		var dest []any
		for _, f := range m.Fields {
			sel = append(sel, expr.C(f.Column.Name))
			dest = append(dest, f.Ptr(reflect.ValueOf(out)))
		}
		if err := engine.QueryRowStmt(ctx, db, expr.Select(sel...).From(expr.T(m.Table.Name))).Scan(dest...); err != nil {
			t.Fatal(err)
		}
		var settings any
		if err := json.Unmarshal(out.Settings, &settings); err != nil || fmt.Sprint(settings) != "map[a:1]" {
			t.Errorf("settings %s: %v", out.Settings, err)
		}
		out.Settings = in.Settings
		if !out.CreatedAt.Equal(in.CreatedAt) {
			t.Errorf("created_at %v, want %v", out.CreatedAt, in.CreatedAt)
		}
		out.CreatedAt = in.CreatedAt
		if !reflect.DeepEqual(in, out) {
			t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
		}
	})
}
