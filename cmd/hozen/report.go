package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/report"
)

// readFlags are the flags of the commands that read a bundle for people:
// report, timeline and show.
type readFlags struct {
	trust  trustFlags
	ledger string
	ids    identityFlags
}

func (f *readFlags) add(c *cobra.Command, withLedger bool) {
	f.ids.add(c)
	f.trust.add(c, "the signer")
	if withLedger {
		c.Flags().StringVar(&f.ledger, "ledger", "", "add the bundle's custody trail from this ledger `FILE`")
	}
}

// buildReport verifies the bundle at path while reading what the views
// need, and adds the custody trail when a ledger is named.
func buildReport(ctx context.Context, a *app, path string, f *readFlags) (*report.Report, error) {
	trust, err := f.trust.load(a, "report")
	if err != nil {
		return nil, err
	}
	bf, err := openBundle(a, path, f.ids)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	defer bf.Close()
	// The file's own SHA-256 (as stored: the ciphertext of an encrypted
	// bundle) finds its custody events, also when the bundle is not intact.
	sum := sha256.New()
	in := bf.Reader()
	if !bf.Encrypted {
		in = io.TeeReader(in, sum)
	}
	r, err := report.Build(in, report.Options{Trust: trust, Name: filepath.Base(path)})
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", path, err))
	}
	if _, err := io.Copy(sum, in); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", path, err))
	}
	fileSHA := hex.EncodeToString(sum.Sum(nil))
	if bf.Encrypted {
		if derr := bf.dec.Err(); derr != nil && r.Verification.Outcome != string(bundle.Tampered) {
			r.Verification.Outcome, r.Verification.Reason = string(bundle.Tampered), derr.Error()
		}
		stored, _, err := bf.dec.StoredSHA256()
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("%s: %w", path, err))
		}
		fileSHA = stored
	}
	if f.ledger != "" {
		if err := addCustody(ctx, r, f.ledger, fileSHA); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// addCustody reads the bundle's custody trail from the ledger: the events
// naming the file's SHA-256 and those of its bundle id.
func addCustody(ctx context.Context, r *report.Report, path, fileSHA256 string) error {
	l, err := openLedger(ctx, path)
	if err != nil {
		return err
	}
	defer l.Close()
	t, err := ledgerlink.TrailOf(ctx, l, fileSHA256, r.Summary.BundleID)
	if err != nil {
		return custodyError(err)
	}
	r.SetCustody(path, t.Head, t.Events, t.VerifyErr)
	return nil
}

// verdict turns a report's verification into a message and verify's exit
// code, once the output is written. The output holds only what verified
// before the failure.
func verdict(a *app, path string, r *report.Report) error {
	v := r.Verification
	if c := r.Custody; c != nil && !c.Verified {
		a.errorf("%s does not verify, its events in the output may be false: %s", c.Ledger, c.Error)
	}
	switch v.Outcome {
	case string(bundle.Intact):
		if !v.TrustChecked {
			a.warnf("%s is only consistent with itself; give --pubkey or --allowed-signers to check who sealed it", path)
		}
		if c := r.Custody; c != nil && !c.Verified {
			return silentError{exitFailed}
		}
		return nil
	case string(bundle.Incomplete):
		a.warnf("%s is incomplete: %s; the output holds the %d records that verified", path, v.Reason, v.Records)
		return silentError{exitIncomplete}
	default:
		a.errorf("%s is tampered: %s", path, v.Reason)
		a.hintf("the output holds what was read before the failure, and none of it is vouched for; run 'hozen verify %s'", path)
		return silentError{exitFailed}
	}
}

func newReportCmd(a *app) *cobra.Command {
	var f readFlags
	var out string
	c := &cobra.Command{
		Use:   "report BUNDLE [-o FILE.html] [--ledger FILE] [--pubkey FILE | --allowed-signers FILE]",
		Short: "write one self-contained HTML report of a bundle, for a browser or a case file",
		Long: `report verifies a bundle and writes one HTML file an investigator reads in
any browser, offline: the verification outcome first, then the case, host and
clocks, findings, the process tree, network connections joined to their
processes, logins, persistence items, a timeline chart, every artifact
(searchable), and with --ledger the bundle's custody trail. The file loads
nothing from anywhere (its Content-Security-Policy forbids it) and prints.

Without -o the report is written beside nothing: to BUNDLE's name with .html
in the current directory. The last line of stdout is the report's path.

Exit codes are verify's: 0 intact, 1 tampered or untrusted (or a ledger that
does not verify), 2 usage or I/O error, 3 incomplete. A report is written in
every case but 2, and says at its top what failed.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			r, err := buildReport(c.Context(), a, args[0], &f)
			if err != nil {
				return err
			}
			if out == "" {
				name := filepath.Base(args[0])
				name = strings.TrimSuffix(name, bundle.PartialSuffix)
				name = strings.TrimSuffix(name, ".tar.zst")
				out = name + ".html"
			}
			if err := writeFileAtomic(out, func(w io.Writer) error { return report.WriteHTML(w, r) }); err != nil {
				return withCode(exitUsage, err)
			}
			fmt.Fprintln(a.stdout, out)
			return verdict(a, args[0], r)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "write the report to `FILE.html`")
	f.add(c, true)
	return c
}

// writeFileAtomic writes path through a temporary file in its directory,
// renamed into place only once complete: no half-written output is left.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
