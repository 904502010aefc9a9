package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strings"
)

// Which links Extract creates
//
// A link's target text alone says little: "s/../../etc" is harmless where
// s is a directory and reaches the examiner's /etc where s is a link to
// the top of the extraction; and a link created later can change where an
// earlier one leads. The rule below makes every created link resolve
// inside the extraction directory, through any chain of links, whatever
// order they come in.
//
// Links are created after every file and directory of the bundle is in
// the staging tree (nothing is created later but links, at paths where
// nothing is, and directories, where nothing is). A link is created only
// if, walking its target component by component from the link's own
// directory, as the kernel will:
//
//  1. the target is relative, and not empty;
//  2. the link's own directories are real directories (or missing, then
//     created as real directories), and its own path is free;
//  3. every component before the last is, now, a real directory of the
//     tree, or a link already created by this rule, which is followed
//     (its target walked the same way, to a real directory; at most 40
//     hops, and a loop is refused); a component that is missing, a file,
//     or a link not created is refused;
//  4. ".." never climbs above the top of the tree: it leaves a real
//     directory (the walk's position is always one), so ".." is its
//     parent, lexically, exactly as the kernel resolves it;
//  5. the last component is not followed: it is a file, a directory, a
//     link created by this rule (which resolves inside, by the same rule),
//     or nothing; if it is nothing in the tree, the target directory must
//     not hold a link there already.
//
// Why later links cannot undo it: what the walk of a created link passed
// through are real directories and created links, and neither ever
// changes afterwards: links are only created where nothing is, and
// nothing is ever removed or replaced. What may appear later is only at
// the last component (a link, itself checked; a directory), or at a
// component the rule refused. Moving into place keeps it: every
// directory of the tree becomes a real directory in the target (a link
// found there stops the move), and nothing is moved over anything.
//
// A pending link that a target passes through is decided first, so the
// order of the records does not matter.

type linkState int

const (
	linkPending linkState = iota
	linkDeciding
	linkCreated
	linkRefused
)

type link struct {
	seq          int64
	path, target string
	state        linkState
	reason       string
}

// linkTree is what the linker needs of a tree: the staging tree (an
// *os.Root) when extracting, an in-memory tree when planning ([Layout]).
type linkTree interface {
	Lstat(name string) (fs.FileInfo, error)
	Readlink(name string) (string, error)
	Symlink(oldname, newname string) error
	MkdirAll(name string, perm fs.FileMode) error
}

type linker struct {
	tree   linkTree         // the staging tree
	dest   linkTree         // the target directory; nil when planning
	byPath map[string]*link // the bundle's links by path (the first, for a path twice)
}

// place decides l and creates it if it passes.
func (k *linker) place(l *link) {
	if l.state != linkPending {
		return // decided, or being decided further up: a loop
	}
	l.state = linkDeciding
	if err := k.check(l); err != nil {
		l.state, l.reason = linkRefused, err.Error()
		return
	}
	if err := k.tree.MkdirAll(path.Dir(l.path), 0o700); err != nil {
		l.state, l.reason = linkRefused, err.Error()
		return
	}
	if err := k.tree.Symlink(l.target, l.path); err != nil {
		l.state, l.reason = linkRefused, err.Error()
		return
	}
	l.state = linkCreated
}

// check applies the rule above to l, whose state is linkDeciding.
func (k *linker) check(l *link) error {
	t := l.target
	switch {
	case t == "":
		return errors.New("its target is empty")
	case path.IsAbs(t) || windowsRooted(runtime.GOOS, t):
		return errors.New("its target is absolute")
	}
	if k.byPath[l.path] != l {
		return errors.New("another link of the bundle has the same path")
	}
	if _, err := k.tree.Lstat(l.path); err == nil {
		return errors.New("a file or directory of the bundle is at its path")
	}
	dir := path.Dir(l.path)
	for d := dir; d != "."; d = path.Dir(d) {
		fi, err := k.tree.Lstat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if k.byPath[d] != nil {
				return fmt.Errorf("its directory %s is a link of the bundle", d)
			}
		case err != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("its directory %s is a link", d)
		case !fi.IsDir():
			return fmt.Errorf("its directory %s is a file", d)
		}
	}
	var at []string
	if dir != "." {
		at = strings.Split(dir, "/")
	}
	hops := 0
	_, err := k.walk(at, t, false, &hops)
	return err
}

// walk resolves target from the real directory at, as the kernel would,
// following created links (rule 3). It returns where it ends, as path
// components under the top of the tree. full: the last component is
// followed too and must end at a real directory (the target of a link
// that a path passes through); otherwise it is left as it is (rule 5).
func (k *linker) walk(at []string, target string, full bool, hops *int) ([]string, error) {
	at = append([]string(nil), at...)
	comps := strings.Split(target, "/")
	last := len(comps) - 1
	for last >= 0 && (comps[last] == "" || comps[last] == ".") {
		last--
	}
	if last < 0 { // "", ".", "./": where it started
		return at, nil
	}
	via := "" // the last link followed, for the reason
	for i, c := range comps[:last+1] {
		switch c {
		case "", ".":
			continue
		case "..":
			if len(at) == 0 && via != "" {
				return nil, fmt.Errorf("through the link %s, it climbs above the extraction directory", via)
			}
			if len(at) == 0 {
				return nil, errors.New("it climbs above the extraction directory")
			}
			at = at[:len(at)-1]
			continue
		}
		name := strings.Join(append(append([]string(nil), at...), c), "/")
		fi, err := k.tree.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			if l := k.byPath[name]; l != nil {
				k.place(l)
				fi, err = k.tree.Lstat(name)
			}
		}
		if i == last && !full {
			// Rule 5: nothing in the tree here, nor a link planted in the
			// target directory (hozen moves nothing over it).
			if errors.Is(err, fs.ErrNotExist) && k.dest != nil {
				if dfi, derr := k.dest.Lstat(name); derr == nil && dfi.Mode()&fs.ModeSymlink != 0 {
					return nil, fmt.Errorf("the extraction directory already holds a link at %s", name)
				}
			}
			return append(at, c), nil
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if l := k.byPath[name]; l != nil && l.state == linkDeciding {
				return nil, fmt.Errorf("it is part of a loop of links, through %s", name)
			}
			if l := k.byPath[name]; l != nil {
				return nil, fmt.Errorf("it passes through the link %s, which is not created", name)
			}
			return nil, fmt.Errorf("it passes through %s, which is not extracted", name)
		case err != nil:
			return nil, err
		case fi.Mode()&fs.ModeSymlink != 0:
			*hops++
			if *hops > maxLinkHops {
				return nil, errors.New("it passes through too many links")
			}
			// Only links this rule created are in the tree.
			t, err := k.tree.Readlink(name)
			if err != nil {
				return nil, err
			}
			if at, err = k.walk(at, t, true, hops); err != nil {
				if strings.HasPrefix(err.Error(), "through the link ") {
					return nil, err // named at the innermost link already
				}
				return nil, fmt.Errorf("through the link %s, %w", name, err)
			}
			via = name
		case fi.IsDir():
			at = append(at, c)
		default:
			return nil, fmt.Errorf("it passes through %s, which is not a directory", name)
		}
	}
	return at, nil
}

// windowsRooted reports whether, on goos, the link target t is read by
// the system in a way the walk (which splits at '/') does not: on
// Windows, '\' separates too, and a drive ("C:") or a UNC prefix roots a
// path.
func windowsRooted(goos, t string) bool {
	return goos == "windows" && strings.ContainsAny(t, `\:`)
}
