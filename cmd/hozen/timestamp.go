package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/tsa"
)

type timestampOptions struct {
	tsa           []string
	ledger, actor string
}

func newTimestampCmd(a *app) *cobra.Command {
	o := &timestampOptions{}
	c := &cobra.Command{
		Use:   "timestamp BUNDLE --tsa URL",
		Short: "have RFC 3161 time-stamping authorities timestamp a bundle file, beside it",
		Long: `timestamp asks each TSA (--tsa URL, repeatable) for an RFC 3161 token over
the SHA-256 of the bundle file as stored, and stores each reply beside it
as BUNDLE.tsr, then BUNDLE.2.tsr, ...: the bundle itself is never changed,
and an existing token is never replaced. With --ledger it records a
'timestamped' event per token: the TSA, the token's SHA-256, its time and
the TSA's certificate subject.

It is for the lab, when the host had no network; 'collect --tsa' does the
same when the host can reach a TSA. 'hozen verify --tsa-ca ROOTS' checks
the tokens; so does openssl alone (docs/format.md, "Timestamps").

Exit codes: 0 every TSA answered; 2 a TSA could not be reached or
answered wrong (the others' tokens are kept), or usage.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runTimestamp(c.Context(), a, o, args[0])
		},
	}
	c.Flags().StringArrayVar(&o.tsa, "tsa", nil, "the time-stamping authority's `URL` (http or https; repeatable)")
	c.Flags().StringVar(&o.ledger, "ledger", "", "record each token as a 'timestamped' event in this custody ledger `FILE`")
	c.Flags().StringVar(&o.actor, "actor", "", "who asks, for the ledger (default: the login name)")
	return c
}

func runTimestamp(ctx context.Context, a *app, o *timestampOptions, bundlePath string) error {
	if len(o.tsa) == 0 {
		return usageError{cmd: "timestamp", err: fmt.Errorf("name a time-stamping authority with --tsa URL")}
	}
	digest, err := tsa.FileSHA256(bundlePath)
	if err != nil {
		return withCode(exitUsage, err)
	}
	var failed error
	var stamps []*tsa.Stamped
	for _, u := range o.tsa {
		st, err := tsa.Stamp(ctx, nil, u, bundlePath, digest)
		if err != nil {
			a.errorf("%s: not timestamped: %v", bundlePath, err)
			failed = silentError{exitUsage}
			continue
		}
		fmt.Fprintf(a.stdout, "%s: timestamped at %s by %s\n  %s (sha256 %s)\n", bundlePath,
			st.Time.UTC().Format(time.RFC3339Nano), st.Subject(), st.Sidecar, st.SidecarSHA256)
		stamps = append(stamps, st)
	}
	if o.ledger != "" && len(stamps) > 0 {
		l, err := openLedgerFor(ctx, o.ledger)
		if err != nil {
			return err
		}
		defer l.Close()
		for _, st := range stamps {
			e, warns, err := ledgerlink.RecordTimestamped(ctx, l, bundlePath, st, defaultExaminer(o.actor))
			for _, w := range warns {
				a.warnf("%s: %s", o.ledger, w)
			}
			if err != nil {
				return fmt.Errorf("ledger %s: %w; the token is stored as %s", o.ledger, err, st.Sidecar)
			}
			fmt.Fprintf(a.stdout, "  recorded as ledger event %d\n", e.Seq)
		}
	} else if o.ledger == "" && len(stamps) > 0 {
		a.hintf("record it in the custody ledger with --ledger FILE")
	}
	return failed
}
