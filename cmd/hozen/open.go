package main

// Opening bundles for reading: the flags, and bundle.Open with the
// identities of --identity.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
	"github.com/spf13/cobra"

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

// openBundle opens the bundle at path with bundle.Open, loading the
// --identity files only if it is encrypted. Its errors are bundle.Open's,
// which exitCode sorts (an encrypted bundle without an identity also
// says how to give one).
func openBundle(a *app, path string, ids identityFlags) (*bundle.File, error) {
	bf, err := bundle.Open(path, func() ([]bundle.Identity, error) { return loadIdentities(a, ids) })
	var cd *bundle.CannotDecryptError
	if errors.As(err, &cd) && len(cd.Tried) == 0 && cd.Err == nil {
		return nil, fmt.Errorf("%w; give --identity FILE (the investigator's age identity or OpenSSH private key) to read it", err)
	}
	if err != nil {
		return nil, err
	}
	if !bf.Encrypted && len(ids.files) > 0 {
		a.warnf("%s is not encrypted; --identity is not needed", path)
	}
	return bf, nil
}

// loadIdentities reads every --identity file.
func loadIdentities(a *app, ids identityFlags) ([]bundle.Identity, error) {
	pass := passphraseSource{file: ids.passFile}
	var out []bundle.Identity
	for _, file := range ids.files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("identity: %w", err))
		}
		if text := strings.TrimSpace(string(b)); strings.HasPrefix(text, "age1") || strings.HasPrefix(text, "ssh-") {
			return nil, withCode(exitUsage, fmt.Errorf("identity %s: this is a public key; --identity needs the private key that belongs to it", file))
		}
		got, err := bundle.ParseIdentityFile(file, b, pass.keys(a).For)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("identity %s: %w", file, err))
		}
		out = append(out, got...)
	}
	return out, nil
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
		desc = append(desc, bundle.DescribeRecipient(s))
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
				desc = append(desc, bundle.DescribeRecipient(line))
			}
		}
	}
	return rs, desc, nil
}
