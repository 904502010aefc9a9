package collect

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"sync/atomic"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Small files are read ahead. The walk lists regular files into a window
// of up to readAheadWindow; readAheadReaders goroutines open, describe,
// read and hash each one (a file of up to readAheadMax bytes is read whole
// into memory; a larger one is left open for the walk to stream), and the
// walk stores them in listing order. Per-file system calls and hashing
// then run beside the walk's records, tar headers and compression instead
// of before them, and on a cold cache several reads are in flight at once.
// Memory stays bounded: at most readAheadWindow files of at most
// readAheadMax bytes wait, in buffers reused by size class.
const (
	readAheadShift   = 18
	readAheadMax     = 1 << readAheadShift // 256 KiB
	readAheadWindow  = 32
	readAheadReaders = 4
)

// aheadOpenedHook, when set (tests), runs after a file read ahead is opened
// and described, before it is read.
var aheadOpenedHook func(local string)

// readAhead is one listed regular file, read or being read.
type readAhead struct {
	hostPath, local string
	// dir is the directory it was listed from, name its name there: it
	// is opened relative to dir. The walk and the reader each hold dir.
	dir   *dirRef
	name  string
	done  chan struct{}
	state atomic.Int32 // aheadReading, aheadDone or aheadAbandoned

	openErr error       // not opened (or fstat failed): the walk takes the listing path
	f       *os.File    // opened but not read (large, sparse or special): the walk streams it
	at      fs.FileInfo // fstat at open
	meta    *manifest.FileMeta
	data    []byte  // the whole file, when read here
	buf     *[]byte // data's buffer, back to the pool once stored
	readErr error   // a read error (not io.EOF)
	grew    bool    // a byte past the size at open could be read
	after   fs.FileInfo
	sum     [sha256.Size]byte // of data
}

const (
	aheadReading int32 = iota
	aheadDone
	aheadAbandoned
)

// aheadBufs keeps read-ahead buffers for reuse by power-of-two size
// class: as many of a small class as can be in use at once (the window,
// and one a reader), and of a large one up to 1 MiB, so that all of them
// together stay under 5 MiB. Unlike a sync.Pool's, they outlive garbage
// collections: with a pool, 20,000 small files had some 11 MB of buffers
// made, zeroed and faulted in again.
var aheadBufs [readAheadShift + 1]chan *[]byte

func init() {
	for class := range aheadBufs {
		aheadBufs[class] = make(chan *[]byte, min(readAheadWindow+readAheadReaders, max(4, (1<<20)>>class)))
	}
}

func getAheadBuf(n int) *[]byte {
	class := bits.Len(uint(max(n, 4096) - 1))
	select {
	case b := <-aheadBufs[class]:
		return b
	default:
	}
	b := make([]byte, 1<<class)
	return &b
}

func putAheadBuf(b *[]byte) {
	if b == nil {
		return
	}
	select {
	case aheadBufs[bits.Len(uint(cap(*b))-1)] <- b:
	default: // more than the window holds (several collectors): let it go
	}
}

// aheadReaders are the goroutines that read ahead for one Files collector.
type aheadReaders struct {
	jobs chan *readAhead
}

func startAheadReaders(ctx context.Context) *aheadReaders {
	r := &aheadReaders{jobs: make(chan *readAhead, readAheadWindow)}
	for range readAheadReaders {
		go func() {
			for x := range r.jobs {
				x.read(ctx)
			}
		}()
	}
	return r
}

// stop lets the readers end once their last file is read. It does not wait
// for them: a read the watchdog gave up on may never return (a hung
// mount), and the collection must not hang with it. Such a reader cleans
// up after itself if its read ever ends.
func (r *aheadReaders) stop() { close(r.jobs) }

// read opens, describes and, when small, reads and hashes the file.
func (x *readAhead) read(ctx context.Context) {
	defer x.dir.release() // the reader's hold
	defer func() {
		if !x.state.CompareAndSwap(aheadReading, aheadDone) {
			x.release() // the walk gave up waiting: nobody else will
		}
		close(x.done)
	}()
	if ctx.Err() != nil {
		x.openErr = ctx.Err()
		return
	}
	x.openAndRead() // open_linux.go: raw descriptors; elsewhere readOpened
}

