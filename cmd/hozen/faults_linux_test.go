package main

import (
	"os"
	"strconv"
	"strings"
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

// mkdeep DIR: makes under DIR a chain of directories 22 deep, 200 bytes a
// name, so that DIR/.../deep.txt is a path longer than PATH_MAX (4096),
// built with *at calls since no path call takes it whole.
func cmdMkdeep(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: mkdeep DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	ts.Check(err)
	seg := strings.Repeat("d", 200)
	for range 22 {
		ts.Check(syscall.Mkdirat(fd, seg, 0o755))
		nfd, err := syscall.Openat(fd, seg, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		ts.Check(err)
		syscall.Close(fd)
		fd = nfd
	}
	ffd, err := syscall.Openat(fd, "deep.txt", syscall.O_CREAT|syscall.O_WRONLY, 0o644)
	ts.Check(err)
	_, err = syscall.Write(ffd, []byte("deep down\n"))
	ts.Check(err)
	syscall.Close(ffd)
	syscall.Close(fd)
}
