package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/manifest"
)

func newProveCmd(a *app) *cobra.Command {
	var out string
	var seq int64
	var ids identityFlags
	var trust trustFlags
	c := &cobra.Command{
		Use:   "prove BUNDLE PATH -o FILE",
		Short: "disclose one artifact with a proof that it belongs to the signed bundle",
		Long: `prove writes to FILE one artifact of a bundle without the rest: its bytes,
its record, bundle.json, the signed manifest and its signature, and the
RFC 6962 inclusion proof of the record under the manifest's Merkle root.
'hozen verify-proof FILE' (or 'hozen verify FILE') checks it offline;
docs/format.md ("Proofs") shows how to check it with standard tools.

The bundle is verified whole first: a bundle that is not intact (or, with
--pubkey or --allowed-signers, not sealed by a trusted key) is not proven
(exit 1; 3 if incomplete). PATH is an artifact path as 'hozen ls' shows it;
when several records have it, --seq picks one. A proof of an encrypted
bundle's artifact is plaintext.`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usageError{cmd: "prove", err: errors.New("give the proof's file with -o FILE")}
			}
			t, err := trust.load(a, "prove")
			if err != nil {
				return err
			}
			return runProve(a, args[0], bundle.ProveOptions{Path: args[1], Seq: seq, Trust: t}, out, ids)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "write the proof to `FILE`")
	c.Flags().Int64Var(&seq, "seq", 0, "prove record `N` (when several records have PATH)")
	ids.add(c)
	trust.add(c, "the signer")
	return c
}

func runProve(a *app, path string, opts bundle.ProveOptions, out string, ids identityFlags) error {
	bf, err := openBundle(a, path, ids)
	if err != nil {
		return err
	}
	defer bf.Close()
	var proved *bundle.Proved
	err = writeFileAtomic(out, func(w io.Writer) error {
		proved, err = bundle.Prove(bf, w, opts)
		return err
	})
	var ni *bundle.NotIntactError
	var nf *bundle.PathNotFoundError
	var amb *bundle.AmbiguousPathError
	switch {
	case errors.As(err, &ni):
		a.errorf("%s is %s: %v; only an intact bundle is proven", path, ni.Res.Status(), ni.Res.Err)
		a.hintf("run 'hozen verify %s' for the full report", path)
		return silentErrorOf(exitFor(ni.Res.Status()))
	case errors.As(err, &nf):
		a.errorf("%s: %v", path, nf)
		a.hintf("'hozen ls %s' lists its artifact paths", path)
		return silentError{exitUsage}
	case errors.As(err, &amb):
		a.errorf("%s: %v", path, amb)
		a.hintf("add --seq %d or --seq %d", amb.Seqs[0], amb.Seqs[1])
		return silentError{exitUsage}
	case err != nil:
		return withCode(exitUsage, err)
	}
	if bf.Encrypted {
		a.warnf("%s is a plaintext proof: it discloses %s, which %s keeps encrypted", out, displayPath(opts.Path), path)
	}
	p := proved.Proof
	fmt.Fprintf(a.stdout, "%s: proof of %s, record %d of bundle %s (%d records, Merkle root %s)\n", out, displayPath(string(p.Path)), p.Seq, p.BundleID, p.TreeSize, p.MerkleRoot)
	return nil
}

func newVerifyProofCmd(a *app) *cobra.Command {
	var jsonOut bool
	var trust trustFlags
	c := &cobra.Command{
		Use:   "verify-proof FILE...",
		Short: "check proofs that 'hozen prove' wrote, offline",
		Long: `verify-proof checks a proof that 'hozen prove' wrote: the artifact's bytes
against its record, the record against the manifest's list and its Merkle
root (the RFC 6962 inclusion proof), bundle.json against the manifest, and
the manifest's signature; every byte of the file must be as prove wrote it.
It says what is proven. 'hozen verify FILE' does the same for a file that
is a proof.

Without --pubkey or --allowed-signers the proof only shows that it is
consistent with itself; with a trusted key, an unsigned proof or another
signer fails (untrusted).

Exit codes: 0 proven, 1 a check failed (or untrusted), 2 the file cannot be
read or is no proof at all.`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			t, err := trust.load(a, "verify-proof")
			if err != nil {
				return err
			}
			worst := exitOK
			for _, p := range args {
				worst = worseExit(worst, verifyProofFile(a, p, t, jsonOut))
			}
			return silentErrorOf(worst)
		},
	}
	c.Flags().BoolVar(&jsonOut, "json", false, "print one JSON object per proof")
	trust.add(c, "the signer")
	return c
}

