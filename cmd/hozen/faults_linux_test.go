package main

import (
	"os"
	"strconv"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// tmpfs DIR KIB: mounts a tmpfs of KIB KiB on DIR for the rest of the
// script (root only: use [root] before it) and unmounts it at the end.
func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: tmpfs DIR KIB")
	}
	kib, err := strconv.Atoi(args[1])
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Check(syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(kib)+"k"))
	ts.Defer(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
}
