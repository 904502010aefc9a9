package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// exeRoot is a root with three programs in /usr/bin, a data file beside
// them, and a process running one of them.
func exeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		write(t, root+"/usr/bin/"+n, "\x7fELF program "+n+"\n")
	}
	write(t, root+"/usr/bin/data", "not a program\n")
	must(t, os.Chmod(root+"/usr/bin/data", 0o644))
	must(t, os.MkdirAll(root+"/proc/7", 0o755))
	must(t, os.Symlink("/usr/bin/b", root+"/proc/7/exe"))
	return root
}

func runExeHashes(t *testing.T, env *Env, e *ExeHashes) *artifact.ExeHashes {
	t.Helper()
	sink := &recSink{}
	must(t, e.Collect(context.Background(), env, sink))
	var doc artifact.ExeHashes
	sink.decode(t, artifact.PathExeHashes, &doc)
	return &doc
}

// Every executable is hashed (on the workers) and nothing says stopped.
func TestExeHashesAll(t *testing.T) {
	root := exeRoot(t)
	doc := runExeHashes(t, &Env{Root: root, Now: time.Now}, &ExeHashes{})
	if len(doc.Files) != 3 || doc.Hashed != 3 || doc.Limit != "" || doc.Stopped != "" {
		t.Fatalf("doc %+v", doc)
	}
	for _, f := range doc.Files {
		want := sha256.Sum256([]byte("\x7fELF program " + f.Path[len("/usr/bin/"):] + "\n"))
		if f.SHA256 != hex.EncodeToString(want[:]) {
			t.Errorf("%s: sha256 %q", f.Path, f.SHA256)
		}
	}
}

// The time budget leaves the programs listed, without a hash, and says
// how many of how many were hashed.
func TestExeHashesTimeBudgetRecorded(t *testing.T) {
	root := exeRoot(t)
	doc := runExeHashes(t, &Env{Root: root, Now: time.Now}, &ExeHashes{HashTime: time.Nanosecond})
	if doc.Limit != "time" || !strings.Contains(doc.Stopped, "time (1ns) budget hit") {
		t.Fatalf("doc %+v", doc)
	}
	hashed := 0
	for _, f := range doc.Files {
		if f.SHA256 != "" {
			hashed++
		}
	}
	if hashed != doc.Hashed || !strings.Contains(doc.Stopped, "executables hashed") {
		t.Fatalf("hashed %d, doc %+v", hashed, doc)
	}
}

// Running programs first, then those changed recently, then the rest.
func TestExeHashesTier(t *testing.T) {
	root := exeRoot(t)
	now := time.Now()
	// ctime cannot be set back: judge "recent" from 60 days ahead, and
	// move a's mtime to 50 days ahead.
	must(t, os.Chtimes(root+"/usr/bin/a", now, now.Add(50*24*time.Hour)))
	recent := now.Add(60 * 24 * time.Hour).Add(-exeRecent)
	running := runningExes(&Env{Root: root})
	got := map[string]int{}
	for _, n := range []string{"a", "b", "c"} {
		fi, err := os.Lstat(root + "/usr/bin/" + n)
		must(t, err)
		got[n] = exeTier(running, "/usr/bin/"+n, fi, recent)
	}
	if got["b"] != 0 || got["a"] != 1 || got["c"] != 2 {
		t.Fatalf("tiers %v (want b 0 running, a 1 recent, c 2)", got)
	}
}
