package ledgerlink

import (
	"context"
	"fmt"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
)

// Match is what a ledger says about one bundle file.
type Match struct {
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
	// tampering, not an interrupted collection.
	Cut bool `json:"cut,omitempty"`
}

// Check looks the verified bundle res up in the ledger: a "sealed" event
// must name the file's SHA-256 and the chain head verify found. For a
// bundle that never sealed, the "collected" event of its id is the trail.
// A file that no sealed event names is matched on the bundle id of its
// header (which a cut file still has): if the ledger sealed that bundle,
// this file is not the one sealed, and a file that ends before its seal
// is a cut of it. A forger who also edits the id in the header only gets
// a file the ledger does not know.
func Check(ctx context.Context, l *custody.Ledger, res *bundle.Result) (*Match, error) {
	m := &Match{Ledger: l.Path()}
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
	m.Trail = evs
	for _, e := range evs {
		if e.Action != custody.ActionSealed || e.BundleSHA256 == "" || e.BundleSHA256 != res.FileSHA256 {
			continue
		}
		if e.BundleHead != res.Head {
			m.Reason = fmt.Sprintf("event %d seals this file with head %s, the bundle's chain ends at %s", e.Seq, e.BundleHead, res.Head)
			return m, nil
		}
		if res.Header != nil && e.BundleID != res.Header.BundleID {
			m.Reason = fmt.Sprintf("event %d seals this file as bundle %s, the bundle says %s", e.Seq, e.BundleID, res.Header.BundleID)
			return m, nil
		}
		m.Known = true
		return m, nil
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
				m.Sealed = &e
				break
			}
		}
	}
	if e := m.Sealed; e != nil {
		sealed := fmt.Sprintf("bundle %s was sealed by ledger event %d as %s (sha256 %s)", e.BundleID, e.Seq, e.BundleFile, e.BundleSHA256)
		switch {
		case res.FileSHA256 == "" && res.Outcome == bundle.Incomplete:
			m.Cut = true
			m.Reason = sealed + "; this file ends before its seal: a cut of it"
		case res.FileSHA256 == "":
			m.Reason = sealed + "; this file does not verify"
		default:
			m.Reason = fmt.Sprintf("%s; this file's sha256 is %s: not the file sealed", sealed, res.FileSHA256)
		}
		return m, nil
	}
	switch {
	case res.FileSHA256 == "":
		m.Reason = "the bundle is not sealed, so no sealed event can name it"
	default:
		m.Reason = fmt.Sprintf("no sealed event names a file with sha256 %s", res.FileSHA256)
	}
	return m, nil
}
