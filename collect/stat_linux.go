package collect

import (
	"io/fs"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/manifest"
)

// statMeta fills owner, times (birth time where the file system keeps it),
// inode and link count from statx(2), without following a symlink.
func statMeta(path string, fi fs.FileInfo, m *manifest.FileMeta) {
	var st unix.Statx_t
	if err := statxAt(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, &st); err != nil {
		if s, ok := fi.Sys().(*unix.Stat_t); ok {
			m.UID, m.GID = int64Ptr(int64(s.Uid)), int64Ptr(int64(s.Gid))
			m.Inode, m.Nlink = s.Ino, uint64(s.Nlink)
		}
		return
	}
	fillStatx(m, &st)
}

// fillStatx copies what statx(2) returned into m.
func fillStatx(m *manifest.FileMeta, st *unix.Statx_t) {
	ts := func(t unix.StatxTimestamp) *time.Time { return utcPtr(time.Unix(t.Sec, int64(t.Nsec))) }
	m.UID, m.GID = int64Ptr(int64(st.Uid)), int64Ptr(int64(st.Gid))
	m.Inode = st.Ino
	m.Device = unix.Mkdev(st.Dev_major, st.Dev_minor)
	m.Nlink = uint64(st.Nlink)
	m.Blocks = int64(st.Blocks)
	m.Mtime = *ts(st.Mtime)
	m.Atime = ts(st.Atime)
	m.Ctime = ts(st.Ctime)
	if st.Mask&unix.STATX_BTIME != 0 {
		m.Btime = ts(st.Btime)
	}
}
