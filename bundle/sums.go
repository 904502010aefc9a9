package bundle

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
	"os"
)

// sumsSpool holds the lines of SHA256SUMS, about 200 bytes per artifact,
// in a temporary file until the seal instead of in memory: 100,000 small
// files made 32 MiB of buffer and another copy at the seal. The file is
// unlinked as soon as it is created where the OS allows it (Linux, macOS),
// so nothing of it outlives hozen, even a crash; elsewhere it is removed
// when the writer ends. It lies next to the bundle, on the responder's
// medium, never on the suspect host's disks, and it is encrypted (AES-CTR)
// under a key that only this process ever holds: the paths and digests of
// an encrypted bundle never reach the medium in the clear. A spool changed
// under hozen would give a SHA256SUMS that verify rejects.
type sumsSpool struct {
	f      *os.File
	w      *bufio.Writer
	stream func() cipher.Stream // a fresh keystream from the start
	path   string               // still to remove at close; "" once unlinked
}

func newSumsSpool(dir string) (*sumsSpool, error) {
	var key [32]byte
	var iv [aes.BlockSize]byte
	rand.Read(key[:])
	rand.Read(iv[:])
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("SHA256SUMS spool: %w", err)
	}
	f, err := os.CreateTemp(dir, ".hozen-sums-*")
	if err != nil {
		return nil, fmt.Errorf("SHA256SUMS spool: %w", err)
	}
	s := &sumsSpool{f: f, path: f.Name(), stream: func() cipher.Stream { return cipher.NewCTR(block, iv[:]) }}
	s.w = bufio.NewWriterSize(cipher.StreamWriter{S: s.stream(), W: f}, 64<<10)
	if os.Remove(f.Name()) == nil {
		s.path = ""
	}
	return s, nil
}

// line adds one line in `sha256sum -c` format. A write error stays in the
// buffered writer and is returned by contents.
func (s *sumsSpool) line(sum, name string) { writeSumLine(s.w, sum, name) }

// contents returns the lines written so far and their length.
func (s *sumsSpool) contents() (io.Reader, int64, error) {
	if err := s.w.Flush(); err != nil {
		return nil, 0, fmt.Errorf("SHA256SUMS spool: %w", err)
	}
	n, err := s.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0, fmt.Errorf("SHA256SUMS spool: %w", err)
	}
	return cipher.StreamReader{S: s.stream(), R: io.NewSectionReader(s.f, 0, n)}, n, nil
}

// close releases the spool.
func (s *sumsSpool) close() {
	s.f.Close()
	if s.path != "" {
		os.Remove(s.path)
	}
}
