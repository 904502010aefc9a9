package main

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/manifest"
)

// meddler changes a file after the collector opened it and before the
// bundle writer reads it, as another process on the host would.
type meddler struct {
	w      *bundle.Writer
	before map[string]func() // by host path
}

func (m *meddler) Put(rec *manifest.Record, body io.Reader) error {
	if f := m.before[string(rec.Source)]; f != nil {
		f()
	}
	return m.w.Put(rec, body)
}

// recordsOf is a bundle.Handler keeping every record.
type recordsOf struct{ recs map[string]*manifest.Record }

func (r *recordsOf) Header(*manifest.Header) error     { return nil }
func (r *recordsOf) Data(*tar.Header, io.Reader) error { return nil }
func (r *recordsOf) Record(rec *manifest.Record) error { r.recs[string(rec.Source)] = rec; return nil }

// TestFaultsIntoBundle: the file-system faults of docs/reliability.md, each
// collected into a real bundle that then verifies intact, with the record
// read back from it saying what happened: a file that grew and one that
// shrank while read, a 1 TiB sparse file, symlink loops, a name that is
// not UTF-8, a FIFO.
func TestFaultsIntoBundle(t *testing.T) {
	root := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 1 MiB each: streamed, not read ahead, so the meddling sink's change
	// lands between open and read (collect's TestReadAheadChangedWhileRead
	// does the same for small files).
	big := strings.Repeat("0123456789abcdef", 1<<16)
	write("grow.log", big)
	write("shrink.log", big)
	write("bad\xffname", "not utf-8\n")
	os.Symlink("loop-b", filepath.Join(root, "loop-a"))
	os.Symlink("loop-a", filepath.Join(root, "loop-b"))
	os.Symlink(".", filepath.Join(root, "self"))
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(root, "sparse.img")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("head"), 0)
	f.WriteAt([]byte("tail"), 1<<40-4)
	f.Close()

	dir := t.TempDir()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	hdr := &manifest.Header{BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", CaseID: "faults", Examiner: "t", StartedAt: t0}
	w, err := bundle.Create(dir, "faults.tar.zst", hdr, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sink := &meddler{w: w, before: map[string]func(){
		"/grow.log": func() {
			g, _ := os.OpenFile(filepath.Join(root, "grow.log"), os.O_APPEND|os.O_WRONLY, 0)
			g.WriteString("more")
			g.Close()
		},
		"/shrink.log": func() { os.Truncate(filepath.Join(root, "shrink.log"), 4) },
	}}
	fc := &collect.Files{Include: []string{"/**"}}
	if err := fc.Collect(context.Background(), &collect.Env{Root: root, Now: time.Now}, sink); err != nil {
		t.Fatal(err)
	}
	s, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bundle of %d bytes", s.Size)
	bf, err := os.Open(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	h := &recordsOf{recs: map[string]*manifest.Record{}}
	res, err := bundle.Verify(bf, bundle.VerifyOptions{Handler: h})
	if err != nil || res.Outcome != bundle.Intact {
		t.Fatalf("verify: %v %s %v", err, res.Outcome, res.Err)
	}
	check := func(src, outcome, entry, words string) {
		t.Helper()
		r := h.recs[src]
		if r == nil {
			t.Errorf("%s: no record", src)
			return
		}
		text := strings.Join(append(append([]string{}, r.Errors...), r.Warnings...), ";")
		t.Logf("%-12q %-8s %-7s size %-5d %s", src, r.Outcome, r.Entry, r.Size, text)
		if r.Outcome != outcome || r.Entry != entry || !strings.Contains(text, words) {
			t.Errorf("%s: outcome %s entry %s, %q; want %s %s %q", src, r.Outcome, r.Entry, text, outcome, entry, words)
		}
	}
	check("/grow.log", manifest.OutcomeChanged, manifest.EntryFile, "grew while read: stored the 1048576 bytes it had at open")
	check("/shrink.log", manifest.OutcomeChanged, manifest.EntryFile, "shrank while read: 4 bytes read of 1048576")
	check("/sparse.img", manifest.OutcomePartial, manifest.EntryFile, "ranges (offset+length): 0+4096 1099511623680+4096")
	check("/loop-a", manifest.OutcomeOK, manifest.EntrySymlink, "")
	check("/loop-b", manifest.OutcomeOK, manifest.EntrySymlink, "")
	check("/self", manifest.OutcomeOK, manifest.EntrySymlink, "")
	check("/bad\xffname", manifest.OutcomeOK, manifest.EntryFile, "")
	check("/fifo", manifest.OutcomeSpecial, manifest.EntryNone, "fifo: metadata only")
	if r := h.recs["/sparse.img"]; r != nil && (r.Size != 8192 || r.File.Size != 1<<40) {
		t.Errorf("sparse: stored %d of apparent %d", r.Size, r.File.Size)
	}
}
