package collect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// writeTree writes files (path -> content) under root; a path ending in
// "@" is a symlink to the content.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(root, strings.TrimSuffix(p, "@"))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if strings.HasSuffix(p, "@") {
			err = os.Symlink(c, full)
		} else {
			err = os.WriteFile(full, []byte(c), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestProcMapsFixture runs the procmaps rules over a fixture /proc: each
// rule fires on the process staged for it, a JIT runtime's anonymous code
// ranks low, and a file really named "... (deleted)" is not taken for a
// deleted one.
func TestProcMapsFixture(t *testing.T) {
	root := t.TempDir()
	// A file whose name ends in " (deleted)": its inode goes in the maps.
	writeTree(t, root, map[string]string{"opt/tool (deleted)": "x"})
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(root, "opt/tool (deleted)"), &st); err != nil {
		t.Fatal(err)
	}
	lib := "7f0000200000-7f0000201000 r-xp 00000000 fe:00 555 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	writeTree(t, root, map[string]string{
		// 10: deleted program from /tmp, injected memfd code, rwx memory.
		"proc/10/comm": "x\n",
		"proc/10/exe@": "/tmp/.x (deleted)",
		"proc/10/maps": "00400000-00401000 r-xp 00000000 00:1f 77 /tmp/.x (deleted)\n" + lib +
			"7f0000000000-7f0000001000 rwxp 00000000 00:00 0 \n" +
			"7f0000100000-7f0000101000 r-xp 00000000 00:01 9 /memfd:inj (deleted)\n" +
			"7ffd1c1f0000-7ffd1c1f2000 r-xp 00000000 00:00 0 [vdso]\n",
		"proc/10/environ": "PATH=/bin\x00",
		// 20: a JIT runtime with anonymous code, and a library upgraded away.
		"proc/20/comm": "java\n",
		"proc/20/exe@": "/usr/lib/jvm/bin/java",
		"proc/20/maps": "00400000-00401000 r-xp 00000000 fe:00 1 /usr/lib/jvm/bin/java\n" +
			"7f0000300000-7f0000301000 r-xp 00000000 fe:00 2 /usr/lib/jvm/lib/server/libjvm.so\n" +
			"7f0000400000-7f0000401000 rwxp 00000000 00:00 0 \n" +
			"7f0000500000-7f0000501000 r-xp 00000000 fe:00 3 /usr/lib/libold.so (deleted)\n",
		// 30: LD_PRELOAD from /dev/shm, the library mapped from there.
		"proc/30/comm":    "sshd\n",
		"proc/30/exe@":    "/usr/sbin/sshd",
		"proc/30/maps":    "00400000-00401000 r-xp 00000000 fe:00 4 /usr/sbin/sshd\n7f0000600000-7f0000601000 r-xp 00000000 00:1a 8 /dev/shm/libk.so\n",
		"proc/30/environ": "A=1\x00LD_PRELOAD=/dev/shm/libk.so\x00",
		// 40: a program named to look deleted.
		"proc/40/comm": "tool\n",
		"proc/40/exe@": "/opt/tool (deleted)",
		"proc/40/maps": fmt.Sprintf("00400000-00401000 r-xp 00000000 fe:00 %d /opt/tool (deleted)\n", st.Ino),
	})
	env := &Env{Root: root, Now: func() time.Time { return fixtureNow }}
	sink := &recSink{}
	pm := &ProcMaps{list: func(*Env) ([]int, error) { return []int{10, 20, 30, 40}, nil }}
	if err := pm.Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var doc artifact.ProcMaps
	sink.decode(t, artifact.PathProcMaps, &doc)
	if doc.Count != 4 {
		t.Fatalf("count %d", doc.Count)
	}
	for _, p := range doc.Processes {
		if p.Raw != artifact.RawMapsPath(p.PID) || len(sink.data[p.Raw]) == 0 {
			t.Errorf("pid %d: raw maps %q not stored", p.PID, p.Raw)
		}
		if p.PID == 40 && (p.ExeDeleted || p.Exe != "/opt/tool (deleted)" || p.Files[0].Deleted) {
			t.Errorf("pid 40, really named so, taken as deleted: %+v", p)
		}
		if p.PID == 10 && (len(p.AnonExec) != 1 || p.AnonExec[0].Perms != "rwxp") {
			t.Errorf("pid 10 anon exec %+v (vdso must not count)", p.AnonExec)
		}
	}
	type key struct {
		rule string
		pid  int
	}
	got := map[key]string{}
	for _, f := range env.Findings.List() {
		got[key{f.Rule, f.PID}] = f.Severity
		if len(f.Evidence) == 0 || !strings.Contains(strings.Join(f.Evidence, " "), fmt.Sprintf("#pid=%d", f.PID)) {
			t.Errorf("%s/%d: evidence %v", f.Rule, f.PID, f.Evidence)
		}
	}
	want := map[key]string{
		{RuleDeletedExe, 10}:     artifact.SeverityHigh,
		{RuleExeInTmp, 10}:       artifact.SeverityHigh,
		{RuleDeletedMapping, 10}: artifact.SeverityHigh, // memfd code
		{RuleAnonExec, 10}:       artifact.SeverityMedium,
		{RuleAnonExec, 20}:       artifact.SeverityLow, // a JIT
		{RuleDeletedMapping, 20}: artifact.SeverityLow, // an upgraded library
		{RuleLDPreloadEnv, 30}:   artifact.SeverityHigh,
		{RuleLibInTmp, 30}:       artifact.SeverityHigh,
	}
	for k, sev := range want {
		if got[k] != sev {
			t.Errorf("%s for pid %d: severity %q, want %q", k.rule, k.pid, got[k], sev)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected finding %s for pid %d", k.rule, k.pid)
		}
	}
}

