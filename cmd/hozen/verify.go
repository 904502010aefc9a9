package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/manifest"
)

type verifyOptions struct {
	trust         trustFlags
	ledger, actor string
	jsonOut       bool
	ids           identityFlags
}

func newVerifyCmd(a *app) *cobra.Command {
	o := &verifyOptions{}
	c := &cobra.Command{
		Use:   "verify BUNDLE...",
		Short: "check that bundles are intact: every hash, link, the seal and the signature",
		Long: `verify reads each bundle to its end and checks every frame, tar header,
artifact digest, record link, the manifest, the Merkle root, SHA256SUMS and
the signature. It goes on past a fault wherever the stream still parses
and lists every faulty artifact (up to 100) with the kind of fault, and
says whether the signature holds, or why it was not checked.
A file that is not a hozen bundle at all is an error (exit 2).

Without --pubkey or --allowed-signers it can only show that a bundle is
consistent with itself: anyone could build a consistent bundle. With a
trusted key, an unsigned bundle or another signer fails.

An allowed_signers file is judged as 'ssh-keygen -Y verify -n hozen-bundle'
judges it: the line must list the key, allow the namespace (namespaces=) and
the time (valid-after=, valid-before=; now, or --verify-time), and with
--principal NAME (ssh-keygen's -I) list NAME; without --principal any such
line will do. A line that cannot be read is skipped with a warning.

Exit codes: 0 intact, 1 tampered or untrusted, 2 usage or I/O error or
not a bundle, 3 incomplete (not sealed, cut short, or interrupted). With several bundles
the worst wins: 1 over 2 over 3 over 0.

An encrypted bundle (.tar.zst.age) is read with --identity; without one,
verify says to whom it is encrypted (exit 2). Its file sha256 is of the
file as stored, the one the ledger records.`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runVerify(c.Context(), a, o, args)
		},
	}
	o.trust.add(c, "the signer")
	c.Flags().BoolVar(&o.jsonOut, "json", false, "print one JSON object per bundle")
	c.Flags().StringVar(&o.ledger, "ledger", "", "check that this custody ledger `FILE` knows each bundle, show its trail, and record the verification")
	o.ids.add(c)
	c.Flags().StringVar(&o.actor, "actor", "", "who verifies, for the ledger (default: the login name)")
	return c
}

// verifyReport is verify's JSON output for one bundle.
type verifyReport struct {
	Bundle     string          `json:"bundle"`
	Outcome    string          `json:"outcome"` // intact, tampered, incomplete, error
	Reason     string          `json:"reason,omitempty"`
	BundleID   string          `json:"bundle_id,omitempty"`
	CaseID     string          `json:"case_id,omitempty"`
	Host       string          `json:"host,omitempty"`
	Examiner   string          `json:"examiner,omitempty"`
	Status     string          `json:"status,omitempty"`
	Records    int64           `json:"records_verified"`
	Counts     manifest.Counts `json:"counts"`
	Head       string          `json:"head,omitempty"`
	MerkleRoot string          `json:"merkle_root,omitempty"`
	Signer     string          `json:"signer,omitempty"`
	Signed     bool            `json:"signed"`
	Trusted    bool            `json:"trusted"`
	Principal  string          `json:"principal,omitempty"`
	SHA256     string          `json:"sha256,omitempty"`
	Size       int64           `json:"size,omitempty"`
	Encrypted  bool            `json:"encrypted,omitempty"`
	Recipients []string        `json:"recipients,omitempty"`
	// StreamSHA256 is of the decrypted .tar.zst, when encrypted.
	StreamSHA256 string            `json:"decrypted_sha256,omitempty"`
	Ledger       *ledgerlink.Match `json:"ledger,omitempty"`
	Code         int               `json:"exit_code"`
	// Signature is good, bad (a fault says why), none (unsigned) or
	// "not checked" (SignatureNote says why).
	Signature     string `json:"signature,omitempty"`
	SignatureNote string `json:"signature_note,omitempty"`
	// Faults lists what is wrong, in the order found (at most
	// bundle.MaxFaults; MoreFaults counts the rest).
	Faults     []bundle.Fault `json:"faults,omitempty"`
	MoreFaults int64          `json:"more_faults,omitempty"`
	Repacked   bool           `json:"repacked,omitempty"`
}

