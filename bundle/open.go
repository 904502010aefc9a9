package bundle

// Opening a bundle file for reading: a plain .tar.zst, or an age-encrypted
// .tar.zst.age decrypted as it is read. Every command that reads a bundle
// opens it with [Open] and reads it with [File.Verify].

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
)

// File is a bundle file opened for reading.
type File struct {
	Path       string
	Encrypted  bool
	Recipients []AgeStanza // the age header's stanzas, when encrypted
	// StreamSHA256 is the SHA-256 of the .tar.zst stream (decrypted, for
	// an encrypted bundle: what 'age -d' gives back), once Verify read it
	// to its end.
	StreamSHA256 string

	f    ReaderAtCloser
	size int64
	r    io.Reader // the .tar.zst stream
	dec  *Decrypted
	res  *Result
	// storedSHA256 is the stored file's digest, once Verify of an
	// encrypted bundle computed it.
	storedSHA256 string
}

// Identities loads the identities that may decrypt an encrypted bundle.
// [Open] calls it only for an encrypted bundle, so a passphrase is asked
// only when one is needed.
type Identities func() ([]Identity, error)

// CannotDecryptError is an encrypted bundle that the identities given
// cannot decrypt: none was given, none matches a recipient, or the one
// that matches cannot be used (a wrong passphrase for its key). It is the
// reader's problem, not evidence about the bundle.
type CannotDecryptError struct {
	Path       string
	Recipients []AgeStanza
	Tried      []Identity // empty: none was given
	Err        error      // an *IdentityError, when a matching identity failed
}

func (e *CannotDecryptError) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	case len(e.Tried) == 0:
		return fmt.Sprintf("%s is encrypted (age) to %s", e.Path, DescribeStanzas(e.Recipients))
	}
	var have []string
	for _, id := range e.Tried {
		have = append(have, fmt.Sprintf("%s (%s)", id.File, id.What))
	}
	return fmt.Sprintf("%s is encrypted to %s; none of the identities given can decrypt it: %s", e.Path, DescribeStanzas(e.Recipients), strings.Join(have, ", "))
}

func (e *CannotDecryptError) Unwrap() error { return e.Err }

// HeaderTamperedError is an encrypted bundle whose age header does not
// parse, or does not authenticate under an identity that unwrapped its
// file key: the file was changed after it was written.
type HeaderTamperedError struct {
	Path string
	Err  error // an *AgeHeaderError
}

func (e *HeaderTamperedError) Error() string { return fmt.Sprintf("%s is tampered: %v", e.Path, e.Err) }
func (e *HeaderTamperedError) Unwrap() error { return e.Err }

// DescribeStanzas names an encrypted bundle's recipients for people.
func DescribeStanzas(st []AgeStanza) string {
	if len(st) == 0 {
		return "no recipient"
	}
	var s []string
	for _, x := range st {
		s = append(s, x.String())
	}
	return strings.Join(s, ", ")
}

// Open opens the bundle file at path. An age-encrypted bundle is
// decrypted with the identities ids loads (nil: none) as it is read. The
// error is an I/O error (*fs.PathError), a file that is not a bundle
// (wrapping [ErrNotBundle] or [ErrArmored]), a *CannotDecryptError, a
// *HeaderTamperedError, or what ids returned. [Classify] sorts them.
func Open(path string, ids Identities) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: fmt.Errorf("not a regular file (%s)", fi.Mode().Type())}
	}
	return OpenReader(path, f, fi.Size(), ids)
}

// ReaderAtCloser is a bundle file to read: *os.File, or an object in a
// store read over the network.
type ReaderAtCloser interface {
	io.Reader
	io.ReaderAt
	io.Closer
}

