package collect

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/manifest"
)

// openNoFollow opens path read-only, without following a final symlink and
// without updating its access time where the kernel allows (O_NOATIME needs
// ownership or CAP_FOWNER; without it the open is retried plainly).
func openNoFollow(path string) (*os.File, error) {
	flags := os.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK
	f, err := os.OpenFile(path, flags|unix.O_NOATIME, 0)
	if err != nil && os.IsPermission(err) {
		f, err = os.OpenFile(path, flags, 0)
	}
	return f, err
}

// openFirst: the files collector may open a file the directory listing
// calls regular before any stat, because O_NOFOLLOW|O_NONBLOCK make that
// open safe (never a link's target, never blocked on a FIFO put in its
// place).
const openFirst = true

// fileMetaOpened describes the open file f (fi from fstat) with statx(2)
// on its descriptor: owner, the four times, inode and link count.
func fileMetaOpened(f *os.File, path string, fi fs.FileInfo) *manifest.FileMeta {
	m := baseMeta(fi)
	done := false
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			var st unix.Statx_t
			mask := unix.STATX_BASIC_STATS | unix.STATX_BTIME
			if unix.Statx(int(fd), "", unix.AT_EMPTY_PATH|unix.AT_STATX_DONT_SYNC, mask, &st) == nil {
				fillStatx(m, &st)
				done = true
			}
		})
	}
	if !done {
		statMeta(path, fi, m) // by path, as for a file not opened first
	}
	return m
}
