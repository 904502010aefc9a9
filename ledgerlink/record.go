package ledgerlink

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
)

// event fills what every event hozen appends by itself carries: the
// bundle's file name, digest, chain head, ids and Merkle root as res
// found them, and this machine's name.
func event(action custody.Action, actor string, res *bundle.Result, file string) *custody.Event {
	host, _ := os.Hostname()
	e := &custody.Event{Actor: actor, Action: action, BundleFile: filepath.Base(file), Host: host,
		BundleSHA256: res.FileSHA256, BundleHead: res.Head}
	if res.Header != nil {
		e.CaseID, e.BundleID = res.Header.CaseID, res.Header.BundleID
	}
	if res.Manifest != nil {
		e.BundleMerkleRoot = res.Manifest.MerkleRoot
	}
	e.Outcome = string(res.Outcome)
	return e
}

// Verified is a verification of a bundle file joined with the ledger.
type Verified struct {
	Match *Match
	// Outcome and Reason are the verification's, after the ledger: a cut
	// of a bundle the ledger saw sealed whole is tampered, and the
	// reason names the sealed bundle.
	Outcome bundle.Outcome
	Reason  string
	// Failed: the ledger fails what the file alone does not: a cut of a
	// sealed bundle, or an intact file no sealed event names.
	Failed bool
	Event  *custody.Event // the "verified" event appended
}

// RecordVerified checks the verified bundle res (of the file at path
// file) against the ledger with [Check], and appends the "verified"
// event, by actor, that says the outcome and, when the ledger does not
// know the file, why.
func RecordVerified(ctx context.Context, l *custody.Ledger, res *bundle.Result, file, actor string) (*Verified, error) {
	m, err := Check(ctx, l, res)
	if err != nil {
		return nil, err
	}
	v := &Verified{Match: m, Outcome: res.Outcome}
	if res.Err != nil {
		v.Reason = res.Err.Error()
	}
	if m.Cut {
		// Incomplete on its own, but the ledger saw it sealed whole.
		s := m.Sealed
		v.Outcome = bundle.Tampered
		v.Reason = fmt.Sprintf("cut after sealing: bundle %s was sealed whole by ledger event %d as %s (sha256 %s); this copy ends before its seal (%s)",
			s.BundleID, s.Seq, s.BundleFile, s.BundleSHA256, v.Reason)
	}
	e := event(custody.ActionVerified, actor, res, file)
	e.Outcome = string(v.Outcome)
	e.Reason = "hozen verify"
	if v.Reason != "" {
		e.Reason += ": " + v.Reason
	}
	if !m.Known && !m.Cut { // a cut's reason says it already
		e.Reason += "; the ledger did not know this bundle: " + m.Reason
	}
	if err := l.Append(ctx, e); err != nil {
		return nil, err
	}
	m.Event = e.Seq
	v.Event = e
	v.Failed = m.Cut || !m.Known && res.Outcome == bundle.Intact
	return v, nil
}

// RecordExtracted appends the "extracted" event, by actor, of x: what
// bundle.Extract delivered from the file at path file into dir, of the
// bundle paths under paths (all, when empty).
func RecordExtracted(ctx context.Context, l *custody.Ledger, x *bundle.Extracted, file, dir, actor string, paths []string) (*custody.Event, error) {
	e := event(custody.ActionExtracted, actor, x.Result, file)
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	e.Location = abs
	e.Reason = fmt.Sprintf("hozen extract: %d files, %d links", x.Files, x.Links)
	if len(paths) > 0 {
		e.Reason += " under " + strings.Join(paths, ", ")
	}
	if err := l.Append(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}
