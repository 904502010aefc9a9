package collect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// fixtureRoot builds a root for the collectors: proc/ and sys/ from
// testdata/linuxroot, and an etc/ of its own (passwd, group, hosts, and
// resolv.conf as a symlink, as systemd-resolved leaves it).
func fixtureRoot(t testing.TB) string {
	t.Helper()
	src, err := filepath.Abs("../testdata/linuxroot")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, d := range []string{"proc", "sys"} {
		if err := os.Symlink(filepath.Join(src, d), filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/passwd":       "root:x:0:0:root:/root:/bin/bash\nbob:x:1000:1000:Bob:/home/bob:/bin/bash\n",
		"etc/group":        "root:x:0:\nbob:x:1000:\n",
		"etc/hosts":        "127.0.0.1 localhost\n10.6.6.6 update.example.com\n",
		"run/resolv/stub":  "nameserver 127.0.0.53\n",
		"usr/lib/dummy.md": "x\n",
	}
	for p, c := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../run/resolv/stub", filepath.Join(root, "etc/resolv.conf")); err != nil {
		t.Fatal(err)
	}
	return root
}

// fixtureList is the /proc listing of the fixture as the tests want the
// kernel to show it: 400 is hidden, 301 is a thread (never listed), and
// 500 is listed but gone when read.
func fixtureList(*Env) ([]int, error) { return []int{1, 200, 201, 300, 500}, nil }

var fixtureNow = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	sshdBytes    = "\x7fELF fake sshd"
	payloadBytes = "\x7fELF deleted payload"
)

// fixtureExe stands in for /proc/PID/exe: sshd for 200 and 201 (one file,
// so one hash), a deleted file for 300, and an error for the rest. reads
// counts Read calls, to prove the cache.
func fixtureExe(t testing.TB, reads *atomic.Int64) func(*Env, int) (exeFile, error) {
	dir := t.TempDir()
	sshd := filepath.Join(dir, "sshd")
	os.WriteFile(sshd, []byte(sshdBytes), 0o755)
	return func(env *Env, pid int) (exeFile, error) {
		switch pid {
		case 200, 201:
			f, err := os.Open(sshd)
			return countingFile{f, reads}, err
		case 300:
			p := filepath.Join(dir, "payload")
			os.WriteFile(p, []byte(payloadBytes), 0o755)
			f, err := os.Open(p)
			os.Remove(p) // link count 0: deleted, as the kernel would show it
			return countingFile{f, reads}, err
		}
		return openExeLive(env, pid)
	}
}

type countingFile struct {
	*os.File
	n *atomic.Int64
}

func (c countingFile) Read(b []byte) (int, error) { c.n.Add(1); return c.File.Read(b) }

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func collectFixture(t *testing.T, p *Processes) (*memSink, *atomic.Int64) {
	t.Helper()
	root := fixtureRoot(t)
	env := &Env{Root: root, Now: func() time.Time { return fixtureNow }}
	var reads atomic.Int64
	p.list = fixtureList
	p.openExe = fixtureExe(t, &reads)
	sink := &memSink{}
	ctx := context.Background()
	if err := (&Network{list: fixtureList}).Collect(ctx, env, sink); err != nil {
		t.Fatal(err)
	}
	if err := p.Collect(ctx, env, sink); err != nil {
		t.Fatal(err)
	}
	return sink, &reads
}

