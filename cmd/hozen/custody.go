package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

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

func newCustodyLogCmd(a *app, ledger *string) *cobra.Command {
	var caseID, bundle, bundleID string
	var asJSON bool
	c := &cobra.Command{
		Use:   "log [--case ID] [--bundle FILE] [--json]",
		Short: "print the custody trail, oldest first",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			f := custody.Filter{CaseID: caseID, BundleID: bundleID}
			if bundle != "" {
				sum, err := fileSHA256(bundle)
				if err != nil {
					return withCode(exitUsage, err)
				}
				f.BundleSHA256 = sum
			}
			l, err := openLedger(ctx, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			evs, err := l.Events(ctx, f)
			if err != nil {
				return custodyError(err)
			}
			_, verr := verifyForRead(ctx, a, l)
			if asJSON {
				if evs == nil {
					evs = []custody.Event{}
				}
				if err := writeJSON(a.stdout, evs); err != nil {
					return withCode(exitUsage, err)
				}
			} else if err := writeTrail(a.stdout, l.ID(), evs); err != nil {
				return withCode(exitUsage, err)
			}
			if verr == nil && len(evs) == 0 {
				a.warnf("%s: no events match", *ledger)
			}
			return verr
		},
	}
	c.Flags().StringVar(&caseID, "case", "", "only events of case `ID`")
	c.Flags().StringVar(&bundle, "bundle", "", "only events of the bundle `FILE` (by its SHA-256, and its bundle id)")
	c.Flags().StringVar(&bundleID, "bundle-id", "", "only events of bundle `ID`")
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of events")
	return c
}

