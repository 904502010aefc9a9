package collect

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// walkBatch is how many directory entries the walk holds at once.
const walkBatch = 4096

// walkDir is filepath.WalkDir with memory that does not grow with the size
// of a directory. filepath.WalkDir reads a whole directory and sorts it
// before it visits any entry: 36 MiB of heap for one directory of 200,000
// files, and a directory of millions (a mail spool, a cache) would take
// hundreds. Here a directory of up to walkBatch entries is read whole and
// visited in lexical order, as WalkDir does; a larger one is visited
// walkBatch entries at a time, each batch sorted, in the order the file
// system lists them, holding its descriptor open meanwhile. Directories are
// opened without following a symlink put in their place and, where the
// kernel allows, without updating their access time.
//
// fn is called as WalkDir calls it: for the root, for every entry, and a
// second time for a directory that cannot be read (after its entries so
// far, for a large one); fs.SkipDir and fs.SkipAll work as there.
func walkDir(root string, fn fs.WalkDirFunc) error { return walkDirFrom(root, nil, fn) }

// walkDirFrom is walkDir with root's lstat, when the caller has it.
func walkDirFrom(root string, info fs.FileInfo, fn fs.WalkDirFunc) error {
	var err error
	if info == nil {
		info, err = os.Lstat(root)
	}
	if err != nil {
		err = fn(root, nil, err)
	} else {
		err = walkDirEntry(root, fs.FileInfoToDirEntry(info), fn)
	}
	if err == filepath.SkipDir || err == filepath.SkipAll {
		return nil
	}
	return err
}

func walkDirEntry(path string, d fs.DirEntry, fn fs.WalkDirFunc) error {
	if err := fn(path, d, nil); err != nil || !d.IsDir() {
		if err == filepath.SkipDir && d.IsDir() {
			err = nil
		}
		return err
	}
	f, err := openNoFollow(path)
	if err != nil {
		return unlessSkipDir(fn(path, d, err))
	}
	// ReadDir(n) returns fewer than n entries only at the end of the
	// directory or with an error: asking again just to be told io.EOF
	// would cost a getdents a directory.
	ents, rerr := f.ReadDir(walkBatch)
	if len(ents) < walkBatch {
		// Small (or unreadable): all of it is here, as WalkDir reads it.
		f.Close()
		if rerr != nil && rerr != io.EOF {
			if err := fn(path, d, rerr); err != nil {
				return unlessSkipDir(err) // skip: none of its entries
			}
		}
		_, err := visitBatch(path, ents, fn)
		return err
	}
	defer f.Close()
	for {
		skip, err := visitBatch(path, ents, fn)
		if err != nil || skip {
			return err
		}
		ents, err = f.ReadDir(walkBatch)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if skip, verr := visitBatch(path, ents, fn); verr != nil || skip {
				return verr
			}
			return unlessSkipDir(fn(path, d, err))
		}
	}
}

// unlessSkipDir is err, but nil for SkipDir: fn's answer about a directory
// that cannot be read, where skipping means only that directory.
func unlessSkipDir(err error) error {
	if err == filepath.SkipDir {
		return nil
	}
	return err
}

// visitBatch walks the entries of dir in ents, sorted. skip is set when fn
// asked to skip the rest of dir (SkipDir on a file).
func visitBatch(dir string, ents []fs.DirEntry, fn fs.WalkDirFunc) (skip bool, err error) {
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range ents {
		if err := walkDirEntry(filepath.Join(dir, e.Name()), e, fn); err != nil {
			if err == filepath.SkipDir {
				return true, nil
			}
			return false, err
		}
	}
	return false, nil
}
