package orm

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"unsafe"
)

// Hooks are middleware, as in ent, not callbacks named by strings.
//
// A [FlushHook] wraps the whole write of a flush: code before next runs
// before any statement (and may change the objects in the change set:
// what they hold when next runs is what is written), code after next sees
// the outcome, with generated keys and server values filled in. The
// per-object hooks [BeforeInsert], [BeforeUpdate] and [BeforeDelete] are
// typed functions registered for one model. Hooks run inside the flush,
// and the session refuses re-entry: calling the session from a hook fails
// with a *ConcurrentUseError naming both operations. If the flush fails,
// every object a hook changed is restored with the rest.
//
// Statements themselves are wrapped at the engine layer:
// [github.com/strata-go/strata/engine.WithMiddleware].

// FlushFunc writes a change set.
type FlushFunc func(ctx context.Context, cs *ChangeSet) error

// FlushHook wraps a FlushFunc:
//
//	audit := func(next orm.FlushFunc) orm.FlushFunc {
//		return func(ctx context.Context, cs *orm.ChangeSet) error {
//			err := next(ctx, cs)
//			if err == nil {
//				log.Printf("flushed %d inserts", len(cs.Inserts()))
//			}
//			return err
//		}
//	}
type FlushHook func(next FlushFunc) FlushFunc

// WithFlushHook adds flush middleware to every session of the factory; the
// first given is the outermost.
func WithFlushHook(hooks ...FlushHook) FactoryOption {
	return func(c *factoryConfig) { c.flushHooks = append(c.flushHooks, hooks...) }
}

// ChangeSet is what a flush is about to write, as flush hooks see it: the
// objects (pointers to structs) to insert, update and delete, each list in
// the order the flush writes it, with each object's changed fields and
// their old values. The flush honours it: what a hook changes in the
// objects before calling next is written, and an update the hook skips is
// not (ent's mutations, SQLAlchemy's attribute history).
type ChangeSet struct {
	s                         *Session
	inserts, updates, deletes []any
	skipped                   map[*state]bool
}

func newChangeSet(s *Session, p *flushPlan) *ChangeSet {
	objs := func(l []*state) []any {
		out := make([]any, len(l))
		for i, st := range l {
			out[i] = st.object()
		}
		return out
	}
	return &ChangeSet{s: s, inserts: objs(p.inserts), updates: objs(p.updates), deletes: objs(p.deletes)}
}

func (c *ChangeSet) stateOf(obj any) *state {
	v := reflect.ValueOf(obj)
	if c.s == nil || v.Kind() != reflect.Pointer || v.IsNil() {
		return nil
	}
	return c.s.stateAt(v.UnsafePointer())
}

// Changed returns the Go names of the fields of obj the flush writes: for
// an update, those that differ from what the row holds (as loaded or last
// flushed); for an insert, every mapped field; nil for objects not in the
// change set or deleted.
func (c *ChangeSet) Changed(obj any) []string {
	st := c.stateOf(obj)
	if st == nil {
		return nil
	}
	var out []string
	for _, f := range st.m.Fields {
		switch {
		case st.status == Pending:
			out = append(out, f.Name)
		case st.status == Persistent && st.snap != nil && f.changed(st.ptr, st.snap):
			out = append(out, f.Name)
		}
	}
	return out
}

// Old returns the value the row holds for a field of obj (by Go name or
// column), as loaded or last flushed: for updates and deletes. ok is false
// for new objects, unknown fields and objects not in the change set.
func (c *ChangeSet) Old(obj any, field string) (v any, ok bool) {
	st := c.stateOf(obj)
	if st == nil || st.snap == nil || st.status == Pending {
		return nil, false
	}
	f := st.m.fieldNamed(field)
	if f == nil {
		return nil, false
	}
	return f.rv(st.snap).Interface(), true
}

