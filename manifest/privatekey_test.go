package manifest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"testing"

	"golang.org/x/crypto/ssh"
)

// ParsePrivateKey asks for a passphrase only when one protects the key,
// and tells its trouble (the callback's error, a wrong passphrase) from
// the key's own.
func TestParsePrivateKey(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	plain, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	locked, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	pass := func(pw string, err error) func() ([]byte, error) {
		return func() ([]byte, error) { return []byte(pw), err }
	}
	asked := false
	if _, err := ParsePrivateKey(pem.EncodeToMemory(plain), func() ([]byte, error) { asked = true; return nil, nil }); err != nil || asked {
		t.Errorf("plain key: %v, asked %v", err, asked)
	}
	if k, err := ParsePrivateKey(pem.EncodeToMemory(locked), pass("secret", nil)); err != nil || k == nil {
		t.Errorf("right passphrase: %v", err)
	}
	var pe *PassphraseError
	if _, err := ParsePrivateKey(pem.EncodeToMemory(locked), pass("nope", nil)); !errors.As(err, &pe) || !errors.Is(err, ErrWrongPassphrase) || err.Error() != "wrong passphrase" {
		t.Errorf("wrong passphrase: %v", err)
	}
	noTTY := errors.New("no terminal")
	if _, err := ParsePrivateKey(pem.EncodeToMemory(locked), pass("", noTTY)); !errors.As(err, &pe) || pe.Err != noTTY {
		t.Errorf("passphrase not had: %v", err)
	}
	if _, err := ParsePrivateKey([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nbogus\n-----END OPENSSH PRIVATE KEY-----\n"), pass("", noTTY)); err == nil || errors.As(err, &pe) {
		t.Errorf("bogus key: %v", err)
	}
	if !IsPrivateKey(pem.EncodeToMemory(locked)) || IsPrivateKey(ssh.MarshalAuthorizedKey(mustPub(t, priv))) {
		t.Error("IsPrivateKey")
	}
}

func mustPub(t *testing.T, priv ed25519.PrivateKey) ssh.PublicKey {
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
