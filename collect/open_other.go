//go:build !linux

package collect

import "os"

// openNoFollow opens path read-only. Callers lstat first and never open a
// symlink; on this OS there is no O_NOATIME.
func openNoFollow(path string) (*os.File, error) {
	return os.Open(path)
}
