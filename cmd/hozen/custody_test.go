package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The end-to-end scripts testdata/custody_*.txt run under TestScript
// (main_test.go). This test checks the exit codes of custody commands,
// which scripts only see as failure or success.

// runHozen runs one command line in-process, as main does.
func runHozen(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCustodyExitCodes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "custody.db")
	bundle := filepath.Join(dir, "b.tar.zst")
	if err := os.WriteFile(bundle, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := func(args ...string) []string {
		return append([]string{"custody", "--ledger", db, "record", "--actor", "Alice", "--reason", "r"}, args...)
	}
	ok := []string{"custody", "--ledger", db}
	steps := []struct {
		args []string
		code int
		err  string // in stderr
	}{
		{[]string{"custody", "--ledger", db, "verify"}, exitUsage, "no such ledger"},
		{rec("--action", "transferred"), exitUsage, "needs --to"},
		{rec("--action", "collected"), exitUsage, "recorded by hozen collect"},
		{rec("--action", "note", "--bundle", filepath.Join(dir, "missing")), exitUsage, "missing"},
		{rec("--action", "received", "--bundle", bundle), exitOK, ""},
		{rec("--action", "transferred", "--to", "Bob", "--bundle", bundle), exitOK, ""},
		{rec("--action", "note"), exitOK, ""},
		{append(ok, "verify"), exitOK, ""},
		{append(ok, "verify", "--head", "hozen-custody/1:x:y"), exitUsage, "malformed custody head"},
		{append(ok, "verify", "--head-file", filepath.Join(dir, "none")), exitUsage, "none"},
		{append(ok, "export", "--format", "xml"), exitUsage, "want csv or json"},
		{append(ok, "import", bundle, "--actor", "A"), exitUsage, "not a hozen custody ledger"},
		{append(ok, "import", db, "--actor", "A"), exitUsage, "is a copy of ledger"},
		{append(ok, "nonsense"), exitUsage, "unknown custody command"},
	}
	for _, s := range steps {
		code, _, stderr := runHozen(t, s.args...)
		if code != s.code || !strings.Contains(stderr, s.err) {
			t.Errorf("hozen %s: exit %d, stderr %q; want exit %d and %q", strings.Join(s.args, " "), code, stderr, s.code, s.err)
		}
	}
	code, out, _ := runHozen(t, append(ok, "head")...)
	if code != exitOK {
		t.Fatalf("head: exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	head := lines[len(lines)-1]
	if code, _, stderr := runHozen(t, append(ok, "verify", "--head", head)...); code != exitOK {
		t.Fatalf("verify --head %s: exit %d: %s", head, code, stderr)
	}

	// Only this part needs the sqlite3 CLI, to change a row behind hozen's
	// back.
	t.Run("tampered", func(t *testing.T) {
		testCustodyTamperedExitCodes(t, dir, db, head)
	})
}

// testCustodyTamperedExitCodes: on a ledger whose event 2 was changed,
// every reading command exits 1 naming it, and import refuses it.
func testCustodyTamperedExitCodes(t *testing.T, dir, db, head string) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Skip("needs the sqlite3 CLI to tamper with a ledger")
	}
	ok := []string{"custody", "--ledger", db}
	tamper := exec.Command("sqlite3", db, "DROP TRIGGER events_no_update", "UPDATE events SET actor = 'Mallory' WHERE seq = 2")
	if b, err := tamper.CombinedOutput(); err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, b)
	}
	for _, args := range [][]string{
		append(ok, "verify"), append(ok, "verify", "--json"), append(ok, "verify", "--head", head),
		append(ok, "log"), append(ok, "head"), append(ok, "export", "--format", "csv"),
	} {
		code, _, stderr := runHozen(t, args...)
		if code != exitFailed || !strings.Contains(stderr, "event 2") {
			t.Errorf("hozen %s on a tampered ledger: exit %d, stderr %q; want exit 1 naming event 2", strings.Join(args, " "), code, stderr)
		}
	}
	other := filepath.Join(dir, "lab.db")
	if code, _, stderr := runHozen(t, "custody", "--ledger", other, "import", db, "--actor", "A"); code != exitFailed || !strings.Contains(stderr, "nothing imported") {
		t.Errorf("import of a tampered ledger: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(other); err == nil {
		t.Errorf("a refused import created %s", other)
	}
}

// A record refused for a field the ledger would refuse (bytes that are
// not UTF-8, which argv can carry) creates no ledger: the whole event is
// checked before the file is opened.
func TestCustodyRecordRefusedCreatesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "custody.db")
	code, _, stderr := runHozen(t, "custody", "--ledger", db, "record", "--action", "note",
		"--actor", "Alice", "--reason", "r", "--location", "room \xff2")
	if code != exitUsage || !strings.Contains(stderr, "location is not valid UTF-8") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming the location", code, stderr)
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("a refused record created %s", db)
	}
}
