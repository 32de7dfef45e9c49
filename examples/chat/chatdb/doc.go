// Package chatdb is the data layer of the reference chat-history service
// (examples/chat): the semantics of Chainlit's BaseDataLayer (get_user,
// create_user, create_step, update_step, delete_thread, list_threads, ...)
// over Strata, built so that a deleted thread cannot come back.
//
//	s, err := chatdb.Open(ctx, "chat.db", chatdb.Options{}) // or postgres://..., user@tcp(host)/db
//	th, err := s.CreateThread(ctx, chatdb.Thread{Name: "hello"})
//	err = s.CreateStep(ctx, chatdb.Step{ID: uuid.New(), ThreadID: th.ID, Type: "user_message", Input: "hi"})
//	err = s.DeleteThread(ctx, th.ID)
//	_, err = s.UpdateThread(ctx, th.ID, chatdb.ThreadUpdate{Name: &name}) // errors.Is(err, chatdb.ErrNotFound)
//
// # Data model
//
// users, threads, steps (nested through parent_id), elements and feedbacks,
// after Chainlit's schema: UUID keys, JSON metadata, tags (text[] on
// PostgreSQL, a JSON array elsewhere), timestamps, and a version column on
// threads. Every child table references its
// thread (and steps their parent step, elements and feedback their step)
// with ON DELETE CASCADE, and the ORM relationships are passive_deletes:
// the database deletes the children, in the statement that deletes the
// parent. The schema is the revision files under migrations/, generated
// from the models with `strata revision --autogenerate` (see
// migrations/README.md), embedded ([MigrationsFS]) and applied by [Open]
// under the migration lock, so several processes may start at once.
//
// # Story 1: a deleted thread stays deleted
//
// In Chainlit's SQLAlchemy data layer a deleted thread came back as a row
// of NULLs (Chainlit issue #1684): the delete ran as four transactions,
// and a late "update thread" from a websocket disconnect, written as an
// upsert, ran after it and inserted the thread again. Here:
//
//   - [Store.DeleteThread] is one transaction: it locks the thread row and
//     deletes it, and ON DELETE CASCADE removes steps, elements and
//     feedback in the same statement. The element blobs are removed only
//     after the commit, so a failed delete leaves every row and every blob
//     in place, and a committed one leaves at worst a file no row points
//     at, never a row without its file.
//   - No late writer inserts a thread. [Store.UpdateThread] and
//     [Store.PersistOnDisconnect] read the thread with a row lock and
//     change it through the ORM session: the UPDATE is conditional on the
//     version read, a missing thread is [ErrNotFound], and a change that
//     raced them (stale data, a serialization failure, a deadlock) runs
//     the whole transaction again ([orm.Factory.Transact] with a policy
//     that also retries stale data) until it either applies or finds the
//     thread gone; if the retries run out it is [ErrConflict]. Nothing is
//     ever upserted into threads.
//   - [Store.CreateStep], [Store.CreateElement] and [Store.UpsertFeedback]
//     name the thread (or step) through a foreign key, so when it is gone
//     their INSERT fails and they return ErrNotFound. The lock
//     DeleteThread takes and the key lock the INSERT takes order the two:
//     either the child is committed first and the delete removes it, or
//     the delete is committed first and the INSERT fails.
//   - Creating a thread is explicit: only [Store.CreateThread] inserts one,
//     idempotently (an existing thread is returned unchanged).
//
// The tests prove it on SQLite, PostgreSQL and MariaDB (story1_test.go):
// TestDeletedThreadStaysDeletedInEveryOrder runs the delete, a late
// UpdateThread, a late CreateStep and a PersistOnDisconnect in all 24
// orders; TestDeleteStormWithLateWriters runs 64 goroutines over 100
// rounds of deletes racing late writers and logs what each writer got;
// TestFailedDeleteLeavesEverythingInPlace fails each statement of the
// delete (before it runs, and after the cascading DELETE ran) and the
// moment before its COMMIT; and TestNegativeControlUpsertResurrects shows
// that the same checks catch a resurrection when the late writer is the
// Chainlit-style upsert.
//
// # Other rules
//
// Renaming keeps createdAt; a metadata update merges (keys kept, a nil
// value deletes its key); [Store.ListThreads] pages by a keyset cursor
// (createdAt, id) and searches thread names and step input and output
// case-insensitively and literally (expr.IContains: % and _ are
// characters) and filters by tag (expr.ArrayHas); [Store.UpsertFeedback] keeps one feedback row per step
// (orm.Upsert on for_id). Input beyond the limits (MaxName, MaxText, ...)
// is a [*ValidationError] before anything is written.
package chatdb
