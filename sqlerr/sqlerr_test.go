package sqlerr_test

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-go/strata/sqlerr"
)

var errDriver = errors.New("driver: boom")

func TestErrNotFoundMatchesSQLErrNoRows(t *testing.T) {
	wrapped := fmt.Errorf("loading user 7: %w", sqlerr.ErrNotFound)
	for name, err := range map[string]error{"bare": sqlerr.ErrNotFound, "wrapped": wrapped} {
		if !errors.Is(err, sqlerr.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("%s: errors.Is ErrNotFound %v, sql.ErrNoRows %v; want both", name,
				errors.Is(err, sqlerr.ErrNotFound), errors.Is(err, sql.ErrNoRows))
		}
		if errors.Is(err, sqlerr.ErrIntegrity) || errors.Is(err, sqlerr.ErrUnsupported) || sqlerr.IsRetryable(err) {
			t.Errorf("%s: ErrNotFound matches another sentinel", name)
		}
	}
	// sql.ErrNoRows itself is not a Strata error: the match is one way.
	if errors.Is(sql.ErrNoRows, sqlerr.ErrNotFound) {
		t.Error("sql.ErrNoRows matches sqlerr.ErrNotFound")
	}
	if got := sqlerr.ErrNotFound.Error(); got != "sqlerr: no rows in result set" {
		t.Errorf("message %q", got)
	}
}

func TestConstraintKindString(t *testing.T) {
	for k, want := range map[sqlerr.ConstraintKind]string{
		sqlerr.UnknownConstraint:   "unknown",
		sqlerr.Unique:              "unique",
		sqlerr.ForeignKey:          "foreign key",
		sqlerr.NotNull:             "not null",
		sqlerr.Check:               "check",
		sqlerr.ConstraintKind(200): "unknown",
	} {
		if got := k.String(); got != want {
			t.Errorf("ConstraintKind(%d).String() = %q, want %q", uint8(k), got, want)
		}
	}
}

func TestIntegrityErrorMatchesAndUnwraps(t *testing.T) {
	ie := &sqlerr.IntegrityError{Kind: sqlerr.Unique, Constraint: "uq_users_email", Table: "users", Err: errDriver}
	err := fmt.Errorf("flush: %w", ie)
	if !errors.Is(err, sqlerr.ErrIntegrity) {
		t.Error("errors.Is(wrapped IntegrityError, ErrIntegrity) is false")
	}
	if !errors.Is(err, errDriver) {
		t.Error("the driver's error is not in the chain")
	}
	var got *sqlerr.IntegrityError
	if !errors.As(err, &got) || got != ie {
		t.Fatal("errors.As does not find the IntegrityError")
	}
	if got.Unwrap() != errDriver {
		t.Error("Unwrap does not return the driver's error")
	}
	if errors.Is(err, sqlerr.ErrNotFound) || errors.Is(err, sqlerr.ErrUnsupported) || sqlerr.IsRetryable(err) {
		t.Error("an IntegrityError matches another sentinel")
	}
	if msg := ie.Error(); msg != "sqlerr: unique constraint uq_users_email violated: driver: boom" {
		t.Errorf("message %q", msg)
	}
	unnamed := &sqlerr.IntegrityError{Kind: sqlerr.ForeignKey, Err: errDriver}
	if msg := unnamed.Error(); !strings.Contains(msg, "foreign key constraint (unnamed) violated") {
		t.Errorf("unnamed constraint message %q", msg)
	}
	// ErrIntegrity alone is not an IntegrityError.
	if errors.As(sqlerr.ErrIntegrity, &got) {
		t.Error("errors.As finds an IntegrityError in ErrIntegrity")
	}
}

func TestIsRetryable(t *testing.T) {
	re := &sqlerr.RetryableError{Reason: "deadlock", Err: errDriver}
	for name, c := range map[string]struct {
		err  error
		want bool
	}{
		"retryable":          {re, true},
		"wrapped":            {fmt.Errorf("commit: %w", re), true},
		"joined":             {errors.Join(errors.New("rollback failed"), re), true},
		"nil":                {nil, false},
		"other":              {errDriver, false},
		"integrity":          {&sqlerr.IntegrityError{Kind: sqlerr.Unique, Err: errDriver}, false},
		"not found":          {sqlerr.ErrNotFound, false},
		"nil driver error":   {&sqlerr.RetryableError{Reason: "busy"}, true},
		"wrapped twice deep": {fmt.Errorf("a: %w", fmt.Errorf("b: %w", re)), true},
	} {
		if got := sqlerr.IsRetryable(c.err); got != c.want {
			t.Errorf("%s: IsRetryable = %v, want %v", name, got, c.want)
		}
	}
	if !errors.Is(re, errDriver) || re.Unwrap() != errDriver {
		t.Error("RetryableError does not unwrap to the driver's error")
	}
	if msg := re.Error(); msg != "sqlerr: deadlock (retry the transaction): driver: boom" {
		t.Errorf("message %q", msg)
	}
}

func TestErrUnsupportedMatchesTheStandardSentinel(t *testing.T) {
	err := sqlerr.Unsupported("mysql", "create a partial index")
	if !errors.Is(err, sqlerr.ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Unsupported(...): Is ErrUnsupported %v, errors.ErrUnsupported %v; want both",
			errors.Is(err, sqlerr.ErrUnsupported), errors.Is(err, errors.ErrUnsupported))
	}
	if !errors.Is(sqlerr.ErrUnsupported, errors.ErrUnsupported) {
		t.Error("sqlerr.ErrUnsupported does not match errors.ErrUnsupported")
	}
	if !errors.Is(fmt.Errorf("migrate: %w", err), errors.ErrUnsupported) {
		t.Error("a wrapped Unsupported error does not match errors.ErrUnsupported")
	}
	// The standard sentinel is not a database's refusal.
	if errors.Is(errors.ErrUnsupported, sqlerr.ErrUnsupported) {
		t.Error("errors.ErrUnsupported matches sqlerr.ErrUnsupported")
	}
	if errors.Is(err, sqlerr.ErrIntegrity) || errors.Is(err, sqlerr.ErrNotFound) || sqlerr.IsRetryable(err) {
		t.Error("an unsupported error matches another sentinel")
	}
	if got, want := err.Error(), "sqlerr: not supported by this database: mysql cannot create a partial index"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func ExampleIsRetryable() {
	// What a dialect returns for a PostgreSQL 40001 or a MariaDB 1213.
	err := fmt.Errorf("commit: %w", &sqlerr.RetryableError{Reason: "serialization failure", Err: errors.New("driver error")})
	fmt.Println(sqlerr.IsRetryable(err))
	fmt.Println(sqlerr.IsRetryable(sqlerr.ErrNotFound))
	// Output:
	// true
	// false
}

func ExampleIntegrityError() {
	var err error = &sqlerr.IntegrityError{Kind: sqlerr.Unique, Constraint: "uq_users_email", Err: errors.New("driver error")}
	var ie *sqlerr.IntegrityError
	if errors.As(err, &ie) {
		fmt.Println(ie.Kind, ie.Constraint)
	}
	fmt.Println(errors.Is(err, sqlerr.ErrIntegrity))
	// Output:
	// unique uq_users_email
	// true
}
