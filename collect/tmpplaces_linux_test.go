package collect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTmpPlacesSetuid: a set-user-ID or set-group-ID file in a temporary
// place is a high exec-in-tmp finding that says so, above a plain program
// there, whether or not its contents look like a program.
func TestTmpPlacesSetuid(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"var/tmp/x/true": "\x7fELF a copied program",
		"tmp/sgid-data":  "no program",
		"dev/shm/plain":  "\x7fELF plain",
	})
	for p, mode := range map[string]os.FileMode{"var/tmp/x/true": 0o755 | os.ModeSetuid, "tmp/sgid-data": 0o640 | os.ModeSetgid, "dev/shm/plain": 0o755} {
		if err := os.Chmod(filepath.Join(root, p), mode); err != nil {
			t.Fatal(err)
		}
	}
	env := &Env{Root: root, Now: func() time.Time { return fixtureNow }}
	if err := (&TmpPlacesCollector{}).Collect(context.Background(), env, &recSink{}); err != nil {
		t.Fatal(err)
	}
	type got struct {
		sev   string
		score int
		title string
	}
	byPath := map[string]got{}
	for _, f := range findingsOf(env, RuleExecInTmp) {
		byPath[string(f.Path)] = got{f.Severity, f.Score, f.Title}
	}
	suid, sgid, plain := byPath["/var/tmp/x/true"], byPath["/tmp/sgid-data"], byPath["/dev/shm/plain"]
	if suid.sev != "high" || !strings.Contains(suid.title, "set-user-ID") || suid.score <= plain.score {
		t.Errorf("SUID program: %+v (plain program %+v)", suid, plain)
	}
	if sgid.sev != "high" || !strings.Contains(sgid.title, "set-group-ID") {
		t.Errorf("SGID file: %+v", sgid)
	}
	if plain.sev != "high" || strings.Contains(plain.title, "-ID") {
		t.Errorf("plain program: %+v", plain)
	}
}
