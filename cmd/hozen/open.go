package main

// Opening bundles for reading: a plain .tar.zst, or an age-encrypted
// .tar.zst.age decrypted on the fly with the identities of --identity.
// verify, ls and extract (and report, timeline) read bundles only through
// openBundle and bundleFile.verify.

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/bundle"
)

// identityFlags are --identity and --passphrase-file, for the commands
// that read bundles.
type identityFlags struct {
	files    []string
	passFile string
}

func (f *identityFlags) add(c *cobra.Command) {
	c.Flags().StringArrayVarP(&f.files, "identity", "i", nil, "decrypt an encrypted bundle with this age identity or OpenSSH private key `FILE`; repeatable")
	c.Flags().StringVar(&f.passFile, "passphrase-file", "", "read the identity key's passphrase from `FILE` (else HOZEN_PASSPHRASE, else a prompt)")
}

// bundleFile is a bundle opened for reading.
type bundleFile struct {
	Path       string
	Encrypted  bool
	Recipients []bundle.AgeStanza // the age header's stanzas, when encrypted
	f          *os.File
	r          io.Reader // the .tar.zst stream
	dec        *bundle.Decrypted
	// StreamSHA256 is the SHA-256 of the decrypted .tar.zst stream (what
	// 'age -d' gives back), once verify read it to its end.
	StreamSHA256 string
}

// encryptedError: the bundle is encrypted and no identity was given.
type encryptedError struct {
	path       string
	recipients []bundle.AgeStanza
}

func (e *encryptedError) Error() string {
	return fmt.Sprintf("%s is encrypted (age) to %s; give --identity FILE (the investigator's age identity or OpenSSH private key) to read it", e.path, describeStanzas(e.recipients))
}

// noIdentityError: none of the identities given can decrypt the bundle.
type noIdentityError struct {
	path       string
	recipients []bundle.AgeStanza
	ids        []loadedIdentity
}

func (e *noIdentityError) Error() string {
	var have []string
	for _, id := range e.ids {
		have = append(have, fmt.Sprintf("%s (%s)", id.file, id.what))
	}
	return fmt.Sprintf("%s is encrypted to %s; none of the identities given can decrypt it: %s", e.path, describeStanzas(e.recipients), strings.Join(have, ", "))
}

// ageTamperedError: the age header does not parse or authenticate.
type ageTamperedError struct {
	path string
	err  error
}

func (e *ageTamperedError) Error() string { return fmt.Sprintf("%s is tampered: %v", e.path, e.err) }
func (e *ageTamperedError) Unwrap() error { return e.err }

func describeStanzas(st []bundle.AgeStanza) string {
	if len(st) == 0 {
		return "no recipient"
	}
	var s []string
	for _, x := range st {
		s = append(s, x.String())
	}
	return strings.Join(s, ", ")
}

// openBundle opens the bundle at path. An age-encrypted bundle is
// decrypted with the identities in ids as it is read; without one, the
// error says to whom it is encrypted (exit 2); with only wrong ones, it
// says so (exit 2). A damaged age header is tampering (exit 1). Read the
// bundle with bf.verify, which also fills Result.FileSHA256 with the
// SHA-256 of the file as stored (the ciphertext, for an encrypted bundle).
func openBundle(a *app, path string, ids identityFlags) (*bundleFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.Size() == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: empty file: not a hozen bundle", path)
	}
	prefix := make([]byte, 64)
	n, _ := io.ReadFull(io.NewSectionReader(f, 0, fi.Size()), prefix)
	prefix = prefix[:n]
	bf := &bundleFile{Path: path, f: f, r: f}
	if bytes.HasPrefix(prefix, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, bundle.ErrArmored)
	}
	if !bundle.IsEncrypted(prefix) {
		if len(ids.files) > 0 {
			a.warnf("%s is not encrypted; --identity is not needed", path)
		}
		return bf, nil
	}
	bf.Encrypted = true
	bf.Recipients, err = bundle.ReadAgeRecipients(io.NewSectionReader(f, 0, fi.Size()))
	if err != nil {
		f.Close()
		return nil, withCode(exitFailed, &ageTamperedError{path, err})
	}
	if len(ids.files) == 0 {
		f.Close()
		return nil, withCode(exitUsage, &encryptedError{path: path, recipients: bf.Recipients})
	}
	loaded, err := loadIdentities(a, ids)
	if err != nil {
		f.Close()
		return nil, withCode(exitUsage, err)
	}
	var ages []age.Identity
	for _, id := range loaded {
		ages = append(ages, id.id)
	}
	bf.dec, err = bundle.Decrypt(f, ages...)
	var nm *age.NoIdentityMatchError
	var ie *bundle.IdentityError
	switch {
	case err == nil:
	case errors.As(err, &nm):
		f.Close()
		return nil, withCode(exitUsage, &noIdentityError{path: path, recipients: bf.Recipients, ids: loaded})
	case errors.As(err, &ie):
		f.Close()
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", path, err))
	default:
		f.Close()
		return nil, withCode(exitFailed, &ageTamperedError{path, err})
	}
	bf.r = bf.dec
	return bf, nil
}

