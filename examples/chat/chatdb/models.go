package chatdb

import (
	"time"

	"github.com/google/uuid"

	"github.com/strata-go/strata/orm"
	"github.com/strata-go/strata/schema"
)

// The models are the tables; the exported types of api.go are what callers
// see. Every child table references its thread with ON DELETE CASCADE, and
// every relationship is passive_deletes: deleting a thread is one DELETE
// of the thread row, and the database removes the rest in the same
// statement (and so in the same transaction).

// userRow is a row of users.
type userRow struct {
	ID         uuid.UUID      `db:"id,pk"`
	Identifier string         `db:"identifier,size:200,unique"`
	Metadata   map[string]any `db:"metadata,notnull"`
	CreatedAt  time.Time      `db:"created_at"`
}

// threadRow is a row of threads. Version makes every UPDATE conditional
// on the row being the one that was read: a row deleted meanwhile makes the
// UPDATE match nothing, which the ORM reports as stale data, never as an
// insert.
type threadRow struct {
	ID             uuid.UUID      `db:"id,pk"`
	CreatedAt      time.Time      `db:"created_at,index"`
	Name           string         `db:"name,size:255"`
	UserID         *uuid.UUID     `db:"user_id,fk:users.id,ondelete:cascade,index"`
	UserIdentifier string         `db:"user_identifier,size:200"`
	Tags           []string       `db:"tags,notnull"`
	Metadata       map[string]any `db:"metadata,notnull"`
	Version        int32          `db:"version,version"`

	Steps     orm.List[stepRow]     `rel:"passive_deletes:all"`
	Elements  orm.List[elementRow]  `rel:"passive_deletes:all"`
	Feedbacks orm.List[feedbackRow] `rel:"passive_deletes:all"`
}

// stepRow is a row of steps; steps nest through parent_id, and deleting a
// step deletes its children (ON DELETE CASCADE).
type stepRow struct {
	ID        uuid.UUID      `db:"id,pk"`
	ThreadID  uuid.UUID      `db:"thread_id,fk:threads.id,ondelete:cascade,index"`
	ParentID  *uuid.UUID     `db:"parent_id,fk:steps.id,ondelete:cascade,index"`
	Name      string         `db:"name,size:255"`
	Type      string         `db:"type,size:50"`
	Input     string         `db:"input"`
	Output    string         `db:"output"`
	Metadata  map[string]any `db:"metadata,notnull"`
	Tags      []string       `db:"tags,notnull"`
	IsError   bool           `db:"is_error"`
	CreatedAt time.Time      `db:"created_at"`
	Start     *time.Time     `db:"start_time"`
	End       *time.Time     `db:"end_time"`

	Children orm.List[stepRow] `rel:"via:parent_id,passive_deletes:all"`
}

// elementRow is a row of elements: a file attached to a thread (and
// possibly to one of its steps), whose content is a blob in the blob
// directory under ObjectKey.
type elementRow struct {
	ID        uuid.UUID  `db:"id,pk"`
	ThreadID  uuid.UUID  `db:"thread_id,fk:threads.id,ondelete:cascade,index"`
	ForID     *uuid.UUID `db:"for_id,fk:steps.id,ondelete:cascade,index"`
	Type      string     `db:"type,size:50"`
	Name      string     `db:"name,size:255"`
	Mime      string     `db:"mime,size:100"`
	Display   string     `db:"display,size:20"`
	Size      int64      `db:"size"`
	ObjectKey string     `db:"object_key,size:200"`
	URL       string     `db:"url,size:2048"`
}

// feedbackRow is a row of feedbacks: at most one per step (the unique
// for_id is the upsert's conflict target).
type feedbackRow struct {
	ID       uuid.UUID `db:"id,pk"`
	ForID    uuid.UUID `db:"for_id,fk:steps.id,ondelete:cascade,unique"`
	ThreadID uuid.UUID `db:"thread_id,fk:threads.id,ondelete:cascade,index"`
	Value    int32     `db:"value"`
	Comment  *string   `db:"comment"`
}

// Registry returns a new registry holding the chat models, for sessions
// and for the migration command line.
func Registry() (*orm.Registry, error) {
	reg := orm.NewRegistry()
	for _, r := range []func() error{
		func() error { _, err := orm.Register[userRow](reg, orm.TableName("users")); return err },
		func() error { _, err := orm.Register[threadRow](reg, orm.TableName("threads")); return err },
		func() error { _, err := orm.Register[stepRow](reg, orm.TableName("steps")); return err },
		func() error { _, err := orm.Register[elementRow](reg, orm.TableName("elements")); return err },
		func() error { _, err := orm.Register[feedbackRow](reg, orm.TableName("feedbacks")); return err },
	} {
		if err := r(); err != nil {
			return nil, err
		}
	}
	if err := reg.Check(); err != nil {
		return nil, err
	}
	return reg, nil
}

// Models returns the schema of the chat models: what
// `go run ./examples/chat migrate revision --autogenerate` compares with the
// head revision (cli.Config.Models).
func Models() (*schema.MetaData, error) {
	reg, err := Registry()
	if err != nil {
		return nil, err
	}
	return reg.MetaData(), nil
}
