package mysqldialect

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-go/strata/sqlerr"
)

// MariaDB and MySQL error numbers that TranslateError knows.
const (
	erDupKey            = 1022 // Can't write; duplicate key in table '%s'
	erBadNull           = 1048 // Column '%s' cannot be null
	erDupEntry          = 1062 // Duplicate entry '%s' for key '%s'
	erCheckRead         = 1020 // Record has changed since last read (snapshot isolation)
	erLockWaitTimeout   = 1205 // Lock wait timeout exceeded
	erLockDeadlock      = 1213 // Deadlock found when trying to get lock
	erNoReferencedRow   = 1216 // old form of 1452, without the constraint
	erRowIsReferenced   = 1217 // old form of 1451, without the constraint
	erWarnNullToNotNull = 1263 // Column set to default value; NULL supplied to NOT NULL column '%s' at row %d
	erNoDefaultForField = 1364 // Field '%s' doesn't have a default value
	erRowIsReferenced2  = 1451 // Cannot delete or update a parent row: a foreign key constraint fails (...)
	erNoReferencedRow2  = 1452 // Cannot add or update a child row: a foreign key constraint fails (...)
	erDupEntryWithKey   = 1586 // Duplicate entry '%s' for key '%s'
	erCheckViolatedMy   = 3819 // MySQL: Check constraint '%s' is violated.
	erConstraintFailed  = 4025 // MariaDB: CONSTRAINT `%s` failed for `db`.`table`

	erUnknownCom              = 1047 // Unknown command; Galera: WSREP has not yet prepared node for application use
	erServerShutdown          = 1053 // Server shutdown in progress
	erOptionPreventsStatement = 1290 // The MariaDB server is running with the --read-only option
	erReadOnlyTx              = 1792 // Cannot execute statement in a READ ONLY transaction
	erReadOnlyMode            = 1836 // Running in read-only mode
	erConnectionKilled        = 1927 // Connection was killed
)

// TranslateError turns driver errors into Strata's typed errors, keeping
// the driver's error in the chain:
//
//   - sql.ErrNoRows matches sqlerr.ErrNotFound;
//   - 1062/1586 duplicate entry: a Unique IntegrityError named after the key
//     (PRIMARY for the primary key);
//   - 1451/1452 (and the older 1216/1217): ForeignKey, with the constraint
//     and table read from the message;
//   - 1048, 1263 and 1364: NotNull, Constraint being the column's name;
//   - 4025 (MariaDB) and 3819 (MySQL): Check, with the constraint's name;
//   - 1213 deadlock (on Galera also a certification failure at COMMIT),
//     1205 lock wait timeout and 1020 (a row changed under snapshot
//     isolation): a RetryableError;
//   - driver.ErrBadConn (nothing was sent), a failed dial, 1047 (a Galera
//     node not ready): a ConnError with NotSent; mysql.ErrInvalidConn,
//     reset, EOF, 1053 server shutdown, 1927 connection killed: a
//     ConnError (the statement may have run);
//   - 1792, 1290 (--read-only) and 1836: a ReadOnlyError.
//
// Other errors are returned unchanged.
func (*Dialect) TranslateError(err error) error {
	if err == nil {
		return nil
	}
	var ie *sqlerr.IntegrityError
	var re *sqlerr.RetryableError
	var ce *sqlerr.ConnError
	var ro *sqlerr.ReadOnlyError
	if errors.Is(err, sqlerr.ErrNotFound) || errors.As(err, &ie) || errors.As(err, &re) || errors.As(err, &ce) || errors.As(err, &ro) {
		return err // already translated
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", sqlerr.ErrNotFound, err)
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return connError(err)
	}
	msg := me.Message
	integrity := func(kind sqlerr.ConstraintKind, name, table string) error {
		return &sqlerr.IntegrityError{Kind: kind, Constraint: name, Table: table, Err: err}
	}
	switch me.Number {
	case erDupEntry, erDupEntryWithKey:
		return integrity(sqlerr.Unique, dupKeyName(msg), "")
	case erDupKey:
		return integrity(sqlerr.Unique, "", between(msg, "table '", "'"))
	case erRowIsReferenced2, erNoReferencedRow2:
		table, name := fkNames(msg)
		return integrity(sqlerr.ForeignKey, name, table)
	case erRowIsReferenced, erNoReferencedRow:
		return integrity(sqlerr.ForeignKey, "", "")
	case erBadNull:
		return integrity(sqlerr.NotNull, trimAround(msg, "Column '", "' cannot be null"), "")
	case erNoDefaultForField:
		return integrity(sqlerr.NotNull, trimAround(msg, "Field '", "' doesn't have a default value"), "")
	case erWarnNullToNotNull:
		return integrity(sqlerr.NotNull, between(msg, "NOT NULL column '", "' at row"), "")
	case erConstraintFailed:
		name, table := checkNames(msg)
		return integrity(sqlerr.Check, name, table)
	case erCheckViolatedMy:
		return integrity(sqlerr.Check, trimAround(msg, "Check constraint '", "' is violated."), "")
	case erLockDeadlock:
		return &sqlerr.RetryableError{Reason: "deadlock", Err: err}
	case erLockWaitTimeout:
		return &sqlerr.RetryableError{Reason: "lock timeout", Err: err}
	case erCheckRead:
		return &sqlerr.RetryableError{Reason: "serialization failure", Err: err}
	case erServerShutdown, erConnectionKilled:
		return &sqlerr.ConnError{Err: err}
	case erUnknownCom: // Galera: "WSREP has not yet prepared node for application use"
		return &sqlerr.ConnError{NotSent: true, Err: err}
	case erReadOnlyTx, erOptionPreventsStatement, erReadOnlyMode:
		return &sqlerr.ReadOnlyError{Err: err}
	}
	return err
}

