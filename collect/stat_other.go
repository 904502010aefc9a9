//go:build !linux && !darwin && !windows

package collect

import (
	"io/fs"

	"github.com/hozen-dfir/hozen/manifest"
)

// statMeta adds nothing on this OS beyond what fs.FileInfo carries.
func statMeta(path string, fi fs.FileInfo, m *manifest.FileMeta) {}
