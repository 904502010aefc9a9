package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// Views names the tables [WriteTable] prints.
var Views = []string{"findings", "persistence", "processes", "network", "logins", "artifacts"}

// tableTime is how tables show times: UTC, to the second.
const tableTime = "2006-01-02 15:04:05Z"

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(tableTime)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cell makes a value safe for a tab-aligned terminal table: Display's
// escapes, and no tab.
func cell(s string) string { return strings.ReplaceAll(Display(s), "\t", `\t`) }

// WriteTable prints one view of the report as an aligned table.
func WriteTable(w io.Writer, r *Report, view string) error {
	return writeTable(w, r, view)
}

// WriteTableFolded prints a view as WriteTable does, for a terminal width
// columns wide: a row longer than that (a long command line, most often)
// is folded, its continuation lines indented to the start of the last
// column. width <= 0 does not fold: the output of WriteTable.
func WriteTableFolded(w io.Writer, r *Report, view string, width int) error {
	if width <= 0 {
		return writeTable(w, r, view)
	}
	var buf bytes.Buffer
	if err := writeTable(&buf, r, view); err != nil {
		return err
	}
	return fold(w, buf.Bytes(), width)
}

// fold breaks each line of table (its header first) longer than width
// runes, indenting the continuations to where the header's last column
// starts (or by 8 when that leaves under 20 columns).
func fold(w io.Writer, table []byte, width int) error {
	lines := strings.SplitAfter(string(table), "\n")
	indent := 0
	if len(lines) > 0 {
		h := strings.TrimRight(lines[0], " \n")
		// Columns are two spaces apart or more; the header is ASCII.
		if i := strings.LastIndex(h, "  "); i >= 0 {
			indent = i + 2
		}
	}
	if width-indent < 20 {
		indent = min(8, width/2)
	}
	bw := bufio.NewWriter(w)
	pad := strings.Repeat(" ", indent)
	for _, l := range lines {
		body, nl := strings.CutSuffix(l, "\n")
		rs := []rune(body)
		if len(rs) <= width {
			bw.WriteString(l)
			continue
		}
		bw.WriteString(string(rs[:width]))
		bw.WriteByte('\n')
		rs = rs[width:]
		for len(rs) > 0 {
			n := min(len(rs), width-indent)
			bw.WriteString(pad)
			bw.WriteString(string(rs[:n]))
			rs = rs[n:]
			if len(rs) > 0 || nl {
				bw.WriteByte('\n')
			}
		}
	}
	return bw.Flush()
}