func TestProcessesFixture(t *testing.T) {
	sink, reads := collectFixture(t, &Processes{})
	var pt artifact.ProcessTable
	sink.decode(t, "volatile/processes/processes.json", &pt)
	boot := time.Unix(1700000000, 0).UTC()
	if pt.BootTime == nil || !pt.BootTime.Equal(boot) || pt.ClockTicks != 100 || pt.Source != "/proc" {
		t.Errorf("table: boot %v ticks %d source %q", pt.BootTime, pt.ClockTicks, pt.Source)
	}
	if !pt.CollectedAt.Equal(fixtureNow) {
		t.Errorf("collected_at %v", pt.CollectedAt)
	}
	byPID := map[int]artifact.Process{}
	var order []int
	for _, p := range pt.Processes {
		byPID[p.PID] = p
		order = append(order, p.PID)
	}
	// Listed in order, then the hidden one.
	if want := []int{1, 200, 201, 300, 500, 400}; !slices.Equal(order, want) {
		t.Fatalf("pids %v, want %v", order, want)
	}
	if pt.Count != 6 || pt.Vanished != 1 {
		t.Errorf("count %d vanished %d", pt.Count, pt.Vanished)
	}

	// init: names, times, argv, fds, namespaces.
	p1 := byPID[1]
	if p1.Name != "systemd" || p1.PPID != 0 || p1.State != "S" || *p1.UID != 0 || p1.User != "root" || p1.EUser != "root" || p1.Group != "root" {
		t.Errorf("pid 1: %+v", p1)
	}
	if want := boot.Add(50 * time.Millisecond); p1.StartTime == nil || !p1.StartTime.Equal(want) || p1.StartTicks != 5 {
		t.Errorf("pid 1 start %v, want %v", p1.StartTime, want)
	}
	if !slices.Equal(p1.Argv, []manifest.BString{"/sbin/init", "splash"}) || p1.Exe != "/usr/lib/systemd/systemd" || p1.ExeDeleted {
		t.Errorf("pid 1 argv %q exe %q", p1.Argv, p1.Exe)
	}
	if p1.ExeHash == nil || p1.ExeHash.Error == "" || p1.ExeHash.SHA256 != "" {
		t.Errorf("pid 1: exe outside a live root must not be followed: %+v", p1.ExeHash)
	}
	if p1.FDCount != 2 || p1.FDs[1].FD != 3 || p1.FDs[1].Target != "socket:[1001]" || p1.FDs[1].SocketInode != 1001 || p1.FDs[0].Target != "/dev/null" {
		t.Errorf("pid 1 fds %+v", p1.FDs)
	}
	if p1.Namespaces["net"] != 4026531993 || p1.Namespaces["pid"] != 4026531836 || len(p1.Namespaces) != 7 {
		t.Errorf("pid 1 ns %v", p1.Namespaces)
	}
	if p1.Cwd != "/" || p1.Root != "/" || !slices.Equal(p1.Environ, []manifest.BString{"HOME=/", "TERM=linux"}) || !slices.Equal(p1.TIDs, []int{1}) {
		t.Errorf("pid 1 cwd %q root %q env %q tids %v", p1.Cwd, p1.Root, p1.Environ, p1.TIDs)
	}
	if p1.Outcome != manifest.OutcomeOK || len(p1.Errors) != 0 {
		t.Errorf("pid 1 outcome %s %v", p1.Outcome, p1.Errors)
	}
	if p1.RSSBytes != 1024*1024 || p1.VSizeBytes != 10485760 || p1.Threads != 1 {
		t.Errorf("pid 1 memory %d %d threads %d", p1.RSSBytes, p1.VSizeBytes, p1.Threads)
	}

	// sshd twice: one binary, one hash, read once.
	for _, pid := range []int{200, 201} {
		h := byPID[pid].ExeHash
		if h == nil || h.SHA256 != sha(sshdBytes) || h.Size != int64(len(sshdBytes)) || h.Hashed != h.Size || h.Truncated {
			t.Errorf("pid %d exe hash %+v", pid, h)
		}
	}
	// The deleted executable, a non-UTF-8 argv, another net namespace.
	p3 := byPID[300]
	if p3.Exe != "/tmp/.x/kworker" || !p3.ExeDeleted || p3.ExeHash == nil || p3.ExeHash.SHA256 != sha(payloadBytes) {
		t.Errorf("pid 300 exe %q deleted %v hash %+v", p3.Exe, p3.ExeDeleted, p3.ExeHash)
	}
	if !slices.Equal(p3.Argv, []manifest.BString{"./kworker", "-c", "\xffbad"}) {
		t.Errorf("pid 300 argv %q", p3.Argv)
	}
	if p3.User != "bob" || *p3.UID != 1000 || *p3.EGID != 1000 || p3.Group != "bob" || p3.PPID != 201 || p3.Namespaces["net"] != 4026532500 {
		t.Errorf("pid 300: %+v", p3)
	}
	if !slices.Equal(p3.TIDs, []int{300, 301}) || p3.Threads != 2 || p3.Cwd != "/tmp/.x" {
		t.Errorf("pid 300 tids %v threads %d cwd %q", p3.TIDs, p3.Threads, p3.Cwd)
	}
	// Byte-exact in the JSON too: the invalid byte travels as base64.
	if !containsBytes(sink.data["volatile/processes/processes.json"], `"b64": "/2JhZA=="`) {
		t.Error(`argv "\xffbad" not stored as {"b64":...}`)
	}
	// Vanished and hidden.
	if p := byPID[500]; p.Outcome != manifest.OutcomeVanished {
		t.Errorf("pid 500: %+v", p)
	}
	if p := byPID[400]; !p.Hidden || p.Name != "rootkitd" || p.Outcome != manifest.OutcomeOK || !slices.Equal(p.Argv, []manifest.BString{"/usr/bin/rootkitd", "--quiet"}) {
		t.Errorf("pid 400: %+v", p)
	}
	if n := reads.Load(); n > 4 {
		// sshd (1 read + EOF) and the payload (1 + EOF): 4 reads at most.
		t.Errorf("%d exe reads: sshd hashed more than once?", n)
	}

	var h artifact.HiddenPIDs
	sink.decode(t, "volatile/findings/hidden_pids.json", &h)
	if h.PIDMax != 600 || h.StatProbedTo != 600 || h.SignalProbedTo != 0 || h.Listed != 5 || h.Threads != 1 {
		t.Errorf("probe: %+v", h)
	}
	if len(h.Hidden) != 1 || h.Hidden[0].PID != 400 || h.Hidden[0].Kind != "process" || h.Hidden[0].Name != "rootkitd" ||
		!slices.Equal(h.Hidden[0].SeenBy, []string{"stat"}) || !h.Hidden[0].ProcEntry {
		t.Errorf("hidden: %+v", h.Hidden)
	}
}

