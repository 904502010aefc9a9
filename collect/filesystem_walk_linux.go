package collect

import (
	"bytes"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The metadata walk is a pipeline of three parts, so that the statx(2)
// calls, which are most of its cost, run on every core while the bodyfile
// keeps the order of a one-threaded walk:
//
//   - the walker (one goroutine) lists directories by descriptor, as
//     [walkRoot] does, and cuts the entries into batches (across
//     directories, so that a tree of small directories is not a batch per
//     directory), queued in walk order; it stats a directory itself, since
//     it needs the directory's device (-xdev) and identity to enter it;
//   - workers ([hashWorkers] of them) stat the entries of a batch relative
//     to their directory's descriptor, read symlinks, a file capability
//     and the first bytes of a hidden file where the rules need them, and
//     format the bodyfile lines;
//   - the consumer (the collector's goroutine) takes the batches in the
//     order queued, waits for each, appends its lines to the bodyfile part,
//     runs the rules and stores full parts. Only it writes the document.
//
// A batch holds a reference on each of its directories (at most
// fsBatchMaxDirs) until a worker is done with it, and at most fsQueue
// batches wait, so descriptors and memory stay bounded whatever the tree.

const (
	fsBatchMax     = 256 // entries in a batch
	fsBatchMaxDirs = 16  // directories a batch holds open
	fsQueue        = 16  // batches waiting
)

// fsBatch is a run of entries, in walk order, from up to fsBatchMaxDirs
// directories.
type fsBatch struct {
	ents  []fsEntry
	dirs  []*dirRef // held (acquired) until a worker is done with the batch
	lines []byte    // the bodyfile lines of the entries stated, in order
	err   string    // an error of the walk itself (no entries)
	ready chan struct{}
}

// fsEntry is one entry of a batch.
type fsEntry struct {
	dir        *dirRef
	name, host string
	st         unix.Statx_t
	have       bool   // st was filled by the walker
	err        error  // its statx failed
	capHex     string // its security.capability (executable files)
	elf        bool   // it starts with ELF magic (dot-named files not executable)
}

var fsBatchPool = sync.Pool{New: func() any { return &fsBatch{} }}

func newFSBatch() *fsBatch {
	b := fsBatchPool.Get().(*fsBatch)
	b.ready = make(chan struct{})
	return b
}

// free returns the batch to the pool.
func (b *fsBatch) free() {
	clear(b.ents) // no dirRef or string kept alive by the pool
	clear(b.dirs)
	*b = fsBatch{ents: b.ents[:0], dirs: b.dirs[:0], lines: b.lines[:0]}
	fsBatchPool.Put(b)
}

// add appends an entry of dir and returns it.
func (b *fsBatch) add(dir *dirRef, name, host string) *fsEntry {
	if len(b.dirs) == 0 || b.dirs[len(b.dirs)-1] != dir {
		b.dirs = append(b.dirs, dir.acquire())
	}
	b.ents = append(b.ents, fsEntry{dir: dir, name: name, host: host})
	return &b.ents[len(b.ents)-1]
}

// stat is a worker's part: statx of every entry the walker did not stat,
// the target of every symlink, what the rules read from a file's
// attributes and first bytes, and the bodyfile lines. Then the batch's
// directories are released: the consumer needs none of them.
func (b *fsBatch) stat() {
	defer close(b.ready)
	for i := range b.ents {
		e := &b.ents[i]
		if e.err != nil {
			continue // the walker's statx of a directory failed
		}
		if !e.have {
			if err := statxAt(e.dir.fd, e.name, unix.AT_SYMLINK_NOFOLLOW, &e.st); err != nil {
				e.err = err
				continue
			}
		}
		target := ""
		switch e.st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			target, _ = e.dir.readlink(e.name)
		case unix.S_IFREG:
			if e.st.Mode&0o111 != 0 {
				e.capHex = fileCap(e.dir, e.name)
			} else if strings.HasPrefix(e.name, ".") {
				e.elf = isELF(e.dir, e.name)
			}
		}
		b.lines = appendBodyLine(b.lines, e.host, &e.st, target)
	}
	for _, d := range b.dirs {
		d.release()
	}
}

// walkMount walks one mount point, -xdev: a directory on another device
// gets its line but is not entered (its own mount is walked, or skipped,
// on its own).
func (w *fsWalk) walkMount(mnt string) error {
	local := w.env.Path(mnt)
	dir, info, err := openRootDir(local)
	if err != nil {
		w.errorf("%s: %v", mnt, err)
		return nil
	}
	w.rootDev, _, _ = fileDevIno(info)
	var st unix.Statx_t
	if err := statxAt(dir.fd, "", unix.AT_EMPTY_PATH, &st); err == nil && mnt == "/" {
		if err := w.line("/", &st, ""); err != nil {
			dir.release()
			return err
		}
	}
	order := make(chan *fsBatch, fsQueue)
	work := make(chan *fsBatch, fsQueue)
	var stop atomic.Bool
	var workers sync.WaitGroup
	for range hashWorkers() {
		workers.Go(func() {
			for b := range work {
				b.stat()
			}
		})
	}
	wk := &fsWalker{w: w, order: order, work: work, stop: &stop, base: w.doc.Files,
		prefix: strings.TrimSuffix(mnt, "/"), local: strings.TrimSuffix(local, "/")}
	go func() {
		defer close(work)
		defer close(order)
		defer dir.release()
		if err := walkRoot(dir, local, info, wk.visit); err != nil && !stop.Load() {
			wk.queueErr(mnt + ": " + err.Error())
		}
		wk.flush()
	}()
	var sinkErr error
	for b := range order {
		<-b.ready
		if sinkErr == nil {
			if sinkErr = w.take(b); sinkErr != nil {
				stop.Store(true) // the walker stops; the queue is drained
			}
		}
		b.free()
	}
	workers.Wait()
	if sinkErr == nil && wk.limit != "" {
		w.limit = wk.limit
	}
	return sinkErr
}

