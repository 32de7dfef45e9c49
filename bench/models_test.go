package bench

import (
	"github.com/uptrace/bun"

	"github.com/strata-go/strata/orm"
)

// Each library gets the model its users would declare. The row values are
// those of the public go-orm-benchmarks suite.
const (
	valName    = "Orm Benchmark"
	valTitle   = "Just a Benchmark for fun"
	valFax     = "99909990"
	valWeb     = "http://blog.milkpod29.me"
	valAge     = 100
	valRight   = true
	valCounter = 1000
)

// Model is the plain struct of pgx, database/sql and sqlx.
type Model struct {
	ID      int64  `db:"id"`
	Name    string `db:"name"`
	Title   string `db:"title"`
	Fax     string `db:"fax"`
	Web     string `db:"web"`
	Age     int32  `db:"age"`
	Right   bool   `db:"right"`
	Counter int64  `db:"counter"`
}

func newModel() Model {
	return Model{Name: valName, Title: valTitle, Fax: valFax, Web: valWeb, Age: valAge, Right: valRight, Counter: valCounter}
}

// Parent and Child are the graph of pgx, database/sql and sqlx.
type Parent struct {
	ID       int64  `db:"id"`
	Name     string `db:"name"`
	Counter  int64  `db:"counter"`
	Children []*Child
}

type Child struct {
	ID       int64  `db:"id"`
	ParentID int64  `db:"parent_id"`
	Name     string `db:"name"`
	Counter  int64  `db:"counter"`
}

// StrataModel and friends are Strata models: a single integer pk is an
// autoincrement key read back by INSERT ... RETURNING.
type StrataModel struct {
	ID      int64  `db:"id,pk"`
	Name    string `db:"name"`
	Title   string `db:"title"`
	Fax     string `db:"fax"`
	Web     string `db:"web"`
	Age     int32  `db:"age"`
	Right   bool   `db:"right"`
	Counter int64  `db:"counter"`
}

func (StrataModel) TableName() string { return "bench_models" }

type StrataParent struct {
	ID      int64  `db:"id,pk"`
	Name    string `db:"name"`
	Counter int64  `db:"counter"`
	// the schema cascades deletes (ON DELETE CASCADE): passive_deletes
	// lets the database remove unloaded children
	Children orm.List[StrataChild] `rel:"cascade:all+delete-orphan,passive_deletes"`
}

func (StrataParent) TableName() string { return "bench_parents" }

type StrataChild struct {
	ID       int64                 `db:"id,pk"`
	ParentID int64                 `db:"parent_id,fk:bench_parents.id,ondelete:cascade,index"`
	Name     string                `db:"name"`
	Counter  int64                 `db:"counter"`
	Parent   orm.Ref[StrataParent] `rel:"backref:Children"`
}

func (StrataChild) TableName() string { return "bench_children" }

func strataRegistry() *orm.Registry {
	reg := orm.NewRegistry()
	orm.MustRegister[StrataModel](reg)
	orm.MustRegister[StrataParent](reg)
	orm.MustRegister[StrataChild](reg)
	return reg
}

func newStrataModel() *StrataModel {
	return &StrataModel{Name: valName, Title: valTitle, Fax: valFax, Web: valWeb, Age: valAge, Right: valRight, Counter: valCounter}
}

// GORM models: associations by convention (Children via ParentID).
type GormModel struct {
	ID      int64 `gorm:"primaryKey"`
	Name    string
	Title   string
	Fax     string
	Web     string
	Age     int32
	Right   bool
	Counter int64
}

func (GormModel) TableName() string { return "bench_models" }

func newGormModel() *GormModel {
	return &GormModel{Name: valName, Title: valTitle, Fax: valFax, Web: valWeb, Age: valAge, Right: valRight, Counter: valCounter}
}

type GormParent struct {
	ID       int64 `gorm:"primaryKey"`
	Name     string
	Counter  int64
	Children []*GormChild `gorm:"foreignKey:ParentID;constraint:OnDelete:CASCADE"`
}

func (GormParent) TableName() string { return "bench_parents" }

type GormChild struct {
	ID       int64 `gorm:"primaryKey"`
	ParentID int64 `gorm:"index"`
	Name     string
	Counter  int64
}

func (GormChild) TableName() string { return "bench_children" }

// bun models: has-many Children joined on parent_id.
type BunModel struct {
	bun.BaseModel `bun:"table:bench_models"`
	ID            int64 `bun:"id,pk,autoincrement"`
	Name          string
	Title         string
	Fax           string
	Web           string
	Age           int32
	Right         bool
	Counter       int64
}

func newBunModel() *BunModel {
	return &BunModel{Name: valName, Title: valTitle, Fax: valFax, Web: valWeb, Age: valAge, Right: valRight, Counter: valCounter}
}

type BunParent struct {
	bun.BaseModel `bun:"table:bench_parents"`
	ID            int64 `bun:"id,pk,autoincrement"`
	Name          string
	Counter       int64
	Children      []*BunChild `bun:"rel:has-many,join:id=parent_id"`
}

type BunChild struct {
	bun.BaseModel `bun:"table:bench_children"`
	ID            int64 `bun:"id,pk,autoincrement"`
	ParentID      int64
	Name          string
	Counter       int64
}
