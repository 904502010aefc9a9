package bundle

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hozen-dfir/hozen/manifest"
)

// Extracting a bundle
//
// [Extract] writes a bundle's artifacts into a directory while the bundle
// is verified, and delivers them only once it verified:
//
//   - Everything goes first to a staging directory inside the target,
//     .hozen-staging-PID/tree, and is moved into place only when the walk
//     ended intact or incomplete (cut short): a tampered bundle leaves
//     nothing behind.
//   - A data entry is written to .hozen-staging-PID/pending and joins the
//     tree only when its record verified. A bundle cut inside an entry, or
//     between an entry and its record, leaves that entry out and says so
//     ([Extracted.Dropped]). hozen's own entries after the records
//     (manifest, signature, SHA256SUMS) are delivered only when the walk
//     read the bundle to its end.
//   - Links are created last, once every file and directory of the bundle
//     is in the tree, and only those that provably resolve inside the
//     target directory, whatever other links are created (see
//     [linker.check]). Those not created are listed in
//     [Extracted.NotCreated]; their records keep their targets.
//   - Moving into place never overwrites and never writes through a link
//     found in the target directory; it checks everything first, so it
//     moves all or nothing.

// ExtractOptions configure [Extract].
type ExtractOptions struct {
	// Dir is the directory to extract into; it is created if missing.
	Dir string
	// Paths select artifacts, or directories of them, by their path in the
	// bundle. None: everything, with hozen/ metadata.
	Paths []string
	// Verify reads the bundle with the options given (the caller may add
	// Trust) and returns what [Verify] returns; it is how the caller opens
	// the bundle (plain or decrypted).
	Verify func(VerifyOptions) (*Result, error)
}

// Extracted is what [Extract] did.
type Extracted struct {
	// Result is the bundle's verification. Tampered: nothing was
	// extracted.
	Result *Result
	Files  int // regular files delivered
	Links  int // links created
	Moved  int // entries moved into Dir, hozen/ metadata included
	// NotCreated are the links not created, in record order.
	NotCreated []LinkNotCreated
	// Dropped are entries read but not delivered because the bundle never
	// vouched for them, or their place was taken.
	Dropped []Dropped
}

// LinkNotCreated is a link of the bundle that Extract did not create.
type LinkNotCreated struct {
	Seq    int64  // its record, which keeps the target
	Path   string // its path in the bundle
	Target string
	Reason string
}

// Dropped is an entry Extract did not deliver.
type Dropped struct {
	Path   string
	Reason string
}

// NotInBundleError: some PATHs asked for match nothing in the bundle.
type NotInBundleError struct {
	Paths []string
	// Cut: the bundle is incomplete, and Records records verified before
	// the cut; the paths may lie after it.
	Cut     bool
	Records int64
}

func (e *NotInBundleError) Error() string {
	s := strings.Join(e.Paths, ", ")
	verb := "is"
	if len(e.Paths) > 1 {
		verb = "are"
	}
	if e.Cut {
		return fmt.Sprintf("%s %s not among the %d records that verified before the bundle's cut", s, verb, e.Records)
	}
	return fmt.Sprintf("%s %s not in the bundle", s, verb)
}

// ExistsError: an entry's place in the target directory is taken.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already exists; hozen never overwrites", filepath.FromSlash(e.Path))
}

// LinkInTargetError: a directory on the way in the target directory is a
// link (or not a directory).
type LinkInTargetError struct {
	Path   string
	Reason string
}

func (e *LinkInTargetError) Error() string {
	return fmt.Sprintf("%s %s; hozen never writes through a link", filepath.FromSlash(e.Path), e.Reason)
}

const (
	treeDir     = "tree"
	pendingName = "pending"
	maxLinkHops = 40 // as Linux's
)

