package main

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/term"

	"github.com/hozen-dfir/hozen/manifest"
)

// passphraseEnv names the environment variable scripts use for a key's
// passphrase. Passphrases never come on the command line.
const passphraseEnv = "HOZEN_PASSPHRASE"

// passphraseSource finds a passphrase: a file, the environment, or a
// prompt on the terminal, in that order.
type passphraseSource struct {
	file string // --passphrase-file
	// seen, when not nil, hears every passphrase found and where it came
	// from, so that collect can keep it out of the evidence.
	seen func(name string, value []byte)
}

func (p passphraseSource) get(a *app, prompt string, confirm bool) ([]byte, error) {
	pw, name, err := p.find(a, prompt, confirm)
	if err == nil && p.seen != nil {
		p.seen(name, pw)
	}
	return pw, err
}

func (p passphraseSource) find(a *app, prompt string, confirm bool) ([]byte, string, error) {
	if p.file != "" {
		b, err := os.ReadFile(p.file)
		if err != nil {
			return nil, "", fmt.Errorf("passphrase file: %w", err)
		}
		return bytes.TrimRight(b, "\r\n"), "--passphrase-file", nil
	}
	if v := os.Getenv(passphraseEnv); v != "" {
		return []byte(v), passphraseEnv, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, "", fmt.Errorf("a passphrase is needed and there is no terminal to ask on; set %s or use --passphrase-file", passphraseEnv)
	}
	fmt.Fprint(a.stderr, prompt)
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(a.stderr)
	if err != nil {
		return nil, "", err
	}
	if confirm {
		fmt.Fprint(a.stderr, "hozen: same passphrase again: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(a.stderr)
		if err != nil {
			return nil, "", err
		}
		if !bytes.Equal(pw, again) {
			return nil, "", errors.New("the passphrases differ")
		}
	}
	return pw, "the passphrase typed at the prompt", nil
}

// loadSigner opens the signing key named by --key: an OpenSSH private key
// file (passphrase-protected or not), or a public key file whose private
// half a running ssh-agent holds (SSH_AUTH_SOCK).
func loadSigner(a *app, path string, pass passphraseSource) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if pub, _, _, _, err := ssh.ParseAuthorizedKey(b); err == nil {
		return agentSigner(path, pub)
	}
	key, err := ssh.ParseRawPrivateKey(b)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		pw, perr := pass.get(a, fmt.Sprintf("hozen: passphrase for %s: ", path), false)
		if perr != nil {
			return nil, fmt.Errorf("signing key %s: %w", path, perr)
		}
		key, err = ssh.ParseRawPrivateKeyWithPassphrase(b, pw)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fmt.Errorf("signing key %s: wrong passphrase", path)
		}
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

// loadTrust reads --pubkey or --allowed-signers.
func loadTrust(pubkey, allowed string) (manifest.Trust, error) {
	switch {
	case pubkey != "" && allowed != "":
		return nil, usageError{cmd: "verify", err: errors.New("give --pubkey or --allowed-signers, not both")}
	case pubkey != "":
		return readTrust(pubkey, manifest.ParseAuthorizedKeys)
	case allowed != "":
		return readTrust(allowed, manifest.ParseAllowedSigners)
	}
	return nil, nil
}

// readTrust reads the trusted keys of file with parse.
func readTrust(file string, parse func([]byte) (manifest.Trust, error)) (manifest.Trust, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	t, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}
