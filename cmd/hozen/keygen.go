package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/manifest"
)

func newKeygenCmd(a *app) *cobra.Command {
	var file, comment, passFile string
	var noPass bool
	c := &cobra.Command{
		Use:   "keygen -f FILE",
		Short: "make an OpenSSH ed25519 key pair (FILE, FILE.pub) for signing bundles",
		Long: `keygen writes an OpenSSH ed25519 private key to FILE and its public key to
FILE.pub. The private key is protected by a passphrase, asked on the
terminal, or taken from HOZEN_PASSPHRASE or --passphrase-file; --no-passphrase
writes it unprotected. Give FILE.pub to investigators: 'hozen verify
--pubkey FILE.pub' and 'ssh-keygen -Y verify' check bundles with it.`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if file == "" {
				return usageError{cmd: "keygen", err: errors.New("-f FILE is required")}
			}
			var pw []byte
			if !noPass {
				var err error
				pw, err = passphraseSource{file: passFile}.get(a, "hozen: passphrase for the new key: ", true)
				if err != nil {
					return fmt.Errorf("%w (or use --no-passphrase)", err)
				}
				if len(pw) == 0 {
					return errors.New("empty passphrase; use --no-passphrase for an unprotected key")
				}
			}
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			var block *pem.Block
			if noPass {
				block, err = ssh.MarshalPrivateKey(priv, comment)
			} else {
				block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, comment, pw)
			}
			if err != nil {
				return err
			}
			spub, err := ssh.NewPublicKey(pub)
			if err != nil {
				return err
			}
			pubLine := ssh.MarshalAuthorizedKey(spub)
			if comment != "" {
				pubLine = append(pubLine[:len(pubLine)-1], []byte(" "+comment+"\n")...)
			}
			if err := writeNew(file+".pub", pubLine, 0o644); err != nil {
				return err
			}
			if err := writeNew(file, pem.EncodeToMemory(block), 0o600); err != nil {
				os.Remove(file + ".pub")
				return err
			}
			fmt.Fprintf(a.stderr, "hozen: wrote %s and %s\n", file, file+".pub")
			fmt.Fprintln(a.stdout, manifest.Fingerprint(spub))
			return nil
		},
	}
	c.Flags().StringVarP(&file, "file", "f", "", "write the private key to `FILE` and the public key to FILE.pub")
	c.Flags().StringVarP(&comment, "comment", "C", "", "comment in the key (e.g. the examiner's e-mail)")
	c.Flags().StringVar(&passFile, "passphrase-file", "", "read the passphrase from `FILE`")
	c.Flags().BoolVar(&noPass, "no-passphrase", false, "write the private key unprotected")
	return c
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; hozen does not overwrite keys", path)
		}
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
