package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// walkTree is a tree whose walk crosses batches: directories larger than
// fsBatchMax, files before and after subdirectories, empty and deep
// directories, links, and one world-writable file deep in a large
// directory (the rules must see the entry its line is about).
func walkTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mk := func(p string, n int) {
		must(t, os.MkdirAll(filepath.Join(root, p), 0o755))
		for i := range n {
			must(t, os.WriteFile(filepath.Join(root, p, fmt.Sprintf("f%04d", i)), nil, 0o644))
		}
	}
	mk("a", 3)
	mk("big", 3*fsBatchMax+17)
	mk("big/m", 5)      // a subdirectory among the files of a large one
	mk("big/f0300x", 2) // between two files of the second batch
	mk("empty", 0)
	mk("deep/1/2/3/4/5", 2)
	mk("z", fsBatchMax)
	must(t, os.Symlink("../a/f0000", filepath.Join(root, "z/link")))
	must(t, os.Chmod(filepath.Join(root, "big/f0700"), 0o666))
	return root
}

// bodyPaths is the names of the bodyfile lines, in order, and their inodes.
func bodyPaths(t *testing.T, sink *recSink, doc *artifact.FileSystem) ([]string, []uint64) {
	t.Helper()
	var all []byte
	for _, p := range doc.Bodyfile {
		all = append(all, sink.data[p]...)
	}
	var names []string
	var inos []uint64
	for line := range bytes.Lines(all) {
		f := strings.Split(strings.TrimSuffix(string(line), "\n"), "|")
		if len(f) != 11 {
			t.Fatalf("bodyfile line of %d fields: %q", len(f), line)
		}
		name, _, _ := strings.Cut(f[1], " -> ")
		ino, err := strconv.ParseUint(f[2], 10, 64)
		must(t, err)
		names = append(names, name)
		inos = append(inos, ino)
	}
	return names, inos
}

// TestFileSystemWalkOrder: the pipelined walk writes exactly the lines a
// one-threaded walk would, in its order, each line about the file it
// names, and the rules flag the entry that is flagged.
func TestFileSystemWalkOrder(t *testing.T) {
	root := walkTree(t)
	var want []string
	must(t, walkDir(root, func(p string, d fs.DirEntry, err error) error {
		must(t, err)
		if p == root {
			p = root + "/"
		}
		want = append(want, strings.TrimPrefix(p, root))
		return nil
	}))
	for range 3 { // the workers race differently each time
		sink := &recSink{}
		must(t, (&FileSystem{PartBytes: 4096}).Collect(context.Background(), &Env{Root: root, Now: time.Now}, sink))
		var doc artifact.FileSystem
		sink.decode(t, artifact.PathFileSystem, &doc)
		got, inos := bodyPaths(t, sink, &doc)
		if len(doc.Errors) > 0 {
			t.Errorf("errors: %v", doc.Errors)
		}
		if int64(len(got)) != doc.Files || len(got) != len(want) {
			t.Fatalf("%d lines, %d files counted, %d in the tree", len(got), doc.Files, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("line %d is %s, a one-threaded walk has %s there", i, got[i], want[i])
			}
			fi, err := os.Lstat(root + got[i])
			must(t, err)
			if _, ino, _ := fileDevIno(fi); ino != inos[i] {
				t.Fatalf("line %d names %s but holds inode %d, not its %d", i, got[i], inos[i], ino)
			}
		}
		ww := doc.Flagged[RuleWorldWritable]
		if len(ww) != 1 || ww[0].Path != "/big/f0700" {
			t.Errorf("world-writable flagged: %+v, want /big/f0700 alone", ww)
		}
	}
}

// failSink fails the first bodyfile part it is given.
type failSink struct{ recSink }

var errSinkFull = errors.New("disk full")

func (s *failSink) Put(rec *manifest.Record, body io.Reader) error {
	if strings.HasPrefix(string(rec.Path), artifact.PathBodyfilePrefix) {
		return errSinkFull
	}
	return s.recSink.Put(rec, body)
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	must(t, err)
	return len(ents)
}

