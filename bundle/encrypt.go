package bundle

// Encryption of bundles with age (https://age-encryption.org/v1).
//
// An encrypted bundle is the whole .tar.zst stream, encrypted as one age
// file and named NAME.tar.zst.age. The writer encrypts as it writes, so
// no plaintext byte reaches the disk; `age -d` turns it back into the
// plain .tar.zst. The frame index in the manifest is about the decrypted
// stream; the SHA-256 that the writer reports (and the ledger records) is
// of the file as stored, the ciphertext.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// AgeSuffix ends the name of an encrypted bundle: NAME.tar.zst.age.
const AgeSuffix = ".age"

// ageMagic is the first line of every (binary) age file.
const ageMagic = "age-encryption.org/v1\n"

// output is what the compressor writes to: the bundle file itself, or an
// age encryption stream over it. When encrypted, it hashes and counts what
// reaches the disk.
type output struct {
	w      io.Writer      // where the compressed stream goes
	enc    io.WriteCloser // the age stream; nil when not encrypted
	stored *hashCounter   // the ciphertext as written; nil when not encrypted
}

type hashCounter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

func newOutput(f io.Writer, recipients []age.Recipient) (*output, error) {
	if len(recipients) == 0 {
		return &output{w: f}, nil
	}
	hc := &hashCounter{w: f, h: sha256.New()}
	enc, err := age.Encrypt(hc, recipients...)
	if err != nil {
		return nil, fmt.Errorf("age: %w", err)
	}
	return &output{w: enc, enc: enc, stored: hc}, nil
}

// close ends the age stream (its last chunk); nothing when not encrypted.
// It is safe to call more than once.
func (o *output) close() error {
	if o.enc == nil {
		return nil
	}
	enc := o.enc
	o.enc = nil
	return enc.Close()
}

// sum is the SHA-256 and size of the file as stored, given those of the
// compressed stream.
func (o *output) sum(stream hash.Hash, streamSize int64) (string, int64) {
	if o.stored == nil {
		return hex.EncodeToString(stream.Sum(nil)), streamSize
	}
	return hex.EncodeToString(o.stored.h.Sum(nil)), o.stored.n
}

// ParseRecipient parses one recipient for encryption: an age X25519 public
// key (age1...), or an OpenSSH public key line (ssh-ed25519 or ssh-rsa,
// as in a .pub file or authorized_keys). Both are public; nothing secret
// is ever a recipient.
func ParseRecipient(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "AGE-SECRET-KEY-"):
		// Never echo it: it is a private key.
		return nil, errors.New("this is an age private key (AGE-SECRET-KEY-...), not a recipient; give its public key (age-keygen -y)")
	case strings.HasPrefix(s, "age1pq1"):
		return nil, errors.New("post-quantum age recipients (age1pq1...) are not supported: older age releases cannot decrypt them; use an X25519 key (age1...) or ssh-ed25519")
	case strings.HasPrefix(s, "age1"):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return nil, fmt.Errorf("recipient %q: %w", s, err)
		}
		return r, nil
	case strings.HasPrefix(s, "ssh-ed25519 "), strings.HasPrefix(s, "ssh-rsa "):
		r, err := agessh.ParseRecipient(s)
		if err != nil {
			return nil, err
		}
		return r, nil
	case strings.Contains(s, "PRIVATE KEY"):
		return nil, errors.New("this is a private key, not a recipient; give the public key (the .pub file)")
	}
	return nil, fmt.Errorf("recipient %q: want an age public key (age1...) or an ssh-ed25519 public key line", s)
}

// ParseRecipients parses a recipients file: one recipient per line as
// ParseRecipient takes it; empty lines and lines starting with # are
// skipped.
func ParseRecipients(r io.Reader) ([]age.Recipient, error) {
	var out []age.Recipient
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rc, err := ParseRecipient(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, rc)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no recipients in the file")
	}
	return out, nil
}

// IsEncrypted reports whether a file starting with prefix is an age file
// (its first line is "age-encryption.org/v1").
func IsEncrypted(prefix []byte) bool {
	return bytes.HasPrefix(prefix, []byte(ageMagic))
}

// ErrArmored is returned for an ASCII-armored age file, which hozen never
// writes.
var ErrArmored = errors.New("an ASCII-armored age file, not a hozen bundle; 'age -d' it first")

// AgeStanza is one recipient stanza of an age header: the type and its
// public arguments. Age does not say which X25519 key a file is for; an
// ssh-ed25519 or ssh-rsa stanza names its key by a short tag (the first 4
// bytes of the SHA-256 of the key's wire form, base64).
type AgeStanza struct {
	Type string   `json:"type"`
	Tag  string   `json:"tag,omitempty"`  // ssh-ed25519, ssh-rsa
	Args []string `json:"args,omitempty"` // every argument, as found
}