// dupKeyName reads the key of "Duplicate entry 'v' for key 'k'". The value
// may hold anything, so the key is found from the end. MySQL 8.0.19 and
// later write the key as 'table.key'; MariaDB writes the bare name, which
// may itself contain a dot, so only the unambiguous 'table.PRIMARY' is
// shortened.
func dupKeyName(msg string) string {
	const marker = " for key '"
	i := strings.LastIndex(msg, marker)
	if i < 0 || !strings.HasSuffix(msg, "'") {
		return ""
	}
	key := msg[i+len(marker) : len(msg)-1]
	if strings.HasSuffix(key, "."+primaryKeyName) {
		return primaryKeyName
	}
	return key
}

// trimAround returns msg without prefix and suffix, or "" if it does not
// have both. Names inside such messages are not escaped, so this is the
// only exact reading.
func trimAround(msg, prefix, suffix string) string {
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) || len(msg) < len(prefix)+len(suffix) {
		return ""
	}
	return msg[len(prefix) : len(msg)-len(suffix)]
}

// between returns the text after the first start up to the last end.
func between(msg, start, end string) string {
	i := strings.Index(msg, start)
	if i < 0 {
		return ""
	}
	rest := msg[i+len(start):]
	j := strings.LastIndex(rest, end)
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// fkNames reads the table and constraint of "... a foreign key constraint
// fails (`db`.`table`, CONSTRAINT `name` FOREIGN KEY ...", left to right,
// so that names holding the message's own words are read right.
func fkNames(msg string) (table, name string) {
	i := strings.Index(msg, " fails (`")
	if i < 0 {
		return "", ""
	}
	_, j := readIdent(msg, i+len(" fails (`"))
	if j < 0 || !strings.HasPrefix(msg[j:], ".`") {
		return "", ""
	}
	table, j = readIdent(msg, j+2)
	if j < 0 || !strings.HasPrefix(msg[j:], ", CONSTRAINT `") {
		return table, ""
	}
	name, _ = readIdent(msg, j+len(", CONSTRAINT `"))
	return table, name
}

// checkNames reads the constraint and table of MariaDB's "CONSTRAINT
// `name` failed for `db`.`table`".
func checkNames(msg string) (name, table string) {
	const prefix = "CONSTRAINT `"
	if !strings.HasPrefix(msg, prefix) {
		return "", ""
	}
	name, j := readIdent(msg, len(prefix))
	if j < 0 || !strings.HasPrefix(msg[j:], " failed for `") {
		return name, ""
	}
	_, j = readIdent(msg, j+len(" failed for `"))
	if j < 0 || !strings.HasPrefix(msg[j:], ".`") {
		return name, ""
	}
	table, _ = readIdent(msg, j+2)
	// A column-level check (the one MariaDB adds to a JSON column) is
	// named table.column in this message, and column in the catalogue.
	if rest, ok := strings.CutPrefix(name, table+"."); ok && table != "" {
		name = rest
	}
	return name, table
}

// readIdent reads a backquoted identifier whose opening backtick is just
// before msg[i].
func readIdent(msg string, i int) (string, int) {
	var b strings.Builder
	for j := i; j < len(msg); j++ {
		if msg[j] == '`' {
			if j+1 < len(msg) && msg[j+1] == '`' {
				b.WriteByte('`')
				j++
				continue
			}
			return b.String(), j + 1
		}
		b.WriteByte(msg[j])
	}
	return "", -1
}

// connError types a failure that is not the server's answer. The driver
// returns driver.ErrBadConn only when nothing was sent (database/sql's
// contract), and mysql.ErrInvalidConn when something may have been.
func connError(err error) error {
	var ne net.Error
	var op *net.OpError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, syscall.ECONNREFUSED),
		errors.As(err, &op) && op.Op == "dial":
		return &sqlerr.ConnError{NotSent: true, Err: err}
	case errors.Is(err, mysql.ErrInvalidConn), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return &sqlerr.ConnError{Err: err}
	}
	return err
}

// Answered reports whether err is the server's answer (a MySQLError): the
// request was refused, not lost. The engine uses it to state that a
// failed COMMIT wrote nothing.
func (*Dialect) Answered(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me)
}

// CommitIgnoresContext reports that the driver's COMMIT does not watch
// the context (it has no context argument): the engine bounds the wait.
func (*Dialect) CommitIgnoresContext() bool { return true }
