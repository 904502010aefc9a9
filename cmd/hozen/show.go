package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hozen-dfir/hozen/report"
)

func newShowCmd(a *app) *cobra.Command {
	var f readFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "show BUNDLE findings|persistence|processes|network|logins|artifacts [--json]",
		Short: "print one view of a bundle as an aligned table, for a quick look",
		Long: `show verifies a bundle and prints one view of it:

  findings     what to look at first: the collection's findings, ranked
               (severity, rule, title, why, evidence paths), and whether it
               ran without root or from a dead box
  persistence  cron jobs, systemd units, rc scripts, ld.so.preload, shell
               start-up files and authorized_keys, flagged entries first
               with the lines that run
  processes  the process tree: pid, parent, user, start, flags (deleted-exe,
             hidden, traced), executable hash, command line
  network    TCP and UDP sockets with their processes, listening first
  logins     sessions, login history, failed logins, last login per account
  artifacts  every record: outcome, size, SHA-256, collector, path

Bytes a terminal should not get raw are shown as \xNN. On a terminal, a row
wider than it (a long command line) is folded, indented to its last column;
piped, each row stays one line. --json prints the same
view as JSON. Exit codes are verify's; a bundle that is not intact shows only
what was read before the failure.`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			view := args[1]
			if !slices.Contains(report.Views, view) {
				return usageError{cmd: c.Name(), err: fmt.Errorf("no view %q: want %s", view, strings.Join(report.Views, ", "))}
			}
			r, err := buildReport(c.Context(), a, args[0], &f)
			if err != nil {
				return err
			}
			if asJSON {
				err = report.WriteTableJSON(a.stdout, r.Report, view)
			} else {
				err = report.WriteTableFolded(a.stdout, r.Report, view, termWidth(a.stdout))
			}
			if err != nil {
				return withCode(exitUsage, err)
			}
			return verdict(a, args[0], r)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the view as JSON")
	f.add(c, false)
	return c
}

// termWidth is the width of w when it is a terminal, else 0 (no folding:
// what a script reads through a pipe does not change).
func termWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}