// String describes the stanza for people.
func (s AgeStanza) String() string {
	switch s.Type {
	case "X25519":
		return "an age X25519 key (age does not say which)"
	case "ssh-ed25519", "ssh-rsa":
		return fmt.Sprintf("an %s key with tag %s", s.Type, s.Tag)
	case "scrypt":
		return "a passphrase (age -p)"
	}
	return fmt.Sprintf("a %q recipient", s.Type)
}

// AgeHeaderError is an age header that does not parse.
type AgeHeaderError struct{ Err error }

func (e *AgeHeaderError) Error() string { return "age header: " + e.Err.Error() }
func (e *AgeHeaderError) Unwrap() error { return e.Err }

// ReadAgeRecipients lists the recipient stanzas of the age file r, which
// needs no identity: they are in the clear.
func ReadAgeRecipients(r io.Reader) ([]AgeStanza, error) {
	raw, err := age.ExtractHeader(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, &AgeHeaderError{err}
	}
	var out []AgeStanza
	for line := range strings.SplitSeq(string(raw), "\n") {
		rest, ok := strings.CutPrefix(line, "-> ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		s := AgeStanza{Type: f[0], Args: f[1:]}
		if (s.Type == "ssh-ed25519" || s.Type == "ssh-rsa") && len(s.Args) > 0 {
			s.Tag = s.Args[0]
		}
		out = append(out, s)
	}
	return out, nil
}

// SSHTag is the tag by which an age ssh-ed25519 or ssh-rsa stanza names
// the key pub.
func SSHTag(pub ssh.PublicKey) string {
	h := sha256.Sum256(pub.Marshal())
	return base64.RawStdEncoding.EncodeToString(h[:4])
}

// IdentityError is an identity that matched a recipient stanza but could
// not be used (a wrong passphrase for its key, say): the caller's problem,
// not the bundle's. Identities return it from Unwrap.
type IdentityError struct {
	Name string // the identity's file
	Err  error
}

func (e *IdentityError) Error() string { return fmt.Sprintf("identity %s: %v", e.Name, e.Err) }
func (e *IdentityError) Unwrap() error { return e.Err }

// DecryptError is a part of an encrypted bundle that fails age's
// authentication: it was changed (or, at the very end, cut short).
type DecryptError struct {
	Offset int64 // bytes of the encrypted file read before the failure
	Err    error
}

func (e *DecryptError) Error() string {
	return fmt.Sprintf("encrypted file at byte %d: %v", e.Offset, e.Err)
}

func (e *DecryptError) Unwrap() error { return e.Err }

// Decrypted is an encrypted bundle file being decrypted: Read yields the
// .tar.zst stream. It keeps the SHA-256 of the file as stored.
type Decrypted struct {
	f      io.Reader
	stored *hashCounter
	plain  io.Reader
	eof    bool  // the file itself reached its end
	err    error // a chunk that failed authentication before the end
}

// Decrypt starts decrypting the age file f with the identities. A wrong
// identity gives an error wrapping *age.NoIdentityMatchError; a header
// that does not parse or authenticate, an *AgeHeaderError.
func Decrypt(f io.Reader, identities ...age.Identity) (*Decrypted, error) {
	d := &Decrypted{f: f, stored: &hashCounter{w: io.Discard, h: sha256.New()}}
	src := &eofWatch{r: io.TeeReader(f, d.stored), eof: &d.eof}
	plain, err := age.Decrypt(src, identities...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		var ie *IdentityError
		if errors.As(err, &nm) || errors.As(err, &ie) {
			return nil, err
		}
		return nil, &AgeHeaderError{err}
	}
	d.plain = plain
	return d, nil
}

type eofWatch struct {
	r   io.Reader
	eof *bool
}

func (w *eofWatch) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err == io.EOF {
		*w.eof = true
	}
	return n, err
}

// Read yields the decrypted stream. The end of the file, even cut inside
// an age chunk, is io.EOF, so the bundle reader sees a cut bundle (which
// verifies as incomplete); a chunk that fails authentication before the
// file ends also ends the stream, and Err says so.
func (d *Decrypted) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, io.EOF
	}
	n, err := d.plain.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return n, err // an I/O error of the file: not the content's
	}
	if err == io.ErrUnexpectedEOF || d.eof {
		return n, io.EOF
	}
	d.err = &DecryptError{Offset: d.stored.n, Err: err}
	return n, io.EOF
}

// Err is the authentication failure that ended the stream early, if any.
func (d *Decrypted) Err() error { return d.err }

// StoredSHA256 reads what is left of the file and returns the SHA-256 and
// size of the whole file as stored.
func (d *Decrypted) StoredSHA256() (string, int64, error) {
	if _, err := io.Copy(io.Discard, io.TeeReader(d.f, d.stored)); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(d.stored.h.Sum(nil)), d.stored.n, nil
}
