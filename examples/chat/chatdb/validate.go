package chatdb

import (
	"encoding/json"
	"maps"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

func checkLen(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return invalid(field, "not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return invalid(field, "%d characters, at most %d", n, max)
	}
	return nil
}

func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return invalid(field, "not valid UTF-8")
	}
	if len(v) > MaxText {
		return invalid(field, "%d bytes, at most %d", len(v), MaxText)
	}
	return nil
}

func checkTags(field string, tags []string) error {
	if len(tags) > MaxTags {
		return invalid(field, "%d tags, at most %d", len(tags), MaxTags)
	}
	for _, t := range tags {
		if err := checkLen(field, t, MaxTag); err != nil {
			return err
		}
	}
	return nil
}

func checkMetadata(field string, m map[string]any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return invalid(field, "not JSON: %v", err)
	}
	if len(b) > MaxMetadata {
		return invalid(field, "%d bytes of JSON, at most %d", len(b), MaxMetadata)
	}
	return nil
}

func checkID(field string, id uuid.UUID) error {
	if id == uuid.Nil {
		return invalid(field, "missing")
	}
	return nil
}

// first returns the first non-nil error.
func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// now is the time rows are stamped with: UTC, to the microsecond (what
// every database keeps), so that what a caller is given equals what is
// read back.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

func stampPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := stamp(*t)
	return &v
}

// object returns m, or an empty map for nil: metadata columns hold a JSON
// object, never null.
func object(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// merge returns base with patch merged in: keys set, a nil value deleting
// its key, other keys kept. base is not modified.
func merge(base, patch map[string]any) map[string]any {
	out := maps.Clone(object(base))
	for k, v := range patch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}
