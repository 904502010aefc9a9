//go:build !linux

package collect

import (
	"io/fs"
	"os"
)

// sparseExtents: only Linux is asked for data ranges (SEEK_DATA); other
// systems read a sparse file whole.
func sparseExtents(*os.File, fs.FileInfo, int64) ([]extent, bool) { return nil, false }
