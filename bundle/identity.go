package bundle

// Identities that decrypt an encrypted bundle: age identity files (plain
// or passphrase-encrypted with age -p) and OpenSSH private keys (ed25519
// or RSA; a passphrase-protected one is unlocked only if the bundle is
// encrypted to it).

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/manifest"
)

// Identity is one key that may decrypt an encrypted bundle, named for
// people.
type Identity struct {
	File string // where it came from
	What string // "age X25519 key age1...", "ssh-ed25519 key with tag ..."
	age.Identity
}

// Passphrase asks for the passphrase of the key in a file; it is called
// only when a key needs one.
type Passphrase func(file string) ([]byte, error)

// ParseIdentityFile reads the identities in the contents b of file: an
// age identity file (AGE-SECRET-KEY-1... lines; a passphrase-encrypted
// one too), or an OpenSSH private key.
func ParseIdentityFile(file string, b []byte, pass Passphrase) ([]Identity, error) {
	switch {
	case manifest.IsPrivateKey(b):
		return sshIdentity(file, b, pass)
	case IsEncrypted(b):
		pw, err := pass(file)
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
	}
	return ageIdentities(file, b)
}

func ageIdentities(file string, b []byte) ([]Identity, error) {
	list, err := age.ParseIdentities(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not an age identity file or OpenSSH private key: %w", err)
	}
	var out []Identity
	for _, id := range list {
		what := "an age key"
		if x, ok := id.(*age.X25519Identity); ok {
			what = "age X25519 key " + x.Recipient().String()
		}
		out = append(out, Identity{File: file, What: what, Identity: id})
	}
	return out, nil
}

func sshIdentity(file string, b []byte, pass Passphrase) ([]Identity, error) {
	key, err := ssh.ParseRawPrivateKey(b)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) && missing.PublicKey != nil {
		pub := missing.PublicKey
		l := &lazySSHIdentity{file: file, pub: pub, pem: b, pass: pass}
		return []Identity{{File: file, What: fmt.Sprintf("%s key with tag %s", pub.Type(), SSHTag(pub)), Identity: l}}, nil
	}
	if errors.As(err, &missing) {
		key, err = manifest.DecryptPrivateKey(b, func() ([]byte, error) { return pass(file) })
		var pe *manifest.PassphraseError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
	}
	if err != nil {
		return nil, fmt.Errorf("not an OpenSSH private key: %w", err)
	}
	id, pub, err := identityFromKey(key)
	if err != nil {
		return nil, err
	}
	return []Identity{{File: file, What: fmt.Sprintf("%s key with tag %s", pub.Type(), SSHTag(pub)), Identity: id}}, nil
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
	pass Passphrase
	id   age.Identity
}

func (l *lazySSHIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if l.id == nil {
		tag := SSHTag(l.pub)
		match := false
		for _, s := range stanzas {
			if s.Type == l.pub.Type() && len(s.Args) > 0 && s.Args[0] == tag {
				match = true
			}
		}
		if !match {
			return nil, age.ErrIncorrectIdentity
		}
		key, err := manifest.DecryptPrivateKey(l.pem, func() ([]byte, error) { return l.pass(l.file) })
		var pe *manifest.PassphraseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if err != nil {
			return nil, &IdentityError{Name: l.file, Err: err}
		}
		if l.id, _, err = identityFromKey(key); err != nil {
			return nil, &IdentityError{Name: l.file, Err: err}
		}
	}
	return l.id.Unwrap(stanzas)
}

// DescribeRecipient names a public recipient for people and the ledger:
// the age key itself, or an ssh key's type, tag and comment.
func DescribeRecipient(s string) string {
	s = strings.TrimSpace(s)
	if pub, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err == nil {
		d := fmt.Sprintf("%s tag %s", pub.Type(), SSHTag(pub))
		if comment != "" {
			d += " (" + comment + ")"
		}
		return d
	}
	return s
}
