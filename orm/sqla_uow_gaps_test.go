//go:build uowgaps

package orm_test

// SQLAlchemy test_unitofwork.py / test_unitofworkv2.py scenarios that fail
// on Strata today. Each test says what SQLAlchemy does, what Strata does
// now and the semantic it needs.

import (
	"context"
	"testing"

	"github.com/strata-go/strata/internal/testdb"
	"github.com/strata-go/strata/orm"
)

// RowswitchAccountingTest.test_switch_on_delete.
//
// SQLAlchemy: a persistent Parent(id=1) whose key is changed to 5 and then
// deleted: the DELETE matches the row by its committed key (1); the table
// is empty.
// Strata today: the DELETE matches the key the field holds now: "orm:
// stale data: DELETE of su_ac_parent [5] matched no row" (the Commit is
// rolled back, the row stays).
// Needs: a Deleted object's DELETE uses the committed key (the snapshot),
// whatever the key fields hold.
func TestUowDeleteAfterKeyChangeDeletesCommittedRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSuAll)
		s := f.New()
		defer s.Close(ctx)
		p := &SuAcParent{ID: 1, Data: 2}
		must(t, s.Add(p))
		must(t, s.Flush(ctx))
		p.ID = 5
		must(t, s.Delete(p))
		if p.ID != 5 {
			t.Fatal("Delete changed the key field")
		}
		must(t, s.Commit(ctx))
		wantCounts(t, f, "su_ac_parent", 0)
		wantStatus(t, s, orm.Detached, p)
	})
}

// OneToManyTest.test_one_to_one with a unique key on the child (SQLAlchemy
// emits a table's UPDATEs before its INSERTs in persistence.save_obj, so
// the nulling of the old child precedes the new child's INSERT).
//
// SQLAlchemy: replacing the one-to-one value nulls the old row's key and
// inserts the new row; the unique constraint is never violated.
// Strata today: the INSERT of the new ticket runs before the UPDATE that
// nulls the old one: "sqlerr: unique constraint uq_su_ticket_seat_id
// violated".
// Needs: within a table, UPDATEs that release a unique value (null-outs of
// replaced children) before the INSERTs that take it.
func TestUowReplaceOneToOneUnderUniqueKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		f, _ := openModels(t, tg, registerSuAll)
		s := f.New()
		defer s.Close(ctx)
		old := &SuTicket{Code: "old"}
		seat := &SuSeat{Ticket: orm.RefTo(old)}
		must(t, s.Add(seat))
		must(t, s.Commit(ctx))
		nw := &SuTicket{Code: "new"}
		must(t, seat.Ticket.Set(nw))
		must(t, s.Commit(ctx))
		if old.SeatID != nil || i64(nw.SeatID) != seat.ID {
			t.Fatalf("old %v new %v", old.SeatID, nw.SeatID)
		}
		if n := sqlaCount(t, f, "SELECT COUNT(*) FROM su_ticket WHERE seat_id IS NULL AND code = 'old'"); n != 1 {
			t.Fatal("the old ticket was not released")
		}
	})
}
