package bundle

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Layout is the tree [Extract] writes for a bundle, worked out without
// writing anything: the same rules, applied to a tree in memory. Files
// are added in the order Extract writes them (the walk's order), then
// [Layout.PlaceLinks] decides the links exactly as Extract does (see
// "Which links Extract creates"). Exporters that describe an extracted
// bundle (a hashdeep list) use it to name what will be there.
type Layout struct {
	t     *memTree
	links []*link
}

// PlannedLink is a link of the bundle and whether Extract creates it.
type PlannedLink struct {
	Seq     int64
	Path    string
	Target  string
	Created bool
	Reason  string // why not, when not created
}

// NewLayout returns an empty layout.
func NewLayout() *Layout { return &Layout{t: newMemTree()} }

// AddFile places a regular file at p (a bundle path) as Extract does: it
// returns why it is not placed ("" when it is).
func (l *Layout) AddFile(p string) string {
	if why := blocked(l.t, p); why != "" {
		return why
	}
	if err := l.t.MkdirAll(path.Dir(p), 0o700); err != nil {
		return err.Error()
	}
	l.t.put(p, &memNode{mode: 0})
	return ""
}

// RemoveFile takes the file at p out again (Extract drops hozen's own
// entries after the records when the bundle was not read to its end).
func (l *Layout) RemoveFile(p string) { l.t.remove(p) }

// AddLink records a link of the bundle, in record order.
func (l *Layout) AddLink(seq int64, p, target string) {
	l.links = append(l.links, &link{seq: seq, path: p, target: target})
}

// PlaceLinks decides every link added, as Extract does, creates those
// that pass in the layout, and returns them all in record order. Call it
// once, after every file is added.
func (l *Layout) PlaceLinks() []PlannedLink {
	lk := &linker{tree: l.t, byPath: map[string]*link{}}
	for _, x := range l.links {
		if lk.byPath[x.path] == nil {
			lk.byPath[x.path] = x
		}
	}
	out := make([]PlannedLink, 0, len(l.links))
	for _, x := range l.links {
		lk.place(x)
		out = append(out, PlannedLink{Seq: x.seq, Path: x.path, Target: x.target, Created: x.state == linkCreated, Reason: x.reason})
	}
	return out
}

// Kind is what a path of a layout is.
type Kind int

// The kinds of [Layout.Lstat] and [Layout.Resolve].
const (
	KindNone Kind = iota // nothing there (or a link that leads nowhere)
	KindFile
	KindDir
	KindLink
)

// Lstat says what p itself is ("." is the top).
func (l *Layout) Lstat(p string) Kind {
	n := l.t.nodes[path.Clean(p)]
	switch {
	case n == nil:
		return KindNone
	case n.mode&fs.ModeDir != 0:
		return KindDir
	case n.mode&fs.ModeSymlink != 0:
		return KindLink
	}
	return KindFile
}

// List returns the names in the directory p, sorted.
func (l *Layout) List(p string) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for name := range l.t.kids[path.Clean(p)] {
			if !yield(name) {
				return
			}
		}
	})
}

// Resolve follows every link on p, as the system does, and returns the
// path it ends at (what realpath gives, under the top) and what is there.
// A path that climbs above the top, or passes through more than 40
// links, resolves to nothing.
func (l *Layout) Resolve(p string) (string, Kind) {
	hops := 0
	at, k := l.resolve(nil, p, &hops)
	if k == KindNone {
		return "", KindNone
	}
	if len(at) == 0 {
		return ".", k
	}
	return strings.Join(at, "/"), k
}

func (l *Layout) resolve(at []string, target string, hops *int) ([]string, Kind) {
	at = slices.Clone(at)
	comps := strings.Split(target, "/")
	k := KindDir
	for _, c := range comps {
		if k != KindDir {
			return nil, KindNone // a file with more after it
		}
		switch c {
		case "", ".":
			continue
		case "..":
			if len(at) == 0 {
				return nil, KindNone
			}
			at = at[:len(at)-1]
			continue
		}
		name := strings.Join(append(slices.Clone(at), c), "/")
		switch l.Lstat(name) {
		case KindNone:
			return nil, KindNone
		case KindDir:
			at = append(at, c)
		case KindFile:
			at, k = append(at, c), KindFile
		case KindLink:
			if *hops++; *hops > maxLinkHops {
				return nil, KindNone
			}
			at, k = l.resolve(at, l.t.nodes[name].target, hops)
			if k == KindNone {
				return nil, KindNone
			}
		}
	}
	return at, k
}

// memTree is a tree of names in memory, the linker's [linkTree] for a
// [Layout]. Lookups are exact: unlike an *os.Root, it does not follow a
// link in the middle of a name (the linker never asks for one where it
// would change a decision: it checks a link's directories itself).
type memTree struct {
	nodes map[string]*memNode
	kids  map[string]map[string]bool
}

type memNode struct {
	mode   fs.FileMode
	target string
}

func newMemTree() *memTree {
	return &memTree{nodes: map[string]*memNode{".": {mode: fs.ModeDir}}, kids: map[string]map[string]bool{}}
}

func (t *memTree) put(p string, n *memNode) {
	t.nodes[p] = n
	d := path.Dir(p)
	if t.kids[d] == nil {
		t.kids[d] = map[string]bool{}
	}
	t.kids[d][path.Base(p)] = true
}

func (t *memTree) remove(p string) {
	delete(t.nodes, p)
	delete(t.kids[path.Dir(p)], path.Base(p))
}

func (t *memTree) Lstat(name string) (fs.FileInfo, error) {
	n := t.nodes[path.Clean(name)]
	if n == nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
	}
	return memInfo{name: path.Base(name), mode: n.mode}, nil
}

func (t *memTree) Readlink(name string) (string, error) {
	n := t.nodes[path.Clean(name)]
	if n == nil || n.mode&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return n.target, nil
}

func (t *memTree) Symlink(oldname, newname string) error {
	newname = path.Clean(newname)
	if t.nodes[newname] != nil {
		return &fs.PathError{Op: "symlink", Path: newname, Err: fs.ErrExist}
	}
	t.put(newname, &memNode{mode: fs.ModeSymlink, target: oldname})
	return nil
}

func (t *memTree) MkdirAll(name string, _ fs.FileMode) error {
	name = path.Clean(name)
	if name == "." {
		return nil
	}
	if n := t.nodes[name]; n != nil {
		if n.mode&fs.ModeDir == 0 {
			return &fs.PathError{Op: "mkdir", Path: name, Err: errors.New("not a directory")}
		}
		return nil
	}
	if err := t.MkdirAll(path.Dir(name), 0); err != nil {
		return err
	}
	t.put(name, &memNode{mode: fs.ModeDir})
	return nil
}

type memInfo struct {
	name string
	mode fs.FileMode
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return 0 }
func (i memInfo) Mode() fs.FileMode  { return i.mode }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.mode.IsDir() }
func (i memInfo) Sys() any           { return nil }
