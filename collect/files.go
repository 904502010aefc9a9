package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Files copies host files matching its globs into the bundle at
// "files/<host path>", with their metadata. It never follows a symlink:
// links are stored as links, with their target in the record. FIFOs,
// sockets and devices get a metadata record and are never opened.
type Files struct {
	// Group names the file group ("logs", "persistence"); records carry it
	// as their collector. Empty means "files".
	Group   string
	Include []string
	Exclude []string
	// MaxFileBytes caps the bytes stored per file; 0 means no cap.
	MaxFileBytes int64
}

// Name implements Collector.
func (f *Files) Name() string {
	if f.Group == "" {
		return "files"
	}
	return f.Group
}

// Budget is a total byte budget shared by all collectors of one run.
type Budget struct {
	max  int64 // 0: none
	used atomic.Int64
	// parent, when set, is a budget this one draws from as well (a
	// collector's own bound within the collection's).
	parent *Budget
	// closed, once set, grants nothing more and says why (see closeFor).
	closed atomic.Pointer[string]
}

// closeFor closes the budget before its bytes are spent (a collector's
// time budget ran out): Take grants nothing from now on, and the records
// of files not read give reason.
func (b *Budget) closeFor(reason string) { b.closed.Store(&reason) }

// reached says why the budget granted less than asked.
func (b *Budget) reached() string {
	if b != nil {
		if r := b.closed.Load(); r != nil {
			return *r
		}
	}
	return fmt.Sprintf("total byte budget of %d bytes reached", b.Max())
}

// NewBudget returns a budget of max bytes; 0 means unlimited.
func NewBudget(max int64) *Budget { return &Budget{max: max} }

// Take reserves up to n bytes and returns how many were granted.
func (b *Budget) Take(n int64) int64 {
	if b == nil {
		return n
	}
	if b.closed.Load() != nil {
		return 0
	}
	grant := n
	if b.max > 0 {
		for {
			used := b.used.Load()
			grant = min(n, b.max-used)
			if grant <= 0 {
				return 0
			}
			if b.used.CompareAndSwap(used, used+grant) {
				break
			}
		}
	}
	if b.parent != nil {
		if got := b.parent.Take(grant); got < grant {
			if b.max > 0 {
				b.used.Add(got - grant) // give back what the parent refused
			}
			grant = got
		}
	}
	return grant
}

// Max is the budget's size; 0 for none.
func (b *Budget) Max() int64 {
	if b == nil {
		return 0
	}
	return b.max
}

// Collect implements Collector.
func (f *Files) Collect(ctx context.Context, env *Env, sink Sink) error {
	return (&fileCopier{f: f, env: env, sink: sink}).collect(ctx)
}

func (c *fileCopier) collect(ctx context.Context) error {
	f := c.f
	if openFirst {
		c.readers = startAheadReaders(ctx)
		defer c.readers.stop()
		defer c.dropAhead() // after a failure; empty otherwise
	}
	for _, p := range f.Exclude {
		g, err := ParseGlob(p)
		if err != nil {
			return fmt.Errorf("exclude: %w", err)
		}
		c.exclude = append(c.exclude, g)
	}
	globs := make([]Glob, len(f.Include))
	bases := make([]string, len(f.Include))
	for i, p := range f.Include {
		g, err := ParseGlob(p)
		if err != nil {
			return fmt.Errorf("include: %w", err)
		}
		globs[i], bases[i] = g, g.Base()
	}
	for i, g := range globs {
		c.later = bases[i+1:]
		if err := c.walk(ctx, g); err != nil {
			return err
		}
		if err := c.drainAhead(ctx); err != nil {
			return err
		}
	}
	return nil
}

type fileCopier struct {
	f       *Files
	env     *Env
	sink    Sink
	exclude []Glob
	// later are the literal bases of the includes still to walk: a path
	// is kept in the collection's set of stored paths ([runFiles]) only if
	// one of them, or a collector still to run, can reach it again.
	later []string
	// readers and window read small files ahead (prefetch.go); nil and
	// empty where openFirst is false.
	readers *aheadReaders
	window  []*readAhead
}

