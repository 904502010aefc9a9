//go:build unix

package collect

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

func (s *memSink) find(t *testing.T, hostPath string) *manifest.Record {
	t.Helper()
	for _, r := range s.recs {
		if string(r.Source) == hostPath {
			return r
		}
	}
	t.Fatalf("no record for %s; have %d records", hostPath, len(s.recs))
	return nil
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pat, path string
		match     bool
	}{
		{"/var/log/**", "/var/log/syslog", true},
		{"/var/log/**", "/var/log/apt/history.log", true},
		{"/var/log/**", "/var/logs/x", false},
		{"/var/log/*.log", "/var/log/a.log", true},
		{"/var/log/*.log", "/var/log/sub/a.log", false},
		{"/home/*/.ssh/authorized_keys", "/home/ana/.ssh/authorized_keys", true},
		{"/home/**/authorized_keys", "/home/authorized_keys", true},
		{"/etc/cron.d/*", "/etc/cron.d/job", true},
		{"/etc/passwd", "/etc/passwd", true},
		{"/etc/passwd", "/etc/passwd-", false},
	}
	for _, c := range cases {
		g, err := ParseGlob(c.pat)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Match(c.path); got != c.match {
			t.Errorf("%s ~ %s = %v, want %v", c.pat, c.path, got, c.match)
		}
	}
	g, _ := ParseGlob("/var/log/*.log")
	if !g.MayMatchBelow("/var") || !g.MayMatchBelow("/var/log") || g.MayMatchBelow("/var/log/sub") || g.MayMatchBelow("/etc") {
		t.Error("MayMatchBelow prunes wrongly")
	}
	if g.Base() != "/var/log" {
		t.Errorf("base %q", g.Base())
	}
	for _, bad := range []string{"relative/*", "/a/../b", "/a/x**y", "/a/[z"} {
		if _, err := ParseGlob(bad); err == nil {
			t.Errorf("ParseGlob(%q) accepted", bad)
		}
	}
}

