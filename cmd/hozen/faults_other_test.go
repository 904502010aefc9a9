//go:build !linux

package main

import "github.com/rogpeppe/go-internal/testscript"

func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("tmpfs: Linux only")
}

func cmdMkdeep(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("mkdeep: Linux only")
}
