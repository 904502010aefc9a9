package bundle

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// tarWriter writes the tar stream of a bundle. A plain file entry whose
// header fits the USTAR fields (the common case: an ASCII name of at most
// 100 bytes, whole-second mtime) gets its 512 header bytes built here, the
// same bytes archive/tar writes (TestUSTARHeaderSameAsArchiveTar and
// FuzzUSTARHeader hold that); every other header is written by archive/tar.
// archive/tar spent about 2 µs on each header, and a bundle has two per
// artifact. The verifier rebuilds every header with archive/tar alone, so
// a difference here would show as tampering, never pass unseen.
type tarWriter struct {
	w   io.Writer
	nb  int64 // bytes of the current entry not yet written
	pad int64 // zeros that end the current entry
	blk [blockSize]byte
	buf bytes.Buffer
}

const blockSize = 512

func newTarWriter(w io.Writer) *tarWriter { return &tarWriter{w: w} }

// WriteHeader ends the current entry and starts h.
func (t *tarWriter) WriteHeader(h *tar.Header) error {
	if err := t.Flush(); err != nil {
		return err
	}
	b, ok := ustarHeader(&t.blk, h)
	if !ok {
		t.buf.Reset()
		if err := tar.NewWriter(&t.buf).WriteHeader(h); err != nil {
			return err
		}
		b = t.buf.Bytes()
	}
	if _, err := t.w.Write(b); err != nil {
		return err
	}
	t.nb, t.pad = h.Size, (blockSize-h.Size%blockSize)%blockSize
	return nil
}

// Write writes data of the current entry, at most what its header said.
func (t *tarWriter) Write(p []byte) (int, error) {
	over := int64(len(p)) > t.nb
	if over {
		p = p[:t.nb]
	}
	n, err := t.w.Write(p)
	t.nb -= int64(n)
	if err == nil && over {
		err = tar.ErrWriteTooLong
	}
	return n, err
}

// remaining is how many bytes of the current entry are still to come.
func (t *tarWriter) remaining() int64 { return t.nb }

// wrote counts n bytes of the current entry written around Write, straight
// into the frame under it (Writer.readInto); n is at most remaining().
func (t *tarWriter) wrote(n int) { t.nb -= int64(n) }

// Flush pads the current entry to a whole block; its data must be complete.
func (t *tarWriter) Flush() error {
	if t.nb > 0 {
		return fmt.Errorf("archive/tar: missed writing %d bytes", t.nb)
	}
	if t.pad > 0 {
		if _, err := t.w.Write(zeros[:t.pad]); err != nil {
			return err
		}
		t.pad = 0
	}
	return nil
}

// Close ends the archive with its two zero blocks.
func (t *tarWriter) Close() error {
	if err := t.Flush(); err != nil {
		return err
	}
	_, err := t.w.Write(zeros[:2*blockSize])
	return err
}

// ustarHeader builds in blk the header archive/tar writes for h when h is
// a regular file that USTAR describes whole; ok is false otherwise.
func ustarHeader(blk *[blockSize]byte, h *tar.Header) (_ []byte, ok bool) {
	const max8, max12 = 1<<21 - 1, 1<<33 - 1 // octal digits in 8 and 12 byte fields
	sec := h.ModTime.Unix()
	switch {
	case h.Typeflag != tar.TypeReg, h.Format != tar.FormatPAX, // archive/tar rounds or replaces the times of other formats
		len(h.Name) == 0, len(h.Name) > 100, strings.HasSuffix(h.Name, "/"), h.Linkname != "", h.Uname != "", h.Gname != "",
		h.Mode < 0, h.Mode > max8, h.Uid < 0, h.Uid > max8, h.Gid < 0, h.Gid > max8,
		h.Size < 0, h.Size > max12, sec < 0, sec > max12, h.ModTime.Nanosecond() != 0,
		!h.AccessTime.IsZero(), !h.ChangeTime.IsZero(), h.Devmajor != 0, h.Devminor != 0,
		len(h.PAXRecords) != 0:
		return nil, false
	}
	//lint:ignore SA1019 archive/tar still writes Xattrs, as PAX records: such a header is not plain USTAR
	if len(h.Xattrs) != 0 {
		return nil, false
	}
	for i := 0; i < len(h.Name); i++ {
		if c := h.Name[i]; c == 0 || c >= 0x80 {
			return nil, false
		}
	}
	*blk = [blockSize]byte{}
	b := blk[:]
	copy(b[0:100], h.Name)
	octal(b[100:108], int64(h.Mode))
	octal(b[108:116], int64(h.Uid))
	octal(b[116:124], int64(h.Gid))
	octal(b[124:136], h.Size)
	octal(b[136:148], sec)
	b[156] = tar.TypeReg
	copy(b[257:263], "ustar\x00")
	copy(b[263:265], "00")
	octal(b[329:337], 0) // devmajor
	octal(b[337:345], 0) // devminor
	// The checksum counts every byte, its own field as spaces; the rest of
	// the block is zeros.
	sum := int64(8 * ' ')
	for _, r := range [...][2]int{{0, len(h.Name)}, {100, 148}, {156, 157}, {257, 265}, {329, 345}} {
		for _, c := range b[r[0]:r[1]] {
			sum += int64(c)
		}
	}
	octal(b[148:155], sum)
	b[155] = ' '
	return b, true
}

// octal writes x in the field as archive/tar does: zero-padded octal
// digits and a final NUL. The caller checked that x fits.
func octal(field []byte, x int64) {
	var d [24]byte
	s := strconv.AppendInt(d[:0], x, 8)
	n := len(field) - 1 - len(s)
	for i := range n {
		field[i] = '0'
	}
	copy(field[n:], s)
	field[len(field)-1] = 0
}
