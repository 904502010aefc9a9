//go:build !linux

package collect

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/hozen-dfir/hozen/manifest"
)

// dirRef is a directory open for the walk. Off Linux it works by path:
// entries are lstat'ed and opened by their full path, and a directory is
// checked (device and inode, as os.SameFile compares them) against its
// listing once opened. This is weaker than the Linux walk: a parent
// directory swapped for a symlink between that check and the opening of a
// file below it is followed.
type dirRef struct {
	path string
	f    *os.File // for listing; nil for a root not yet listed
	refs atomic.Int32
}

func openRootDir(local string) (*dirRef, fs.FileInfo, error) {
	f, err := os.Open(local)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	d := &dirRef{path: local, f: f}
	d.refs.Store(1)
	return d, fi, nil
}

func (d *dirRef) acquire() *dirRef {
	d.refs.Add(1)
	return d
}

func (d *dirRef) release() {
	if d.refs.Add(-1) == 0 && d.f != nil {
		d.f.Close()
	}
}

func (d *dirRef) local(name string) string { return filepath.Join(d.path, name) }

func (d *dirRef) lstat(name string) (fs.FileInfo, error) { return os.Lstat(d.local(name)) }

func (d *dirRef) openDir(name string, listed fs.FileInfo) (*dirRef, error) {
	local := d.local(name)
	f, err := os.Open(local)
	if err != nil {
		return nil, err
	}
	at, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !at.IsDir() || !os.SameFile(listed, at) {
		f.Close()
		return nil, &ReplacedError{Path: local, Listed: "a directory", Opened: fileType(at.Mode()) + " of another identity"}
	}
	sub := &dirRef{path: local, f: f}
	sub.refs.Store(1)
	return sub, nil
}

func (d *dirRef) openFile(name string) (*os.File, error) { return openNoFollow(d.local(name)) }

func (d *dirRef) readlink(name string) (string, error) { return os.Readlink(d.local(name)) }

func (d *dirRef) meta(name string, fi fs.FileInfo) *manifest.FileMeta {
	return fileMeta(d.local(name), fi)
}

func (d *dirRef) readDir(n int) ([]fs.DirEntry, error) { return d.f.ReadDir(n) }

func sameFile(a, b fs.FileInfo) bool { return os.SameFile(a, b) }

// fileID: off Linux, messages name no device and inode.
func fileID(fs.FileInfo) string { return "?" }
