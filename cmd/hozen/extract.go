package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/manifest"
)

func newExtractCmd(a *app) *cobra.Command {
	var dir, ledger, actor string
	var verbose bool
	var ids identityFlags
	var trust trustFlags
	c := &cobra.Command{
		Use:   "extract BUNDLE [PATH...] -C DIR",
		Short: "extract verified artifacts (all, or the PATHs given) into DIR",
		Long: `extract writes a bundle's artifacts into DIR, checking each one's hash while
writing it. Everything is first written to a staging directory inside DIR
and moved into place only once the whole bundle verified: a tampered
bundle leaves nothing in DIR. From an incomplete bundle (cut short or
interrupted) every artifact whose record verified before the cut is
extracted, with a warning; an entry whose record never arrived is left
out and named.

PATHs select artifacts or directories by their path in the bundle (see
'hozen ls'); a PATH that selects nothing is an error (exit 2). hozen/
metadata (bundle.json, records, manifest, SHA256SUMS and their
signatures) comes along when no PATH is given, so 'sha256sum -c
hozen/SHA256SUMS' works in DIR.

extract never overwrites a file, never writes outside DIR or through a
link, restores no set-id bits, and creates a link only if it resolves
inside DIR through any chain of the bundle's links: an absolute target, a
target that climbs above DIR, or one that passes through anything but a
real directory or such a link is not created (its record keeps the
target). The summary counts them; --verbose lists them. With --pubkey or
--allowed-signers, a bundle not sealed by a trusted key is refused as
verify refuses it, and nothing is extracted. Exit codes are verify's.`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if dir == "" {
				return usageError{cmd: "extract", err: errors.New("-C DIR is required")}
			}
			t, err := trust.load(a, "extract")
			if err != nil {
				return err
			}
			return runExtract(c.Context(), a, args[0], args[1:], dir, ledger, defaultExaminer(actor), verbose, ids, t)
		},
	}
	c.Flags().StringVarP(&dir, "directory", "C", "", "extract into `DIR` (created if missing)")
	c.Flags().StringVar(&ledger, "ledger", "", "record the extraction in this custody ledger `FILE`")
	c.Flags().StringVar(&actor, "actor", "", "who extracts, for the ledger (default: the login name)")
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "list each link not created and each entry dropped")
	ids.add(c)
	trust.add(c, "the signer")
	return c
}

func runExtract(ctx context.Context, a *app, bundlePath string, want []string, dir, ledger, actor string, verbose bool, ids identityFlags, trust manifest.Trust) error {
	bf, err := openBundle(a, bundlePath, ids)
	if err != nil {
		return err
	}
	defer bf.Close()
	var led *custody.Ledger
	if ledger != "" {
		if led, err = openLedgerFor(ctx, ledger); err != nil {
			return err
		}
		defer led.Close()
	}
	x, err := bundle.Extract(bundle.ExtractOptions{Dir: dir, Paths: want, Verify: func(o bundle.VerifyOptions) (*bundle.Result, error) {
		o.Trust = trust
		return bf.Verify(o)
	}})
	var nf *bundle.NotInBundleError
	var ee *bundle.ExistsError
	var le *bundle.LinkInTargetError
	switch {
	case errors.As(err, &nf):
		a.errorf("%v; nothing extracted", notInBundle(nf, bundlePath))
		a.hintf("'hozen ls %s' lists the paths in the bundle; they start with files/ or volatile/", bundlePath)
		return silentError{exitUsage}
	case errors.As(err, &ee), errors.As(err, &le):
		return fmt.Errorf("%w; nothing was moved into %s", err, dir)
	case err != nil:
		return fmt.Errorf("%s: %w; nothing extracted", bundlePath, err)
	}
	res := x.Result
	if res.Outcome == bundle.Tampered {
		a.errorf("%s is %s: %v", bundlePath, res.Status(), res.Err)
		a.hintf("nothing was extracted; run 'hozen verify %s' for the full report", bundlePath)
		return silentErrorOf(exitFor(res.Status()))
	}
	if led != nil {
		if _, err := ledgerlink.RecordExtracted(ctx, led, x, bundlePath, dir, actor, want); err != nil {
			return fmt.Errorf("extracted into %s, but the ledger %s could not record it: %w", dir, ledger, err)
		}
	}
	fmt.Fprintf(a.stderr, "hozen: extracted %d files and %d links (%d entries with metadata) into %s", x.Files, x.Links, x.Moved, dir)
	if n := len(x.NotCreated); n > 0 {
		fmt.Fprintf(a.stderr, "; %d %s not created", n, plural(n, "link", "links"))
		if !verbose {
			fmt.Fprint(a.stderr, " (--verbose lists them)")
		}
	}
	fmt.Fprintln(a.stderr)
	if verbose {
		for _, l := range x.NotCreated {
			fmt.Fprintf(a.stderr, "  not created: %s -> %s: %s (record %d keeps the target)\n", displayPath(l.Path), displayPath(l.Target), l.Reason, l.Seq)
		}
	}
	if n := len(x.Dropped); n > 0 {
		var s []string
		for _, d := range x.Dropped {
			s = append(s, displayPath(d.Path)+": "+d.Reason)
		}
		a.warnf("dropped %d %s: %s", n, plural(n, "entry", "entries"), strings.Join(s, "; "))
	}
	return outcomeError(a, bundlePath, res)
}

// notInBundle names the PATHs that select nothing.
func notInBundle(e *bundle.NotInBundleError, bundlePath string) string {
	var quoted []string
	for _, p := range e.Paths {
		quoted = append(quoted, displayPath(p))
	}
	s := strings.Join(quoted, ", ")
	verb := "is"
	if len(e.Paths) > 1 {
		verb = "are"
	}
	if e.Cut {
		return fmt.Sprintf("%s %s not among the %d records of %s that verified before its cut", s, verb, e.Records, bundlePath)
	}
	return fmt.Sprintf("%s %s not in %s", s, verb, bundlePath)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
