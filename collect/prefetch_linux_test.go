package collect

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// TestReadAheadRawMatchesOSFile: small files read ahead on raw descriptors
// (statx) are described exactly as through an *os.File (fstat, then statx
// for owner and times), which is also the path on kernels without statx:
// same mode strings and bits (setuid, setgid, sticky), sizes, times, owners,
// inodes, outcomes and bytes, for small, empty, large and special files.
func TestReadAheadRawMatchesOSFile(t *testing.T) {
	root := t.TempDir()
	files := map[string]struct {
		data string
		mode os.FileMode
	}{
		"plain.log":  {"a line\n", 0o644},
		"empty.log":  {"", 0o600},
		"suid.bin":   {"#!/bin/sh\n", 0o755 | os.ModeSetuid},
		"sgid.bin":   {"x", 0o750 | os.ModeSetgid},
		"sticky.dat": {"y", 0o644 | os.ModeSticky},
		"big.log":    {string(streamedContent()), 0o644},
	}
	for name, f := range files {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, []byte(f.data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("plain.log", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	// Times the reads cannot move (O_NOATIME needs ownership; the test
	// owns its files).
	old := time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)
	for name := range files {
		if err := os.Chtimes(filepath.Join(root, name), old, old); err != nil {
			t.Fatal(err)
		}
	}

	collectWith := func(statx bool) map[string]string {
		saved := useStatx
		useStatx = statx
		defer func() { useStatx = saved }()
		sink := &memSink{}
		if err := (&Files{Include: []string{"/**"}}).Collect(context.Background(), &Env{Root: root, Now: time.Now}, sink); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range sink.recs {
			r.CollectedAt = time.Time{}
			if r.Entry == manifest.EntrySymlink && r.File != nil {
				r.File.Atime = nil // readlink(2) moves a link's atime; no O_NOATIME for it
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			out[string(r.Source)] = string(b) + " " + string(sink.data[string(r.Path)])
		}
		return out
	}
	raw, viaOS := collectWith(true), collectWith(false)
	if len(raw) != len(files)+2 {
		t.Fatalf("%d records, want %d: %v", len(raw), len(files)+2, raw)
	}
	for src, want := range viaOS {
		if raw[src] != want {
			t.Errorf("%s\nraw descriptors: %s\nos.File:         %s", src, raw[src], want)
		}
	}
	var suid manifest.Record
	if err := json.Unmarshal([]byte(raw["/suid.bin"][:len(raw["/suid.bin"])-len(files["suid.bin"].data)-1]), &suid); err != nil {
		t.Fatal(err)
	}
	if suid.File == nil || suid.File.Mode != "urwxr-xr-x" || !suid.File.Mtime.Equal(old) || suid.Outcome != manifest.OutcomeOK {
		t.Errorf("setuid file described as %+v", suid.File)
	}
}