// take is the consumer's part for one batch: its lines into the bodyfile,
// its errors into the document, its entries through the rules.
func (w *fsWalk) take(b *fsBatch) error {
	if b.err != "" {
		w.errorf("%s", b.err)
		return nil
	}
	lines := b.lines
	for i := range b.ents {
		e := &b.ents[i]
		if e.err != nil {
			w.errorf("statx %s: %v", e.host, e.err)
			continue
		}
		n := bytes.IndexByte(lines, '\n') + 1
		if err := w.appendLine(lines[:n]); err != nil {
			return err
		}
		lines = lines[n:]
		w.rules(e.name, e.host, &e.st, e.capHex, e.elf)
	}
	return nil
}

// fsWalker is the walker's part. Its fields are its own until the order
// queue is closed.
type fsWalker struct {
	w           *fsWalk
	order, work chan<- *fsBatch
	stop        *atomic.Bool
	pending     *fsBatch
	base, n     int64 // files before this mount, entries queued in it
	limit       string
	prefix      string // the mount point as a host path, without a final "/"
	local       string // where it is read, without a final "/"
}

// visit is the walkFunc: every entry is queued; a directory is stated here,
// for its device and for the identity it is opened with.
func (k *fsWalker) visit(d *dirRef, name, loc string, de fs.DirEntry, err error) error {
	if err != nil {
		k.queueErr(err.Error())
		return nil
	}
	if d == nil {
		return nil // the mount point itself: its mount's parent lists it
	}
	if k.stop.Load() {
		return fs.SkipAll
	}
	if k.base+k.n >= k.w.maxFiles {
		k.limit = "files"
		return fs.SkipAll
	}
	if k.n&1023 == 0 && (time.Now().After(k.w.deadline) || k.w.ctx.Err() != nil) {
		k.limit = "time"
		return fs.SkipAll
	}
	k.n++
	if k.pending != nil && (len(k.pending.ents) >= fsBatchMax || len(k.pending.dirs) >= fsBatchMaxDirs) {
		k.flush()
	}
	if k.pending == nil {
		k.pending = newFSBatch()
	}
	e := k.pending.add(d, name, k.prefix+strings.TrimPrefix(loc, k.local))
	if !de.IsDir() {
		return nil
	}
	if err := statxAt(d.fd, name, unix.AT_SYMLINK_NOFOLLOW, &e.st); err != nil {
		e.err = err
		return fs.SkipDir
	}
	e.have = true
	if unix.Mkdev(e.st.Dev_major, e.st.Dev_minor) != k.w.rootDev {
		return fs.SkipDir // another file system mounted here
	}
	if de, ok := de.(*dirent); ok {
		// What the walk checks the opened directory against: this statx,
		// not another lstat.
		de.info = &statxInfo{name: name, st: e.st}
	}
	return nil
}

// flush queues the pending batch.
func (k *fsWalker) flush() {
	if k.pending == nil {
		return
	}
	b := k.pending
	k.pending = nil
	k.order <- b // first the order, so the consumer can never wait on a batch no worker has
	k.work <- b
}

// queueErr queues an error of the walk, after the entries before it.
func (k *fsWalker) queueErr(msg string) {
	k.flush()
	b := newFSBatch()
	b.err = msg
	close(b.ready)
	k.order <- b
}

// line appends the bodyfile line of one entry the consumer stated itself.
func (w *fsWalk) line(host string, st *unix.Statx_t, target string) error {
	return w.appendLine(appendBodyLine(nil, host, st, target))
}

// appendLine counts one file and appends its line to the part, storing the
// part first when the line would not fit.
func (w *fsWalk) appendLine(b []byte) error {
	w.doc.Files++
	if len(w.part)+len(b) > w.partMax && len(w.part) > 0 {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if w.part == nil {
		w.part = make([]byte, 0, w.partMax)
	}
	w.part = append(w.part, b...)
	return nil
}

// appendBodyLine appends one bodyfile line. Format 3.x:
// MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime, times in
// whole seconds, 0 for an unknown birth time; the MD5 is 0 (not computed).
// A symlink's name is "path -> target", as fls writes it.
func appendBodyLine(b []byte, host string, st *unix.Statx_t, target string) []byte {
	b = append(b, "0|"...)
	b = appendBodyName(b, host)
	if target != "" {
		b = append(b, " -> "...)
		b = appendBodyName(b, target)
	}
	b = append(b, '|')
	b = strconv.AppendUint(b, st.Ino, 10)
	b = append(b, '|')
	b = appendBodyMode(b, uint32(st.Mode))
	for _, n := range [...]int64{int64(st.Uid), int64(st.Gid), int64(st.Size), st.Atime.Sec, st.Mtime.Sec, st.Ctime.Sec} {
		b = append(b, '|')
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, '|')
	if st.Mask&unix.STATX_BTIME != 0 {
		b = strconv.AppendInt(b, st.Btime.Sec, 10)
	} else {
		b = append(b, '0')
	}
	return append(b, '\n')
}
