package collect

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
)

// fsRoot builds a tree with one file for each file-system rule, and
// plain files beside them.
func fsRoot(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: chown to an unknown uid, a file capability, chattr +i")
	}
	root := t.TempDir()
	write(t, root+"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
	write(t, root+"/etc/group", "root:x:0:\n")
	write(t, root+"/usr/bin/plain", "\x7fELF plain\n")
	write(t, root+"/var/tmp/sh-copy", "\x7fELF a shell\n")
	must(t, unix.Chmod(root+"/var/tmp/sh-copy", 0o4755))
	write(t, root+"/usr/bin/pinger", "\x7fELF ping\n")
	// v2 capability: effective, permitted cap_net_raw (13).
	capv := make([]byte, 20)
	binary.LittleEndian.PutUint32(capv[0:], 0x02000001)
	binary.LittleEndian.PutUint32(capv[4:], 1<<13)
	must(t, unix.Setxattr(root+"/usr/bin/pinger", "security.capability", capv, 0))
	write(t, root+"/etc/pinned", "ssh-ed25519 AAAA attacker\n")
	f, err := os.Open(root + "/etc/pinned")
	must(t, err)
	const fsImmutable = 0x10
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, fsImmutable); err != nil {
		f.Close()
		t.Skipf("chattr +i refused here: %v", err)
	}
	f.Close()
	t.Cleanup(func() {
		if f, err := os.Open(root + "/etc/pinned"); err == nil {
			unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, 0)
			f.Close()
		}
	})
	write(t, root+"/srv/open.sh", "echo\n")
	must(t, os.Chmod(root+"/srv/open.sh", 0o777))
	write(t, root+"/tmp/scratch", "tmp files may be world-writable\n")
	must(t, os.Chmod(root+"/tmp/scratch", 0o666))
	write(t, root+"/srv/orphan", "left by a deleted account\n")
	must(t, os.Chown(root+"/srv/orphan", 4242, 0))
	write(t, root+"/home/u/.cache/.x", "\x7fELF hidden\n")
	must(t, os.Chmod(root+"/home/u/.cache/.x", 0o644)) // ELF, not executable
	write(t, root+"/home/u/.bashrc", "alias ls=ls\n")
	must(t, os.Chmod(root+"/home/u/.bashrc", 0o644))
	write(t, root+"/odd|name\nwith newline", "x")
	must(t, os.Symlink("/usr/bin/plain", root+"/usr/bin/link"))
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestFileSystemFixture(t *testing.T) {
	root := fsRoot(t)
	env := &Env{Root: root, Now: time.Now}
	sink := &recSink{}
	must(t, (&FileSystem{PartBytes: 200}).Collect(context.Background(), env, sink))
	var doc artifact.FileSystem
	sink.decode(t, artifact.PathFileSystem, &doc)
	if len(doc.Bodyfile) < 2 {
		t.Errorf("parts %v: 200-byte parts should make several", doc.Bodyfile)
	}
	flagged := map[string]string{}
	for rule, es := range doc.Flagged {
		for _, e := range es {
			flagged[e.Path] += rule + " "
		}
	}
	want := map[string]string{
		"/var/tmp/sh-copy":  RuleSUID,
		"/usr/bin/pinger":   RuleCapabilities,
		"/etc/pinned":       RuleImmutable,
		"/srv/open.sh":      RuleWorldWritable,
		"/srv/orphan":       RuleUnowned,
		"/home/u/.cache/.x": RuleHiddenExec,
	}
	for p, r := range want {
		if strings.TrimSpace(flagged[p]) != r {
			t.Errorf("%s: flagged %q, want %q", p, flagged[p], r)
		}
	}
	for _, p := range []string{"/tmp/scratch", "/home/u/.bashrc", "/usr/bin/plain"} {
		if flagged[p] != "" {
			t.Errorf("%s flagged %q", p, flagged[p])
		}
	}
	if len(flagged) != len(want) {
		t.Errorf("flagged %v", flagged)
	}
	// The SUID copy outside any package (no dpkg here) and in a temp dir.
	for _, f := range env.findings().List() {
		if f.Rule == RuleSUID && f.Severity != artifact.SeverityMedium {
			t.Errorf("SUID without a package database: %s", f.Severity)
		}
	}
	// The parts, concatenated, read by the real mactime.
	var all []byte
	for _, p := range doc.Bodyfile {
		all = append(all, sink.data[p]...)
	}
	if n := bytes.Count(all, []byte("\n")); int64(n) != doc.Files {
		t.Errorf("%d lines, %d files", n, doc.Files)
	}
	mactime, err := exec.LookPath("mactime")
	if err != nil {
		t.Skip("no mactime (apt-get install sleuthkit)")
	}
	body := filepath.Join(t.TempDir(), "body")
	must(t, os.WriteFile(body, all, 0o600))
	out, err := exec.Command(mactime, "-b", body, "-d", "-z", "UTC").CombinedOutput()
	if err != nil {
		t.Fatalf("mactime: %v\n%s", err, out)
	}
	for _, s := range []string{",r/rrwsr-xr-x,0,0,", "/var/tmp/sh-copy", "/usr/bin/link -> /usr/bin/plain", `/odd\x7cname\x0awith newline`, ",r/rrwxr-xr-x,4242,0,"} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("mactime output lacks %q:\n%s", s, out)
		}
	}
}

// The walk holds one directory batch, the statx queue and one bodyfile
// part, whatever the number of files: the heap after walking N files is about that after
// N/10. HOZEN_FS_FILES sets N (make bench: 1,000,000, made in /dev/shm).
func TestFileSystemMemoryFlat(t *testing.T) {
	s := os.Getenv("HOZEN_FS_FILES")
	if s == "" {
		t.Skip("set HOZEN_FS_FILES=1000000 (make bench does, in /dev/shm) or 100000: making the files takes a while")
	}
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	heap := func(files int) uint64 {
		root := t.TempDir()
		for d := 0; d*1000 < files; d++ {
			dir := filepath.Join(root, "d"+strconv.Itoa(d))
			must(t, os.MkdirAll(dir, 0o755))
			for i := 0; i < 1000 && d*1000+i < files; i++ {
				fd, err := unix.Open(dir+"/f"+strconv.Itoa(i), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
				must(t, err)
				unix.Close(fd)
			}
		}
		var peak uint64
		sink := &countSink{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			must(t, (&FileSystem{}).Collect(context.Background(), &Env{Root: root}, sink))
		}()
		// Often: a walk of 10,000 files is over in tens of milliseconds.
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return peak
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}
	small, large := heap(n/10), heap(n)
	t.Logf("peak heap in use: %d KiB at %d files, %d KiB at %d files", small>>10, n/10, large>>10, n)
	if large > small+48<<20 {
		t.Errorf("heap grew with the files walked: %d KiB -> %d KiB", small>>10, large>>10)
	}
}