// writeTrail prints events as a table. Events of imported chains show
// their seq as LEDGER/SEQ (the tail of the ledger id).
func writeTrail(w io.Writer, own string, evs []custody.Event) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT (UTC)\tACTION\tACTOR\tCASE\tBUNDLE\tDETAILS")
	for _, e := range evs {
		seq := fmt.Sprint(e.Seq)
		if e.Ledger != own {
			seq = tail(e.Ledger, 8) + "/" + seq
		}
		bundle := e.BundleFile
		if bundle == "" {
			bundle = e.BundleID
		}
		if e.BundleSHA256 != "" {
			bundle = strings.TrimSpace(bundle + " sha256:" + e.BundleSHA256[:12])
		}
		var d []string
		if e.Recipient != "" {
			d = append(d, "to "+e.Recipient)
		}
		if e.Location != "" {
			d = append(d, "at "+e.Location)
		}
		if e.Host != "" {
			d = append(d, "on "+e.Host)
		}
		if e.Outcome != "" {
			d = append(d, "outcome "+e.Outcome)
		}
		if e.Action == custody.ActionImported {
			d = append(d, fmt.Sprintf("ledger %s, %d events", e.SourceLedger, e.SourceSize))
		}
		if e.Signature != "" {
			d = append(d, "signed")
		}
		if e.Reason != "" {
			d = append(d, "— "+e.Reason)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", seq, e.At.Format("2006-01-02 15:04:05"), e.Action,
			oneLine(e.Actor), dash(oneLine(e.CaseID)), dash(oneLine(bundle)), oneLine(strings.Join(d, ", ")))
	}
	return tw.Flush()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table row on one line: control characters (a reason
// written over several lines) show as spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
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
			switch e.Action {
			case custody.ActionCollected, custody.ActionSealed:
				return usageOf(c, fmt.Errorf("--action %s is recorded by hozen collect, not by hand", action))
			case custody.ActionImported:
				return usageOf(c, errors.New("--action imported is recorded by hozen custody import"))
			}
			if !e.Action.Valid() {
				return usageOf(c, fmt.Errorf("--action %q: want transferred, received, accessed, extracted, exported, verified or note", action))
			}
			if strings.TrimSpace(e.Actor) == "" || strings.TrimSpace(e.Reason) == "" {
				return usageOf(c, errors.New("--actor and --reason are required: say who acts and why"))
			}
			if e.Action == custody.ActionTransferred && strings.TrimSpace(e.Recipient) == "" {
				return usageOf(c, errors.New("--action transferred needs --to WHO"))
			}
			if bundle != "" {
				sum, err := fileSHA256(bundle)
				if err != nil {
					return withCode(exitUsage, err)
				}
				e.BundleSHA256 = sum
				e.BundleFile = filepath.Base(bundle)
			}
			l, signer, err := sign.openForRecording(ctx, a, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			if e.BundleSHA256 != "" {
				if err := fillFromLedger(ctx, a, l, &e); err != nil {
					return custodyError(err)
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

// fillFromLedger takes the case id and bundle id of e's bundle from the
// ledger's earlier events of the same file.
func fillFromLedger(ctx context.Context, a *app, l *custody.Ledger, e *custody.Event) error {
	evs, err := l.Events(ctx, custody.Filter{BundleSHA256: e.BundleSHA256})
	if err != nil {
		return err
	}
	for _, p := range evs {
		if e.BundleID == "" && p.BundleID != "" {
			e.BundleID = p.BundleID
		}
		if p.CaseID == "" {
			continue
		}
		if e.CaseID == "" {
			e.CaseID = p.CaseID
		} else if e.CaseID != p.CaseID {
			a.warnf("%s: bundle %s was recorded under case %q, this event says %q", l.Path(), e.BundleFile, p.CaseID, e.CaseID)
			break
		}
	}
	if len(evs) == 0 {
		a.warnf("%s: the ledger has no earlier event of bundle %s (sha256 %s)", l.Path(), e.BundleFile, e.BundleSHA256)
	}
	return nil
}

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

func newCustodyHeadCmd(a *app, ledger *string) *cobra.Command {
	var hs headSigning
	c := &cobra.Command{
		Use:   "head",
		Short: "print the ledger's current checkpoint; the last line is the head value",
		Long: `head verifies the ledger and prints its checkpoint: the number of events and
their Merkle root. The last line is one value that 'hozen custody verify
--head' accepts as is: write it on the custody form, or send it on.

To sign it (namespace hozen-custody-head): --key KEY --signature FILE, or
  printf %s "$(hozen custody head | tail -n 1)" | ssh-keygen -Y sign -f KEY -n hozen-custody-head
'custody verify --head VALUE --head-signature FILE' checks it.`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			l, err := openLedger(ctx, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			rep, err := verifyForRead(ctx, a, l)
			if err != nil {
				return err
			}
			cp := rep.Checkpoint
			fmt.Fprintf(a.stdout, "ledger %s\nid     %s\nevents %d\nroot   %s\n", *ledger, l.ID(), cp.Size, cp.Root)
			if cp.Size > 0 {
				evs, err := l.Events(ctx, custody.Filter{})
				if err != nil {
					return custodyError(err)
				}
				for i := len(evs) - 1; i >= 0; i-- {
					if e := evs[i]; e.Ledger == l.ID() && e.Seq == cp.Size {
						fmt.Fprintf(a.stdout, "last   event %d, %s, %s by %s\n", e.Seq, custody.FormatTime(e.At), e.Action, e.Actor)
						break
					}
				}
			}
			if err := hs.write(a, cp); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, cp.Text)
			return nil
		},
	}
	hs.sign.add(c, "the head")
	c.Flags().StringVar(&hs.out, "signature", "", "write the head's SSHSIG signature (namespace hozen-custody-head) to `FILE`")
	return c
}

func newCustodyExportCmd(a *app, ledger *string) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "export --format csv|json|html",
		Short: "write every event as CSV (spreadsheets), JSON (case files) or a printable HTML custody form to stdout",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			if format != "csv" && format != "json" && format != "html" {
				return usageOf(c, fmt.Errorf("--format %q: want csv or json (data), or html (a printable custody form)", format))
			}
			l, err := openLedger(ctx, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			evs, err := l.Events(ctx, custody.Filter{})
			if err != nil {
				return custodyError(err)
			}
			rep, verr := verifyForRead(ctx, a, l)
			switch format {
			case "csv":
				err = custody.WriteCSV(a.stdout, evs)
			case "html":
				// A printable custody form; it says so itself when the
				// ledger does not verify.
				cp, _ := l.Checkpoint(ctx)
				err = custody.WriteHTML(a.stdout, custody.HTMLForm{Ledger: l.ID(), Path: *ledger, Checkpoint: cp, VerifyError: verr, Now: time.Now()}, evs)
			default:
				var cp custody.Checkpoint
				if rep != nil {
					cp = rep.Checkpoint
				}
				err = custody.WriteJSON(a.stdout, l.ID(), cp, evs)
			}
			if err != nil {
				return withCode(exitUsage, err)
			}
			return verr
		},
	}
	c.Flags().StringVar(&format, "format", "", "csv, json or html (required)")
	return c
}

func newCustodyImportCmd(a *app, ledger *string) *cobra.Command {
	var e custody.Event
	var sign signingFlags
	c := &cobra.Command{
		Use:   "import OTHER.db --actor NAME [--reason TEXT]",
		Short: "fold the events of another ledger (a responder's stick) into this one",
		Long: `import checks OTHER.db and copies its events into the ledger, where they keep
their own chain and stay verifiable against it, and records an 'imported'
event that holds OTHER.db's id, size and Merkle root. Importing the same
ledger again later adds only its new events. OTHER.db is only read.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			if strings.TrimSpace(e.Actor) == "" {
				return usageOf(c, errors.New("--actor is required: say who imports"))
			}
			if e.Reason == "" {
				e.Reason = "imported " + filepath.Base(args[0])
			}
			other, err := openLedger(ctx, args[0])
			if err != nil {
				return err
			}
			defer other.Close()
			// Check the other ledger before creating or locking this one, so
			// that a refused import leaves nothing behind.
			if _, err := other.Verify(ctx, ""); err != nil {
				if errors.Is(err, custody.ErrTampered) {
					return withCode(exitFailed, fmt.Errorf("%s: tampered, nothing imported: %w", args[0], err))
				}
				return custodyError(err)
			}
			l, _, err := sign.openForRecording(ctx, a, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := l.Import(ctx, other, e)
			if err != nil {
				return custodyError(err)
			}
			cp, err := l.Checkpoint(ctx)
			if err != nil {
				return custodyError(err)
			}
			fmt.Fprintf(a.stdout, "imported %d new events from %s (ledger %s, %d events, root %s)\nrecorded event %d: imported by %s\n%s\n",
				res.New, args[0], res.Event.SourceLedger, res.Event.SourceSize, res.Event.SourceRoot, res.Event.Seq, res.Event.Actor, cp.Text)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&e.Actor, "actor", "", "who imports (`NAME`)")
	f.StringVar(&e.Reason, "reason", "", "why (`TEXT`; default: imported OTHER.db)")
	f.StringVar(&e.Location, "location", "", "where (`WHERE`)")
	host, _ := os.Hostname()
	f.StringVar(&e.Host, "host", host, "the machine where it happens")
	sign.add(c, "the event")
	return c
}
