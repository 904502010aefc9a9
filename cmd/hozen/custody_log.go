package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/custody"
)

func newCustodyLogCmd(a *app, ledger *string) *cobra.Command {
	var caseID, bundle, bundleID string
	var asJSON bool
	c := &cobra.Command{
		Use:   "log [--case ID] [--bundle FILE] [--json]",
		Short: "print the custody trail, oldest first",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			f := custody.Filter{CaseID: caseID, BundleID: bundleID}
			if bundle != "" {
				sum, err := fileSHA256(bundle)
				if err != nil {
					return withCode(exitUsage, err)
				}
				f.BundleSHA256 = sum
			}
			l, err := openLedger(ctx, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			evs, err := l.Events(ctx, f)
			if err != nil {
				return custodyError(err)
			}
			_, verr := verifyForRead(ctx, a, l)
			if asJSON {
				if evs == nil {
					evs = []custody.Event{}
				}
				if err := writeJSON(a.stdout, evs); err != nil {
					return withCode(exitUsage, err)
				}
			} else if err := writeTrail(a.stdout, l.ID(), evs); err != nil {
				return withCode(exitUsage, err)
			}
			if verr == nil && len(evs) == 0 {
				a.warnf("%s: no events match", *ledger)
			}
			return verr
		},
	}
	c.Flags().StringVar(&caseID, "case", "", "only events of case `ID`")
	c.Flags().StringVar(&bundle, "bundle", "", "only events of the bundle `FILE` (by its SHA-256, and its bundle id)")
	c.Flags().StringVar(&bundleID, "bundle-id", "", "only events of bundle `ID`")
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of events")
	return c
}

// writeTrail prints events as a table. Events of imported chains show
// their seq as LEDGER/SEQ (the tail of the ledger id).
func writeTrail(w io.Writer, own string, evs []custody.Event) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT (UTC)\tACTION\tACTOR\tCASE\tBUNDLE\tDETAILS")
	for _, e := range evs {
		seq := fmt.Sprint(e.Seq)
		if e.Ledger != own {
			seq = tail(e.Ledger, 8) + "/" + seq
		}
		bundle := e.BundleFile
		if bundle == "" {
			bundle = e.BundleID
		}
		if e.BundleSHA256 != "" {
			bundle = strings.TrimSpace(bundle + " sha256:" + e.BundleSHA256[:12])
		}
		var d []string
		if e.Recipient != "" {
			d = append(d, "to "+e.Recipient)
		}
		if e.Location != "" {
			d = append(d, "at "+e.Location)
		}
		if e.Host != "" {
			d = append(d, "on "+e.Host)
		}
		if e.Outcome != "" {
			d = append(d, "outcome "+e.Outcome)
		}
		if e.Action == custody.ActionImported {
			d = append(d, fmt.Sprintf("ledger %s, %d events", e.SourceLedger, e.SourceSize))
		}
		if e.Signature != "" {
			d = append(d, "signed")
		}
		if e.Reason != "" {
			d = append(d, "— "+e.Reason)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", seq, e.At.Format("2006-01-02 15:04:05"), e.Action,
			oneLine(e.Actor), dash(oneLine(e.CaseID)), dash(oneLine(bundle)), oneLine(strings.Join(d, ", ")))
	}
	return tw.Flush()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table row on one line: control characters (a reason
// written over several lines) show as spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
