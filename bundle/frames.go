package bundle

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/hozen-dfir/hozen/manifest"
)

// Frame sizes. A frame is cut at an entry boundary once it holds
// minFrame bytes, and inside an entry once it holds maxFrame bytes, so
// both cores compress at once and a cut-short file loses little. 1 MiB
// frames compress about twice as fast here as 4 MiB ones (the encoder's
// tables and window stay in cache; BenchmarkWrite) for a slightly lower
// ratio, and halve the memory in flight.
const (
	minFrame = 768 << 10
	maxFrame = 1 << 20
	// maxFrameDecoded bounds what one frame may decompress to on reading;
	// hozen never writes more than maxFrame plus one write into a frame.
	maxFrameDecoded = 16 << 20
	// maxFrameCompressed bounds one compressed frame on reading.
	maxFrameCompressed = maxFrameDecoded + maxFrameDecoded/8 + 1024
)

const zstdMagic = 0xFD2FB528

// frameJob is one frame on its way through the compressors.
type frameJob struct {
	raw   []byte
	store bool // stored as raw blocks, not compressed
	out   []byte
	sum   [sha256.Size]byte // of out, for the frame index
	done  chan struct{}
}

// compressor compresses frames on several workers and writes them in order,
// hashing the file and each frame as written.
type compressor struct {
	enc     *zstd.Encoder
	w       io.Writer
	work    chan *frameJob
	order   chan *frameJob
	wg      sync.WaitGroup
	written chan struct{}

	mu  sync.Mutex
	err error
	// index lists the frames written (manifest.FrameEntrySize bytes each),
	// but not the seal's stored ones: those come after the manifest that
	// holds the index, and the file's digest covers them.
	index    manifest.List
	indexErr error
	entry    []byte
	off      int64
	uoff     int64
	fileSum  hash.Hash
	pending  sync.WaitGroup
	free     chan []byte
}

// EncoderOptions are the settings of the zstd encoder that compresses a
// bundle's frames at level on workers goroutines; scripts/zspeed measures
// the encoder with them.
func EncoderOptions(level zstd.EncoderLevel, workers int) []zstd.EOption {
	return []zstd.EOption{
		zstd.WithEncoderLevel(level),
		zstd.WithEncoderConcurrency(workers),
		zstd.WithEncoderCRC(true),
		zstd.WithWindowSize(maxFrame),
		zstd.WithLowerEncoderMem(true),
	}
}

func newCompressor(w io.Writer, level zstd.EncoderLevel, workers int, index manifest.List) (*compressor, error) {
	if workers < 1 {
		workers = 1
	}
	enc, err := zstd.NewWriter(nil, EncoderOptions(level, workers)...)
	if err != nil {
		return nil, err
	}
	c := &compressor{
		enc:     enc,
		w:       w,
		work:    make(chan *frameJob, workers),
		order:   make(chan *frameJob, 2*workers),
		written: make(chan struct{}),
		fileSum: sha256.New(),
		free:    make(chan []byte, 4*workers+4),
		index:   index,
	}
	for range workers {
		c.wg.Add(1)
		go c.compressLoop()
	}
	go c.writeLoop()
	return c, nil
}

func (c *compressor) compressLoop() {
	defer c.wg.Done()
	for j := range c.work {
		if j.store {
			// The seal's frames are not indexed: the file's digest covers
			// them, and they need none of their own.
			j.out = storedFrame(j.raw, c.getBuf())
		} else {
			// Hashed here, beside the other worker, not in the one
			// goroutine that writes every frame in order.
			j.out = c.enc.EncodeAll(j.raw, c.getBuf())
			j.sum = sha256.Sum256(j.out)
		}
		close(j.done)
	}
}

func (c *compressor) writeLoop() {
	defer close(c.written)
	for j := range c.order {
		<-j.done
		c.mu.Lock()
		failed := c.err != nil
		c.mu.Unlock()
		if !failed {
			_, err := c.w.Write(j.out)
			c.fileSum.Write(j.out)
			c.mu.Lock()
			if err == nil && !j.store && c.indexErr == nil {
				e := manifest.FrameEntry{Offset: c.off, Size: int64(len(j.out)),
					UOffset: c.uoff, USize: int64(len(j.raw)), SHA256: j.sum}
				c.entry = e.Append(c.entry[:0])
				// A failed index fails the seal, not the frames: a
				// bundle cut short keeps every frame written.
				_, c.indexErr = c.index.Write(c.entry)
			}
			if err != nil {
				c.err = err
			} else {
				c.off += int64(len(j.out))
				c.uoff += int64(len(j.raw))
			}
			c.mu.Unlock()
		}
		c.putBuf(j.raw)
		c.putBuf(j.out)
		c.pending.Done()
	}
}

// frameBufSize is the one size of frame buffers: a raw frame is at most
// maxFrame bytes and its compressed form at most a little more, so every
// buffer fits every use and the free list never thrashes.
const frameBufSize = maxFrame + maxFrame/8 + 1024