// Close closes the file.
func (bf *bundleFile) Close() error { return bf.f.Close() }

// Reader is the .tar.zst stream (decrypted, if the file is encrypted).
// Most callers want verify instead.
func (bf *bundleFile) Reader() io.Reader { return bf.r }

// verify reads the whole bundle with bundle.Verify. For an encrypted
// bundle, FileSHA256 and FileSize of the result are of the file as stored
// (what the ledger records), StreamSHA256 is that of the decrypted stream,
// and a part of the file that fails age's authentication is tampering.
func (bf *bundleFile) verify(opts bundle.VerifyOptions) (*bundle.Result, error) {
	res, err := bundle.Verify(bf.r, opts)
	if err != nil || bf.dec == nil {
		if res != nil {
			bf.StreamSHA256 = res.FileSHA256
		}
		return res, err
	}
	if derr := bf.dec.Err(); derr != nil && res.Outcome != bundle.Tampered {
		res.Outcome, res.Err = bundle.Tampered, derr
	}
	if res.FileSHA256 != "" {
		bf.StreamSHA256 = res.FileSHA256
		sum, size, err := bf.dec.StoredSHA256()
		if err != nil {
			return res, &bundle.ReadError{Err: err}
		}
		res.FileSHA256, res.FileSize = sum, size
	}
	return res, nil
}

// loadedIdentity is one --identity file, ready for age.
type loadedIdentity struct {
	file string
	what string // for people: "age X25519 key", "ssh-ed25519 key with tag ..."
	id   age.Identity
}

