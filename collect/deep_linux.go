package collect

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/manifest"
)

// Paths longer than PATH_MAX. The kernel refuses a path of 4096 bytes or
// more in any path call (ENAMETOOLONG), but a directory tree can be deeper
// than that. Where the walk meets such a path it goes on with *at calls:
// it opens the directory one component at a time (each with O_NOFOLLOW, so
// no symlink on the way is followed), then lists, stats, reads links and
// opens files relative to the directory's descriptor. Records are the same
// as for any other file.

func isNameTooLong(err error) bool { return errors.Is(err, syscall.ENAMETOOLONG) }

// walkDeep collects what lies below the directory local (isDir), or the
// one entry local, whose paths are too long for path calls.
func (c *fileCopier) walkDeep(ctx context.Context, g Glob, local, hostPath string, isDir bool) error {
	if err := c.drainAhead(ctx); err != nil {
		return err
	}
	if !isDir {
		fd, err := openDirDeep(filepath.Dir(local))
		if err != nil {
			return c.putError(hostPath, err)
		}
		defer unix.Close(fd)
		return c.deepEntry(ctx, g, fd, filepath.Base(local), hostPath)
	}
	fd, err := openDirDeep(local)
	if err != nil {
		return c.putError(hostPath, err)
	}
	defer unix.Close(fd)
	return c.deepDir(ctx, g, fd, hostPath)
}

// openDirDeep opens the directory local one component at a time.
func openDirDeep(local string) (int, error) {
	start := "."
	if filepath.IsAbs(local) {
		start = "/"
	}
	fd, err := unix.Open(start, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: start, Err: err}
	}
	for part := range strings.SplitSeq(local, "/") {
		if part == "" || part == "." {
			continue
		}
		nfd, err := unix.Openat(fd, part, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return -1, &fs.PathError{Op: "openat", Path: local, Err: err}
		}
		fd = nfd
	}
	return fd, nil
}

// deepDir collects every entry of the open directory dirfd, in name order.
func (c *fileCopier) deepDir(ctx context.Context, g Glob, dirfd int, hostDir string) error {
	dup, err := unix.Dup(dirfd)
	if err != nil {
		return c.putError(hostDir, &fs.PathError{Op: "dup", Path: hostDir, Err: err})
	}
	d := os.NewFile(uintptr(dup), hostDir)
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return c.putError(hostDir, err)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.deepEntry(ctx, g, dirfd, name, hostDir+"/"+name); err != nil {
			return err
		}
	}
	return nil
}

// deepEntry collects the entry name of directory dirfd, at hostPath.
func (c *fileCopier) deepEntry(ctx context.Context, g Glob, dirfd int, name, hostPath string) error {
	if c.excluded(hostPath) {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, syscall.ENOENT) || !(g.Match(hostPath) || g.MayMatchBelow(hostPath)) {
			return nil
		}
		return c.putError(hostPath, &fs.PathError{Op: "fstatat", Path: hostPath, Err: err})
	}
	fi := &statInfo{name: name, st: st}
	if fi.IsDir() {
		if !g.MayMatchBelow(hostPath) {
			return nil
		}
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return c.putError(hostPath, &fs.PathError{Op: "openat", Path: hostPath, Err: err})
		}
		defer unix.Close(fd)
		return c.deepDir(ctx, g, fd, hostPath)
	}
	if !g.Match(hostPath) {
		return nil
	}
	return c.putAt(ctx, dirfd, name, hostPath, fi)
}

// putAt stores one file, link or special file, as put does.
func (c *fileCopier) putAt(ctx context.Context, dirfd int, name, hostPath string, fi *statInfo) error {
	if first, err := c.claim(ctx, hostPath); !first || err != nil {
		return err
	}
	rec := c.record(hostPath)
	meta := func(fi fs.FileInfo) *manifest.FileMeta {
		m := baseMeta(fi)
		statMetaAt(dirfd, name, m)
		return m
	}
	rec.File = meta(fi)
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		buf := make([]byte, 4096)
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			rec.Entry = manifest.EntryNone
			rec.Outcome = outcomeOf(err)
			rec.Errors = []string{(&fs.PathError{Op: "readlinkat", Path: hostPath, Err: err}).Error()}
			return c.sink.Put(rec, nil)
		}
		t := manifest.BString(buf[:n])
		rec.File.LinkTarget = &t
		rec.Entry = manifest.EntrySymlink
		return c.sink.Put(rec, nil)
	case !fi.Mode().IsRegular():
		return c.putSpecial(rec)
	}
	fd, err := openatNoFollow(dirfd, name)
	if err != nil {
		return c.putOpened(ctx, nil, &fs.PathError{Op: "openat", Path: hostPath, Err: err}, fi, rec, meta)
	}
	f := os.NewFile(uintptr(fd), hostPath)
	// putOpened compares what was listed with what was opened by
	// os.SameFile, which knows only its own FileInfo: hand it the opened
	// file's when device and inode match.
	var listed fs.FileInfo = fi
	if at, err := f.Stat(); err == nil {
		if s, ok := at.Sys().(*syscall.Stat_t); ok && s.Dev == fi.st.Dev && s.Ino == fi.st.Ino {
			listed = at
		}
	}
	return c.putOpened(ctx, f, nil, listed, rec, meta)
}

// statInfo is an fs.FileInfo from fstatat(2).
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(int64(s.st.Mtim.Sec), int64(s.st.Mtim.Nsec)) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.st }

func (s *statInfo) Mode() fs.FileMode { return unixFileMode(s.st.Mode) }

// unixFileMode converts a st_mode as the os package does for its FileInfo,
// so that a mode from a raw stat prints and compares the same.
func unixFileMode(mode uint32) fs.FileMode {
	m := fs.FileMode(mode & 0o777)
	switch mode & unix.S_IFMT {
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if mode&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if mode&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// statMetaAt is statMeta relative to a directory descriptor.
func statMetaAt(dirfd int, name string, m *manifest.FileMeta) {
	var st unix.Statx_t
	if err := statxAt(dirfd, name, unix.AT_SYMLINK_NOFOLLOW, &st); err != nil {
		return
	}
	fillStatx(m, &st)
}
