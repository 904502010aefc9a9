package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// checkParents fails unless each directory on the way to the relative path
// name in root is a directory or does not exist yet. A symbolic link there
// (planted in the target directory, pointing out of it or not) is refused
// before anything is moved.
func checkParents(root *os.Root, name string) error {
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		fi, err := root.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("%s: %w; hozen never writes through a link", filepath.FromSlash(dir), err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; hozen never writes through a link", filepath.FromSlash(dir))
		case !fi.IsDir():
			return fmt.Errorf("%s is not a directory", filepath.FromSlash(dir))
		}
	}
	return nil
}