// Extract verifies a bundle with opts.Verify and extracts it into
// opts.Dir (see the package's "Extracting a bundle"). A tampered bundle
// returns with Result.Outcome Tampered and nothing extracted; an error
// (reading the bundle, writing Dir, a *NotInBundleError, an
// *ExistsError, a *LinkInTargetError) means nothing was moved into Dir.
func Extract(opts ExtractOptions) (*Extracted, error) {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(opts.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	stageName := fmt.Sprintf(".hozen-staging-%d", os.Getpid())
	if err := root.Mkdir(stageName, 0o700); err != nil {
		return nil, fmt.Errorf("staging directory in %s: %w", opts.Dir, err)
	}
	defer root.RemoveAll(stageName)
	stage, err := root.OpenRoot(stageName)
	if err != nil {
		return nil, err
	}
	defer stage.Close()
	if err := stage.Mkdir(treeDir, 0o700); err != nil {
		return nil, err
	}
	tree, err := stage.OpenRoot(treeDir)
	if err != nil {
		return nil, err
	}
	defer tree.Close()

	x := &extractor{stage: stage, tree: tree, want: opts.Paths, matched: make([]bool, len(opts.Paths)), out: &Extracted{}}
	var meta func(string, io.Reader) error
	if len(opts.Paths) == 0 {
		meta = x.meta
	}
	res, err := opts.Verify(VerifyOptions{Handler: x, Meta: meta})
	x.out.Result = res
	if err != nil {
		return x.out, err
	}
	if res.Outcome == Tampered {
		return x.out, nil
	}
	var missing []string
	for i, ok := range x.matched {
		if !ok {
			missing = append(missing, opts.Paths[i])
		}
	}
	if len(missing) > 0 {
		return x.out, &NotInBundleError{Paths: missing, Cut: res.Outcome == Incomplete, Records: res.Records}
	}
	// Verify fills FileSHA256 only once it read the bundle to its end:
	// short of that, what came after the records was never checked.
	if res.FileSHA256 == "" {
		where := "the bundle ends before it was checked"
		var ie *IncompleteError
		if errors.As(res.Err, &ie) {
			where = fmt.Sprintf("the bundle ends at byte %d, before it was checked", ie.Offset)
		}
		for _, name := range []string{manifest.ManifestPath, manifest.SignaturePath, manifest.SumsPath, manifest.SumsSigPath} {
			if _, err := tree.Lstat(name); err == nil {
				if err := tree.Remove(name); err != nil {
					return x.out, err
				}
				x.out.Dropped = append(x.out.Dropped, Dropped{Path: name, Reason: where})
			}
		}
	}
	if x.pending != "" {
		why := "its record never arrived"
		var ie *IncompleteError
		if errors.As(res.Err, &ie) {
			why = fmt.Sprintf("its record never arrived (the bundle ends at byte %d)", ie.Offset)
		}
		x.out.Dropped = append(x.out.Dropped, Dropped{Path: x.pending, Reason: why})
	}
	lk := &linker{tree: tree, dest: root, byPath: map[string]*link{}}
	for _, l := range x.links {
		if lk.byPath[l.path] == nil {
			lk.byPath[l.path] = l
		}
	}
	for _, l := range x.links {
		lk.place(l)
		if l.state == linkCreated {
			x.out.Links++
		} else {
			x.out.NotCreated = append(x.out.NotCreated, LinkNotCreated{Seq: l.seq, Path: l.path, Target: l.target, Reason: l.reason})
		}
	}
	moved, err := moveStaged(root, tree, stageName+"/"+treeDir)
	if err != nil {
		return x.out, err
	}
	x.out.Moved = moved
	return x.out, nil
}

// extractor is the Handler that stages a bundle's content.
type extractor struct {
	stage, tree *os.Root
	want        []string
	matched     []bool
	out         *Extracted
	cur         *tar.Header // the data entry awaiting its record
	pending     string      // its path, once staged as pending
	links       []*link
}

// selected reports whether the artifact p is asked for, and marks the
// PATHs that select it.
func (x *extractor) selected(p string, mark bool) bool {
	if len(x.want) == 0 {
		return true
	}
	hit := false
	for i, w := range x.want {
		w = strings.TrimSuffix(w, "/")
		if p == w || strings.HasPrefix(p, w+"/") {
			hit = true
			if mark {
				x.matched[i] = true
			}
		}
	}
	return hit
}

func (x *extractor) Header(*manifest.Header) error { return nil }

func (x *extractor) Data(h *tar.Header, body io.Reader) error {
	x.cur, x.pending = nil, ""
	if !x.selected(h.Name, false) {
		return nil
	}
	// The verifier refuses such paths already; this is the second lock.
	if err := checkArtifactPath(h.Name); err != nil {
		return fmt.Errorf("refusing to extract: %w", err)
	}
	x.cur = h
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	if err := x.stage.Remove(pendingName); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := x.stage.OpenFile(pendingName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("extract %s: %w", h.Name, err)
	}
	x.pending = h.Name
	return copyClose(f, body)
}

func (x *extractor) Record(r *manifest.Record) error {
	h := x.cur
	x.cur = nil
	p := string(r.Path)
	x.selected(p, true)
	if h == nil || h.Name != p {
		return nil
	}
	switch r.Entry {
	case manifest.EntryFile:
		x.pending = ""
		if why := blocked(x.tree, p); why != "" {
			x.out.Dropped = append(x.out.Dropped, Dropped{Path: p, Reason: why})
			return nil
		}
		if err := x.tree.MkdirAll(path.Dir(p), 0o700); err != nil {
			return err
		}
		if err := x.stage.Rename(pendingName, treeDir+"/"+p); err != nil {
			return fmt.Errorf("extract %s: %w", p, err)
		}
		perm := fs.FileMode(0o644)
		if r.File != nil {
			// No set-id bits and no group/other write on an examiner's disk.
			perm = fs.FileMode(r.File.ModeBits).Perm()&0o755 | 0o400
		}
		if err := x.tree.Chmod(p, perm); err != nil {
			return err
		}
		if r.File != nil {
			if err := x.tree.Chtimes(p, r.File.Mtime, r.File.Mtime); err != nil {
				return err
			}
		}
		x.out.Files++
	case manifest.EntrySymlink:
		target := ""
		if r.File != nil && r.File.LinkTarget != nil {
			target = string(*r.File.LinkTarget)
		}
		x.links = append(x.links, &link{seq: r.Seq, path: p, target: target})
	}
	return nil
}

// blocked says why the file p cannot take its place in the tree: the
// place, or a directory on the way, is taken by a file of the bundle.
// (No link is in the tree yet: links come last.)
func blocked(tree linkTree, p string) string {
	if _, err := tree.Lstat(p); err == nil {
		return "an entry of the bundle is already at its path"
	}
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		fi, err := tree.Lstat(d)
		if err == nil && !fi.IsDir() {
			return fmt.Sprintf("%s, on its path, is a file of the bundle", d)
		}
	}
	return ""
}