// proofReport is what verify-proof (and verify, for a proof) says of one
// proof.
type proofReport struct {
	Proof string `json:"proof"`
	// Outcome: proven, untrusted, tampered or error.
	Outcome    string           `json:"outcome"`
	Reason     string           `json:"reason,omitempty"`
	Statement  string           `json:"statement,omitempty"`
	BundleID   string           `json:"bundle_id,omitempty"`
	Seq        int64            `json:"seq,omitempty"`
	Path       manifest.BString `json:"path,omitempty"`
	SHA256     string           `json:"sha256,omitempty"`
	Size       int64            `json:"size,omitempty"`
	MerkleRoot string           `json:"merkle_root,omitempty"`
	Records    int64            `json:"records,omitempty"`
	Signer     string           `json:"signer,omitempty"`
	Trust      string           `json:"trust,omitempty"` // trusted, not-checked, unsigned
	Principal  string           `json:"principal,omitempty"`
}

// verifyProofFile checks the proof at path, prints what it proves, and
// returns the exit code.
func verifyProofFile(a *app, path string, trust manifest.Trust, jsonOut bool) int {
	rep := &proofReport{Proof: path}
	code := exitOK
	f, err := os.Open(path)
	var pv *bundle.Proven
	if err == nil {
		pv, err = bundle.CheckProof(f, trust)
		f.Close()
	}
	var pe *bundle.ProofError
	var np *bundle.NotProofError
	switch {
	case errors.As(err, &np):
		rep.Outcome, rep.Reason, code = "error", path+": "+np.Error(), exitUsage
	case err == nil:
		rep.Outcome = "proven"
	case errors.As(err, &pe) && pe.Untrusted():
		rep.Outcome, rep.Reason, code = "untrusted", err.Error(), exitFailed
	case errors.As(err, &pe):
		rep.Outcome, rep.Reason, code = "tampered", err.Error(), exitFailed
	default:
		rep.Outcome, rep.Reason, code = "error", err.Error(), exitUsage // a file that cannot be read
	}
	if pv != nil {
		fillProofReport(rep, pv, len(trust) > 0)
	}
	if jsonOut {
		b, _ := json.Marshal(rep)
		fmt.Fprintln(a.stdout, string(b))
		return code
	}
	switch rep.Outcome {
	case "proven":
		fmt.Fprintf(a.stdout, "%s: proven: %s\n", path, rep.Statement)
		if pv.Header != nil {
			h := pv.Header
			fmt.Fprintf(a.stdout, "  case %q  host %q  examiner %q  started %s\n", h.CaseID, h.Host.Hostname, h.Examiner, h.StartedAt.Format("2006-01-02T15:04:05Z07:00"))
		}
		if !pv.Signed {
			a.warnf("%s is unsigned: anyone could have made a consistent one", path)
		} else if len(trust) == 0 {
			a.hintf("give --pubkey or --allowed-signers to check that the signer is one you trust")
		}
	case "error":
		a.errorf("%s", rep.Reason)
	default:
		fmt.Fprintf(a.stdout, "%s: %s: %s\n", path, rep.Outcome, rep.Reason)
		a.errorf("%s is not proven: %s", path, rep.Reason)
	}
	return code
}

func fillProofReport(rep *proofReport, pv *bundle.Proven, trustGiven bool) {
	p, r := pv.Proof, pv.Record
	rep.BundleID, rep.Seq, rep.Path, rep.MerkleRoot, rep.Records = p.BundleID, p.Seq, p.Path, p.MerkleRoot, p.TreeSize
	rep.SHA256, rep.Size = p.SHA256, p.Size
	what := fmt.Sprintf("artifact %s (sha256 %s, %d bytes)", displayPath(string(p.Path)), p.SHA256, p.Size)
	switch r.Entry {
	case manifest.EntrySymlink:
		what = fmt.Sprintf("artifact %s (a symlink; no data)", displayPath(string(p.Path)))
	case manifest.EntryNone:
		what = fmt.Sprintf("artifact %s (no data: outcome %s)", displayPath(string(p.Path)), r.Outcome)
	}
	sig := "unsigned"
	rep.Trust = "unsigned"
	if pv.Header.Signer != nil {
		rep.Signer = pv.Header.Signer.Fingerprint
		switch {
		case pv.Trusted:
			rep.Trust, rep.Principal = "trusted", pv.Principal
			sig = fmt.Sprintf("signed by %s [trusted: %s]", rep.Signer, pv.Principal)
		case trustGiven:
			rep.Trust = "untrusted"
			sig = fmt.Sprintf("signed by %s [untrusted]", rep.Signer)
		default:
			rep.Trust = "not-checked"
			sig = fmt.Sprintf("signed by %s [no trusted key given]", rep.Signer)
		}
	}
	rep.Statement = fmt.Sprintf("%s is record %d of bundle %s, whose manifest (Merkle root %s, %d records) is %s", what, p.Seq, p.BundleID, p.MerkleRoot, p.TreeSize, sig)
}
