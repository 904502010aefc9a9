package bundle

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/hozen-dfir/hozen/manifest"
)

// decoded is the tar stream of a bundle, decoded frame by frame. It knows
// the frames it has read (offsets, sizes, digests) and the position in the
// tar stream, and can hand a copy of the bytes it yields to the verifier.
type decoded struct {
	split *frameSplitter
	dec   *zstd.Decoder
	cbuf  []byte
	buf   []byte // decoded bytes of the current frame
	pos   int    // read position in buf
	upos  int64  // position in the tar stream
	// index lists the frames read (manifest.FrameEntrySize bytes each),
	// and lastUOffset is where the last one starts in the tar stream.
	index       *spool
	lastUOffset int64
	entry       []byte
	fileSum     hash.Hash
	err         error // sticky

	// capture, when set, receives a copy of every byte read: the verifier
	// keeps the exact bytes of tar headers and padding this way.
	capture *[]byte

	// lastStored: the last frame read is exactly what storedFrame makes
	// of its content; lastUSize is its decoded size, lastOffset where it
	// starts in the file.
	lastStored bool
	lastUSize  int64
	lastOffset int64
	// sealing: the seal has begun (startSeal); every frame from there on
	// must be a stored one, cut only where the writer cuts it. sealErr is
	// the first frame that is not.
	sealing bool
	sealErr error
}

// startSeal is called once the manifest's header was read at the start
// of the last frame read: from that frame on the seal's frames must be
// exactly those the writer makes (storedFrame of every maxFrame bytes of
// the seal, the last one shorter). The frames before the seal are pinned
// by the signed frame index; these pin the rest, so that no byte of the
// file can change and the bundle still verify intact.
func (d *decoded) startSeal() {
	d.sealing = true
	if !d.lastStored {
		d.sealFault(int(d.frames())-1, d.lastOffset, "its first frame is not stored as hozen stores it (raw blocks of 128 KiB, content size, no checksum)")
	}
}

func (d *decoded) sealFault(index int, off int64, reason string) {
	if d.sealErr == nil {
		d.sealErr = &FrameError{Index: index, Offset: off, Reason: "the seal is not framed as hozen writes it: " + reason}
	}
}

func newDecoded(r io.Reader) (*decoded, error) {
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(maxFrameDecoded),
		zstd.WithDecoderMaxWindow(maxFrameDecoded))
	if err != nil {
		return nil, err
	}
	return &decoded{split: newFrameSplitter(r), dec: dec, fileSum: sha256.New(), index: newVerifySpool("frame index")}, nil
}

func (d *decoded) close() {
	d.dec.Close()
	d.index.close()
}

// Read implements io.Reader over the decoded frames.
func (d *decoded) Read(p []byte) (int, error) {
	for d.pos >= len(d.buf) {
		if d.err != nil {
			return 0, d.err
		}
		if err := d.nextFrame(); err != nil {
			d.err = err
			return 0, err
		}
	}
	n := copy(p, d.buf[d.pos:])
	if d.capture != nil {
		*d.capture = append(*d.capture, p[:n]...)
	}
	d.pos += n
	d.upos += int64(n)
	return n, nil
}

func (d *decoded) nextFrame() error {
	fr, off, err := d.split.next(d.cbuf)
	if err != nil {
		if err == errCut {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	d.cbuf = fr
	d.fileSum.Write(fr)
	out, err := d.dec.DecodeAll(fr, d.buf[:0])
	if err != nil {
		return &FrameError{Index: int(d.frames()), Offset: off, Reason: "does not decode: " + err.Error()}
	}
	if len(out) == 0 {
		return &FrameError{Index: int(d.frames()), Offset: off, Reason: "empty frame: hozen never writes one"}
	}
	e := manifest.FrameEntry{Offset: off, Size: int64(len(fr)), UOffset: d.upos, USize: int64(len(out)),
		SHA256: sha256.Sum256(fr)}
	d.entry = e.Append(d.entry[:0])
	if _, err := d.index.Write(d.entry); err != nil {
		return err
	}
	stored := len(fr) > 4 && fr[4] == 0xE0 && isStoredFrame(fr, out)
	if d.sealing {
		i := int(d.frames()) - 1
		switch {
		case d.lastUSize != maxFrame:
			d.sealFault(i, off, fmt.Sprintf("a frame follows one of %d bytes; hozen cuts the seal only every %d bytes", d.lastUSize, maxFrame))
		case !stored:
			d.sealFault(i, off, "a frame is not stored as hozen stores it (raw blocks of 128 KiB, content size, no checksum)")
		}
	}
	d.lastStored, d.lastUSize, d.lastOffset = stored, int64(len(out)), off
	d.lastUOffset = d.upos
	d.buf, d.pos = out, 0
	return nil
}

// drainEnd reads what is left of the file after the tar stream ended and
// reports anything that is there.
//
// Nothing may follow: not tar data, not a frame, not a byte. Anything there
// is tampering with the seal (never a cut: the seal was read whole).
func (d *decoded) drainEnd() error {
	var b [512]byte
	n, err := d.Read(b[:])
	switch {
	case n > 0:
		return &StreamError{Offset: d.upos - int64(n), Reason: "the seal: data after the end of the tar archive"}
	case err == io.EOF:
		return nil
	case machineError(err):
		return err
	}
	return &FrameError{Index: int(d.frames()), Offset: d.split.off, Reason: "the seal: bytes after the end of the bundle: " + err.Error()}
}

// StreamError is a malformed tar stream inside a bundle.
type StreamError struct {
	Offset int64 // in the tar stream
	Reason string
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("tar stream at byte %d: %s", e.Offset, e.Reason)
}

// Unwrap: a malformed stream is tampering (or not a hozen bundle).
func (e *StreamError) Unwrap() error { return manifest.ErrTampered }

// frames is how many frames were read whole.
func (d *decoded) frames() int64 { return d.index.Len() / manifest.FrameEntrySize }
