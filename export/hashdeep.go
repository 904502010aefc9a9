package export

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/hozen-dfir/hozen/bundle"
)

// Hashdeep lists
//
// [WriteHashdeep] writes a file list that hashdeep's audit mode checks an
// extracted bundle against (hashdeep 4.4, the HASHDEEP-1.0 format):
//
//	%%%% HASHDEEP-1.0
//	%%%% size,sha256,filename
//	## comments
//	5,2cf2...,/cases/x/files/etc/hosts
//
// with md5 and sha1 columns too when every file has them (collect
// --hash md5,sha1). hashdeep's audit compares names exactly as it prints
// them, so the list holds every file extract writes, artifacts and
// hozen/ metadata alike, named as hashdeep names them, and nothing else.
// hashdeep follows links: a link extract creates that leads to a file
// is listed under the link's name with the file's digests, and one that
// leads to a directory is walked as hashdeep walks it (a directory
// already being walked, by its real path, is skipped: hashdeep's cycle
// rule). Links extract does not create are not there, so not listed.
//
// Names: with HashdeepOptions.Prefix ("/abs/DIR"), names are PREFIX/path,
// for 'hashdeep -a -k LIST -r /abs/DIR' (hashdeep prints an absolute
// path as given, a relative one after the working directory); without,
// names are bundle paths, for 'cd DIR && hashdeep -l -a -k LIST -r *'.
// The two walks differ where a link leads to the top of DIR: with -r DIR
// the top is being walked (a cycle), with -r * it is not; the list
// follows the form it is made for. hashdeep splits a line at its first
// commas and keeps the rest as the name, so commas in names need no
// quoting; a name with a line break cannot be written (hashdeep itself
// cuts it): such files are left out, named in a comment, and counted in
// the result: hashdeep's audit fails on them.

// HashdeepOptions configure [WriteHashdeep].
type HashdeepOptions struct {
	// Prefix, if set, is the absolute directory names start with.
	Prefix string
	// MaxEntries bounds the lines written (links to directories multiply
	// them); 0: DefaultMaxEntries.
	MaxEntries int
}

// DefaultMaxEntries bounds a hashdeep list.
const DefaultMaxEntries = 5_000_000

// HashdeepResult says what a list left out.
type HashdeepResult struct {
	Entries int
	// Unlistable are the paths with a line break in them.
	Unlistable []string
}

// TooManyEntriesError: the bundle's links to directories would make the
// list longer than the bound.
type TooManyEntriesError struct{ Max int }

func (e *TooManyEntriesError) Error() string {
	return fmt.Sprintf("the list would hold more than %d entries (links to directories repeat what is under them)", e.Max)
}

// WriteHashdeep writes b's hashdeep list to w (see "Hashdeep lists").
func WriteHashdeep(w io.Writer, b *Bundle, opts HashdeepOptions) (*HashdeepResult, error) {
	max := opts.MaxEntries
	if max <= 0 {
		max = DefaultMaxEntries
	}
	withMD5, withSHA1 := true, true
	for _, d := range b.placed {
		withMD5 = withMD5 && d.md5 != ""
		withSHA1 = withSHA1 && d.sha1 != ""
	}
	cols := "size"
	if withMD5 {
		cols += ",md5"
	}
	if withSHA1 {
		cols += ",sha1"
	}
	cols += ",sha256,filename"
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%%%%%%%% HASHDEEP-1.0\n%%%%%%%% %s\n", cols)
	fmt.Fprintf(bw, "## hozen export of %s (bundle %s, case %s)%s\n", oneLine(b.Name), b.Header.BundleID, oneLine(b.Header.CaseID), toolNote(b))
	if opts.Prefix != "" {
		fmt.Fprintf(bw, "## audit: hashdeep -a -k LIST -r %s\n", oneLine(opts.Prefix))
	} else {
		fmt.Fprintf(bw, "## audit: cd DIR && hashdeep -l -a -k LIST -r *\n")
	}
	if b.Incomplete {
		fmt.Fprintf(bw, "## INCOMPLETE bundle: only the %d records that verified before its cut are listed: %s\n", b.Result.Records, oneLine(fmt.Sprint(b.Result.Err)))
	}
	fmt.Fprintln(bw, "## ")
	res := &HashdeepResult{}
	wk := &hdWalk{b: b, w: bw, res: res, max: max, md5: withMD5, sha1: withSHA1, onStack: map[string]bool{}}
	var err error
	if opts.Prefix != "" {
		wk.prefix = strings.TrimSuffix(opts.Prefix, "/") + "/"
		err = wk.dir(".", "")
	} else {
		for _, name := range b.Layout.List(".") {
			if strings.HasPrefix(name, ".") { // the shell's * leaves them out
				continue
			}
			if err = wk.entry(name); err != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	for _, p := range res.Unlistable {
		fmt.Fprintf(bw, "## not listed (a line break in its name): %s\n", strconv.Quote(p))
	}
	res.Entries = wk.n
	return res, bw.Flush()
}

type hdWalk struct {
	b         *Bundle
	w         *bufio.Writer
	res       *HashdeepResult
	prefix    string
	max, n    int
	md5, sha1 bool
	onStack   map[string]bool // real paths of the directories being walked
}

// entry is hashdeep's handling of the name p (a path as it is walked).
func (k *hdWalk) entry(p string) error {
	real, kind := k.b.Layout.Resolve(p)
	switch kind {
	case bundle.KindFile:
		return k.file(p, real)
	case bundle.KindDir:
		return k.dir(real, p)
	}
	return nil // a link that leads nowhere: hashdeep says so and goes on
}

// dir walks the directory real (its real path) under the name p.
func (k *hdWalk) dir(real, p string) error {
	if k.onStack[real] {
		return nil // hashdeep: "symlink creates cycle"
	}
	k.onStack[real] = true
	defer delete(k.onStack, real)
	for _, name := range k.b.Layout.List(real) {
		if err := k.entry(path.Join(p, name)); err != nil {
			return err
		}
	}
	return nil
}

func (k *hdWalk) file(p, real string) error {
	d, ok := k.b.placed[real]
	if !ok {
		return fmt.Errorf("internal error: %s resolves to %s, which has no digest", p, real)
	}
	if strings.ContainsAny(p, "\n\r") {
		if p == real {
			k.res.Unlistable = append(k.res.Unlistable, p)
		}
		return nil
	}
	if k.n++; k.n > k.max {
		return &TooManyEntriesError{Max: k.max}
	}
	fmt.Fprintf(k.w, "%d,", d.size)
	if k.md5 {
		fmt.Fprintf(k.w, "%s,", d.md5)
	}
	if k.sha1 {
		fmt.Fprintf(k.w, "%s,", d.sha1)
	}
	fmt.Fprintf(k.w, "%s,%s%s\n", d.sha256, k.prefix, p)
	return nil
}

// oneLine keeps a value on its comment line.
func oneLine(s string) string {
	if strings.ContainsAny(s, "\n\r") {
		return strconv.Quote(s)
	}
	return s
}

func toolNote(b *Bundle) string {
	if b.Tool == "" {
		return ""
	}
	return " by hozen " + b.Tool
}
