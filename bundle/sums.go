package bundle

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
	"os"
)

// spool keeps what grows with a bundle's size outside the heap until it is
// needed: the lines of SHA256SUMS (about 200 bytes per artifact), the
// records' chain hashes and the frame index (32 and 64 bytes per record
// and per frame) while writing, and the same lists and the manifest's
// bytes while verifying. 100,000 small files once made 32 MiB of buffer
// for SHA256SUMS alone.
//
// It is a temporary file, unlinked as soon as it is created where the OS
// allows it (Linux, macOS), so nothing of it outlives hozen, even a crash;
// elsewhere it is removed when the writer ends. A writer's spools lie next
// to the bundle, on the responder's medium, never on the suspect host's
// disks; a verifier's in the temporary directory, and only once they pass
// memMax bytes. Each is encrypted (AES-CTR) under a key that only this
// process ever holds: the paths and digests of an encrypted bundle never
// reach the medium in the clear. A spool changed under hozen gives a
// manifest or a SHA256SUMS that verify rejects.
type spool struct {
	what   string // for errors: "SHA256SUMS", "record hashes", ...
	dir    string // where the file goes; "" is os.TempDir
	memMax int    // bytes kept in memory before the file is made
	mem    []byte
	f      *os.File
	w      *bufio.Writer
	stream func() cipher.Stream // a fresh keystream from the start
	path   string               // still to remove at close; "" once unlinked
	n      int64
	err    error // sticky
}

// newSpool returns a spool whose file is made in dir once it holds more
// than memMax bytes (at once if memMax is 0, so that a medium that cannot
// take it fails before any work is done).
func newSpool(what, dir string, memMax int) (*spool, error) {
	s := &spool{what: what, dir: dir, memMax: memMax}
	if memMax == 0 {
		if err := s.spill(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// spill moves the spool from memory to its file.
func (s *spool) spill() error {
	var key [32]byte
	var iv [aes.BlockSize]byte
	rand.Read(key[:])
	rand.Read(iv[:])
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return s.fail(err)
	}
	f, err := os.CreateTemp(s.dir, ".hozen-spool-*")
	if err != nil {
		return s.fail(err)
	}
	s.f, s.path = f, f.Name()
	s.stream = func() cipher.Stream { return cipher.NewCTR(block, iv[:]) }
	s.w = bufio.NewWriterSize(&ctrWriter{s: s.stream(), w: f}, ctrChunk)
	if os.Remove(f.Name()) == nil {
		s.path = ""
	}
	if len(s.mem) > 0 {
		if _, err := s.w.Write(s.mem); err != nil {
			return s.fail(err)
		}
	}
	s.mem = nil
	return nil
}

// Write appends p. An error is sticky.
func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.f == nil {
		if len(s.mem)+len(p) <= s.memMax {
			s.mem = append(s.mem, p...)
			s.n += int64(len(p))
			return len(p), nil
		}
		if s.err = s.spill(); s.err != nil {
			return 0, s.err
		}
	}
	return s.wrote(s.w.Write(p))
}

// WriteString appends str; once the spool is a file, without a copy.
func (s *spool) WriteString(str string) (int, error) {
	if s.err != nil || s.f == nil {
		return s.Write([]byte(str))
	}
	return s.wrote(s.w.WriteString(str))
}

// wrote counts n bytes written to the file; an error is sticky.
func (s *spool) wrote(n int, err error) (int, error) {
	s.n += int64(n)
	if err != nil {
		s.err = s.fail(err)
	}
	return n, s.err
}

// Len is the number of bytes written.
func (s *spool) Len() int64 { return s.n }

// Open returns a reader of the first n bytes written; writing may go on.
func (s *spool) Open(n int64) (io.Reader, error) {
	if s.err != nil {
		return nil, s.err
	}
	if n < 0 || n > s.n {
		return nil, s.fail(fmt.Errorf("%d bytes asked, %d held", n, s.n))
	}
	if s.f == nil {
		return bytes.NewReader(s.mem[:n:n]), nil
	}
	if err := s.w.Flush(); err != nil {
		s.err = s.fail(err)
		return nil, s.err
	}
	return cipher.StreamReader{S: s.stream(), R: io.NewSectionReader(s.f, 0, n)}, nil
}

// spoolError is a spool that could not be made, written or read: a
// problem of the machine hozen runs on, never of the evidence.
type spoolError struct {
	what, dir string
	err       error
}

func (e *spoolError) Error() string {
	if e.dir == "" {
		return fmt.Sprintf("%s spool in %s: %v (set TMPDIR to a writable directory with room)", e.what, os.TempDir(), e.err)
	}
	return fmt.Sprintf("%s spool in %s: %v", e.what, e.dir, e.err)
}

func (e *spoolError) Unwrap() error { return e.err }

func (s *spool) fail(err error) error { return &spoolError{what: s.what, dir: s.dir, err: err} }

// close releases the spool.
func (s *spool) close() {
	if s.f != nil {
		s.f.Close()
	}
	if s.path != "" {
		os.Remove(s.path)
	}
	s.mem = nil
}

// ctrWriter encrypts what it writes with a keystream, through one buffer
// of ctrChunk bytes it keeps (cipher.StreamWriter makes a new one the size
// of every write; a spill writes up to 1 MiB at once).
type ctrWriter struct {
	s   cipher.Stream
	w   io.Writer
	buf [ctrChunk]byte
}

const ctrChunk = 64 << 10 // the spools' bufio size: one piece a flush

func (c *ctrWriter) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		b := c.buf[:min(len(p)-done, ctrChunk)]
		c.s.XORKeyStream(b, p[done:done+len(b)])
		n, err := c.w.Write(b)
		done += n
		if err == nil && n != len(b) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