// fixtureTree builds a small host tree under a temp root.
func fixtureTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mk := func(p, content string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("var/log/syslog", "line one\nline two\n")
	mk("var/log/big.log", strings.Repeat("x", 5000))
	mk("var/log/apt/history.log", "apt\n")
	mk("var/log/skip.gz", "compressed")
	mk("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "var/log/link")); err != nil {
		t.Fatal(err)
	}
	// A link on the way to a pattern's base is recorded, not followed.
	if err := os.Symlink("/etc", filepath.Join(root, "etc-link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "var/log/pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestFilesCollector(t *testing.T) {
	root := fixtureTree(t)
	sink := &memSink{}
	f := &Files{Group: "logs", Include: []string{"/var/log/**", "/etc-link/passwd", "/nonexistent/**"}, Exclude: []string{"/var/log/*.gz"}, MaxFileBytes: 1000}
	collectWithin(t, f, root, sink, 30*time.Second, "collecting a FIFO hung")

	if r := sink.find(t, "/var/log/syslog"); r.Entry != manifest.EntryFile || r.Outcome != manifest.OutcomeOK ||
		string(r.Path) != "files/var/log/syslog" || r.Collector != "logs" || r.File == nil || r.File.Inode == 0 || r.File.Ctime == nil {
		t.Errorf("syslog record: %+v", r)
	}
	if got := sink.data["files/var/log/syslog"]; string(got) != "line one\nline two\n" {
		t.Errorf("syslog data %q", got)
	}
	if r := sink.find(t, "/var/log/apt/history.log"); r.Entry != manifest.EntryFile {
		t.Errorf("nested file not collected: %+v", r)
	}
	big := sink.find(t, "/var/log/big.log")
	if big.Size != 1000 || big.Outcome != manifest.OutcomePartial || !strings.Contains(strings.Join(big.Warnings, ";"), "capped at 1000 of 5000") {
		t.Errorf("cap: %+v", big)
	}
	link := sink.find(t, "/var/log/link")
	if link.Entry != manifest.EntrySymlink || link.File.LinkTarget == nil || *link.File.LinkTarget != "/etc/passwd" {
		t.Errorf("link: %+v", link)
	}
	pipe := sink.find(t, "/var/log/pipe")
	if pipe.Entry != manifest.EntryNone || pipe.Outcome != manifest.OutcomeSpecial || pipe.File.Type != "fifo" {
		t.Errorf("fifo: %+v", pipe)
	}
	on := sink.find(t, "/etc-link")
	if on.Entry != manifest.EntrySymlink || *on.File.LinkTarget != "/etc" {
		t.Errorf("link on the way: %+v", on)
	}
	for _, r := range sink.recs {
		if strings.HasSuffix(string(r.Source), ".gz") {
			t.Errorf("excluded file collected: %s", r.Source)
		}
		if string(r.Source) == "/etc/passwd" || string(r.Source) == "/etc-link/passwd" {
			t.Errorf("followed a symlink: %s", r.Source)
		}
	}
}

func TestFilesBudget(t *testing.T) {
	root := fixtureTree(t)
	sink := &memSink{}
	env := &Env{Root: root, Now: time.Now, Budget: NewBudget(30)}
	f := &Files{Include: []string{"/var/log/*"}, Exclude: []string{"/var/log/pipe"}}
	if err := f.Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var stored int64
	var refused int
	for _, r := range sink.recs {
		stored += r.Size
		if r.Entry == manifest.EntryNone && strings.Contains(strings.Join(r.Errors, ";"), "budget") {
			refused++
		}
	}
	if stored > 30 || refused == 0 {
		t.Errorf("budget of 30: stored %d, refused %d", stored, refused)
	}
}

func TestFilesChangedWhileRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "grow.log")
	content := streamedContent() // streamed: the sink's append lands while it is read
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sink := &growSink{path: p}
	f := &Files{Include: []string{filepath.ToSlash(p)}}
	if err := f.Collect(context.Background(), &Env{Root: "/"}, sink); err != nil {
		t.Fatal(err)
	}
	r := sink.rec
	if r.Size != int64(len(content)) || r.Outcome != manifest.OutcomeChanged || !strings.Contains(strings.Join(r.Warnings, ";"), "grew while read") {
		t.Errorf("grown file: %+v", r)
	}
}

// growSink appends to the file between the read and the report.
type growSink struct {
	path string
	rec  *manifest.Record
}

func (s *growSink) Put(rec *manifest.Record, body io.Reader) error {
	b, _ := io.ReadAll(io.LimitReader(body, rec.Size))
	rec.BytesRead = int64(len(b))
	f, _ := os.OpenFile(s.path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("more"))
	f.Close()
	body.(Reporter).Report(rec)
	s.rec = rec
	return nil
}

// TestFilesKcore: a /proc file that claims to be huge (a memory image such
// as /proc/kcore) gets a metadata record and is never read.
func TestFilesKcore(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(root, "proc/kcore"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil { // sparse: 1 TiB apparent
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(root, "proc/version"), []byte("Linux version 6\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	fc := &Files{Include: []string{"/proc/kcore", "/proc/version"}}
	if err := fc.Collect(context.Background(), &Env{Root: root}, sink); err != nil {
		t.Fatal(err)
	}
	k := sink.find(t, "/proc/kcore")
	if k.Entry != manifest.EntryNone || k.Outcome != manifest.OutcomeSpecial || k.Size != 0 {
		t.Errorf("kcore: %+v", k)
	}
	v := sink.find(t, "/proc/version")
	if v.Entry != manifest.EntryFile || string(sink.data["files/proc/version"]) != "Linux version 6\n" {
		t.Errorf("version: %+v", v)
	}
}

// collectWithin runs f over the tree at root into sink, and fails the test
// with hung if it has not returned within limit.
func collectWithin(t *testing.T, f *Files, root string, sink Sink, limit time.Duration, hung string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f.Collect(context.Background(), &Env{Root: root, Now: time.Now}, sink) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(limit):
		t.Fatal(hung)
	}
}
