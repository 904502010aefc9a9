//go:build !linux

package collect

import "context"

// isNameTooLong: only Linux walks on with *at calls past PATH_MAX; other
// systems record the error.
func isNameTooLong(error) bool { return false }

func (c *fileCopier) walkDeep(context.Context, Glob, string, string, bool) error {
	return errDeepUnsupported
}
