//go:build !linux

package collect

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// rootDir opens host paths under env.Root by joining them to it; off
// Linux a symlink on the way is followed as the OS follows it.
type rootDir struct{ path string }

var errSymlink = errors.New("a symlink: not followed")

func openRoot(path string) (*rootDir, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrInvalid}
	}
	return &rootDir{path: path}, nil
}

func (r *rootDir) close() {}

func (r *rootDir) open(hostPath string) (*os.File, error) {
	local := filepath.Join(r.path, filepath.FromSlash(hostPath))
	if fi, err := os.Lstat(local); err != nil {
		return nil, err
	} else if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: local, Err: errSymlink}
	}
	return openNoFollow(local)
}

func (r *rootDir) canonical(dir string) string {
	p, err := filepath.EvalSymlinks(filepath.Join(r.path, filepath.FromSlash(dir)))
	if err != nil {
		return dir
	}
	rel, err := filepath.Rel(r.path, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return dir
	}
	return "/" + strings.TrimPrefix(filepath.ToSlash(rel), ".")
}

func isLoop(err error) bool { return errors.Is(err, errSymlink) }

func ctimeOf(fs.FileInfo) *time.Time { return nil }