// getBuf takes a buffer from the free list, or makes one. Buffers are
// reused so memory stays flat however much is written.
func (c *compressor) getBuf() []byte {
	select {
	case b := <-c.free:
		return b[:0]
	default:
	}
	return make([]byte, 0, frameBufSize)
}

func (c *compressor) putBuf(b []byte) {
	if cap(b) != frameBufSize {
		return // grown past the size (cannot happen) or not ours
	}
	select {
	case c.free <- b[:0]:
	default:
	}
}

// submit queues raw (which the compressor now owns) as one frame. It blocks
// while the pipeline is full, which bounds memory.
func (c *compressor) submit(raw []byte, store bool) error {
	if err := c.error(); err != nil {
		return err
	}
	j := &frameJob{raw: raw, store: store, done: make(chan struct{})}
	c.pending.Add(1)
	c.order <- j
	c.work <- j
	return nil
}

// drain waits until every submitted frame is written.
func (c *compressor) drain() error {
	c.pending.Wait()
	return c.error()
}

func (c *compressor) error() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// indexed returns how many frames the index lists, once every compressed
// frame is written (drain), and why it could not list one.
func (c *compressor) indexed() (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.index.Len() / manifest.FrameEntrySize, c.indexErr
}

// close stops the workers after the last frame is written.
func (c *compressor) close() error {
	close(c.work)
	c.wg.Wait()
	close(c.order)
	<-c.written
	c.enc.Close()
	return c.error()
}

// framer is the io.Writer under the tar writer: it gathers the tar stream
// into frames and hands full ones to the compressor.
type framer struct {
	c   *compressor
	buf []byte
	// store makes every later frame a stored one (see storedFrame).
	store bool
	// lastCut is when the last frame was cut: frames are also cut at an
	// entry boundary once maxFrameAge passed, so a collection killed at
	// any moment loses at most that much of its work.
	lastCut time.Time
}

const maxFrameAge = time.Second

func (f *framer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := copy(f.room(), p)
		p = p[k:]
		if err := f.fill(k); err != nil {
			return n - len(p), err
		}
	}
	return n, nil
}

// room is the free part of the frame being gathered, for a reader to fill
// in place (Writer.readInto); fill then takes what it filled.
func (f *framer) room() []byte { return f.buf[len(f.buf):maxFrame] }

// fill takes n bytes just read into room as written, and cuts the frame
// when it is full.
func (f *framer) fill(n int) error {
	f.buf = f.buf[:len(f.buf)+n]
	if len(f.buf) >= maxFrame {
		return f.cut()
	}
	return nil
}

// boundary is called between tar entries; next is the size of the entry to
// come (-1 if unknown). It cuts a frame when the buffer is full enough, or
// when the next entry would not fit in what is left of it.
//
// The seal's frames (store) are cut only when full (maxFrame bytes) and
// at its end, whatever the time or the entries: the verifier demands
// exactly this framing of the seal, so its bytes leave a forger no
// freedom (see checkSealFrame).
func (f *framer) boundary(next int64) error {
	if f.store {
		return nil
	}
	if len(f.buf) >= minFrame || (len(f.buf) > 0 && next >= 0 && int64(len(f.buf))+next > maxFrame) ||
		len(f.buf) > 0 && time.Since(f.lastCut) > maxFrameAge {
		return f.cut()
	}
	return nil
}

// cut ends the current frame.
func (f *framer) cut() error {
	if len(f.buf) == 0 {
		return nil
	}
	raw := f.buf
	f.buf = f.c.getBuf()
	f.lastCut = time.Now()
	return f.c.submit(raw, f.store)
}

// storedFrame appends to dst a zstd frame holding raw in raw blocks
// (RFC 8878 §3.1.1): single segment, content size given, no checksum.
// The seal (manifest, signature, SHA256SUMS) is stored this way. Compressed
// blocks can have bits that change nothing when decoded; a raw block has
// none, so every byte of the seal's frames counts, and the frames before
// it are covered by the signed frame index.
func storedFrame(raw, dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, zstdMagic)
	dst = append(dst, 0xE0) // FCS 8 bytes, single segment, no checksum, no dictionary
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(raw)))
	for first := true; first || len(raw) > 0; first = false {
		n := min(len(raw), 128<<10)
		bh := uint32(n) << 3 // block type 0: raw
		if n == len(raw) {
			bh |= 1 // last block
		}
		dst = append(dst, byte(bh), byte(bh>>8), byte(bh>>16))
		dst = append(dst, raw[:n]...)
		raw = raw[n:]
	}
	return dst
}

// FrameError says which frame of a bundle file is malformed.
type FrameError struct {
	Index  int
	Offset int64
	Reason string
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("zstd frame %d at byte %d: %s", e.Index, e.Offset, e.Reason)
}

// Unwrap: a malformed frame is tampering (or not a hozen bundle).
func (e *FrameError) Unwrap() error { return manifest.ErrTampered }

// errCut marks a file that ends inside a frame.
var errCut = errors.New("file ends inside a zstd frame")

// frameSplitter reads a zstd stream one frame at a time without decoding,
// by walking frame and block headers (RFC 8878 §3.1), so each frame can be
// located, hashed, and decoded on its own.
type frameSplitter struct {
	r     *bufio.Reader
	off   int64
	index int
}

