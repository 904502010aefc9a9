package collect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPathSet: every path added is found, none not added is, across
// 200,000 paths that differ in one character, in length, or by a byte
// that is not UTF-8.
func TestPathSet(t *testing.T) {
	s := newPathSet()
	const n = 100_000
	name := func(i int) string { return fmt.Sprintf("/var/log/app/%06d.log", i) }
	for i := 0; i < n; i += 2 {
		s.add(name(i))
	}
	s.add("/etc/\xff")
	for i := range n {
		if got := s.has(name(i)); got != (i%2 == 0) {
			t.Fatalf("%s: has %v", name(i), got)
		}
		if s.has(name(i) + "x") {
			t.Fatalf("%sx found, never added", name(i))
		}
	}
	if !s.has("/etc/\xff") || s.has("/etc/\xfe") || s.has("") {
		t.Error("non-UTF-8 or empty path misreported")
	}
	if len(s.m) != n/2+1 {
		t.Errorf("%d keys, want %d", len(s.m), n/2+1)
	}
}

// TestOverlappingIncludesStoreOnce: a file matched by several includes,
// small or large, is stored once, in the place of its first match.
func TestOverlappingIncludesStoreOnce(t *testing.T) {
	root := t.TempDir()
	big := strings.Repeat("0123456789abcdef", readAheadMax/16+64) // streamed, not read ahead
	for name, data := range map[string]string{"a.log": "a", "b.log": big, "c.txt": "c"} {
		if err := os.MkdirAll(filepath.Join(root, "var/log"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "var/log", name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sink := &memSink{}
	f := &Files{Include: []string{"/var/log/c.txt", "/var/log/**", "/var/log/*.log", "/var/log/b.log"}}
	if err := f.Collect(context.Background(), &Env{Root: root, Now: time.Now}, sink); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range sink.recs {
		got = append(got, string(r.Source))
	}
	if want := "/var/log/c.txt /var/log/a.log /var/log/b.log"; strings.Join(got, " ") != want {
		t.Errorf("stored %q, want %q", strings.Join(got, " "), want)
	}
	if string(sink.data["files/var/log/b.log"]) != big {
		t.Errorf("b.log stored as %d bytes", len(sink.data["files/var/log/b.log"]))
	}
}

// TestSeenOnlyWhatLaterIncludesReach: paths go into the set only while an
// include still to walk can reach them, so one include, or includes under
// separate roots, keep nothing however many files they store; and an
// include that reaches back above an earlier one still stores each file
// once.
func TestSeenOnlyWhatLaterIncludesReach(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"etc/a.conf", "etc/b.conf", "var/log/x.log", "var/log/y.log", "var/z"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		include []string
		stored  int
		kept    int
	}{
		{[]string{"/etc/**"}, 2, 0},
		{[]string{"/etc/**", "/var/log/**"}, 4, 0},
		{[]string{"/var/log/**", "/var/**"}, 3, 2},
		{[]string{"/var/log/*.log", "/etc/**", "/var/log/**"}, 4, 2},
		{[]string{"/etc/**", "/etc/**"}, 2, 2},
	} {
		f := &Files{Include: c.include}
		sink := &memSink{}
		fc := &fileCopier{f: f, env: &Env{Root: root, Now: time.Now}, sink: sink}
		if err := fc.collect(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(sink.recs) != c.stored || len(fc.env.runFiles().seen.m) != c.kept {
			t.Errorf("%v: stored %d, kept %d paths; want %d and %d", c.include, len(sink.recs), len(fc.env.runFiles().seen.m), c.stored, c.kept)
		}
	}
}
