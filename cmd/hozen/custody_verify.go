package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/custody"
)

func newCustodyVerifyCmd(a *app, ledger *string) *cobra.Command {
	var head, headFile string
	var asJSON bool
	var hsc headSignatureCheck
	c := &cobra.Command{
		Use:   "verify [--head VALUE | --head-file FILE] [--head-signature FILE [--pubkey FILE | --allowed-signers FILE]] [--json]",
		Short: "check every event's hash and link, imported ledgers, and an earlier head",
		Long: `verify checks the ledger: every event's record, hash and link to the event
before, signatures, the events imported from other ledgers against the
checkpoints their imports recorded, and with --head (the last line that
'hozen custody head' printed earlier, verbatim) that the ledger still contains
that head, so that a cut-off tail or an older copy of the file is caught.

Exit codes: 0 intact, 1 tampered, 2 usage or I/O error.`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			if headFile != "" {
				if head != "" {
					return usageOf(c, errors.New("give --head or --head-file, not both"))
				}
				var err error
				if head, err = readHeadFile(headFile); err != nil {
					return withCode(exitUsage, err)
				}
			}
			if head != "" {
				if _, err := custody.ParseHead(head); err != nil {
					return usageOf(c, err)
				}
			}
			signedBy, err := hsc.check(a, head)
			if err != nil {
				return err
			}
			l, err := openLedger(ctx, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			rep, err := l.Verify(ctx, head)
			if asJSON {
				return writeVerifyJSON(a, *ledger, l.ID(), rep, err)
			}
			if err != nil {
				if errors.Is(err, custody.ErrTampered) {
					a.errorf("%s: tampered: %v", *ledger, err)
					a.hintf("keep this file as it is, as evidence; compare it with the heads written on the custody forms")
					return silentError{exitFailed}
				}
				return custodyError(err)
			}
			for _, w := range rep.Warnings {
				a.warnf("%s: %s", *ledger, w)
			}
			own := rep.Checkpoint.Size
			fmt.Fprintf(a.stdout, "%s: intact: %d events", *ledger, own)
			if n := rep.Events - own; n > 0 {
				fmt.Fprintf(a.stdout, ", and %d imported from %d other ledgers", n, len(rep.Imported))
			}
			if rep.Signed > 0 {
				fmt.Fprintf(a.stdout, ", %d signed by %s", rep.Signed, strings.Join(rep.Signers, ", "))
			}
			fmt.Fprintln(a.stdout)
			if rep.Head != nil {
				fmt.Fprintf(a.stdout, "contains head %s\n", rep.Head.Text)
				if signedBy != "" {
					fmt.Fprintln(a.stdout, signedBy)
				}
			} else {
				a.hintf("without --head a cut-off tail or an older copy of the file cannot be seen; pass a head kept elsewhere")
			}
			fmt.Fprintln(a.stdout, rep.Checkpoint.Text)
			return nil
		},
	}
	c.Flags().StringVar(&head, "head", "", "an earlier head `VALUE` that the ledger must still contain")
	c.Flags().StringVar(&headFile, "head-file", "", "read the head from the last line of `FILE` (such as saved 'custody head' output)")
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	c.Flags().StringVar(&hsc.sig, "head-signature", "", "check this SSHSIG signature `FILE` of the --head value ('custody head --signature')")
	hsc.trust.add(c, "the head's signer")
	return c
}

// readHeadFile returns the last non-empty line of a file: saved output of
// `hozen custody head`, or a file holding just the head value.
func readHeadFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\r\n\t "), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return last, nil
	}
	return "", fmt.Errorf("%s: no head in the file", path)
}

// writeVerifyJSON prints the outcome of verify as one JSON object and
// returns the exit code's error.
func writeVerifyJSON(a *app, path, id string, rep *custody.Report, err error) error {
	out := struct {
		Ledger   string          `json:"ledger"`
		ID       string          `json:"id"`
		Status   string          `json:"status"`
		Error    string          `json:"error,omitempty"`
		Report   *custody.Report `json:"report,omitempty"`
		ExitCode int             `json:"exit_code"`
	}{Ledger: path, ID: id, Status: "intact", Report: rep}
	code := exitOK
	if err != nil {
		code = exitCode(custodyError(err))
		out.Status, out.Error = "error", err.Error()
		if code == exitFailed {
			out.Status = "tampered"
		}
	}
	out.ExitCode = code
	if werr := writeJSON(a.stdout, out); werr != nil {
		return withCode(exitUsage, werr)
	}
	if code != exitOK {
		a.errorf("%s: %s: %v", path, out.Status, err)
		return silentError{code}
	}
	return nil
}
