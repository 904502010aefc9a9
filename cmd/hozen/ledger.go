package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/ledgerlink"
)

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

// ledgers are the ledgers a command that records many events (push of
// several bundles) has opened, by path: each is opened and verified once
// (openLedgerFor), not once per event, and closed by close.
type ledgers map[string]*custody.Ledger

// open returns the ledger at path, opening it on first use.
func (ls ledgers) open(ctx context.Context, path string) (*custody.Ledger, error) {
	key := filepath.Clean(path)
	if l, ok := ls[key]; ok {
		return l, nil
	}
	l, err := openLedgerFor(ctx, path)
	if err != nil {
		return nil, err
	}
	ls[key] = l
	return l, nil
}

func (ls ledgers) close() {
	for _, l := range ls {
		l.Close()
	}
}

// printTrail prints a bundle's custody trail, oldest first.
func printTrail(a *app, lc *ledgerlink.Match) {
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
