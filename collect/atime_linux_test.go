package collect

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// strictatimeDir mounts a tmpfs with strictatime (every read moves
// atime, unlike relatime) on a temporary directory, or skips the test
// where mounting is not allowed.
func strictatimeDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_STRICTATIME, "size=64m"); err != nil {
		t.Skipf("cannot mount a strictatime tmpfs here: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

var oldAtime = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// eachFd calls fn for root and everything below it, each by its
// directory's descriptor (paths may be longer than PATH_MAX), listing
// directories with O_NOATIME (which root may use), so that the listing
// itself moves no atime.
func eachFd(t *testing.T, root string, fn func(dirfd int, name, p string, st *unix.Stat_t)) {
	t.Helper()
	var visit func(dirfd int, name, p string)
	visit = func(dirfd int, name, p string) {
		var st unix.Stat_t
		if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Error(err)
			return
		}
		fn(dirfd, name, p, &st)
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return
		}
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOATIME, 0)
		if err != nil {
			t.Error(err)
			return
		}
		f := os.NewFile(uintptr(fd), p)
		defer f.Close()
		names, err := f.Readdirnames(-1)
		if err != nil {
			t.Error(err)
		}
		for _, nm := range names {
			visit(fd, nm, p+"/"+nm)
		}
	}
	visit(unix.AT_FDCWD, root, root)
}

// ageAll sets the access time of everything under root (root included,
// links not followed) to oldAtime.
func ageAll(t *testing.T, root string) {
	t.Helper()
	ts := []unix.Timespec{unix.NsecToTimespec(oldAtime.UnixNano()), {Nsec: unix.UTIME_OMIT}}
	eachFd(t, root, func(dirfd int, name, p string, _ *unix.Stat_t) {
		if err := unix.UtimesNanoAt(dirfd, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
	})
}

// checkAged fails for every path under root whose atime is not oldAtime
// any more, and returns how many it checked.
func checkAged(t *testing.T, root string) (n int) {
	t.Helper()
	var moved []string
	eachFd(t, root, func(_ int, _, p string, st *unix.Stat_t) {
		n++
		if at := time.Unix(st.Atim.Unix()); !at.Equal(oldAtime) {
			moved = append(moved, fmt.Sprintf("%.100s: atime %s", p, at.UTC().Format(time.RFC3339)))
		}
	})
	if len(moved) > 0 {
		t.Errorf("access times moved:\n%s", strings.Join(moved, "\n"))
	}
	return n
}

// TestFilesNoAtime: a collection of a tree on a strictatime file system
// moves the access time of none of its files and directories, those it
// lists included.
func TestFilesNoAtime(t *testing.T) {
	root := strictatimeDir(t)
	for _, d := range []string{"etc/ssh", "var/log/apt", "home/u/.cache/x"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config"), []byte("Port 22\n"), 0o644)
	os.WriteFile(filepath.Join(root, "var/log/syslog"), make([]byte, 600<<10), 0o640) // streamed, not read ahead
	os.WriteFile(filepath.Join(root, "var/log/apt/history.log"), []byte("Start-Date\n"), 0o644)
	os.WriteFile(filepath.Join(root, "home/u/.cache/x/y"), []byte("y\n"), 0o600)
	// And a tree deeper than PATH_MAX, which no path call reaches whole.
	fd, err := unix.Open(filepath.Join(root, "home/u"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	seg := strings.Repeat("d", 250)
	for range 20 {
		if err := unix.Mkdirat(fd, seg, 0o755); err != nil {
			t.Fatal(err)
		}
		nfd, err := unix.Openat(fd, seg, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = nfd
	}
	wfd, err := unix.Openat(fd, "deep", unix.O_WRONLY|unix.O_CREAT, 0o644)
	unix.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	unix.Write(wfd, []byte("deep\n"))
	unix.Close(wfd)
	ageAll(t, root)
	if n := checkAged(t, root); n < 30 {
		t.Fatalf("fixture has %d entries", n)
	}
	sink := &memSink{}
	collectOne(t, root, sink, "/**")
	if len(sink.recs) != 6 {
		t.Errorf("%d records, want 6", len(sink.recs))
	}
	checkAged(t, root)
}

// TestLocalZoneNoAtime: a process importing collect, which then uses
// time.Local (formats a local time, asks its zone) and looks up its user
// name, moves the access time of neither the zone file ($TZ) nor the
// passwd file.
func TestLocalZoneNoAtime(t *testing.T) {
	if os.Getenv("HOZEN_TEST_ZONE_CHILD") != "" {
		name, off := time.Now().Zone()
		fmt.Printf("zone %s %d %s user %q\n", name, off, time.Now().Format(time.RFC3339), UserName(os.Getenv("HOZEN_TEST_PASSWD"), 1000))
		os.Exit(0)
	}
	zone := ""
	for _, s := range zoneSources {
		if _, err := os.Stat(s + "Asia/Tokyo"); err == nil {
			zone = s + "Asia/Tokyo"
			break
		}
	}
	if zone == "" {
		t.Skip("no zoneinfo here")
	}
	dir := strictatimeDir(t)
	data, err := os.ReadFile(zone)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "zone"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "passwd"), []byte("root:x:0:0::/root:/bin/sh\nexaminer:x:1000:1000::/home/e:/bin/sh\n"), 0o644)
	ageAll(t, dir)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLocalZoneNoAtime$")
	cmd.Env = append(os.Environ(), "HOZEN_TEST_ZONE_CHILD=1", "TZ="+filepath.Join(dir, "zone"), "HOZEN_TEST_PASSWD="+filepath.Join(dir, "passwd"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "zone JST 32400") || !strings.Contains(string(out), `user "examiner"`) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	checkAged(t, dir)
}