// loadIdentities reads every --identity file: an age identity file
// (AGE-SECRET-KEY-1... lines; a passphrase-encrypted one too), or an
// OpenSSH private key (ed25519 or RSA; a passphrase-protected one asks
// for its passphrase only if the bundle is encrypted to it).
func loadIdentities(a *app, ids identityFlags) ([]loadedIdentity, error) {
	pass := passphraseSource{file: ids.passFile}
	var out []loadedIdentity
	for _, file := range ids.files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("identity: %w", err)
		}
		got, err := parseIdentityFile(a, file, b, pass)
		if err != nil {
			return nil, fmt.Errorf("identity %s: %w", file, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

func parseIdentityFile(a *app, file string, b []byte, pass passphraseSource) ([]loadedIdentity, error) {
	text := strings.TrimSpace(string(b))
	switch {
	case strings.Contains(text, "PRIVATE KEY-----"):
		return sshIdentity(a, file, b, pass)
	case bundle.IsEncrypted(b):
		// A passphrase-encrypted age identity file (age -p).
		pw, err := pass.get(a, fmt.Sprintf("hozen: passphrase for %s: ", file), false)
		if err != nil {
			return nil, err
		}
		sid, err := age.NewScryptIdentity(string(pw))
		if err != nil {
			return nil, err
		}
		r, err := age.Decrypt(bytes.NewReader(b), sid)
		if err != nil {
			return nil, errors.New("wrong passphrase, or not an age identity file")
		}
		plain, err := io.ReadAll(io.LimitReader(r, 1<<20))
		if err != nil {
			return nil, err
		}
		return ageIdentities(file, plain)
	case strings.HasPrefix(text, "age1"), strings.HasPrefix(text, "ssh-"):
		return nil, errors.New("this is a public key; --identity needs the private key that belongs to it")
	}
	return ageIdentities(file, b)
}

func ageIdentities(file string, b []byte) ([]loadedIdentity, error) {
	list, err := age.ParseIdentities(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not an age identity file or OpenSSH private key: %w", err)
	}
	var out []loadedIdentity
	for _, id := range list {
		what := "an age key"
		if x, ok := id.(*age.X25519Identity); ok {
			what = "age X25519 key " + x.Recipient().String()
		}
		out = append(out, loadedIdentity{file: file, what: what, id: id})
	}
	return out, nil
}

func sshIdentity(a *app, file string, b []byte, pass passphraseSource) ([]loadedIdentity, error) {
	key, err := ssh.ParseRawPrivateKey(b)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) && missing.PublicKey != nil {
		pub := missing.PublicKey
		l := &lazySSHIdentity{file: file, pub: pub, pem: b, get: func() ([]byte, error) {
			return pass.get(a, fmt.Sprintf("hozen: passphrase for %s: ", file), false)
		}}
		return []loadedIdentity{{file: file, what: fmt.Sprintf("%s key with tag %s", pub.Type(), bundle.SSHTag(pub)), id: l}}, nil
	}
	if errors.As(err, &missing) {
		pw, perr := pass.get(a, fmt.Sprintf("hozen: passphrase for %s: ", file), false)
		if perr != nil {
			return nil, perr
		}
		if key, err = ssh.ParseRawPrivateKeyWithPassphrase(b, pw); errors.Is(err, x509.IncorrectPasswordError) {
			return nil, errors.New("wrong passphrase")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("not an OpenSSH private key: %w", err)
	}
	id, pub, err := identityFromKey(key)
	if err != nil {
		return nil, err
	}
	return []loadedIdentity{{file: file, what: fmt.Sprintf("%s key with tag %s", pub.Type(), bundle.SSHTag(pub)), id: id}}, nil
}

func identityFromKey(key any) (age.Identity, ssh.PublicKey, error) {
	var id age.Identity
	var err error
	switch k := key.(type) {
	case *ed25519.PrivateKey:
		id, err = agessh.NewEd25519Identity(*k)
	case ed25519.PrivateKey:
		id, err = agessh.NewEd25519Identity(k)
	case *rsa.PrivateKey:
		id, err = agessh.NewRSAIdentity(k)
	default:
		return nil, nil, fmt.Errorf("a %T key cannot decrypt age files; use ssh-ed25519 or RSA", key)
	}
	if err != nil {
		return nil, nil, err
	}
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, nil, err
	}
	return id, s.PublicKey(), nil
}

// lazySSHIdentity is a passphrase-protected OpenSSH key: the passphrase is
// asked only when the bundle is encrypted to that key.
type lazySSHIdentity struct {
	file string
	pub  ssh.PublicKey
	pem  []byte
	get  func() ([]byte, error)
	id   age.Identity
}

func (l *lazySSHIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if l.id == nil {
		tag := bundle.SSHTag(l.pub)
		match := false
		for _, s := range stanzas {
			if s.Type == l.pub.Type() && len(s.Args) > 0 && s.Args[0] == tag {
				match = true
			}
		}
		if !match {
			return nil, age.ErrIncorrectIdentity
		}
		pw, err := l.get()
		if err != nil {
			return nil, &bundle.IdentityError{Name: l.file, Err: err}
		}
		key, err := ssh.ParseRawPrivateKeyWithPassphrase(l.pem, pw)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, &bundle.IdentityError{Name: l.file, Err: errors.New("wrong passphrase")}
		}
		if err != nil {
			return nil, &bundle.IdentityError{Name: l.file, Err: err}
		}
		if l.id, _, err = identityFromKey(key); err != nil {
			return nil, &bundle.IdentityError{Name: l.file, Err: err}
		}
	}
	return l.id.Unwrap(stanzas)
}

// loadRecipients reads --recipient and --recipients-file for collect, and
// returns them with a description for people and the ledger.
func loadRecipients(flags []string, files []string) ([]age.Recipient, []string, error) {
	var rs []age.Recipient
	var desc []string
	for _, s := range flags {
		if _, err := os.Stat(s); err == nil && !strings.HasPrefix(s, "age1") && !strings.HasPrefix(s, "ssh-") {
			return nil, nil, fmt.Errorf("--recipient %s is a file; use --recipients-file %s", s, s)
		}
		r, err := bundle.ParseRecipient(s)
		if err != nil {
			return nil, nil, fmt.Errorf("--recipient: %w", err)
		}
		rs = append(rs, r)
		desc = append(desc, describeRecipient(s))
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("--recipients-file: %w", err)
		}
		list, err := bundle.ParseRecipients(bytes.NewReader(b))
		if err != nil {
			return nil, nil, fmt.Errorf("--recipients-file %s: %w", file, err)
		}
		rs = append(rs, list...)
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				desc = append(desc, describeRecipient(line))
			}
		}
	}
	return rs, desc, nil
}

// describeRecipient names a public recipient: the age key itself, or an
// ssh key's type, tag and comment.
func describeRecipient(s string) string {
	s = strings.TrimSpace(s)
	if pub, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err == nil {
		d := fmt.Sprintf("%s tag %s", pub.Type(), bundle.SSHTag(pub))
		if comment != "" {
			d += " (" + comment + ")"
		}
		return d
	}
	return s
}
