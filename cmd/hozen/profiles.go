package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/collect/profile"
	"github.com/spf13/cobra"
)

// profileView is one profile as `hozen profiles --json` prints it.
type profileView struct {
	*profile.Profile
	SHA256 string `json:"sha256"`
}

func newProfilesCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "profiles [NAME|FILE]...",
		Short: "list the collection profiles and what each collects",
		Long: `List the built-in collection profiles (triage, full, volatile) with what
each collects: collectors, file groups with their globs, per-file caps and
the total byte budget. Name profiles or YAML files to show (and check) only
those; a file that does not parse is an error naming its line.

A profile file (for 'hozen collect --profile FILE') is YAML; unknown keys
are errors:

  name: accounts-and-cron
  description: who can log in and what runs on a schedule
  collectors: [network, processes, users, system]
  max_total_bytes: 2GiB          # all files together; absent: no limit
  options:
    no_environ: true             # skip process environments
  files:
    - group: cron
      include: [/etc/crontab, /etc/cron.*/**, /var/spool/cron/**]
      exclude: [/etc/cron.d/.placeholder]
      max_file_bytes: 1MiB       # per file; absent: whole files

Globs are host paths: * ? [..] match within a name, ** any number of
directories. Collectors run in order of volatility (network, processes,
users, system), then the file groups in the file's order.`,
		RunE: func(c *cobra.Command, args []string) error {
			var ps []*profile.Profile
			if len(args) == 0 {
				ps = profile.Builtins()
			}
			for _, arg := range args {
				p, err := profile.Load(arg)
				if err != nil {
					return err
				}
				ps = append(ps, p)
			}
			if asJSON {
				views := make([]profileView, len(ps))
				for i, p := range ps {
					views[i] = profileView{p, p.SHA256()}
				}
				return writeJSON(a.stdout, views)
			}
			for i, p := range ps {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				printProfile(a.stdout, p)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the profiles as JSON")
	return c
}

func printProfile(w io.Writer, p *profile.Profile) {
	title := p.Name
	if p.Default {
		title += " (default)"
	}
	fmt.Fprintf(w, "%s\n", title)
	for _, line := range wrapWords(p.Description, 74) {
		fmt.Fprintf(w, "  %s\n", line)
	}
	src := p.Source
	if src == "" {
		src = "builtin"
	}
	fmt.Fprintf(w, "  source      %s\n", src)
	fmt.Fprintf(w, "  sha256      %s\n", p.SHA256())
	if len(p.CollectorNames) == 0 {
		fmt.Fprintf(w, "  collectors  none\n")
	} else {
		fmt.Fprintf(w, "  collectors  %s\n", strings.Join(p.CollectorNames, ", "))
		for _, c := range p.CollectorNames {
			fmt.Fprintf(w, "    %-12s %s\n", c, collect.DescribeCollector(c))
		}
	}
	if p.Options.NoEnviron {
		fmt.Fprintf(w, "  options     no_environ\n")
	}
	budget := "no limit"
	if p.MaxTotalBytes > 0 {
		budget = profileBytes(p.MaxTotalBytes)
	}
	fmt.Fprintf(w, "  total       %s\n", budget)
	if len(p.Files) == 0 {
		fmt.Fprintf(w, "  files       none\n")
		return
	}
	fmt.Fprintf(w, "  files\n")
	for _, g := range p.Files {
		limit := "whole files"
		if g.MaxFileBytes > 0 {
			limit = profileBytes(g.MaxFileBytes) + " per file"
		}
		fmt.Fprintf(w, "    %s (%s)\n", g.Name, limit)
		for _, gl := range g.Include {
			fmt.Fprintf(w, "      %s\n", gl)
		}
		for _, gl := range g.Exclude {
			fmt.Fprintf(w, "      except %s\n", gl)
		}
	}
}

// profileBytes writes n in the largest binary unit that divides it.
func profileBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && n%1024 == 0 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return fmt.Sprintf("%d %s", n, units[i])
}

// wrapWords breaks s into lines of at most width bytes, at spaces.
func wrapWords(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
