package main

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
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

// trustFlags are the flags that say whom to trust: --pubkey or
// --allowed-signers, and for the latter --principal and --verify-time.
// verify, report, timeline, show and custody verify take them, and judge
// with the same code.
type trustFlags struct {
	pubkey, allowed string
	principal       string // ssh-keygen -I
	verifyTime      string // ssh-keygen -Overify-time
}

// add registers the flags; what says what the keys check.
func (f *trustFlags) add(c *cobra.Command, what string) {
	c.Flags().StringVar(&f.pubkey, "pubkey", "", "trust "+what+" only if it is a key in this public key `FILE` (authorized_keys form, a .pub file)")
	c.Flags().StringVar(&f.allowed, "allowed-signers", "", "trust "+what+" only if this OpenSSH allowed_signers `FILE` allows it, as ssh-keygen -Y verify does")
	c.Flags().StringVar(&f.principal, "principal", "", "with --allowed-signers: the signer must be listed as `NAME` (ssh-keygen -I); default: any line that lists the key")
	c.Flags().StringVar(&f.verifyTime, "verify-time", "", "with --allowed-signers: judge valid-after/valid-before at `TIME` (YYYYMMDD[HHMM[SS]][Z] as ssh-keygen -Overify-time takes it, or RFC 3339); default: now")
}

// load reads the trusted keys, warning of allowed_signers lines that are
// skipped. cmd names the command for usage errors.
func (f *trustFlags) load(a *app, cmd string) (manifest.Trust, error) {
	switch {
	case f.pubkey != "" && f.allowed != "":
		return nil, usageError{cmd: cmd, err: errors.New("give --pubkey or --allowed-signers, not both")}
	case f.allowed == "" && (f.principal != "" || f.verifyTime != ""):
		return nil, usageError{cmd: cmd, err: errors.New("--principal and --verify-time judge the lines of an --allowed-signers file")}
	case f.pubkey != "":
		return readPubkeys(f.pubkey)
	case f.allowed != "":
		return f.readAllowed(a, cmd)
	}
	return nil, nil
}

// readPubkeys reads the keys of a .pub file.
func readPubkeys(file string) (manifest.Trust, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	t, err := manifest.ParseAuthorizedKeys(b)
	if errors.Is(err, manifest.ErrPrivateKey) {
		return nil, withCode(exitUsage, fmt.Errorf("%s is a private key; give the .pub file (such as %s.pub)", file, file))
	}
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", file, err))
	}
	return t, nil
}

// readAllowed reads an allowed_signers file and judges its lines at
// --verify-time (default now) for --principal (default any).
func (f *trustFlags) readAllowed(a *app, cmd string) (manifest.Trust, error) {
	at := time.Now()
	if f.verifyTime != "" {
		var err error
		if at, err = parseVerifyTime(f.verifyTime); err != nil {
			return nil, usageError{cmd: cmd, err: fmt.Errorf("--verify-time: %w", err)}
		}
	}
	b, err := os.ReadFile(f.allowed)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if bytes.Contains(b, []byte("PRIVATE KEY-----")) {
		return nil, withCode(exitUsage, fmt.Errorf("%s is a private key, not an allowed_signers file", f.allowed))
	}
	t, bad, err := manifest.ParseAllowedSigners(f.allowed, b, manifest.TrustPolicy{Principal: f.principal, At: at})
	for _, le := range bad {
		a.warnf("%s; the line is skipped, as ssh-keygen -Y verify skips it", le)
	}
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return t, nil
}

// parseVerifyTime reads --verify-time: ssh-keygen's forms, or RFC 3339.
func parseVerifyTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return manifest.ParseAbsoluteTime(s, nil)
}
