//go:build unix && !linux

package collect

import (
	"io/fs"
	"syscall"
)

// fileDevIno is the device and inode of fi, as records give them.
func fileDevIno(fi fs.FileInfo) (dev, ino uint64, ok bool) {
	s, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return uint64(s.Dev), uint64(s.Ino), true
}
