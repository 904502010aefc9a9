package bundle

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteBack starts write-back of n bytes of f at off
// (sync_file_range(2) SYNC_FILE_RANGE_WRITE: it does not wait, and it is
// no promise of durability). An error only means no head start.
func startWriteBack(f *os.File, off, n int64) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
		})
	}
}
