package orm_test

import (
	"fmt"
	"reflect"

	"github.com/strata-go/strata/orm"
)

func ExampleField_Value() {
	type Tag struct {
		ID   int64  `db:"id,pk"`
		Name string `db:"name"`
	}
	m := orm.MustRegister[Tag](orm.NewRegistry())
	t := &Tag{ID: 1, Name: "go"}
	name := m.FieldByName("Name")
	fmt.Println(name.Column.Name, name.Value(reflect.ValueOf(t)))
	// A pointer (or an addressable struct) gives a settable field.
	name.Value(reflect.ValueOf(t)).SetString("sql")
	*m.FieldByName("ID").Ptr(reflect.ValueOf(t)).(*int64) = 2
	fmt.Println(*t)
	// Output:
	// name go
	// {2 sql}
}
