package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/custody"
)

func newCustodyRecordCmd(a *app, ledger *string) *cobra.Command {
	var e custody.Event
	var action, bundle string
	var sign signingFlags
	c := &cobra.Command{
		Use:   "record --action ACTION --actor NAME --reason TEXT [--bundle FILE] [--to WHO] [--location WHERE]",
		Short: "record a custody event: a transfer, a receipt, an access, a note",
		Long: `record appends one event to the ledger (creating the ledger if it is missing)
and prints the ledger's new head as its last line.

Actions: transferred (needs --to), received, accessed, extracted, exported,
verified (with --outcome), note. With --bundle, hozen computes the SHA-256 of
the bundle file itself, and takes the case id and bundle id from earlier
events of the same file.`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			e.Action = custody.Action(action)
			if bundle != "" {
				e.BundleFile = filepath.Base(bundle)
			}
			if err := custody.CheckByHand(&e); err != nil {
				return usageOf(c, byHandUsage(err))
			}
			if bundle != "" {
				sum, err := fileSHA256(bundle)
				if err != nil {
					return withCode(exitUsage, err)
				}
				e.BundleSHA256 = sum
			}
			l, signer, err := sign.openForRecording(ctx, a, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			if e.BundleSHA256 != "" {
				warns, err := l.FillBundle(ctx, &e)
				if err != nil {
					return custodyError(err)
				}
				for _, w := range warns {
					a.warnf("%s: %s", l.Path(), w)
				}
			}
			if err := l.Append(ctx, &e); err != nil {
				if errors.Is(err, custody.ErrTampered) {
					a.hintf("nothing was recorded; keep %s as it is, as evidence; 'hozen custody verify --ledger %s' names what another tool changed", *ledger, *ledger)
				}
				return custodyError(err)
			}
			cp, err := l.Checkpoint(ctx)
			if err != nil {
				return custodyError(err)
			}
			fmt.Fprintf(a.stdout, "recorded event %d: %s by %s", e.Seq, e.Action, e.Actor)
			if e.Recipient != "" {
				fmt.Fprintf(a.stdout, " to %s", e.Recipient)
			}
			if e.BundleFile != "" {
				fmt.Fprintf(a.stdout, ", bundle %s (sha256 %s)", e.BundleFile, e.BundleSHA256)
			}
			if signer != nil {
				fmt.Fprintf(a.stdout, ", signed by %s", ssh.FingerprintSHA256(signer.PublicKey()))
			}
			fmt.Fprintf(a.stdout, "\nid %s at %s\n%s\n", e.ID, custody.FormatTime(e.At), cp.Text)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&action, "action", "", "what happened: transferred, received, accessed, extracted, exported, verified, note")
	f.StringVar(&e.Actor, "actor", "", "who acts (`NAME`)")
	f.StringVar(&e.Reason, "reason", "", "why (`TEXT`)")
	f.StringVar(&bundle, "bundle", "", "the evidence bundle `FILE`")
	f.StringVar(&e.CaseID, "case", "", "case `ID` (default: from the ledger's events of the bundle)")
	f.StringVar(&e.Recipient, "to", "", "who receives custody (`WHO`)")
	f.StringVar(&e.Location, "location", "", "where the evidence is (`WHERE`)")
	f.StringVar(&e.Outcome, "outcome", "", "result of a verification: intact, tampered, incomplete")
	host, _ := os.Hostname()
	f.StringVar(&e.Host, "host", host, "the machine where it happens")
	sign.add(c, "the event")
	return c
}

// byHandUsage says what custody.CheckByHand refused in the words of
// record's flags.
func byHandUsage(err error) error {
	var he *custody.ByHandError
	if !errors.As(err, &he) {
		return err
	}
	switch he.Field {
	case "action":
		return fmt.Errorf("--action %s", he.Reason)
	case "actor", "reason":
		return errors.New("--actor and --reason are required: say who acts and why")
	case "recipient":
		return errors.New("--action transferred needs --to WHO")
	}
	return err
}