func (c *fileCopier) excluded(hostPath string) bool {
	for _, g := range c.exclude {
		if g.Match(hostPath) {
			return true
		}
	}
	return false
}

// walk collects every path matching g. The literal base of the pattern is
// opened one component at a time from the collection's root, each
// relative to the one before and never through a symlink: a symlink on
// the way is recorded as a link, with a warning that the include's path
// crosses it, and not followed.
func (c *fileCopier) walk(ctx context.Context, g Glob) error {
	base := g.Base()
	parts := splitPath(base)
	rootLocal := c.env.Path("/")
	dir, rootInfo, err := openRootDir(rootLocal)
	if err != nil {
		return c.putError("/", err)
	}
	defer func() { dir.release() }()
	fn := func(dir *dirRef, name, local string, d fs.DirEntry, err error) error {
		return c.visit(ctx, g, dir, name, local, d, err)
	}
	if len(parts) == 0 {
		return walkRoot(dir, rootLocal, rootInfo, fn)
	}
	cur := ""
	for i, p := range parts {
		cur += "/" + p
		fi, err := dir.lstat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // nothing to collect here; not an error
			}
			if g.Match(cur) || i < len(parts)-1 {
				return c.putError(cur, err)
			}
			return nil
		}
		if i == len(parts)-1 {
			return walkFrom(dir, p, c.env.Path(base), fi, fn)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			// A link on the way: record it as a link, do not follow it.
			return c.putCrossing(ctx, dir, p, cur, base, fi)
		}
		if !fi.IsDir() {
			return c.putError(cur+"/"+parts[i+1], &fs.PathError{Op: "lstat", Path: c.env.Path(cur + "/" + parts[i+1]), Err: syscall.ENOTDIR})
		}
		sub, err := dir.openDir(p, fi)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return c.putError(cur, err)
		}
		dir.release()
		dir = sub
	}
	return nil
}

// putCrossing records the symlink name of dir, at hostPath, which the
// literal base of an include crosses.
func (c *fileCopier) putCrossing(ctx context.Context, dir *dirRef, name, hostPath, base string, fi fs.FileInfo) error {
	if first, err := c.claim(ctx, hostPath); !first || err != nil {
		return err
	}
	rec := c.record(hostPath)
	rec.File = dir.meta(name, fi)
	target, err := dir.readlink(name)
	if err != nil {
		rec.Entry = manifest.EntryNone
		rec.Outcome = outcomeOf(err)
		rec.Errors = []string{err.Error()}
		return c.sink.Put(rec, nil)
	}
	t := manifest.BString(target)
	rec.File.LinkTarget = &t
	rec.Entry = manifest.EntrySymlink
	rec.Warnings = []string{fmt.Sprintf("the path of include %q crosses a symlink at %s -> %q: not followed, nothing below it collected", base, hostPath, target)}
	return c.sink.Put(rec, nil)
}

// visit is the walk's call for one entry of dir.
func (c *fileCopier) visit(ctx context.Context, g Glob, dir *dirRef, name, local string, d fs.DirEntry, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	hostPath := c.hostPath(local)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		var rep *ReplacedError
		if g.Match(hostPath) || g.MayMatchBelow(hostPath) || errors.As(err, &rep) {
			if perr := c.putError(hostPath, err); perr != nil {
				return perr
			}
		}
		if d != nil && d.IsDir() {
			return fs.SkipDir
		}
		return nil
	}
	if c.excluded(hostPath) {
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	}
	if d.IsDir() {
		if dir != nil && hostPath != g.Base() && !g.MayMatchBelow(hostPath) {
			return fs.SkipDir
		}
		return nil
	}
	if !g.Match(hostPath) || c.stored(hostPath) {
		return nil // not matched, or stored by an earlier include or collector
	}
	if openFirst && d.Type().IsRegular() && !isPseudoPath(hostPath) {
		// Listed as a regular file: a reader opens it and describes
		// what it opened (one fstat and one statx on the descriptor,
		// no lstat and statx first) and reads it if small; the walk
		// stores it in turn. One that cannot be opened (gone, denied,
		// now a link) is then listed as below, which says why.
		c.mark(hostPath)
		return c.queueAhead(ctx, dir, name, hostPath)
	}
	fi, err := d.Info()
	if err != nil {
		return c.putError(hostPath, err)
	}
	return c.putIn(ctx, dir, name, hostPath, fi)
}

