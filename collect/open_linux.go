package collect

import (
	"os"

	"golang.org/x/sys/unix"
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
