package collect

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
)

// copyTree copies the tree src into dst: directories, regular files with
// their modes and modification times, symlinks as symlinks.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			return os.MkdirAll(to, fi.Mode().Perm()|0o700)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case fi.Mode().IsRegular():
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, in); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
			return os.Chtimes(to, fi.ModTime(), fi.ModTime())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTriageFileCollectorsNoAtime: the file-reading collectors of the
// triage profile (persistence, packages with its dpkg database, the
// temporary places, container runtimes' state, users' logs, the
// executables' hashes),
// run over one fixture root on a strictatime file system, move the access
// time of no file and no directory they read or list.
func TestTriageFileCollectorsNoAtime(t *testing.T) {
	root := strictatimeDir(t)
	persist, now := persistTree(t)
	copyTree(t, persist, root)
	copyTree(t, dpkgRoot(t), root)
	containers, err := filepath.Abs("testdata/containers/root")
	if err != nil {
		t.Fatal(err)
	}
	copyTree(t, containers, root)
	for p, c := range map[string]string{
		"/tmp/dropper.sh":          "#!/bin/sh\necho dropped\n",
		"/tmp/.hidden/payload":     "\x7fELF payload\n",
		"/var/tmp/notes.txt":       "just text\n",
		"/dev/shm/x":               "\x7fELF in shm\n",
		"/run/user/1000/app/state": "state\n",
		"/usr/sbin/sshd":           "\x7fELF sshd\n",
		"/usr/local/bin/tool":      "\x7fELF tool\n",
		"/usr/bin/fakeprog3":       "\x7fELF replaced\n", // fails its MD5
	} {
		write(t, root+p, c)
	}
	ageAll(t, root)
	if n := checkAged(t, root); n < 100 {
		t.Fatalf("fixture has %d entries", n)
	}
	env := &Env{Root: root, Now: func() time.Time { return now }}
	collectors := []Collector{&Containers{}, &TmpPlacesCollector{}, &Users{}, &Persistence{}, &Packages{}, &ExeHashes{}}
	sink := &recSink{}
	if _, err := Run(context.Background(), env, collectors, sink); err != nil {
		t.Fatal(err)
	}
	// The collectors did read the fixture: each found what it plants.
	for _, rule := range []string{RuleExecInTmp, "persistence-download-exec", RulePackageFileModified, RuleContainerPrivileged} {
		if len(findingsOf(env, rule)) == 0 {
			t.Errorf("no %s finding: the collector did not read its part of the fixture", rule)
		}
	}
	var tp artifact.TmpPlaces
	sink.decode(t, artifact.PathTmpPlaces, &tp)
	if tp.Files < 5 {
		t.Errorf("tmpplaces listed %d entries, want at least 5", tp.Files)
	}
	checkAgedButLinks(t, root)
}

// checkAgedButLinks is checkAged for everything but symlinks: the kernel
// moves a symlink's atime whenever it is read (readlink) or followed, and
// no flag prevents it, so a collector that records or resolves a link
// cannot keep that one time.
func checkAgedButLinks(t *testing.T, root string) {
	t.Helper()
	var moved []string
	eachFd(t, root, func(_ int, _, p string, st *unix.Stat_t) {
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return
		}
		if at := time.Unix(st.Atim.Unix()); !at.Equal(oldAtime) {
			moved = append(moved, fmt.Sprintf("%.100s: atime %s", p, at.UTC().Format(time.RFC3339)))
		}
	})
	if len(moved) > 0 {
		t.Errorf("access times moved:\n%s", strings.Join(moved, "\n"))
	}
}