// hostPath maps a local path under env.Root back to the host path.
func (c *fileCopier) hostPath(local string) string {
	root := c.env.Root
	if root == "" || root == "/" {
		return filepath.ToSlash(local)
	}
	rel, err := filepath.Rel(root, local)
	if err != nil {
		return filepath.ToSlash(local)
	}
	return "/" + filepath.ToSlash(rel)
}

// BundlePath is where a host file is stored in a bundle.
func BundlePath(hostPath string) string {
	p := filepath.ToSlash(hostPath)
	p = strings.ReplaceAll(p, ":", "")
	return "files/" + strings.TrimPrefix(p, "/")
}

func (c *fileCopier) record(hostPath string) *manifest.Record {
	return &manifest.Record{
		Path:      manifest.BString(BundlePath(hostPath)),
		Source:    manifest.BString(hostPath),
		Collector: c.f.Name(),
		Outcome:   manifest.OutcomeOK,
	}
}

// mark remembers that hostPath is stored, if a later include of this
// collector or a collector still to run can reach it again. One include's
// walk visits each path once, so with one include, or includes under
// separate roots, nothing is kept: memory for a collection of millions of
// files does not grow with them.
func (c *fileCopier) mark(hostPath string) {
	rf := c.env.runFiles()
	for _, bases := range [2][]string{c.later, rf.later} {
		for _, base := range bases {
			if underPath(hostPath, base) || underPath(base, hostPath) {
				rf.seen.add(hostPath)
				return
			}
		}
	}
}

// stored reports whether hostPath was stored by an earlier include of
// this collector or by an earlier collector of the collection.
func (c *fileCopier) stored(hostPath string) bool {
	return c.env.runFiles().seen.has(hostPath)
}

// underPath reports whether p is dir or lies below it.
func underPath(p, dir string) bool {
	return dir == "/" || p == dir || strings.HasPrefix(p, dir) && p[len(dir)] == '/'
}

// claim takes hostPath for storing: it marks it seen and first stores
// every file read ahead before it. first is false when an earlier include
// stored the path already.
func (c *fileCopier) claim(ctx context.Context, hostPath string) (first bool, err error) {
	if c.stored(hostPath) {
		return false, nil
	}
	c.mark(hostPath)
	return true, c.drainAhead(ctx)
}

// putError records a path that could not even be listed or stat'ed.
func (c *fileCopier) putError(hostPath string, err error) error {
	if first, derr := c.claim(context.Background(), hostPath); !first || derr != nil {
		return derr
	}
	return c.putListError(hostPath, err)
}

// putListError is putError for a path already marked seen, with nothing
// read ahead before it.
func (c *fileCopier) putListError(hostPath string, err error) error {
	rec := c.record(hostPath)
	rec.Entry = manifest.EntryNone
	rec.Outcome = outcomeOf(err)
	rec.Errors = []string{err.Error()}
	return c.sink.Put(rec, nil)
}

// putIn stores the entry name of dir (a file, link or special file, at
// hostPath, lstat'ed as fi) after every file read ahead before it.
func (c *fileCopier) putIn(ctx context.Context, dir *dirRef, name, hostPath string, fi fs.FileInfo) error {
	if first, err := c.claim(ctx, hostPath); !first || err != nil {
		return err
	}
	return c.putListed(ctx, dir, name, hostPath, fi)
}

