// Package fuzz holds fuzz targets for Strata's parsers in a package whose
// test binary links no database driver. Under go test -fuzz every package
// linked into the test binary is instrumented for coverage, and the
// drivers (the pure-Go SQLite above all) made each input of a target that
// lived beside the database tests cost milliseconds: FuzzParseRevision ran
// a few hundred inputs a minute in package migrate, and thousands a
// second here.
package fuzz