// OpenReader is [Open] of a bundle file that is not on disk: f, of size
// bytes, read from its start by Read and, for its first bytes and an
// encrypted bundle's age header, by ReadAt. name stands for its path in
// messages. OpenReader closes f on error; [File.Close] closes it.
func OpenReader(name string, f ReaderAtCloser, size int64, ids Identities) (*File, error) {
	path := name
	if size == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: empty file: %w", path, ErrNotBundle)
	}
	prefix := make([]byte, 64)
	n, err := io.ReadFull(io.NewSectionReader(f, 0, size), prefix)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		f.Close()
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	prefix = prefix[:n]
	bf := &File{Path: path, f: f, size: size, r: f}
	if bytes.HasPrefix(prefix, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrArmored)
	}
	if !IsEncrypted(prefix) {
		return bf, nil
	}
	if err := bf.decrypt(ids); err != nil {
		f.Close()
		return nil, err
	}
	return bf, nil
}

func (bf *File) decrypt(ids Identities) error {
	bf.Encrypted = true
	var err error
	bf.Recipients, err = ReadAgeRecipients(io.NewSectionReader(bf.f, 0, bf.size))
	if err != nil {
		return &HeaderTamperedError{bf.Path, err}
	}
	var loaded []Identity
	if ids != nil {
		if loaded, err = ids(); err != nil {
			return err
		}
	}
	if len(loaded) == 0 {
		return &CannotDecryptError{Path: bf.Path, Recipients: bf.Recipients}
	}
	ages := make([]age.Identity, len(loaded))
	for i, id := range loaded {
		ages[i] = id.Identity
	}
	bf.dec, err = Decrypt(bf.f, ages...)
	var nm *age.NoIdentityMatchError
	var ie *IdentityError
	switch {
	case err == nil:
		bf.r = bf.dec
		return nil
	case errors.As(err, &nm):
		return &CannotDecryptError{Path: bf.Path, Recipients: bf.Recipients, Tried: loaded}
	case errors.As(err, &ie):
		return &CannotDecryptError{Path: bf.Path, Recipients: bf.Recipients, Tried: loaded, Err: ie}
	}
	return &HeaderTamperedError{bf.Path, err}
}

// Close closes the file.
func (bf *File) Close() error { return bf.f.Close() }

// Reader is the .tar.zst stream (decrypted, if the file is encrypted).
// Most callers want Verify instead.
func (bf *File) Reader() io.Reader { return bf.r }

// Verify reads the whole bundle with [Verify]. For an encrypted bundle,
// FileSHA256 and FileSize of the result are of the file as stored (what
// the ledger records), StreamSHA256 is that of the decrypted stream, and a
// part of the file that fails age's authentication is tampering.
func (bf *File) Verify(opts VerifyOptions) (*Result, error) {
	res, err := Verify(bf.r, opts)
	bf.res = res
	if err != nil || bf.dec == nil {
		if res != nil {
			bf.StreamSHA256 = res.FileSHA256
		}
		return res, err
	}
	if derr := bf.dec.Err(); derr != nil && res.Outcome != Tampered {
		res.Outcome, res.Err = Tampered, derr
	}
	if res.FileSHA256 != "" {
		bf.StreamSHA256 = res.FileSHA256
		sum, size, err := bf.dec.StoredSHA256()
		if err != nil {
			return res, &ReadError{Err: err}
		}
		res.FileSHA256, res.FileSize = sum, size
		bf.storedSHA256 = sum
	}
	return res, nil
}

// StoredSHA256 is the SHA-256 of the whole file as stored (the ciphertext
// of an encrypted bundle), also when Verify stopped before the end: it
// finds a bundle's custody events whatever its state.
func (bf *File) StoredSHA256() (string, error) {
	if bf.dec == nil && bf.res != nil && bf.res.FileSHA256 != "" {
		return bf.res.FileSHA256, nil
	}
	if bf.storedSHA256 != "" {
		return bf.storedSHA256, nil // an encrypted bundle's, hashed by Verify
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(bf.f, 0, bf.size)); err != nil {
		return "", &ReadError{Err: err}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
