package collect

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// rootDir opens host paths under env.Root the way the host would resolve
// them, symlinks included, but with every symlink (absolute ones too)
// resolved inside the root (openat2 RESOLVE_IN_ROOT): a package database's
// path such as /bin/ls reaches /usr/bin/ls on a merged-/usr host, and a
// link planted in a dead-box image cannot lead outside it. The last
// component is never followed: a symlink put in a package file's place is
// seen as one.
type rootDir struct {
	fd    int
	path  string
	canon string // the root's own canonical path
	// byPath is set where openat2 is missing (before Linux 5.6): paths are
	// then joined to the root and opened with O_NOFOLLOW.
	byPath bool
}

func openRoot(path string) (*rootDir, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	r := &rootDir{fd: fd, path: path}
	r.canon, _ = os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if r.canon == "" {
		r.canon = filepath.Clean(path)
	}
	return r, nil
}

func (r *rootDir) close() { unix.Close(r.fd) }

func (r *rootDir) openat2(hostPath string, flags int, resolve uint64) (int, error) {
	rel := strings.TrimLeft(hostPath, "/")
	if rel == "" {
		rel = "."
	}
	how := func(f int) *unix.OpenHow {
		return &unix.OpenHow{Flags: uint64(f | unix.O_CLOEXEC), Resolve: resolve | unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	}
	noatime := unix.O_NOATIME
	if flags&unix.O_PATH != 0 {
		noatime = 0 // openat2 refuses O_PATH with any other open flag
	}
	fd, err := retryEINTR(func() (int, error) { return unix.Openat2(r.fd, rel, how(flags|noatime)) })
	if errors.Is(err, syscall.EPERM) && noatime != 0 {
		fd, err = retryEINTR(func() (int, error) { return unix.Openat2(r.fd, rel, how(flags)) })
	}
	if errors.Is(err, syscall.ENOSYS) {
		r.byPath = true
	}
	return fd, err
}

// open opens the host path read-only, following symlinks on the way
// inside the root but not a final one, without updating its access time
// where allowed.
func (r *rootDir) open(hostPath string) (*os.File, error) {
	local := filepath.Join(r.path, filepath.FromSlash(hostPath))
	if r.byPath {
		return openNoFollow(local)
	}
	fd, err := r.openat2(hostPath, noFollowFlags, 0)
	if r.byPath {
		return openNoFollow(local)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: local, Err: err}
	}
	return os.NewFile(uintptr(fd), local), nil
}

// canonical returns the host path dir resolves to, all symlinks followed
// inside the root; dir itself when it cannot be resolved.
func (r *rootDir) canonical(dir string) string {
	if r.byPath {
		p, err := filepath.EvalSymlinks(filepath.Join(r.path, dir))
		if err != nil {
			return dir
		}
		return r.hostOf(p)
	}
	fd, err := r.openat2(dir, unix.O_PATH, 0)
	if err != nil {
		return dir
	}
	defer unix.Close(fd)
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return dir
	}
	return r.hostOf(p)
}

func (r *rootDir) hostOf(p string) string {
	if r.canon == "/" {
		return p
	}
	rel, err := filepath.Rel(r.canon, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return p
	}
	return "/" + strings.TrimPrefix(filepath.ToSlash(rel), ".")
}

// isLoop: the open met a symlink it must not follow.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }

// ctimeOf is the inode change time of fi, when the OS gives one.
func ctimeOf(fi fs.FileInfo) *time.Time {
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		t := time.Unix(int64(s.Ctim.Sec), int64(s.Ctim.Nsec)).UTC() // int32 on 386
		return &t
	}
	return nil
}