// readOpened describes the open file f and, when it is small and regular,
// reads and hashes it; otherwise it keeps f for the walk to stream (or to
// record what it became).
func (x *readAhead) readOpened(f *os.File) {
	at, err := f.Stat()
	if err != nil {
		f.Close()
		x.openErr = err // listed again by the walk, which says why
		return
	}
	x.at = at
	if !at.Mode().IsRegular() || at.Size() > readAheadMax {
		x.f = f
		return
	}
	// Never sparse enough to matter: readAheadMax is far below
	// sparseMinHoles, so a small file is read whole.
	defer f.Close()
	x.meta = fileMetaOpened(f, at)
	x.readWhole(f.Read, int(at.Size()))
	x.after, _ = f.Stat()
}

// readWhole reads a small file of size bytes (at open) through read into
// a pooled buffer, notes whether a byte past size could be read, and
// hashes what was read.
func (x *readAhead) readWhole(read func([]byte) (int, error), size int) {
	if aheadOpenedHook != nil {
		aheadOpenedHook(x.local)
	}
	x.buf = getAheadBuf(size)
	// Ask for one byte past the size where the buffer has room: a byte
	// there means the file grew, and a read that stops at the size is the
	// end of a regular file, so no second read is needed to find it (the
	// statx after the read still sees a change). 20,000 small files save
	// 20,000 system calls.
	limit := min(size+1, cap(*x.buf))
	buf := (*x.buf)[:limit]
	n := 0
	// At least one read, even of a file empty at open: a pseudo-file can
	// say 0 bytes and still have some.
	for {
		k, err := read(buf[n:])
		n += k
		if err != nil {
			if err != io.EOF {
				x.readErr = err
			}
			break
		}
		if n >= size {
			break
		}
	}
	x.grew = n > size
	n = min(n, size)
	x.data = buf[:n]
	if n == size && limit == size {
		var one [1]byte
		k, _ := read(one[:])
		x.grew = k > 0
	}
	x.sum = sha256.Sum256(x.data)
}

// release closes what the walk will not use.
func (x *readAhead) release() {
	if x.f != nil {
		x.f.Close()
		x.f = nil
	}
	putAheadBuf(x.buf)
	x.buf, x.data = nil, nil
}

// aheadBody is a file read ahead, as the sink reads it. The sink may take
// its SHA-256 instead of hashing the bytes again (see [Prehashed]).
type aheadBody struct {
	x    *readAhead
	data []byte // what the record promises: x.data, or less under a cap
	off  int
}

func (b *aheadBody) Read(p []byte) (int, error) {
	if b.off >= len(b.data) {
		if b.x.readErr != nil && len(b.data) == len(b.x.data) {
			return 0, b.x.readErr
		}
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

// Prehashed is implemented by bodies that hashed their bytes as they read
// them: Bytes is the whole body, SHA256 its digest, and ok false when
// there is none (the sink then hashes). A sink that writes Bytes as the
// artifact may record SHA256 as its digest.
type Prehashed interface {
	Bytes() []byte
	SHA256() (sum [sha256.Size]byte, ok bool)
}

func (b *aheadBody) Bytes() []byte { return b.data }

func (b *aheadBody) SHA256() ([sha256.Size]byte, bool) {
	return b.x.sum, len(b.data) == len(b.x.data)
}

// Report implements [Reporter] with what the reader saw after its read.
func (b *aheadBody) Report(rec *manifest.Record) {
	x := b.x
	switch {
	case rec.BytesRead < rec.Size:
		if x.readErr != nil {
			return // a read error; the sink recorded it
		}
		rec.Outcome = manifest.OutcomeChanged
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("shrank while read: %d bytes read of %d at open; the rest is zero padding", rec.BytesRead, rec.Size))
	case x.grew && rec.Size == x.at.Size():
		rec.Outcome = manifest.OutcomeChanged
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("grew while read: stored the %d bytes it had at open", x.at.Size()))
	case x.after != nil && (!x.after.ModTime().Equal(x.at.ModTime()) || x.after.Size() != x.at.Size()):
		rec.Outcome = manifest.OutcomeChanged
		rec.Warnings = append(rec.Warnings, changedWarning(x.at, x.after))
	}
}

