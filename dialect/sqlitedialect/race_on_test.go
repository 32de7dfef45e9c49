//go:build race

package sqlitedialect_test

// raceEnabled is true when the race detector instruments the tests.
const raceEnabled = true
