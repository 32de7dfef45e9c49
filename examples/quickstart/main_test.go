package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, filepath.Join(t.TempDir(), "q.db")); err != nil {
		t.Fatal(err)
	}
	want := `creating 2 tables with 3 statements
ann@example.com in core (lead: true)
cy@example.com in core (lead: false)
duplicate email: unique constraint uq_users_email
missing user: not found = true
users left after deleting the team: 0
schema differences after a round trip: 0
dropped everything
`
	if out.String() != want {
		t.Fatalf("quickstart printed:\n%s\nwant:\n%s", out.String(), want)
	}
}
