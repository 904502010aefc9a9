package manifest

import (
	"bytes"
	"crypto/x509"
	"errors"

	"golang.org/x/crypto/ssh"
)

// IsPrivateKey reports whether b looks like a private key file (PEM
// armour ending "PRIVATE KEY-----", OpenSSH's among them): what a reader
// of public keys refuses, and a reader of identities takes as a key.
func IsPrivateKey(b []byte) bool { return bytes.Contains(b, []byte("PRIVATE KEY-----")) }

// ErrWrongPassphrase: the passphrase given does not decrypt the private
// key.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// PassphraseError is a passphrase-protected private key whose passphrase
// could not be had (Err is the passphrase callback's error) or does not
// decrypt it (Err is ErrWrongPassphrase). It says what Err says.
type PassphraseError struct{ Err error }

func (e *PassphraseError) Error() string { return e.Err.Error() }
func (e *PassphraseError) Unwrap() error { return e.Err }

// ParsePrivateKey parses a private key in OpenSSH or PEM form. If a
// passphrase protects it, pass is asked for the passphrase (and only
// then), as DecryptPrivateKey does.
func ParsePrivateKey(b []byte, pass func() ([]byte, error)) (any, error) {
	key, err := ssh.ParseRawPrivateKey(b)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return DecryptPrivateKey(b, pass)
	}
	return key, err
}

// DecryptPrivateKey parses a private key that a passphrase protects,
// with the passphrase pass returns. An error of pass, or a wrong
// passphrase, is a *PassphraseError; any other error is the key's.
func DecryptPrivateKey(b []byte, pass func() ([]byte, error)) (any, error) {
	pw, err := pass()
	if err != nil {
		return nil, &PassphraseError{Err: err}
	}
	key, err := ssh.ParseRawPrivateKeyWithPassphrase(b, pw)
	if errors.Is(err, x509.IncorrectPasswordError) {
		return nil, &PassphraseError{Err: ErrWrongPassphrase}
	}
	return key, err
}