// putListed is putIn for a path already marked seen, with nothing read
// ahead before it.
func (c *fileCopier) putListed(ctx context.Context, dir *dirRef, name, hostPath string, fi fs.FileInfo) error {
	rec := c.record(hostPath)
	rec.File = dir.meta(name, fi)
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := dir.readlink(name)
		if err != nil {
			rec.Entry = manifest.EntryNone
			rec.Outcome = outcomeOf(err)
			rec.Errors = []string{err.Error()}
			return c.sink.Put(rec, nil)
		}
		t := manifest.BString(target)
		rec.File.LinkTarget = &t
		rec.Entry = manifest.EntrySymlink
		return c.sink.Put(rec, nil)
	case !fi.Mode().IsRegular():
		return c.putSpecial(rec)
	}
	if isPseudoPath(hostPath) {
		return c.putPseudo(ctx, dir, name, fi, rec)
	}
	return c.putRegular(ctx, dir, name, fi, rec)
}

// putSpecial records a FIFO, socket or device (rec.File describes it):
// metadata only, never read.
func (c *fileCopier) putSpecial(rec *manifest.Record) error {
	rec.Entry = manifest.EntryNone
	rec.Outcome = manifest.OutcomeSpecial
	rec.Warnings = []string{rec.File.Type + ": metadata only, not read"}
	return c.sink.Put(rec, nil)
}

// isPseudoPath reports whether a host path lies in a kernel pseudo file
// system, whose files report sizes that are not their content (0 for most,
// 128 TiB for /proc/kcore) and whose reads may block.
func isPseudoPath(hostPath string) bool {
	return strings.HasPrefix(hostPath, "/proc/") || strings.HasPrefix(hostPath, "/sys/")
}

// putPseudo stores a /proc or /sys file read whole up to PseudoMaxBytes with
// a deadline; one that claims to be larger than that (a memory image like
// /proc/kcore) gets a metadata record and is never read.
func (c *fileCopier) putPseudo(ctx context.Context, dir *dirRef, name string, fi fs.FileInfo, rec *manifest.Record) error {
	if fi.Size() > PseudoMaxBytes {
		rec.Entry = manifest.EntryNone
		rec.Outcome = manifest.OutcomeSpecial
		rec.Warnings = []string{fmt.Sprintf("kernel pseudo-file reporting %d bytes (a memory image); metadata only, not read", fi.Size())}
		return c.sink.Put(rec, nil)
	}
	dir.acquire() // for the reader, which may outlive a timeout
	res := readPseudo(ctx, dir.local(name), func() (*os.File, error) {
		defer dir.release()
		return dir.openFile(name)
	}, PseudoMaxBytes)
	if !res.describe(rec) {
		return c.sink.Put(rec, nil)
	}
	rec.Size = c.env.Budget.Take(rec.Size)
	if rec.Size < int64(len(res.Data)) {
		rec.Outcome = manifest.OutcomePartial
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("capped at %d of %d bytes (total byte budget reached)", rec.Size, len(res.Data)))
	}
	return c.sink.Put(rec, bytesReader(res.Data[:rec.Size]))
}

func (c *fileCopier) putRegular(ctx context.Context, dir *dirRef, name string, fi fs.FileInfo, rec *manifest.Record) error {
	f, err := dir.openFile(name)
	return c.putOpened(ctx, f, err, fi, rec)
}