func writeTable(w io.Writer, r *Report, view string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch view {
	case "findings":
		writeFindings(tw, r)
	case "persistence":
		fmt.Fprintln(tw, "FLAGS\tKIND\tCHANGED (UTC)\tUSER\tPATH")
		for _, e := range r.PersistenceEntries {
			ch := e.MTime
			if e.CTime != nil && e.CTime.After(ch) {
				ch = *e.CTime
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", dash(strings.Join(e.Flags, ",")), e.Kind, fmtTime(&ch), cell(dash(e.User)), cell(string(e.Path)))
			if len(e.Flags) == 0 {
				continue
			}
			for _, l := range e.Lines {
				mark := " "
				if l.Flag != "" {
					mark = "!"
				}
				fmt.Fprintf(tw, "\t\t\t\t  %s %d: %s\n", mark, l.N, cell(string(l.Text)))
			}
		}
	case "processes":
		fmt.Fprintln(tw, "PID\tPPID\tUSER\tSTART (UTC)\tFLAGS\tEXE SHA256\tCOMMAND")
		r.Walk(func(p *Process) {
			var flags []string
			if p.ExeDeleted {
				flags = append(flags, "deleted-exe")
			}
			if p.Hidden {
				flags = append(flags, "hidden")
			}
			if p.TracerPID != 0 {
				flags = append(flags, "traced-by-"+strconv.Itoa(p.TracerPID))
			}
			if p.KernelThread {
				flags = append(flags, "kthread")
			}
			if p.Vanished() {
				flags = append(flags, "vanished")
			}
			if p.Self {
				flags = append(flags, "hozen-self")
			}
			for _, f := range p.Findings {
				flags = append(flags, "finding:"+f)
			}
			sum := p.ExeSHA256
			if len(sum) > 16 {
				sum = sum[:16]
			}
			cmd := Cmdline(p.Argv)
			switch {
			case cmd == "" && p.Vanished() && p.Name == "":
				cmd = "(vanished before read)"
			case cmd == "":
				cmd = "[" + Display(string(p.Name)) + "]"
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s%s\n", p.PID, p.PPID, cell(dash(p.User)), fmtTime(p.Start),
				dash(strings.Join(flags, ",")), dash(sum), strings.Repeat("  ", p.Depth), cell(cmd))
		})
	case "network":
		fmt.Fprintln(tw, "PROTO\tSTATE\tLOCAL\tREMOTE\tUSER\tPID/PROCESS")
		for _, c := range r.Network.Connections {
			var owners []string
			for _, o := range c.Owners {
				owners = append(owners, fmt.Sprintf("%d/%s", o.PID, Display(string(o.Name))))
			}
			own := strings.Join(owners, ",")
			if own == "" {
				own = "(" + c.OwnerStatus + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Proto, dash(c.State), c.Local, c.Remote, cell(dash(c.User)), cell(own))
		}
	case "logins":
		fmt.Fprintln(tw, "TIME (UTC)\tKIND\tTYPE\tUSER\tLINE\tHOST\tSOURCE")
		rows := func(kind string, ls []Login) {
			for _, l := range ls {
				host := string(l.Host)
				if l.Address != "" && l.Address != host {
					host = strings.TrimSpace(host + " " + l.Address)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fmtTime(&l.Time), kind, l.Type, cell(dash(string(l.User))), cell(dash(string(l.Line))), cell(dash(host)), l.Source)
			}
		}
		rows("session", r.Logins.Sessions)
		rows("history", r.Logins.History)
		rows("failed", r.Logins.Failed)
		for _, l := range r.Logins.Lastlog {
			user := dash(l.User)
			if l.NoAccount {
				user = fmt.Sprintf("uid %d (no account)", l.UID)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fmtTime(&l.Time), "lastlog", "-", cell(user), cell(dash(string(l.Line))), cell(dash(string(l.Host))), "/var/log/lastlog")
		}
	case "artifacts":
		fmt.Fprintln(tw, "SEQ\tOUTCOME\tSIZE\tSHA256\tCOLLECTOR\tPATH")
		for _, a := range r.Artifacts {
			sum := dash(a.SHA256)
			if len(sum) > 16 {
				sum = sum[:16]
			}
			size := strconv.FormatInt(a.Size, 10)
			if a.Entry != "file" {
				size = "-"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", a.Seq, a.Outcome, size, sum, a.Collector, cell(string(a.Path)))
			for _, e := range a.Errors {
				fmt.Fprintf(tw, "\t\t\t\t\t  error: %s\n", cell(e))
			}
		}
	default:
		return fmt.Errorf("no view %q: want one of %s", view, strings.Join(Views, ", "))
	}
	return tw.Flush()
}

// WriteTableJSON prints one view of the report as indented JSON.
func WriteTableJSON(w io.Writer, r *Report, view string) error {
	var v any
	switch view {
	case "findings":
		v = struct {
			Findings []artifact.Finding `json:"findings"`
			Rules    []string           `json:"rules"`
		}{r.Ranked, r.RulesRun}
	case "persistence":
		v = r.PersistenceEntries
	case "processes":
		var flat []*Process
		r.Walk(func(p *Process) {
			c := *p
			c.Children = nil
			flat = append(flat, &c)
		})
		v = flat
	case "network":
		v = r.Network
	case "logins":
		v = r.Logins
	case "artifacts":
		v = r.Artifacts
	default:
		return fmt.Errorf("no view %q: want one of %s", view, strings.Join(Views, ", "))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeFindings prints the ranked findings: severity, rule and title, then
// why and where the evidence is; and what the collection could not see.
func writeFindings(w io.Writer, r *Report) {
	if p := r.Summary.Privileges; p != nil && !p.Root {
		fmt.Fprintf(w, "collected without root (uid %d): these findings cannot see %s\n\n", p.EUID, strings.Join(p.Missing, "; "))
	}
	if d := r.Summary.DeadBox; d != nil {
		fmt.Fprintf(w, "dead-box collection of %s: no live state (%s not collected)\n\n", cell(string(d.Root)), strings.Join(d.Skipped, ", "))
	}
	fmt.Fprintln(w, "SEVERITY\tRULE\tFINDING")
	for _, f := range r.Ranked {
		fmt.Fprintf(w, "%s\t%s\t%s\n", cell(f.Severity), cell(f.Rule), cell(f.Title))
		fmt.Fprintf(w, "\t\t  why: %s\n", cell(f.Reason))
		if len(f.Evidence) > 0 {
			fmt.Fprintf(w, "\t\t  evidence: %s\n", cell(strings.Join(f.Evidence, ", ")))
		}
	}
	if len(r.Ranked) == 0 {
		if len(r.RulesRun) == 0 {
			fmt.Fprintln(w, "-\t-\tno findings document in this bundle (written by a build older than findings)")
		} else {
			fmt.Fprintf(w, "-\t-\tnothing found by the %d rules that ran: %s\n", len(r.RulesRun), strings.Join(r.RulesRun, ", "))
		}
	}
	for _, f := range r.Findings {
		if f.Kind == "hidden_pid" && slices.Contains(r.RulesRun, "hidden-pid") || f.Kind == "unowned_socket" && slices.Contains(r.RulesRun, "unowned-socket") {
			continue // the collector's own rule listed it above
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", "report", f.Kind, cell(f.Detail))
	}
}
