//go:build linux || darwin

package acquire

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// freeSpace is the bytes free for an unprivileged user on dir's file system.
func freeSpace(dir string) (int64, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}

func isQuota(err error) bool { return errors.Is(err, syscall.EDQUOT) }