// putOpened stores the regular file f, listed as fi, opened with error
// openErr.
func (c *fileCopier) putOpened(ctx context.Context, f *os.File, openErr error, fi fs.FileInfo, rec *manifest.Record) error {
	if openErr != nil {
		rec.Entry = manifest.EntryNone
		rec.Outcome = outcomeOf(openErr)
		rec.Errors = []string{openErr.Error()}
		return c.sink.Put(rec, nil)
	}
	defer f.Close()
	at, err := f.Stat()
	if err != nil {
		rec.Entry = manifest.EntryNone
		rec.Outcome = outcomeOf(err)
		rec.Errors = []string{err.Error()}
		return c.sink.Put(rec, nil)
	}
	if !at.Mode().IsRegular() || !sameFile(fi, at) {
		// Replaced between listing and opening (a rotated log): describe
		// what was opened, and say so.
		rec.Outcome = manifest.OutcomeChanged
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("replaced between listing and opening: listed %s, opened %s; metadata is of the file opened", fileID(fi), fileID(at)))
		rec.File = fileMetaOpened(f, at)
		if !at.Mode().IsRegular() {
			rec.Entry = manifest.EntryNone
			rec.Outcome = manifest.OutcomeSpecial
			return c.sink.Put(rec, nil)
		}
	}
	size := at.Size()
	if ext, ok := sparseExtents(f, at, size); ok {
		return c.putSparse(ctx, f, at, rec, ext)
	}
	want, ok := c.limit(rec, size)
	if !ok {
		return c.sink.Put(rec, nil)
	}
	rec.Entry = manifest.EntryFile
	rec.Size = want
	body := &fileBody{
		f: f, ctx: ctx, want: want, size: size, before: at,
		deadline: time.Now().Add(fileDeadline(want)),
	}
	return c.sink.Put(rec, body)
}

// limit applies the per-file cap and the total budget to a file of size
// bytes: how many to store, saying so in rec when fewer; ok is false when
// none may be (rec then says why).
func (c *fileCopier) limit(rec *manifest.Record, size int64) (want int64, ok bool) {
	want = size
	if c.f.MaxFileBytes > 0 && want > c.f.MaxFileBytes {
		want = c.f.MaxFileBytes
		rec.Outcome = manifest.OutcomePartial
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("capped at %d of %d bytes (per-file limit)", want, size))
	}
	if got := c.env.Budget.Take(want); got < want {
		if got == 0 {
			rec.Entry = manifest.EntryNone
			rec.Outcome = manifest.OutcomePartial
			rec.Errors = append(rec.Errors, c.env.Budget.reached()+"; not read")
			return 0, false
		}
		rec.Outcome = manifest.OutcomePartial
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("capped at %d of %d bytes (%s)", got, size, c.env.Budget.reached()))
		want = got
	}
	return want, true
}

// Sparse files. A file whose holes add up to sparseMinHoles or more (a
// 1 TiB file with a few blocks written, say) is not read as zeros for
// hours and not inflated in the bundle: its data entry holds only its data
// ranges, one after the other, and the record's outcome is "partial" with
// a warning that lists every range as OFFSET+LENGTH, so the file can be
// rebuilt exactly (holes are zeros). A smaller sparse file (lastlog, say)
// is read whole, so its digest is that of sha256sum. A file with more than
// sparseMaxExtents data ranges gets a metadata record only.
const (
	sparseMinHoles   = 64 << 20
	sparseMaxExtents = 1024
)

// extent is one data range of a sparse file.
type extent struct{ Off, Len int64 }