// Skip leaves an update out of this flush: obj keeps its changes, still
// tracked, and the next flush writes them. Inserts and deletes cannot be
// skipped (other rows of the flush may depend on them): Expunge the object
// before the flush, or Add a deleted one back, instead.
func (c *ChangeSet) Skip(obj any) error {
	st := c.stateOf(obj)
	if st == nil || st.status != Persistent || !slices.ContainsFunc(c.updates, func(o any) bool { return o == obj }) {
		return fmt.Errorf("orm: ChangeSet.Skip of a %T that is not an update of this flush", obj)
	}
	if c.skipped == nil {
		c.skipped = map[*state]bool{}
	}
	c.skipped[st] = true
	c.updates = slices.DeleteFunc(c.updates, func(o any) bool { return o == obj })
	return nil
}

// Inserts are the pending objects to insert.
func (c *ChangeSet) Inserts() []any { return c.inserts }

// Updates are the persistent objects whose fields changed.
func (c *ChangeSet) Updates() []any { return c.updates }

// Deletes are the objects to delete.
func (c *ChangeSet) Deletes() []any { return c.deletes }

type objectHooks struct {
	insert, update, delete []func(ctx context.Context, obj unsafe.Pointer) error
}

func objectHook[T any](kind string, fn func(ctx context.Context, obj *T) error) FactoryOption {
	t := reflect.TypeFor[T]()
	h := func(ctx context.Context, p unsafe.Pointer) error { return fn(ctx, (*T)(p)) }
	return func(c *factoryConfig) {
		if c.objHooks == nil {
			c.objHooks = map[reflect.Type]*objectHooks{}
		}
		oh := c.objHooks[t]
		if oh == nil {
			oh = &objectHooks{}
			c.objHooks[t] = oh
		}
		switch kind {
		case "insert":
			oh.insert = append(oh.insert, h)
		case "update":
			oh.update = append(oh.update, h)
		default:
			oh.delete = append(oh.delete, h)
		}
	}
}

// BeforeInsert runs fn on every T about to be inserted, before client
// defaults are applied; what fn sets is written. An error aborts the
// flush, which then writes nothing.
func BeforeInsert[T any](fn func(ctx context.Context, obj *T) error) FactoryOption {
	return objectHook("insert", fn)
}

// BeforeUpdate runs fn on every T whose fields changed, before onupdate
// rules and the version bump; the UPDATE writes what differs afterwards.
func BeforeUpdate[T any](fn func(ctx context.Context, obj *T) error) FactoryOption {
	return objectHook("update", fn)
}

// BeforeDelete runs fn on every T about to be deleted; an error keeps the
// whole flush from running.
func BeforeDelete[T any](fn func(ctx context.Context, obj *T) error) FactoryOption {
	return objectHook("delete", fn)
}

// HookError wraps an error returned by a per-object hook, naming the hook
// and the object.
type HookError struct {
	Hook   string // "BeforeInsert", "BeforeUpdate" or "BeforeDelete"
	Object any
	Err    error
}

func (e *HookError) Error() string {
	return fmt.Sprintf("orm: %s hook of %T: %v", e.Hook, e.Object, e.Err)
}

func (e *HookError) Unwrap() error { return e.Err }

func (s *Session) runObjectHooks(ctx context.Context, p *flushPlan, u *undo) error {
	if len(s.f.cfg.objHooks) == 0 {
		return nil
	}
	run := func(name string, list []*state, pick func(*objectHooks) []func(context.Context, unsafe.Pointer) error) error {
		for _, st := range list {
			oh := s.f.cfg.objHooks[st.m.Type]
			if oh == nil || len(pick(oh)) == 0 {
				continue
			}
			u.saveObject(st)
			for _, h := range pick(oh) {
				if err := h(ctx, st.ptr); err != nil {
					return &HookError{Hook: name, Object: st.object(), Err: err}
				}
			}
		}
		return nil
	}
	if err := run("BeforeInsert", p.inserts, func(h *objectHooks) []func(context.Context, unsafe.Pointer) error { return h.insert }); err != nil {
		return err
	}
	if err := run("BeforeUpdate", p.updates, func(h *objectHooks) []func(context.Context, unsafe.Pointer) error { return h.update }); err != nil {
		return err
	}
	return run("BeforeDelete", p.deletes, func(h *objectHooks) []func(context.Context, unsafe.Pointer) error { return h.delete })
}
