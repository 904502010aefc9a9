package collect

import (
	"io/fs"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// fileMeta describes fi (from os.Lstat of path) for a record; the
// OS-specific part (owner, times, inode) comes from statMeta.
func fileMeta(path string, fi fs.FileInfo) *manifest.FileMeta {
	m := baseMeta(fi)
	statMeta(path, fi, m)
	return m
}

// baseMeta is what every OS's fs.FileInfo says of a file.
func baseMeta(fi fs.FileInfo) *manifest.FileMeta {
	return &manifest.FileMeta{
		Mode:     fi.Mode().String(),
		ModeBits: uint32(fi.Mode()),
		Type:     fileType(fi.Mode()),
		Size:     fi.Size(),
		Mtime:    fi.ModTime().UTC(),
	}
}

func fileType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m&fs.ModeDir != 0:
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "chardev"
	case m&fs.ModeDevice != 0:
		return "device"
	default:
		return "other"
	}
}

func utcPtr(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}

func int64Ptr(v int64) *int64 { return &v }
