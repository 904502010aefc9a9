package collect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hozen-dfir/hozen/artifact"
	"golang.org/x/sys/unix"
)

// TestUsersFIFO: a FIFO planted where wtmp should be is recorded, never
// opened (an open would block for ever).
func TestUsersFIFO(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "var/log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(root, "var/log/wtmp"), 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	s := runUsers(t, root)
	var hist artifact.LoginFiles
	s.decode(t, "volatile/users/logins.json", &hist)
	f := hist.Files[0]
	if f.Outcome != "error" || len(f.Errors) != 1 || !strings.Contains(f.Errors[0], "not a regular file") || f.File == nil || f.File.Type != "fifo" {
		t.Errorf("fifo wtmp: %+v", f)
	}
}
