package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
)

// ledgerCheck is what a ledger says about one bundle file.
type ledgerCheck struct {
	Ledger string          `json:"ledger"`
	Known  bool            `json:"known"`  // a sealed event names this file and head
	Reason string          `json:"reason"` // why not, when not known
	Trail  []custody.Event `json:"trail"`  // every event of the bundle, oldest first
	Event  int64           `json:"event"`  // seq of the event appended for this check
	// Sealed is the sealed event of the bundle id the file's header
	// names, when no sealed event names this file: the file the ledger
	// saw sealed under that id is another one.
	Sealed *custody.Event `json:"sealed,omitempty"`
	// Cut: the file ends before its seal (incomplete), yet the ledger saw
	// its bundle sealed whole: it was cut after sealing, which is
	// tampering (exit 1), not an interrupted collection.
	Cut bool `json:"cut,omitempty"`
}

// checkAgainstLedger looks the bundle up in the ledger: a "sealed" event
// must name the file's SHA-256 and the chain head verify found. For a
// bundle that never sealed, the "collected" event of its id is the trail.
// A file that no sealed event names is matched on the bundle id of its
// header (which a cut file still has): if the ledger sealed that bundle,
// this file is not the one sealed, and a file that ends before its seal
// is a cut of it. A forger who also edits the id in the header only gets
// a file the ledger does not know.
func checkAgainstLedger(ctx context.Context, l *custody.Ledger, res *bundle.Result) (*ledgerCheck, error) {
	lc := &ledgerCheck{Ledger: l.Path()}
	var evs []custody.Event
	var err error
	switch {
	case res.FileSHA256 != "":
		evs, err = l.Events(ctx, custody.Filter{BundleSHA256: res.FileSHA256})
	case res.Header != nil:
		evs, err = l.Events(ctx, custody.Filter{BundleID: res.Header.BundleID})
	}
	if err != nil {
		return nil, err
	}
	lc.Trail = evs
	for _, e := range evs {
		if e.Action != custody.ActionSealed || e.BundleSHA256 == "" || e.BundleSHA256 != res.FileSHA256 {
			continue
		}
		if e.BundleHead != res.Head {
			lc.Reason = fmt.Sprintf("event %d seals this file with head %s, the bundle's chain ends at %s", e.Seq, e.BundleHead, res.Head)
			return lc, nil
		}
		if res.Header != nil && e.BundleID != res.Header.BundleID {
			lc.Reason = fmt.Sprintf("event %d seals this file as bundle %s, the bundle says %s", e.Seq, e.BundleID, res.Header.BundleID)
			return lc, nil
		}
		lc.Known = true
		return lc, nil
	}
	if res.Header != nil {
		byID := evs
		if res.FileSHA256 != "" {
			// The trail above is of this file's digest; the id may
			// have been sealed as another file.
			if byID, err = l.Events(ctx, custody.Filter{BundleID: res.Header.BundleID}); err != nil {
				return nil, err
			}
		}
		for i := len(byID) - 1; i >= 0; i-- {
			if e := byID[i]; e.Action == custody.ActionSealed && e.BundleID == res.Header.BundleID && e.BundleSHA256 != "" {
				lc.Sealed = &e
				break
			}
		}
	}
	if e := lc.Sealed; e != nil {
		sealed := fmt.Sprintf("bundle %s was sealed by ledger event %d as %s (sha256 %s)", e.BundleID, e.Seq, e.BundleFile, e.BundleSHA256)
		switch {
		case res.FileSHA256 == "" && res.Outcome == bundle.Incomplete:
			lc.Cut = true
			lc.Reason = sealed + "; this file ends before its seal: a cut of it"
		case res.FileSHA256 == "":
			lc.Reason = sealed + "; this file does not verify"
		default:
			lc.Reason = fmt.Sprintf("%s; this file's sha256 is %s: not the file sealed", sealed, res.FileSHA256)
		}
		return lc, nil
	}
	switch {
	case res.FileSHA256 == "":
		lc.Reason = "the bundle is not sealed, so no sealed event can name it"
	default:
		lc.Reason = fmt.Sprintf("no sealed event names a file with sha256 %s", res.FileSHA256)
	}
	return lc, nil
}

// openLedgerFor opens an existing ledger for verify/extract, and checks
// that it holds before anything is appended to it.
func openLedgerFor(ctx context.Context, path string) (*custody.Ledger, error) {
	l, err := custody.Open(ctx, path, custody.Options{NoCreate: true})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	if _, err := l.Verify(ctx, ""); err != nil {
		l.Close()
		return nil, withCode(exitFailed, fmt.Errorf("ledger %s does not verify: %w; run 'hozen custody verify --ledger %s'", path, err, path))
	}
	return l, nil
}

// ledgerEvent fills what every event hozen appends by itself carries.
func ledgerEvent(action custody.Action, actor string, res *bundle.Result, file string) *custody.Event {
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

// printTrail prints a bundle's custody trail, oldest first.
func printTrail(a *app, lc *ledgerCheck) {
	w := a.stdout
	switch {
	case lc.Known:
		fmt.Fprintf(w, "  ledger %s: knows this bundle (sealed event found)\n", lc.Ledger)
	case lc.Sealed != nil:
		fmt.Fprintf(w, "  ledger %s: knows the bundle, not this file: %s\n", lc.Ledger, lc.Reason)
	default:
		fmt.Fprintf(w, "  ledger %s: does not know this bundle: %s\n", lc.Ledger, lc.Reason)
	}
	for _, e := range lc.Trail {
		what := string(e.Action)
		if e.Outcome != "" {
			what += " (" + e.Outcome + ")"
		}
		extra := ""
		if e.Recipient != "" {
			extra += " to " + e.Recipient
		}
		if e.Location != "" {
			extra += " at " + e.Location
		}
		if e.Reason != "" {
			extra += ": " + strings.ReplaceAll(e.Reason, "\n", " ")
		}
		fmt.Fprintf(w, "    %d  %s  %-12s by %s%s\n", e.Seq, custody.FormatTime(e.At), what, e.Actor, extra)
	}
}
