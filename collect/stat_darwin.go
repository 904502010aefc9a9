package collect

import (
	"io/fs"
	"syscall"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// statMeta fills owner, times, inode and link count from lstat(2).
func statMeta(path string, fi fs.FileInfo, m *manifest.FileMeta) {
	s, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	ts := func(t syscall.Timespec) *time.Time { return utcPtr(time.Unix(t.Sec, t.Nsec)) }
	m.UID, m.GID = int64Ptr(int64(s.Uid)), int64Ptr(int64(s.Gid))
	m.Inode, m.Device, m.Nlink, m.Blocks = s.Ino, uint64(s.Dev), uint64(s.Nlink), s.Blocks
	m.Atime, m.Ctime, m.Btime = ts(s.Atimespec), ts(s.Ctimespec), ts(s.Birthtimespec)
}
