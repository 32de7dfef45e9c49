// Package entmodels is the ent client of the public go-orm-benchmarks
// workload (package bench's BenchmarkPublic*), generated from ./schema by
// ent's code generator; everything here but generate.go and schema/ is
// generated code. Regenerate it, in the bench module's directory, with
//
//	go generate ./internal/entmodels
package entmodels

//go:generate go tool ent generate ./schema
