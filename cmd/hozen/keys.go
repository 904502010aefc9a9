package main

// The flags that name keys: passphrases, signing keys and trusted keys.
// The loading and the trust decisions are package keys'.

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/keys"
	"github.com/hozen-dfir/hozen/manifest"
)

// passphraseEnv names the environment variable scripts use for a key's
// passphrase. Passphrases never come on the command line.
const passphraseEnv = keys.PassphraseEnv

// passphraseSource is --passphrase-file, for keys.Passphrase.
type passphraseSource struct {
	file string // --passphrase-file
	// seen, when not nil, hears every passphrase found and where it came
	// from, so that collect can keep it out of the evidence.
	seen func(name string, value []byte)
}

func (p passphraseSource) keys(a *app) keys.Passphrase {
	return keys.Passphrase{File: p.file, Prompt: a.stderr, Seen: p.seen}
}

func (p passphraseSource) get(a *app, prompt string, confirm bool) ([]byte, error) {
	return p.keys(a).Get(prompt, confirm)
}

// loadSigner opens the signing key named by --key (keys.LoadSigner).
func loadSigner(a *app, path string, pass passphraseSource) (ssh.Signer, error) {
	return keys.LoadSigner(path, pass.keys(a))
}

// trustFlags are the flags that say whom to trust: --pubkey or
// --allowed-signers, and for the latter --principal and --verify-time.
// verify, ls, extract, report, timeline, show and custody verify take
// them, and judge with the same code.
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
	}
	var at time.Time
	if f.verifyTime != "" {
		var err error
		if at, err = keys.ParseVerifyTime(f.verifyTime); err != nil {
			return nil, usageError{cmd: cmd, err: fmt.Errorf("--verify-time: %w", err)}
		}
	}
	t, err := keys.LoadTrust(keys.TrustSource{Pubkey: f.pubkey, Allowed: f.allowed, Principal: f.principal, At: at}, func(le error) {
		a.warnf("%s; the line is skipped, as ssh-keygen -Y verify skips it", le)
	})
	return t, withCode(exitUsage, err)
}
