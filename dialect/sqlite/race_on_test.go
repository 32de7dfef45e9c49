//go:build race

package sqlite_test

// raceEnabled is true when the race detector instruments the tests.
const raceEnabled = true
