package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/manifest"
	"github.com/spf13/cobra"
)

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