func (c *fileCopier) putSparse(ctx context.Context, f *os.File, at fs.FileInfo, rec *manifest.Record, ext []extent) error {
	size := at.Size()
	var data int64
	for _, e := range ext {
		data += e.Len
	}
	if len(ext) > sparseMaxExtents {
		rec.Entry = manifest.EntryNone
		rec.Outcome = manifest.OutcomePartial
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("sparse file: apparent size %d bytes, %d bytes of data in %d ranges, more than the %d hozen lists; metadata only, not read",
			size, data, len(ext), sparseMaxExtents))
		return c.sink.Put(rec, nil)
	}
	// Caps apply to the data stored: keep whole ranges, cut the last one.
	want := data
	if c.f.MaxFileBytes > 0 && want > c.f.MaxFileBytes {
		want = c.f.MaxFileBytes
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("capped at %d of %d bytes of data (per-file limit)", want, data))
	}
	if got := c.env.Budget.Take(want); got < want {
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("capped at %d of %d bytes of data (%s)", got, data, c.env.Budget.reached()))
		want = got
	}
	var (
		readers []io.Reader
		ranges  strings.Builder
		left    = want
	)
	for _, e := range ext {
		n := min(e.Len, left)
		if n <= 0 {
			break
		}
		readers = append(readers, io.NewSectionReader(f, e.Off, n))
		fmt.Fprintf(&ranges, " %d+%d", e.Off, n)
		left -= n
	}
	rec.Entry = manifest.EntryFile
	rec.Outcome = manifest.OutcomePartial
	rec.Size = want
	rec.Warnings = append(rec.Warnings, fmt.Sprintf("sparse file: apparent size %d bytes, %d bytes of data in %d ranges; stored %d bytes: the data ranges one after the other, holes (zeros) not stored; ranges (offset+length):%s",
		size, data, len(ext), want, ranges.String()))
	body := &fileBody{
		f: f, r: io.MultiReader(readers...), ctx: ctx, want: want, size: size, before: at,
		deadline: time.Now().Add(fileDeadline(want)),
	}
	return c.sink.Put(rec, body)
}

// fileDeadline bounds the time one file may take: a minute, plus a second
// per 20 MB, so a hung network mount cannot stall a collection.
func fileDeadline(n int64) time.Duration {
	return time.Minute + time.Duration(n/(20<<20))*time.Second
}

// errWatchdog is the error a read gets when its deadline has passed.
var errWatchdog = errors.New("watchdog: read deadline passed")

// fileBody reads a regular file for the sink and, afterwards, reports
// whether it changed while read.
type fileBody struct {
	f        *os.File
	r        io.Reader // what to read, if not f from its start (sparse files)
	ctx      context.Context
	want     int64 // bytes the record promises
	size     int64 // size at open
	n        int64
	before   fs.FileInfo
	deadline time.Time
	timedOut bool
	err      error // the last read error, io.EOF included
}

func (b *fileBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		// Interrupted: the record says so, not that the file shrank.
		b.err = fmt.Errorf("collection interrupted: %w", err)
		return 0, b.err
	}
	if time.Now().After(b.deadline) {
		b.timedOut = true
		return 0, errWatchdog
	}
	var n int
	var err error
	if b.r != nil {
		n, err = b.r.Read(p)
	} else {
		n, err = b.f.Read(p)
	}
	b.n += int64(n)
	if err != nil {
		b.err = err
	}
	return n, err
}

// Report implements Reporter: the file grew, shrank or changed while read.
func (b *fileBody) Report(rec *manifest.Record) {
	if b.timedOut {
		rec.Outcome = manifest.OutcomeTimeout
		return
	}
	if rec.BytesRead < rec.Size {
		if b.err != nil && b.err != io.EOF {
			return // a read error; the sink recorded it
		}
		rec.Outcome = manifest.OutcomeChanged
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("shrank while read: %d bytes read of %d at open; the rest is zero padding", rec.BytesRead, rec.Size))
		return
	}
	if rec.Size == b.size {
		var one [1]byte
		if n, _ := b.f.Read(one[:]); n > 0 {
			rec.Outcome = manifest.OutcomeChanged
			rec.Warnings = append(rec.Warnings, fmt.Sprintf("grew while read: stored the %d bytes it had at open", b.size))
			return
		}
	}
	if after, err := b.f.Stat(); err == nil {
		if !after.ModTime().Equal(b.before.ModTime()) || after.Size() != b.before.Size() {
			rec.Outcome = manifest.OutcomeChanged
			rec.Warnings = append(rec.Warnings, changedWarning(b.before, after))
		}
	}
}