func containsBytes(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func TestProcessesNoEnviron(t *testing.T) {
	sink, _ := collectFixture(t, &Processes{NoEnviron: true, NoExeHash: true})
	var pt artifact.ProcessTable
	sink.decode(t, "volatile/processes/processes.json", &pt)
	for _, p := range pt.Processes {
		if p.Outcome == manifest.OutcomeVanished {
			continue
		}
		if p.Environ != nil || !p.EnvironSkipped || p.ExeHash != nil {
			t.Errorf("pid %d: environ %q skipped %v hash %+v", p.PID, p.Environ, p.EnvironSkipped, p.ExeHash)
		}
	}
	if containsBytes(sink.data["volatile/processes/processes.json"], "hunter2") {
		t.Error("environment leaked with NoEnviron")
	}
}

// TestHiddenNone: with nothing hidden the finding is still written, empty.
func TestHiddenNone(t *testing.T) {
	root := fixtureRoot(t)
	env := &Env{Root: root, Now: func() time.Time { return fixtureNow }}
	sink := &memSink{}
	p := &Processes{list: func(*Env) ([]int, error) { return []int{1, 200, 201, 300, 400}, nil }, NoExeHash: true}
	if err := p.Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var h artifact.HiddenPIDs
	sink.decode(t, "volatile/findings/hidden_pids.json", &h)
	if h.Hidden == nil || len(h.Hidden) != 0 || h.Threads != 1 {
		t.Errorf("%+v", h)
	}
	if !containsBytes(sink.data["volatile/findings/hidden_pids.json"], `"hidden": []`) {
		t.Error("empty finding not written as []")
	}
}