// splitterBuffer is the read buffer of a frameSplitter. The splitter reads
// a frame in pieces of at most one block (128 KiB), so a larger buffer
// saves no system calls worth its cost: allocating and clearing 1 MiB per
// Verify call dominated verifying a small bundle (and fuzzing Verify).
const splitterBuffer = 64 << 10

func newFrameSplitter(r io.Reader) *frameSplitter {
	return &frameSplitter{r: bufio.NewReaderSize(r, splitterBuffer)}
}

// next returns the next frame's bytes (appended to buf) and its offset. At
// a clean end of file it returns io.EOF; a file that ends inside a frame
// gives errCut; anything that is not a zstd frame gives a *FrameError.
func (s *frameSplitter) next(buf []byte) ([]byte, int64, error) {
	start := s.off
	fr := buf[:0]
	read := func(n int) ([]byte, error) {
		if len(fr)+n > maxFrameCompressed {
			return nil, &FrameError{s.index, start, fmt.Sprintf("larger than %d bytes: not a hozen frame", maxFrameCompressed)}
		}
		old := len(fr)
		fr = append(fr, make([]byte, n)...)
		k, err := io.ReadFull(s.r, fr[old:])
		s.off += int64(k)
		if err != nil {
			if err == io.EOF && old == 0 {
				return nil, io.EOF
			}
			return nil, errCut
		}
		return fr[old:], nil
	}
	b, err := read(4)
	if err != nil {
		return nil, start, err
	}
	if magic := binary.LittleEndian.Uint32(b); magic != zstdMagic {
		if s.index == 0 && !nearMagic(b) {
			return nil, start, &NotBundleError{fmt.Sprintf("it does not start with a zstd frame (its first bytes are %#08x)", magic)}
		}
		return nil, start, &FrameError{s.index, start, fmt.Sprintf("magic %#08x is not a zstd frame", magic)}
	}
	b, err = read(1)
	if err != nil {
		return nil, start, err
	}
	fhd := b[0]
	if fhd&0x08 != 0 {
		return nil, start, &FrameError{s.index, start, "reserved bit set in frame header"}
	}
	fcsFlag := fhd >> 6
	single := fhd&0x20 != 0
	hasSum := fhd&0x04 != 0
	dictLen := []int{0, 1, 2, 4}[fhd&0x03]
	fcsLen := []int{0, 2, 4, 8}[fcsFlag]
	if fcsFlag == 0 && single {
		fcsLen = 1
	}
	n := dictLen + fcsLen
	if !single {
		n++ // window descriptor
	}
	if _, err := read(n); err != nil {
		return nil, start, err
	}
	for {
		b, err := read(3)
		if err != nil {
			return nil, start, err
		}
		bh := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
		last := bh&1 != 0
		size := int(bh >> 3)
		switch (bh >> 1) & 3 {
		case 0: // raw
		case 1: // RLE: one byte repeated size times
			size = 1
		case 2: // compressed
		default:
			return nil, start, &FrameError{s.index, start, "reserved block type"}
		}
		if size > 128<<10 {
			return nil, start, &FrameError{s.index, start, "block larger than 128 KiB"}
		}
		if _, err := read(size); err != nil {
			return nil, start, err
		}
		if last {
			break
		}
	}
	if hasSum {
		if _, err := read(4); err != nil {
			return nil, start, err
		}
	}
	s.index++
	return fr, start, nil
}

// nearMagic reports whether b, the first 4 bytes of a file, are zstd's
// magic with at most one byte changed: a bundle whose first bytes were
// damaged, not some other file (3 bytes of 4 match by chance once in
// about 4 million files). Such a file is tampered, anything else not a
// bundle.
func nearMagic(b []byte) bool {
	var want [4]byte
	binary.LittleEndian.PutUint32(want[:], zstdMagic)
	diff := 0
	for i := range want {
		if b[i] != want[i] {
			diff++
		}
	}
	return diff <= 1
}

// isStoredFrame reports whether fr is exactly storedFrame(out): the
// header, the 8-byte content size, raw blocks of 128 KiB but the last, no
// checksum. It compares in place, without building the frame.
func isStoredFrame(fr, out []byte) bool {
	if len(fr) < 13 || binary.LittleEndian.Uint32(fr) != zstdMagic || fr[4] != 0xE0 ||
		binary.LittleEndian.Uint64(fr[5:]) != uint64(len(out)) {
		return false
	}
	fr = fr[13:]
	for first := true; first || len(out) > 0; first = false {
		n := min(len(out), 128<<10)
		bh := uint32(n) << 3
		if n == len(out) {
			bh |= 1
		}
		if len(fr) < 3+n || fr[0] != byte(bh) || fr[1] != byte(bh>>8) || fr[2] != byte(bh>>16) {
			return false
		}
		// The raw block's bytes are what decoded: DecodeAll gave out from them.
		fr, out = fr[3+n:], out[n:]
	}
	return len(fr) == 0
}
