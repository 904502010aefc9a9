package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/export"
)

func newCustodyExportCmd(a *app, ledger *string) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "export --format csv|json|html|case",
		Short: "write every event as CSV (spreadsheets), JSON (case files), a printable HTML custody form, or CASE/UCO JSON-LD to stdout",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			if !slices.Contains(exportFormats, format) {
				return usageOf(c, fmt.Errorf("--format %q: want csv or json (data), html (a printable custody form), or case (CASE/UCO JSON-LD)", format))
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
			case "case":
				// CASE/UCO JSON-LD; its comment says when the ledger does
				// not verify.
				head := ""
				if rep != nil {
					head = rep.Checkpoint.Text
				}
				err = export.WriteCASELedger(a.stdout, l.ID(), head, evs, verr)
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
	c.Flags().StringVar(&format, "format", "", "csv, json, html or case (required)")
	return c
}
