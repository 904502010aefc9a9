package acquire

import (
	"context"
	"fmt"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/store"
)

// Push is where a session stores its bundle once sealed (collect --push).
type Push struct {
	Dest store.Destination
	Put  store.PutOptions
}

// PushError is a bundle sealed at Path that could not be stored (or
// stored but not recorded): the bundle stays on disk, whole, and
// 'hozen push' stores it later (resuming a cut upload).
type PushError struct {
	Path, Dest string
	Err        error
}

func (e *PushError) Error() string {
	return fmt.Sprintf("the bundle %s is sealed, but storing it in %s failed: %v", e.Path, e.Dest, e.Err)
}

func (e *PushError) Unwrap() error { return e.Err }

// preflight checks the destination before anything is collected.
func (p *Push) preflight(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if _, err := p.Dest.Preflight(ctx, p.Put); err != nil {
		return fmt.Errorf("nothing collected: %w", err)
	}
	return nil
}

// store stores the sealed bundle and records the stored event.
func (p *Push) store(ctx context.Context, led *custody.Ledger, res *Result, actor string) error {
	st, err := p.Dest.Put(ctx, res.Path, p.Put)
	if err != nil {
		return &PushError{Path: res.Path, Dest: p.Dest.String(), Err: err}
	}
	res.Stored = st
	if _, err := ledgerlink.RecordStored(ctx, led, st, res.Path, actor); err != nil {
		return &PushError{Path: res.Path, Dest: p.Dest.String(), Err: fmt.Errorf("stored as %s, but the ledger %s could not record it: %w", st.URL(), res.Ledger, err)}
	}
	head, err := led.Checkpoint(ctx)
	if err != nil {
		return &LedgerError{Path: res.Ledger, Err: err}
	}
	res.LedgerHead = head.Text
	return nil
}
