//go:build !linux

package collect

import (
	"io/fs"
	"os"

	"github.com/hozen-dfir/hozen/manifest"
)

// openNoFollow opens path read-only. Callers lstat first and never open a
// symlink; on this OS there is no O_NOATIME.
func openNoFollow(path string) (*os.File, error) {
	return os.Open(path)
}

// openFirst is false here: without O_NOFOLLOW the collector lstats a path
// before it opens it.
const openFirst = false

// fileMetaOpened describes the opened file at path (fi from fstat).
func fileMetaOpened(f *os.File, fi fs.FileInfo) *manifest.FileMeta {
	return fileMeta(f.Name(), fi)
}

// openAndRead opens a file read ahead (unused while openFirst is false).
func (x *readAhead) openAndRead() {
	f, err := x.dir.openFile(x.name)
	if err != nil {
		x.openErr = err
		return
	}
	x.readOpened(f)
}

// readDirNoAtime is os.ReadDir: this OS has no O_NOATIME.
func readDirNoAtime(dir string) ([]os.DirEntry, error) { return os.ReadDir(dir) }