// TestTmpPlacesFixture walks a fixture's temporary places: an ELF file,
// a script and a file with an execute bit are flagged, plain data is not,
// every file is stored under files/, and the file-count bound is recorded.
func TestTmpPlacesFixture(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"tmp/.hidden/implant": "\x7fELF\x02\x01\x01rest",
		"var/tmp/stage.sh":    "#!/bin/sh\necho hi\n",
		"dev/shm/blob":        "data",
		"run/user/1000/notes": "text",
		"etc/not-a-tmp":       "\x7fELF",
	})
	if err := os.Chmod(filepath.Join(root, "run/user/1000/notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := &Env{Root: root, Now: func() time.Time { return fixtureNow }}
	sink := &recSink{}
	if err := (&TmpPlacesCollector{}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"files/tmp/.hidden/implant", "files/var/tmp/stage.sh", "files/dev/shm/blob", "files/run/user/1000/notes"} {
		if _, ok := sink.data[p]; !ok {
			t.Errorf("%s not stored; have %v", p, sink.order)
		}
	}
	got := map[string]string{}
	for _, f := range env.Findings.List() {
		got[string(f.Path)] = f.Severity
		if f.Rule != RuleExecInTmp || len(f.Evidence) != 1 || f.Evidence[0] != BundlePath(string(f.Path)) {
			t.Errorf("finding %+v", f)
		}
	}
	want := map[string]string{"/tmp/.hidden/implant": "high", "/var/tmp/stage.sh": "medium", "/run/user/1000/notes": "low"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	var sum artifact.TmpPlaces
	sink.decode(t, artifact.PathTmpPlaces, &sum)
	if sum.Files != 4 || sum.Executables != 3 || len(sum.Stopped) != 0 {
		t.Errorf("summary %+v", sum)
	}

	// The file-count bound: stops, and says so.
	env = &Env{Root: root}
	sink = &recSink{}
	writeTree(t, root, map[string]string{"tmp/a1": "", "tmp/a2": "", "tmp/a3": ""})
	if err := (&TmpPlacesCollector{MaxFiles: 2}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	sink.decode(t, artifact.PathTmpPlaces, &sum)
	// /tmp is cut at 2; /dev/shm's and /var/tmp's files are still seen.
	if sum.Files != 5 || len(sum.Stopped) != 1 || !strings.Contains(sum.Stopped[0], "/tmp: stopped after 2 entries") {
		t.Errorf("bounded summary %+v", sum)
	}
	if _, ok := sink.data["files/dev/shm/blob"]; !ok {
		t.Error("a flood in /tmp hid /dev/shm")
	}
	var bounded bool
	for _, f := range env.Findings.List() {
		bounded = bounded || f.Rule == RuleTmpBounded && f.Path == "/tmp"
	}
	if !bounded {
		t.Error("no tmp-walk-bounded finding")
	}
}
