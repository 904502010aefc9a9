package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ssh"
)

// diffCmds are the testscript commands of diff.txt.
var diffCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"fixroot": cmdFixroot,
}

// fixroot DIR: copies the fixture host tree testdata/linuxroot (its /etc,
// /proc and /var) to DIR, links as links, for collect --root.
func cmdFixroot(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: fixroot DIR")
	}
	src, err := filepath.Abs("../../testdata/linuxroot")
	ts.Check(err)
	dst := ts.MkAbs(args[0])
	ts.Check(filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, 0o644)
		}
		return nil // no FIFO or device in the fixture
	}))
}

// report --diff verifies the reported bundle once, for the report and the
// comparison both: the trust is loaded once, so a skipped allowed_signers
// line is warned of once.
func TestReportDiffReadsBundleOnce(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o700)
	os.WriteFile(filepath.Join(src, "note.txt"), []byte("evidence\n"), 0o600)
	prof := filepath.Join(dir, "files.yaml")
	os.WriteFile(prof, []byte("name: files\ndescription: the files named with --include\ncollectors: []\n"), 0o600)
	var paths []string
	for _, name := range []string{"old", "new"} {
		out := filepath.Join(dir, name)
		var stdout, stderr strings.Builder
		if code := run([]string{"collect", "--profile", prof, "--include", filepath.Join(src, "*"), "--out", out, "--case", "c1"},
			strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("collect: exit %d: %s", code, stderr.String())
		}
		m, _ := filepath.Glob(filepath.Join(out, "*.tar.zst"))
		if len(m) != 1 {
			t.Fatalf("collect wrote %v", m)
		}
		paths = append(paths, m[0])
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
	allowed := filepath.Join(dir, "allowed")
	os.WriteFile(allowed, []byte("ana@lab bogus "+key+"\nana@lab "+key+"\n"), 0o600)
	var stdout, stderr strings.Builder
	// The bundles are unsigned: untrusted, compared with --allow-tampered (exit 1).
	code := run([]string{"report", paths[1], "--diff", paths[0], "--allowed-signers", allowed, "--allow-tampered", "-o", filepath.Join(dir, "r.html")},
		strings.NewReader(""), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("report --diff: exit %d, want 1: %s", code, stderr.String())
	}
	if n := strings.Count(stderr.String(), "the line is skipped"); n != 1 {
		t.Errorf("the skipped allowed_signers line was warned of %d times, want once:\n%s", n, stderr.String())
	}
}
