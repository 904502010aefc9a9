//go:build !linux && !darwin

package acquire

// freeSpace is unknown here: the check is skipped.
func freeSpace(string) (int64, bool) { return 0, false }

func isQuota(error) bool { return false }
