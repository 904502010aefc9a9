package collect

import (
	"io/fs"
	"syscall"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// statMeta fills the creation and access times Windows keeps.
func statMeta(path string, fi fs.FileInfo, m *manifest.FileMeta) {
	d, ok := fi.Sys().(*syscall.Win32FileAttributeData)
	if !ok {
		return
	}
	ts := func(t syscall.Filetime) *time.Time { return utcPtr(time.Unix(0, t.Nanoseconds())) }
	m.Atime, m.Btime = ts(d.LastAccessTime), ts(d.CreationTime)
}
