package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/custody"
)

func newCustodyExportCmd(a *app, ledger *string) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "export --format csv|json|html",
		Short: "write every event as CSV (spreadsheets), JSON (case files) or a printable HTML custody form to stdout",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			if format != "csv" && format != "json" && format != "html" {
				return usageOf(c, fmt.Errorf("--format %q: want csv or json (data), or html (a printable custody form)", format))
			}
			l, err := openLedger(ctx, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			evs, err := l.Events(ctx, custody.Filter{})
			if err != nil {
				return custodyError(err)
			}
			rep, verr := verifyForRead(ctx, a, l)
			switch format {
			case "csv":
				err = custody.WriteCSV(a.stdout, evs)
			case "html":
				// A printable custody form; it says so itself when the
				// ledger does not verify.
				cp, _ := l.Checkpoint(ctx)
				err = custody.WriteHTML(a.stdout, custody.HTMLForm{Ledger: l.ID(), Path: *ledger, Checkpoint: cp, VerifyError: verr, Now: time.Now()}, evs)
			default:
				var cp custody.Checkpoint
				if rep != nil {
					cp = rep.Checkpoint
				}
				err = custody.WriteJSON(a.stdout, l.ID(), cp, evs)
			}
			if err != nil {
				return withCode(exitUsage, err)
			}
			return verr
		},
	}
	c.Flags().StringVar(&format, "format", "", "csv, json or html (required)")
	return c
}