func runVerify(ctx context.Context, a *app, o *verifyOptions, paths []string) error {
	trust, err := o.trust.load(a, "verify")
	if err != nil {
		return err
	}
	var led *custody.Ledger
	if o.ledger != "" {
		if led, err = openLedgerFor(ctx, o.ledger); err != nil {
			return err
		}
		defer led.Close()
	}
	worst := exitOK
	for _, p := range paths {
		rep, res := verifyOne(a, p, trust, o.ids)
		if led != nil && res != nil {
			if err := ledgerVerify(ctx, led, rep, res, defaultExaminer(o.actor)); err != nil {
				return err
			}
		}
		if o.jsonOut {
			b, _ := json.Marshal(rep)
			fmt.Fprintln(a.stdout, string(b))
		} else {
			printVerify(a, rep, len(trust) > 0)
		}
		worst = worseExit(worst, rep.Code)
	}
	if worst != exitOK {
		return silentError{worst}
	}
	return nil
}

// worseExit orders verify's exit codes: tampered over error over
// incomplete over intact.
func worseExit(a, b int) int {
	rank := map[int]int{exitOK: 0, exitIncomplete: 1, exitUsage: 2, exitFailed: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func verifyOne(a *app, path string, trust manifest.Trust, ids identityFlags) (*verifyReport, *bundle.Result) {
	rep := &verifyReport{Bundle: path}
	bf, err := openBundle(a, path, ids)
	if err != nil {
		rep.Outcome, rep.Reason, rep.Code = "error", err.Error(), exitCode(err)
		var ee *encryptedError
		if errors.As(err, &ee) {
			rep.Outcome, rep.Encrypted = "encrypted", true
			for _, s := range ee.recipients {
				rep.Recipients = append(rep.Recipients, s.String())
			}
		}
		var te *ageTamperedError
		if errors.As(err, &te) {
			rep.Outcome, rep.Reason, rep.Encrypted = string(bundle.Tampered), te.err.Error(), true
		}
		return rep, nil
	}
	defer bf.Close()
	res, err := bf.verify(bundle.VerifyOptions{Trust: trust})
	if errors.Is(err, bundle.ErrNotBundle) {
		rep.Outcome, rep.Reason, rep.Code = "not-a-bundle", err.Error(), exitUsage
		return rep, nil
	}
	if err != nil {
		rep.Outcome, rep.Reason, rep.Code = "error", err.Error(), exitUsage
		return rep, nil
	}
	fillReport(rep, res)
	if bf.Encrypted {
		rep.Encrypted, rep.StreamSHA256 = true, bf.StreamSHA256
		for _, s := range bf.Recipients {
			rep.Recipients = append(rep.Recipients, s.String())
		}
	}
	return rep, res
}

// ledgerVerify checks the bundle against the ledger and records the
// verification there. A ledger that does not know an otherwise intact
// bundle is a failed check (exit 1), and so is a cut of a bundle it saw
// sealed whole (tampered).
func ledgerVerify(ctx context.Context, led *custody.Ledger, rep *verifyReport, res *bundle.Result, actor string) error {
	v, err := ledgerlink.RecordVerified(ctx, led, res, rep.Bundle, actor)
	if err != nil {
		return fmt.Errorf("ledger %s: %w", led.Path(), err)
	}
	rep.Outcome, rep.Reason, rep.Ledger = string(v.Outcome), v.Reason, v.Match
	if v.Failed {
		rep.Code = exitFailed
	}
	return nil
}

func fillReport(rep *verifyReport, res *bundle.Result) {
	rep.Outcome = string(res.Outcome)
	if res.Err != nil {
		rep.Reason = res.Err.Error()
	}
	if h := res.Header; h != nil {
		rep.BundleID, rep.CaseID, rep.Host, rep.Examiner = h.BundleID, h.CaseID, h.Host.Hostname, h.Examiner
	}
	if m := res.Manifest; m != nil {
		rep.Status, rep.MerkleRoot = m.Status, m.MerkleRoot
	}
	rep.Records, rep.Counts, rep.Head = res.Records, res.Counts, res.Head
	rep.Signer, rep.Signed, rep.Trusted, rep.Principal = res.Signer, res.Signed, res.Trusted, res.Principal
	rep.SHA256, rep.Size = res.FileSHA256, res.FileSize
	rep.Faults, rep.MoreFaults, rep.Repacked = res.Faults, res.MoreFaults, res.Repacked
	switch {
	case !res.SignatureChecked:
		rep.Signature, rep.SignatureNote = "not checked", res.SignatureNote
	case res.Signed:
		rep.Signature = "good"
	case res.Signer == "":
		rep.Signature = "none"
	default:
		rep.Signature = "bad"
	}
	switch res.Outcome {
	case bundle.Intact:
		rep.Code = exitOK
	case bundle.Incomplete:
		rep.Code = exitIncomplete
	default:
		rep.Code = exitFailed
	}
	if errors.Is(res.Err, manifest.ErrUnsigned) || errors.Is(res.Err, manifest.ErrUntrustedSigner) {
		rep.Outcome = "untrusted"
	}
}

func printVerify(a *app, r *verifyReport, trusted bool) {
	w := a.stdout
	switch r.Outcome {
	case "encrypted":
		a.errorf("%s", r.Reason)
		a.hintf("only the investigator's private key reads it (the responder never holds one); see docs/usb.md")
		return
	case "error":
		if strings.HasPrefix(r.Reason, r.Bundle) {
			a.errorf("%s", r.Reason)
		} else {
			a.errorf("%s: %s", r.Bundle, r.Reason)
		}
		// An identity or a temporary directory: the error says what to do.
		if !strings.Contains(r.Reason, "identit") && !strings.Contains(r.Reason, "set TMPDIR") {
			a.hintf("check the path; a bundle is a .tar.zst or .tar.zst.age (or .partial) file that 'hozen collect' wrote")
		}
		return
	case "not-a-bundle":
		a.errorf("%s: %s", r.Bundle, r.Reason)
		a.hintf("a bundle is a .tar.zst or .tar.zst.age (or .partial) file that 'hozen collect' wrote; this file holds none")
		return
	case "intact":
		fmt.Fprintf(w, "%s: intact\n", r.Bundle)
	default:
		fmt.Fprintf(w, "%s: %s: %s\n", r.Bundle, r.Outcome, r.Reason)
	}
	if r.BundleID != "" {
		fmt.Fprintf(w, "  bundle %s  case %q  host %q  examiner %q\n", r.BundleID, r.CaseID, r.Host, r.Examiner)
	}
	fmt.Fprintf(w, "  records verified %d (artifacts %d, not ok %d), %s of data\n", r.Records, r.Counts.Artifacts, r.Counts.Errors, humanBytes(r.Counts.Bytes))
	if r.Head != "" {
		fmt.Fprintf(w, "  head %s\n", r.Head)
	}
	if r.MerkleRoot != "" {
		fmt.Fprintf(w, "  merkle root %s\n", r.MerkleRoot)
	}
	if r.SHA256 != "" {
		if r.Encrypted {
			fmt.Fprintf(w, "  file sha256 %s (as stored, encrypted)\n", r.SHA256)
		} else {
			fmt.Fprintf(w, "  file sha256 %s\n", r.SHA256)
		}
	}
	if r.Encrypted {
		fmt.Fprintf(w, "  encrypted (age) to %s\n", strings.Join(r.Recipients, ", "))
		if r.StreamSHA256 != "" {
			fmt.Fprintf(w, "  decrypted .tar.zst sha256 %s\n", r.StreamSHA256)
		}
	}
	printSigner(w, r, trusted)
	printFaults(w, r)
	if !trusted && r.Outcome == "intact" {
		who := "no signer"
		if r.Signer != "" {
			who = "signer " + r.Signer
		}
		a.warnf("%s is only consistent with itself (%s): anyone could build a consistent bundle; give --pubkey or --allowed-signers to check who sealed it", r.Bundle, who)
	}
	if r.Ledger != nil {
		printTrail(a, r.Ledger)
		fmt.Fprintf(w, "  recorded as ledger event %d\n", r.Ledger.Event)
		switch {
		case r.Ledger.Cut:
			a.hintf("look for %s (sha256 %s), the bundle as sealed; 'hozen extract' still recovers the records before the cut from this copy", r.Ledger.Sealed.BundleFile, r.Ledger.Sealed.BundleSHA256)
		case !r.Ledger.Known && r.Outcome == "intact" && r.Ledger.Sealed != nil:
			a.errorf("%s: the ledger %s sealed this bundle as another file: %s", r.Bundle, r.Ledger.Ledger, r.Ledger.Reason)
			a.hintf("a bundle the ledger does not know may have been replaced; check the ledger the responder's stick carried ('hozen custody import' folds it in)")
		case !r.Ledger.Known && r.Outcome == "intact":
			a.errorf("%s: the ledger %s has no record of sealing this bundle: %s", r.Bundle, r.Ledger.Ledger, r.Ledger.Reason)
			a.hintf("a bundle the ledger does not know may have been replaced; check the ledger the responder's stick carried ('hozen custody import' folds it in)")
		}
	}
	if r.Outcome == "incomplete" && strings.HasPrefix(r.Reason, "no seal") {
		a.hintf("every record before the cut verified; 'hozen extract' recovers them")
	}
}

// printSigner prints the signature line: what was checked and found, or
// why it was not checked.
func printSigner(w io.Writer, r *verifyReport, trusted bool) {
	switch {
	case r.Signature == "not checked" && r.Signer == "" && r.BundleID == "":
		fmt.Fprintf(w, "  signer: not checked: %s\n", r.SignatureNote)
	case r.Signature == "not checked" && r.Signer == "":
		fmt.Fprintf(w, "  signer: none named in bundle.json; signature not checked: %s\n", r.SignatureNote)
	case r.Signature == "not checked":
		fmt.Fprintf(w, "  signer: %s, signature not checked: %s\n", r.Signer, r.SignatureNote)
	case r.Signer == "":
		fmt.Fprintf(w, "  signer: none (unsigned bundle)\n")
	case r.Trusted:
		fmt.Fprintf(w, "  signer: %s, signature good, trusted (principal %s)\n", r.Signer, r.Principal)
	case r.Signed && trusted:
		fmt.Fprintf(w, "  signer: %s, signature good, but the key is not among the trusted ones\n", r.Signer)
	case r.Signed:
		fmt.Fprintf(w, "  signer: %s, signature good, key not checked against a trusted one\n", r.Signer)
	default:
		fmt.Fprintf(w, "  signer: %s, signature bad or missing (see the faults)\n", r.Signer)
	}
}

// printFaults lists what verify found wrong, one line each.
func printFaults(w io.Writer, r *verifyReport) {
	if len(r.Faults) == 0 {
		return
	}
	n := int64(len(r.Faults)) + r.MoreFaults
	fmt.Fprintf(w, "  faults: %d\n", n)
	for _, f := range r.Faults {
		where := ""
		if f.Seq > 0 {
			where = fmt.Sprintf("record %d ", f.Seq)
		}
		if f.Path != "" {
			where += f.Path + " "
		}
		fmt.Fprintf(w, "    %s: %s(%s)\n", f.Kind, where, f.Reason)
	}
	if r.MoreFaults > 0 {
		fmt.Fprintf(w, "    ... and %d more faults not listed\n", r.MoreFaults)
	}
}
