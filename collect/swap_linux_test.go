package collect

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/manifest"
)

// swapFixture makes root/tree/p/sub/fNNNN (n files, "inside") and
// root/outside/sub/fNNNN (same names, "OUTSIDE" content): what a swap of
// tree/p for a symlink to ../outside would leak.
func swapFixture(t *testing.T, n int) (root string) {
	t.Helper()
	root = t.TempDir()
	for _, d := range []string{"tree/p/sub", "outside/sub"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		name := fmt.Sprintf("f%05d", i)
		if err := os.WriteFile(filepath.Join(root, "tree/p/sub", name), fmt.Appendf(nil, "inside %d\n", i), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "outside/sub", name), fmt.Appendf(nil, "OUTSIDE secret %d\n", i), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// noOutsideBytes fails the test for any record holding bytes of the
// outside tree; it returns how many records are not ok.
func noOutsideBytes(t *testing.T, sink *memSink) (notOK int) {
	t.Helper()
	for _, r := range sink.recs {
		if b := sink.data[string(r.Path)]; bytes.Contains(b, []byte("OUTSIDE")) {
			t.Errorf("%s (outcome %s) holds bytes from outside the tree: %q", r.Path, r.Outcome, b)
		}
		if r.Outcome != manifest.OutcomeOK {
			notOK++
		}
	}
	return notOK
}

// TestFilesParentSwappedForSymlink: while the files of tree/p/sub are
// being read, tree/p is renamed away and a symlink to another directory
// (holding files of the same names) put in its place. Every file is read
// from the directory the walk listed, never through the link.
func TestFilesParentSwappedForSymlink(t *testing.T) {
	root := swapFixture(t, 200)
	var once sync.Once
	aheadOpenedHook = func(string) {
		once.Do(func() {
			if err := os.Rename(filepath.Join(root, "tree/p"), filepath.Join(root, "tree/p.moved")); err != nil {
				t.Error(err)
			}
			if err := os.Symlink("../outside", filepath.Join(root, "tree/p")); err != nil {
				t.Error(err)
			}
		})
	}
	defer func() { aheadOpenedHook = nil }()
	sink := &memSink{}
	collectOne(t, root, sink, "/tree/**")
	noOutsideBytes(t, sink)
	files := 0
	for _, r := range sink.recs {
		if r.Entry == manifest.EntryFile {
			files++
		}
	}
	if files != 200 {
		t.Errorf("%d files stored, want the 200 listed", files)
	}
}

// TestFilesParentSwapRace: a goroutine swaps tree/p with a symlink to a
// directory outside (renameat2 RENAME_EXCHANGE, atomically, in a loop)
// while thousands of files below it are collected. No record holds bytes
// from outside the tree, whatever its outcome.
func TestFilesParentSwapRace(t *testing.T) {
	const n = 2000
	root := swapFixture(t, n)
	p, lnk := filepath.Join(root, "tree/p"), filepath.Join(root, "tree/p.lnk")
	if err := os.Symlink("../outside", lnk); err != nil {
		t.Fatal(err)
	}
	if err := unix.Renameat2(unix.AT_FDCWD, p, unix.AT_FDCWD, lnk, unix.RENAME_EXCHANGE); err != nil {
		t.Skipf("no RENAME_EXCHANGE here: %v", err)
	}
	unix.Renameat2(unix.AT_FDCWD, p, unix.AT_FDCWD, lnk, unix.RENAME_EXCHANGE) // back
	var stop atomic.Bool
	var swaps atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			if unix.Renameat2(unix.AT_FDCWD, p, unix.AT_FDCWD, lnk, unix.RENAME_EXCHANGE) == nil {
				swaps.Add(1)
			}
		}
	}()
	for round := range 2 {
		sink := &memSink{}
		collectWithin(t, &Files{Include: []string{"/tree/**"}}, root, sink, 2*time.Minute, "collection hung")
		notOK := noOutsideBytes(t, sink)
		t.Logf("round %d: %d records, %d not ok, %d swaps so far", round, len(sink.recs), notOK, swaps.Load())
	}
	stop.Store(true)
	<-done
}

// TestFilesDirReplacedBetweenListingAndOpening: a directory replaced by
// another one between its listing and its opening is not walked; its
// record is "changed" and names both identities.
func TestFilesDirReplacedBetweenListingAndOpening(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "tree/d"), 0o755)
	os.WriteFile(filepath.Join(root, "tree/d/in"), []byte("inside\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "other"), 0o755)
	os.WriteFile(filepath.Join(root, "other/in"), []byte("OUTSIDE\n"), 0o644)
	dirOpenedHook = func(local string) {
		if filepath.Base(local) == "d" {
			os.Rename(filepath.Join(root, "tree/d"), filepath.Join(root, "d.old"))
			os.Rename(filepath.Join(root, "other"), filepath.Join(root, "tree/d"))
		}
	}
	defer func() { dirOpenedHook = nil }()
	sink := &memSink{}
	collectOne(t, root, sink, "/tree/**")
	noOutsideBytes(t, sink)
	r := sink.find(t, "/tree/d")
	msg := strings.Join(r.Errors, ";")
	if r.Outcome != manifest.OutcomeChanged || r.Entry != manifest.EntryNone || strings.Count(msg, "ino ") != 2 {
		t.Errorf("replaced directory: %+v", r)
	}
}

// TestFilesIncludeCrossesSymlink: an include whose literal path crosses
// a symlink gets a record of the link saying so; nothing behind it is
// collected.
func TestFilesIncludeCrossesSymlink(t *testing.T) {
	root := swapFixture(t, 3)
	if err := os.Symlink("../outside", filepath.Join(root, "tree/x")); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	collectOne(t, root, sink, "/tree/x/sub/**")
	noOutsideBytes(t, sink)
	if len(sink.recs) != 1 {
		t.Fatalf("%d records, want the link's", len(sink.recs))
	}
	r := sink.find(t, "/tree/x")
	if r.Entry != manifest.EntrySymlink || !strings.Contains(strings.Join(r.Warnings, ";"), `crosses a symlink at /tree/x -> "../outside"`) {
		t.Errorf("crossing: %+v", r)
	}
}

var _ = context.Background
