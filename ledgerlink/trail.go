package ledgerlink

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/hozen-dfir/hozen/custody"
)

// Trail is a bundle's custody trail, as a report shows it.
type Trail struct {
	// Events are those naming the file's SHA-256 and those of its bundle
	// id, each once, in time order.
	Events []custody.Event
	// Head is the ledger's checkpoint, when it verifies.
	Head string
	// VerifyErr says why the ledger does not verify (it wraps
	// custody.ErrTampered): the events may be false.
	VerifyErr error
}

// TrailOf reads the custody trail of a bundle file from the ledger: the
// events of the file's SHA-256 (as stored: the ciphertext of an encrypted
// bundle) and of bundleID (which may be empty), merged. A ledger that
// does not verify still gives its events, with Trail.VerifyErr; any other
// failure is an error.
func TrailOf(ctx context.Context, l *custody.Ledger, fileSHA256, bundleID string) (*Trail, error) {
	t := &Trail{}
	rep, verr := l.Verify(ctx, "")
	if verr != nil && !errors.Is(verr, custody.ErrTampered) {
		return nil, verr
	}
	t.VerifyErr = verr
	if rep != nil {
		t.Head = rep.Checkpoint.Text
	}
	evs, err := l.Events(ctx, custody.Filter{BundleSHA256: fileSHA256})
	if err != nil {
		return nil, err
	}
	if bundleID != "" {
		more, err := l.Events(ctx, custody.Filter{BundleID: bundleID})
		if err != nil {
			return nil, err
		}
		for _, e := range more {
			if !slices.ContainsFunc(evs, func(o custody.Event) bool { return o.Ledger == e.Ledger && o.Seq == e.Seq }) {
				evs = append(evs, e)
			}
		}
	}
	slices.SortStableFunc(evs, func(a, b custody.Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if c := strings.Compare(a.Ledger, b.Ledger); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	t.Events = evs
	return t, nil
}