// meta stages one of hozen's own entries.
func (x *extractor) meta(name string, r io.Reader) error {
	if err := x.tree.MkdirAll(path.Dir(name), 0o700); err != nil {
		return err
	}
	f, err := x.tree.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	return copyClose(f, r)
}

// copyClose copies r into f and closes it: the first error of the two.
func copyClose(f *os.File, r io.Reader) error {
	_, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// moveStaged moves the staged tree (stagePath in root) into root. It
// checks first that every staged directory is a real directory in root
// or missing, and that no staged file or link is there yet, so it moves
// all or nothing. Links created in the tree were checked against the
// tree's directories (see linker): those directories become real
// directories in root, never links found there.
func moveStaged(root, tree *os.Root, stagePath string) (int, error) {
	var dirs, names []string
	err := fs.WalkDir(tree.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case p == ".":
		case d.IsDir():
			dirs = append(dirs, p)
		default:
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	sort.Strings(dirs)
	sort.Strings(names)
	// reliability: a link planted in DIR would make the moves fail half
	// way (or write out of DIR): all is checked before anything moves.
	for _, d := range dirs {
		fi, err := root.Lstat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return 0, &LinkInTargetError{Path: d, Reason: err.Error()}
		case fi.Mode()&fs.ModeSymlink != 0:
			return 0, &LinkInTargetError{Path: d, Reason: "is a symbolic link"}
		case !fi.IsDir():
			return 0, &LinkInTargetError{Path: d, Reason: "is not a directory"}
		}
	}
	for _, n := range names {
		if _, err := root.Lstat(n); err == nil {
			return 0, &ExistsError{Path: n}
		}
	}
	for _, d := range dirs {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return 0, err
		}
	}
	for _, n := range names {
		if err := root.Rename(stagePath+"/"+n, n); err != nil {
			return 0, err
		}
	}
	return len(names), nil
}
