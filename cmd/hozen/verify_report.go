package main

import (
	"errors"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/manifest"
	"github.com/hozen-dfir/hozen/store"
)

// verifyReport is verify's JSON output for one bundle.
type verifyReport struct {
	Bundle     string          `json:"bundle"`
	Outcome    string          `json:"outcome"` // intact, tampered, untrusted, incomplete, not-a-bundle, cannot-decrypt, encrypted (no identity given), error (I/O)
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
	// Stored is what the store says of a bundle verified in place.
	Stored *store.Stored `json:"stored,omitempty"`
	// Hint is the next step after a store's error.
	Hint string `json:"hint,omitempty"`
	Code int    `json:"exit_code"`
	// Signature is good, bad (a fault says why), none (unsigned) or
	// "not checked" (SignatureNote says why).
	Signature     string `json:"signature,omitempty"`
	SignatureNote string `json:"signature_note,omitempty"`
	// Faults lists what is wrong, in the order found (at most
	// bundle.MaxFaults; MoreFaults counts the rest).
	Faults     []bundle.Fault `json:"faults,omitempty"`
	MoreFaults int64          `json:"more_faults,omitempty"`
	Repacked   bool           `json:"repacked,omitempty"`
	// Timestamps are the RFC 3161 tokens stored beside the bundle.
	Timestamps []timestampReport `json:"timestamps,omitempty"`
}

// failedReport fills the report of a bundle that could not be read to the
// end: not a bundle, cannot be decrypted (outcome "encrypted" when no
// identity was given), a damaged age header (tampered), an I/O error
// (outcome "error").
func failedReport(rep *verifyReport, res *bundle.Result, err error) {
	st := bundle.Classify(res, err)
	rep.Outcome, rep.Reason, rep.Code = string(st), err.Error(), exitCode(err)
	var cd *bundle.CannotDecryptError
	var ht *bundle.HeaderTamperedError
	switch {
	case st == bundle.StatusIOError:
		rep.Outcome = "error"
	case errors.As(err, &cd) && len(cd.Tried) == 0 && cd.Err == nil:
		rep.Outcome, rep.Encrypted = "encrypted", true
		for _, s := range cd.Recipients {
			rep.Recipients = append(rep.Recipients, s.String())
		}
	case errors.As(err, &ht):
		rep.Reason, rep.Encrypted = ht.Err.Error(), true
	}
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
	st := res.Status()
	rep.Code = exitFor(st)
	if st == bundle.StatusUntrusted {
		rep.Outcome = string(st)
	}
}
