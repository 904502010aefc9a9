package keys

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/hozen-dfir/hozen/manifest"
)

// LoadSigner opens a signing key: an OpenSSH private key file
// (passphrase-protected or not), or a public key file whose private half a
// running ssh-agent holds (SSH_AUTH_SOCK).
func LoadSigner(path string, pass Passphrase) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if pub, _, _, _, err := ssh.ParseAuthorizedKey(b); err == nil {
		return agentSigner(path, pub)
	}
	key, err := manifest.ParsePrivateKey(b, func() ([]byte, error) { return pass.For(path) })
	var pe *manifest.PassphraseError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("signing key %s: %w", path, pe.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("signing key %s: not an OpenSSH private or public key: %w", path, err)
	}
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return s, nil
}

// agentSigner finds pub among the keys of the ssh-agent at SSH_AUTH_SOCK.
func agentSigner(path string, pub ssh.PublicKey) (ssh.Signer, error) {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, fmt.Errorf("signing key %s is a public key; its private key must be in an ssh-agent, but SSH_AUTH_SOCK is not set", path)
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("ssh-agent at %s: %w", sock, err)
	}
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ssh-agent at %s: %w", sock, err)
	}
	want := pub.Marshal()
	for _, s := range signers {
		if bytes.Equal(s.PublicKey().Marshal(), want) {
			return s, nil // the connection stays open for signing
		}
	}
	conn.Close()
	return nil, fmt.Errorf("ssh-agent at %s does not hold the key %s (%s); add it with ssh-add", sock, path, manifest.Fingerprint(pub))
}
