package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/report"
)

func newTimelineCmd(a *app) *cobra.Command {
	var f readFlags
	var format, out string
	c := &cobra.Command{
		Use:   "timeline BUNDLE --format csv|jsonl|bodyfile [-o FILE] [--ledger FILE]",
		Short: "write a bundle's timeline for Timesketch (csv, jsonl) or mactime (bodyfile)",
		Long: `timeline verifies a bundle and writes its events, oldest first: the
modification, access, change and birth times of every file, process starts,
logins, logouts and failed logins, the lines of the syslog files it holds
(var/log/auth.log, syslog, messages, secure, kern.log, rotated and .gz) and
the entries of its systemd journal files, the collection itself, and with
--ledger the bundle's custody events. A log event names its file and offset
(in the decompressed stream of a .gz file; a journal entry's object); a
syslog line with no year in it gets the year of the file's mtime, and the
note column says so.

  csv, jsonl  Timesketch's import format: message, datetime (ISO 8601, UTC),
              timestamp_desc, timestamp (microseconds), and extra columns
  bodyfile    The Sleuth Kit 3.x body file: 'mactime -b FILE -d -z UTC';
              an event that is not a file carries its time as "macb"

Exit codes are verify's; the output of a bundle that is not intact holds only
what was read before the failure.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var write func(io.Writer, *report.Report) error
			switch format {
			case "csv":
				write = func(w io.Writer, r *report.Report) error { return report.WriteCSV(w, r.Timeline()) }
			case "jsonl":
				write = func(w io.Writer, r *report.Report) error { return report.WriteJSONL(w, r.Timeline()) }
			case "bodyfile":
				write = report.WriteBodyfile
			default:
				return usageError{cmd: c.Name(), err: fmt.Errorf("--format %q: want csv, jsonl or bodyfile", format)}
			}
			f.logs = true
			r, err := buildReport(c.Context(), a, args[0], &f)
			if err != nil {
				return err
			}
			if out == "" {
				if err := write(a.stdout, r.Report); err != nil {
					return withCode(exitUsage, err)
				}
			} else if err := writeFileAtomic(out, func(w io.Writer) error { return write(w, r.Report) }); err != nil {
				return withCode(exitUsage, err)
			}
			return verdict(a, args[0], r)
		},
	}
	c.Flags().StringVar(&format, "format", "", "csv, jsonl or bodyfile (required)")
	c.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of stdout")
	f.add(c, true)
	return c
}
