package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"
)

// newCustodyCmd builds `hozen custody` and its subcommands. Each subcommand
// opens the ledger named by --ledger, makes one library call and prints.
func newCustodyCmd(a *app) *cobra.Command {
	var ledger string
	c := &cobra.Command{
		Use:   "custody",
		Short: "read, record and check the chain-of-custody ledger",
		Long: `The custody ledger (an SQLite file, custody.db by default) records who held
which evidence bundle, when and why: an append-only, hash-chained list of
events whose Merkle checkpoints ("heads") can be kept elsewhere, on a form
or in a message, to prove later that nothing was changed or cut off.

Read commands (log, export, head) print what the ledger holds, and exit 1 if
it does not verify. See docs/custody.md.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageOf(c, fmt.Errorf("unknown custody command %q", args[0]))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.PersistentFlags().StringVar(&ledger, "ledger", "custody.db", "the custody ledger `FILE`")
	c.AddCommand(
		newCustodyLogCmd(a, &ledger),
		newCustodyRecordCmd(a, &ledger),
		newCustodyVerifyCmd(a, &ledger),
		newCustodyHeadCmd(a, &ledger),
		newCustodyExportCmd(a, &ledger),
		newCustodyImportCmd(a, &ledger),
	)
	return c
}

// openLedger opens an existing ledger, for the commands that read it.
// Commands that record open it with signingFlags.openForRecording.
func openLedger(ctx context.Context, path string) (*custody.Ledger, error) {
	return openLedgerWith(ctx, path, custody.Options{NoCreate: true})
}

func openLedgerWith(ctx context.Context, path string, opts custody.Options) (*custody.Ledger, error) {
	l, err := custody.Open(ctx, path, opts)
	if errors.Is(err, custody.ErrNoLedger) {
		return nil, withCode(exitUsage, fmt.Errorf("%s: no such ledger; name it with --ledger FILE", path))
	}
	if err != nil {
		return nil, custodyError(err)
	}
	return l, nil
}

// custodyError attaches the exit code to a custody library error.
func custodyError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, custody.ErrTampered), errors.Is(err, custody.ErrDiverged):
		return withCode(exitFailed, err)
	default:
		return withCode(exitUsage, err)
	}
}

// verifyForRead checks the ledger before a read command trusts it. On
// failure it prints the error and returns the code to exit with after the
// command has printed what the ledger holds.
func verifyForRead(ctx context.Context, a *app, l *custody.Ledger) (*custody.Report, error) {
	rep, err := l.Verify(ctx, "")
	if err != nil {
		if errors.Is(err, custody.ErrTampered) {
			return nil, withCode(exitFailed, fmt.Errorf("%s does not verify, the events shown may be false: %w", l.Path(), err))
		}
		return nil, custodyError(err)
	}
	for _, w := range rep.Warnings {
		a.warnf("%s: %s", l.Path(), w)
	}
	return rep, nil
}

// signingFlags are --key and --passphrase-file, as for collect: the actor's
// key signs what a command records (the events, or custody head's head).
type signingFlags struct{ key, passFile string }

// add registers the flags; what is what the key signs, for the help.
func (s *signingFlags) add(c *cobra.Command, what string) {
	c.Flags().StringVar(&s.key, "key", "", "sign "+what+" with this OpenSSH private key `FILE` (or a .pub whose key an ssh-agent holds)")
	c.Flags().StringVar(&s.passFile, "passphrase-file", "", "read the key's passphrase from `FILE` (else HOZEN_PASSPHRASE, else a prompt)")
}

// signer loads the key of --key; s.key must not be empty.
func (s *signingFlags) signer(a *app) (ssh.Signer, error) {
	signer, err := loadSigner(a, s.key, passphraseSource{file: s.passFile})
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return signer, nil
}

// openForRecording opens the ledger for a command that records, creating it
// if it is missing; the key, if one was given, signs the events appended.
// It returns that key's signer (nil without --key).
func (s *signingFlags) openForRecording(ctx context.Context, a *app, path string) (*custody.Ledger, ssh.Signer, error) {
	var opts custody.Options
	if s.key != "" {
		signer, err := s.signer(a)
		if err != nil {
			return nil, nil, err
		}
		opts.Signer = signer
	}
	l, err := openLedgerWith(ctx, path, opts)
	if err != nil {
		return nil, nil, err
	}
	return l, opts.Signer, nil
}

// fileSHA256 hashes a file while streaming it.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
