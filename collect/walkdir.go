package collect

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// walkBatch is how many directory entries the walk holds at once.
const walkBatch = 4096

// The walk. filepath.WalkDir reads a whole directory and sorts it before
// it visits any entry (36 MiB of heap for one directory of 200,000 files),
// and it opens every directory by its full path, so that a directory on
// the way swapped for a symlink (one rename by whoever owns its parent)
// leads it, and every open below, into another tree. Here a directory of
// up to walkBatch entries is read whole and visited in lexical order, as
// WalkDir does; a larger one is visited walkBatch entries at a time, each
// batch sorted, in the order the file system lists them, holding its
// descriptor open meanwhile. Every directory and file is opened relative
// to the directory it was listed from (a [dirRef]), without following a
// symlink and, where the kernel allows, without updating access times; a
// directory whose device and inode are not those it was listed with is
// not walked (a [ReplacedError]). Off Linux the same is done by path,
// which a symlink swapped in for a parent still defeats.

// walkFunc is called for every entry: dir is the open directory it was
// listed from and name its name there, local its path (for messages and
// host paths only; nothing is opened by it). It is called as
// fs.WalkDirFunc is: for the root, for every entry, and a second time for
// a directory that cannot be opened or read; fs.SkipDir and fs.SkipAll
// work as there. dir is nil for a root that is the collection's root.
type walkFunc func(dir *dirRef, name, local string, d fs.DirEntry, err error) error

// ReplacedError is a directory or file whose identity at opening is not
// the one it was listed with: replaced (by a symlink, another directory,
// a file) between listing and opening. Nothing below it is walked.
type ReplacedError struct {
	Path   string
	Listed string // "dev M:m ino N"
	Opened string // what was found instead
}

func (e *ReplacedError) Error() string {
	return fmt.Sprintf("%s: replaced between listing and opening: listed %s, opened %s; not followed", e.Path, e.Listed, e.Opened)
}

// walkDir is filepath.WalkDir by descriptors (tests compare the two).
func walkDir(root string, fn fs.WalkDirFunc) error {
	parent, _, err := openRootDir(filepath.Dir(root))
	if err != nil {
		return fn(root, nil, err)
	}
	defer parent.release()
	wfn := func(_ *dirRef, _, local string, d fs.DirEntry, err error) error { return fn(local, d, err) }
	info, err := parent.lstat(filepath.Base(root))
	if err != nil {
		return unlessSkip(fn(root, nil, err))
	}
	return walkFrom(parent, filepath.Base(root), root, info, wfn)
}

// walkFrom walks the entry name of dir (at local, lstat'ed as info) and,
// for a directory, everything below it.
func walkFrom(dir *dirRef, name, local string, info fs.FileInfo, fn walkFunc) error {
	return unlessSkip(walkEntry(dir, name, local, fs.FileInfoToDirEntry(info), fn))
}

// walkRoot walks the open directory root (at local, described by info),
// the collection's root itself.
func walkRoot(root *dirRef, local string, info fs.FileInfo, fn walkFunc) error {
	d := fs.FileInfoToDirEntry(info)
	if err := fn(nil, "", local, d, nil); err != nil {
		return unlessSkip(err)
	}
	return unlessSkip(walkOpen(root, local, fn, func(err error) error { return fn(nil, "", local, d, err) }))
}

func unlessSkip(err error) error {
	if err == filepath.SkipDir || err == filepath.SkipAll {
		return nil
	}
	return err
}

// dirOpenedHook, when set (tests), runs after a directory is listed (and
// lstat'ed) and before it is opened.
var dirOpenedHook func(local string)

func walkEntry(dir *dirRef, name, local string, d fs.DirEntry, fn walkFunc) error {
	if err := fn(dir, name, local, d, nil); err != nil || !d.IsDir() {
		if err == filepath.SkipDir && d.IsDir() {
			err = nil
		}
		return err
	}
	listed, err := d.Info()
	if err != nil {
		return unlessSkipDir(fn(dir, name, local, d, err))
	}
	if dirOpenedHook != nil {
		dirOpenedHook(local)
	}
	sub, err := dir.openDir(name, listed)
	if err != nil {
		return unlessSkipDir(fn(dir, name, local, d, err))
	}
	defer sub.release()
	return walkOpen(sub, local, fn, func(err error) error { return fn(dir, name, local, d, err) })
}

// walkOpen visits the entries of the open directory sub (at local);
// report hands fn an error reading it.
func walkOpen(sub *dirRef, local string, fn walkFunc, report func(error) error) error {
	// readDir(n) returns fewer than n entries only at the end of the
	// directory or with an error: asking again just to be told io.EOF
	// would cost a getdents a directory.
	ents, rerr := sub.readDir(walkBatch)
	if len(ents) < walkBatch {
		// Small (or unreadable): all of it is here, as WalkDir reads it.
		if rerr != nil && rerr != io.EOF {
			if err := report(rerr); err != nil {
				return unlessSkipDir(err) // skip: none of its entries
			}
		}
		_, err := visitBatch(sub, local, ents, fn)
		return err
	}
	for {
		skip, err := visitBatch(sub, local, ents, fn)
		if err != nil || skip {
			return err
		}
		ents, err = sub.readDir(walkBatch)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if skip, verr := visitBatch(sub, local, ents, fn); verr != nil || skip {
				return verr
			}
			return unlessSkipDir(report(err))
		}
		if len(ents) == 0 {
			return nil
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

// visitBatch walks the entries of dir (at local) in ents, sorted. skip is
// set when fn asked to skip the rest of dir (SkipDir on a file).
func visitBatch(dir *dirRef, local string, ents []fs.DirEntry, fn walkFunc) (skip bool, err error) {
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	// filepath.Join(local, name), cleaning local once: a listed name has
	// no "/" and is never "." or "..".
	base := filepath.Clean(local)
	if base != "/" {
		base += "/"
	}
	for _, e := range ents {
		if err := walkEntry(dir, e.Name(), base+e.Name(), e, fn); err != nil {
			if err == filepath.SkipDir {
				return true, nil
			}
			return false, err
		}
	}
	return false, nil
}