// TestFileSystemSinkFails: a sink that fails mid-walk stops the walk, its
// error is the collector's, and every directory descriptor is closed.
func TestFileSystemSinkFails(t *testing.T) {
	root := walkTree(t)
	before := openFDs(t)
	done := make(chan error, 1)
	go func() {
		done <- (&FileSystem{PartBytes: 200}).Collect(context.Background(), &Env{Root: root, Now: time.Now}, &failSink{})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errSinkFull) {
			t.Errorf("collector returned %v, want the sink's error", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the walk hung after its sink failed")
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open before, %d after", before, after)
	}
}

// TestFileSystemMaxFiles: the file bound stops the walk, says so, and
// every file counted has its line.
func TestFileSystemMaxFiles(t *testing.T) {
	root := walkTree(t)
	sink := &recSink{}
	must(t, (&FileSystem{MaxFiles: 300}).Collect(context.Background(), &Env{Root: root, Now: time.Now}, sink))
	var doc artifact.FileSystem
	sink.decode(t, artifact.PathFileSystem, &doc)
	got, _ := bodyPaths(t, sink, &doc)
	if doc.Limit != "files" || doc.Files != 300 || len(got) != 300 {
		t.Errorf("limit %q, %d files, %d lines; want files, 300, 300", doc.Limit, doc.Files, len(got))
	}
}

// TestFileSystemDirReplaced: a directory replaced by another between its
// listing and its opening is not walked, and the error says so.
func TestFileSystemDirReplaced(t *testing.T) {
	root := walkTree(t)
	must(t, os.MkdirAll(filepath.Join(root, "elsewhere/secret"), 0o755))
	dirOpenedHook = func(local string) {
		if filepath.Base(local) == "deep" {
			must(t, os.Rename(filepath.Join(root, "deep"), filepath.Join(root, "deep.old")))
			must(t, os.Rename(filepath.Join(root, "elsewhere"), filepath.Join(root, "deep")))
		}
	}
	defer func() { dirOpenedHook = nil }()
	sink := &recSink{}
	must(t, (&FileSystem{}).Collect(context.Background(), &Env{Root: root, Now: time.Now}, sink))
	var doc artifact.FileSystem
	sink.decode(t, artifact.PathFileSystem, &doc)
	got, _ := bodyPaths(t, sink, &doc)
	for _, p := range got {
		if strings.HasPrefix(p, "/deep/") {
			t.Errorf("walked into the replaced directory: %s", p)
		}
	}
	// (elsewhere, listed before it was moved, is gone when stated.)
	if msg := strings.Join(doc.Errors, "\n"); !strings.Contains(msg, "deep: replaced between listing and opening") {
		t.Errorf("errors: %v", doc.Errors)
	}
	// The other directories were entered as listed.
	if !strings.Contains(strings.Join(got, "\n"), "/big/m/f0004") {
		t.Errorf("a directory was not walked")
	}
}

// TestFileSystemNoAtime: the metadata walk, with the reads its rules make
// (a hidden file's first bytes, capabilities, passwd and group), moves no
// access time on a strictatime file system.
func TestFileSystemNoAtime(t *testing.T) {
	root := strictatimeDir(t)
	write(t, root+"/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
	write(t, root+"/etc/group", "root:x:0:\n")
	write(t, root+"/usr/bin/tool", "\x7fELF tool\n") // executable: its capability is read
	write(t, root+"/home/u/.cache/.x", "\x7fELF hidden\n")
	must(t, os.Chmod(root+"/home/u/.cache/.x", 0o644)) // not executable: its magic is read
	for i := range 600 {
		write(t, fmt.Sprintf("%s/var/lib/many/f%03d", root, i), "x")
	}
	ageAll(t, root)
	if n := checkAged(t, root); n < 600 {
		t.Fatalf("fixture has %d entries", n)
	}
	sink := &recSink{}
	must(t, (&FileSystem{}).Collect(context.Background(), &Env{Root: root, Now: time.Now}, sink))
	var doc artifact.FileSystem
	sink.decode(t, artifact.PathFileSystem, &doc)
	if len(doc.Flagged[RuleHiddenExec]) != 1 {
		t.Errorf("the hidden ELF was not read: %+v", doc.Flagged)
	}
	checkAged(t, root)
}
