//go:build !unix

package collect

import "io/fs"

// fileDevIno: records carry no device and inode on this OS; protected files
// are matched by their resolved path instead.
func fileDevIno(fi fs.FileInfo) (dev, ino uint64, ok bool) { return 0, 0, false }
