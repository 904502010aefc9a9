package collect

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/manifest"
)

// openNoFollow opens path read-only, without following a final symlink and
// without updating its access time where the kernel allows (O_NOATIME needs
// ownership or CAP_FOWNER; without it the open is retried plainly).
func openNoFollow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, noFollowFlags|unix.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = os.OpenFile(path, noFollowFlags, 0)
	}
	return f, err
}

// noFollowFlags open read-only, never through a final symlink, never
// blocked on a FIFO put in a file's place.
const noFollowFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK

// openFirst: the files collector may open a file the directory listing
// calls regular before any stat, because O_NOFOLLOW|O_NONBLOCK make that
// open safe (never a link's target, never blocked on a FIFO put in its
// place).
const openFirst = true

// fileMetaOpened describes the open file f (fi from fstat) with statx(2)
// on its descriptor: owner, the four times, inode and link count.
func fileMetaOpened(f *os.File, fi fs.FileInfo) *manifest.FileMeta {
	m := baseMeta(fi)
	done := false
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			var st unix.Statx_t
			if statxFd(int(fd), &st) == nil {
				fillStatx(m, &st)
				done = true
			}
		})
	}
	if !done {
		fillStat(m, fi) // no statx(2): what fstat said
	}
	return m
}

// useStatx is false in tests that take the fallback for kernels without
// statx(2) (before Linux 4.11).
var useStatx = true

// openAndRead opens, describes and, when small, reads a file read ahead on
// raw descriptors: open, statx, the reads, statx again, close. An *os.File
// would add an fstat, a failed epoll registration and a cleanup per file,
// a fifth of the system calls of 20,000 small files. A large or special
// file is handed to the walk as an *os.File; so is every file where statx
// fails (readOpened then describes it as the walk would).
func (x *readAhead) openAndRead() {
	fd, err := openatNoFollow(x.dir.fd, x.name)
	if err != nil {
		x.openErr = &fs.PathError{Op: "open", Path: x.local, Err: err}
		return
	}
	var st unix.Statx_t
	if !useStatx || statxFd(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > readAheadMax {
		x.readOpened(os.NewFile(uintptr(fd), x.local))
		return
	}
	defer unix.Close(fd)
	at := &statxInfo{name: x.name, st: st}
	x.at = at
	x.meta = baseMeta(at)
	fillStatx(x.meta, &st)
	x.readWhole(func(p []byte) (int, error) {
		n, err := retryEINTR(func() (int, error) { return unix.Read(fd, p) })
		switch {
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: x.local, Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}, int(st.Size))
	var after unix.Statx_t
	if statxFd(fd, &after) == nil {
		x.after = &statxInfo{name: at.name, st: after}
	}
}

// openatNoFollow opens name (relative to dirfd) read-only as openNoFollow
// does, and returns the raw descriptor.
func openatNoFollow(dirfd int, name string) (int, error) {
	return openatNoAtime(dirfd, name, noFollowFlags)
}

func statxFd(fd int, st *unix.Statx_t) error { return statxAt(fd, "", unix.AT_EMPTY_PATH, st) }

// statxAt is statx(2) of name relative to dirfd for what a record keeps,
// without syncing a network file system first.
func statxAt(dirfd int, name string, flags int, st *unix.Statx_t) error {
	return unix.Statx(dirfd, name, flags|unix.AT_STATX_DONT_SYNC, unix.STATX_BASIC_STATS|unix.STATX_BTIME, st)
}

func retryEINTR(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// statxInfo is an fs.FileInfo from statx(2).
type statxInfo struct {
	name string
	st   unix.Statx_t
}

func (s *statxInfo) Name() string       { return s.name }
func (s *statxInfo) Size() int64        { return int64(s.st.Size) }
func (s *statxInfo) Mode() fs.FileMode  { return unixFileMode(uint32(s.st.Mode)) }
func (s *statxInfo) ModTime() time.Time { return time.Unix(s.st.Mtime.Sec, int64(s.st.Mtime.Nsec)) }
func (s *statxInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statxInfo) Sys() any           { return &s.st }

// readDirNoAtime is os.ReadDir (following a symlink to the directory,
// entries sorted by name) without updating the directory's access time
// where the kernel allows: a listing is a read, and relatime or
// strictatime would record the collection's visit in every directory it
// lists (O_NOATIME needs ownership or CAP_FOWNER; without it the open is
// retried plainly).
func readDirNoAtime(dir string) ([]os.DirEntry, error) {
	f, err := openDirNoAtime(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	slices.SortFunc(ents, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, err
}

// openDirNoAtime opens a directory for listing as readDirNoAtime does.
func openDirNoAtime(dir string) (*os.File, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
	f, err := os.OpenFile(dir, flags|unix.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = os.OpenFile(dir, flags, 0)
	}
	return f, err
}