// changedWarning says how a file's mtime and size moved while it was read.
func changedWarning(before, after fs.FileInfo) string {
	return fmt.Sprintf("changed while read: mtime %s -> %s, size %d -> %d; hashed as read",
		before.ModTime().UTC().Format(time.RFC3339Nano), after.ModTime().UTC().Format(time.RFC3339Nano), before.Size(), after.Size())
}

// queueAhead lists a regular file into the read-ahead window, storing the
// oldest one first when the window is full.
func (c *fileCopier) queueAhead(ctx context.Context, dir *dirRef, name, hostPath string) error {
	if len(c.window) >= readAheadWindow {
		if err := c.storeOldest(ctx); err != nil {
			return err
		}
	}
	x := &readAhead{hostPath: hostPath, local: dir.local(name), dir: dir, name: name, done: make(chan struct{})}
	dir.acquire() // the walk's hold, until stored
	dir.acquire() // the reader's
	c.window = append(c.window, x)
	c.readers.jobs <- x
	return nil
}

// drainAhead stores every file in the window, in order: before anything
// else is stored, and at the end of a walk.
func (c *fileCopier) drainAhead(ctx context.Context) error {
	for len(c.window) > 0 {
		if err := c.storeOldest(ctx); err != nil {
			return err
		}
	}
	return nil
}

// dropAhead forgets the window after a failure: what the readers hold is
// closed and pooled as they finish.
func (c *fileCopier) dropAhead() {
	for _, x := range c.window {
		x.dir.release()
		if !x.state.CompareAndSwap(aheadReading, aheadAbandoned) {
			x.release()
		}
	}
	c.window = nil
}

// aheadDeadline bounds the wait for one file read ahead, as fileDeadline
// bounds a streamed read: a hung mount gets a timeout record, and the
// collection goes on.
var aheadDeadline = fileDeadline(readAheadMax)

// storeOldest waits for the oldest file of the window and stores it.
func (c *fileCopier) storeOldest(ctx context.Context) error {
	x := c.window[0]
	c.window[0] = nil
	c.window = c.window[1:]
	defer x.dir.release() // the walk's hold
	select {
	case <-x.done: // read already: no timer to set
		return c.storeAhead(ctx, x)
	default:
	}
	timer := time.NewTimer(aheadDeadline)
	defer timer.Stop()
	select {
	case <-x.done:
	case <-ctx.Done():
		if !x.state.CompareAndSwap(aheadReading, aheadAbandoned) {
			x.release()
		}
		return ctx.Err()
	case <-timer.C:
		if x.state.CompareAndSwap(aheadReading, aheadAbandoned) {
			rec := c.record(x.hostPath)
			rec.Entry = manifest.EntryNone
			rec.Outcome = manifest.OutcomeTimeout
			rec.Errors = []string{fmt.Sprintf("%v: no answer from the file system within %v; not read", errWatchdog, aheadDeadline)}
			return c.sink.Put(rec, nil)
		}
		<-x.done // it finished as the timer fired
	}
	return c.storeAhead(ctx, x)
}

func (c *fileCopier) storeAhead(ctx context.Context, x *readAhead) error {
	if x.openErr != nil {
		// Not opened: list it as the walk would have, and say why.
		fi, err := x.dir.lstat(x.name)
		if err != nil {
			return c.putListError(x.hostPath, err)
		}
		return c.putListed(ctx, x.dir, x.name, x.hostPath, fi)
	}
	rec := c.record(x.hostPath)
	if x.f != nil {
		// Large, or no longer a regular file: stream it, or record what
		// it is, as a file listed by its fstat at open.
		f := x.f
		x.f = nil
		rec.File = fileMetaOpened(f, x.at)
		return c.putOpened(ctx, f, nil, x.at, rec)
	}
	defer x.release()
	rec.File = x.meta
	want, ok := c.limit(rec, x.at.Size())
	if !ok {
		return c.sink.Put(rec, nil)
	}
	rec.Entry = manifest.EntryFile
	rec.Size = want
	return c.sink.Put(rec, &aheadBody{x: x, data: x.data[:min(int64(len(x.data)), want)]})
}
