package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/diff"
	"github.com/hozen-dfir/hozen/manifest"
)

//go:embed assets/report.html.tmpl
var reportTmpl string

//go:embed assets/report.css
var reportCSS string

//go:embed assets/report.js
var reportJS string

var htmlTmpl = template.Must(template.New("report").Funcs(funcs).Parse(reportTmpl))

// CSP is the Content-Security-Policy of the HTML report: nothing may be
// fetched from anywhere; only the report's own inline style and script,
// named by their SHA-256, may run.
var CSP = fmt.Sprintf("default-src 'none'; style-src '%s'; script-src '%s'; img-src data:; base-uri 'none'; form-action 'none'",
	cspHash(reportCSS), cspHash(reportJS))

func cspHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

var funcs = template.FuncMap{
	"show":    func(s manifest.BString) string { return Display(string(s)) },
	"showstr": Display,
	"odd":     func(s manifest.BString) bool { return Escaped(string(s)) },
	"cmdline": Cmdline,
	"time": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05.000Z")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05.000Z")
		}
		return fmt.Sprint(t)
	},
	"bytes": humanBytes,
	"short": func(s string) string {
		if len(s) > 16 {
			return s[:16] + "…"
		}
		return s
	},
	"skew": func(f *float64) string {
		if f == nil {
			return "not measured (no --reference-time at collection)"
		}
		return fmt.Sprintf("%+.3f s (host clock minus the responder's reference time)", *f)
	},
	"deref": func(f *float64) float64 {
		if f == nil {
			return 0
		}
		return *f
	},
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	},
	"lower": strings.ToLower,
	"argv":  foldArgv,
	"changeclass": func(c string) string {
		switch c {
		case diff.Added:
			return "added"
		case diff.Removed:
			return "removed"
		}
		return "changed"
	},
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// page is what the HTML template sees.
type page struct {
	*Report
	CSP          string
	CSS          template.CSS
	JS           template.JS
	Chart        chart
	Listening    int
	Outcomes     []string
	Collectors   []string
	SuspectCount int
	// Collapsed is the process tree as the page shows it first: the
	// flagged processes and their ancestors; Full is every process.
	Collapsed, Full []procNode
}

// procNode is one process of a tree the page draws.
type procNode struct {
	*Process
	Kids []procNode
	// Omitted counts the children the collapsed tree leaves out.
	Omitted int
	// Fold: the children are behind a <details> (the full tree), open
	// when Open.
	Fold, Open bool
}

// CollapsedTree is the process tree the report shows by default: every
// flagged process (Process.IsFlagged) and the path from its root to it,
// nothing else. Each node counts the children it leaves out.
func collapsedTree(ps []*Process) []procNode {
	var out []procNode
	for _, p := range ps {
		if !p.Flagged {
			continue
		}
		n := procNode{Process: p, Kids: collapsedTree(p.Children)}
		n.Omitted = len(p.Children) - len(n.Kids)
		out = append(out, n)
	}
	return out
}

// fullTree is every process; the first two levels and every branch to a
// flagged process start open.
func fullTree(ps []*Process) []procNode {
	out := make([]procNode, len(ps))
	for i, p := range ps {
		out[i] = procNode{Process: p, Kids: fullTree(p.Children), Fold: true, Open: p.Depth < 1 || p.Flagged}
	}
	return out
}

// argvView is a command line as the page shows it: whole when short;
// cut, with every argument listed behind a <details>, when long.
type argvView struct {
	Line   string
	Folded bool
	Args   []string
	Chars  int
}

// foldArgvChars is the length over which a command line is folded.
const foldArgvChars = 160

func foldArgv(argv []manifest.BString) argvView {
	line := Cmdline(argv)
	v := argvView{Line: line, Chars: len([]rune(line))}
	if v.Chars <= foldArgvChars {
		return v
	}
	v.Folded = true
	v.Line = string([]rune(line)[:foldArgvChars]) + "…"
	for _, a := range argv {
		v.Args = append(v.Args, shellQuote(string(a)))
	}
	return v
}

// WriteHTML renders the report as one self-contained HTML file: style and
// script inline, no reference to anything outside the file, and a
// Content-Security-Policy that forbids every fetch.
func WriteHTML(w io.Writer, r *Report) error {
	p := &page{Report: r, CSP: CSP, CSS: template.CSS(reportCSS), JS: template.JS(reportJS)}
	p.Chart = makeChart(r.Timeline(), chartWindow(r))
	p.Collapsed, p.Full = collapsedTree(r.Processes), fullTree(r.Processes)
	for _, c := range r.Network.Connections {
		if c.Listening {
			p.Listening++
		}
	}
	for _, a := range r.Artifacts {
		if !slices.Contains(p.Outcomes, a.Outcome) {
			p.Outcomes = append(p.Outcomes, a.Outcome)
		}
		if !slices.Contains(p.Collectors, a.Collector) {
			p.Collectors = append(p.Collectors, a.Collector)
		}
	}
	sort.Strings(p.Outcomes)
	sort.Strings(p.Collectors)
	r.Walk(func(pr *Process) {
		if pr.IsFlagged() {
			p.SuspectCount++
		}
	})
	return htmlTmpl.Execute(w, p)
}

// chart is the timeline chart: a stacked histogram of events per kind.
type chart struct {
	Width, Height float64
	Bars          []bar
	Ticks         []tick
	Legend        []legend
	Events        int
	Outside       int
	// Window says which span the chart shows and why; Before and After
	// count the events outside it (a file dated 1970, a later custody
	// event).
	Window        string
	Before, After int
	From, To      string
	Max           int
}

// The timeline chart shows the collection's recent past: the chartDays
// before the collection started, up to when it was sealed; reaching back
// further, up to chartReach days, to take in the earliest finding that
// has a time.
const (
	chartDays  = 14
	chartReach = 30
)

// window is the span of the timeline chart; a zero window (a bundle
// without a start time) lets makeChart choose from the events.
type window struct {
	From, To time.Time
	Why      string
}

func chartWindow(r *Report) window {
	ref := r.Summary.StartedAt
	if ref.IsZero() {
		return window{}
	}
	const day = 24 * time.Hour
	w := window{From: ref.Add(-chartDays * day), To: ref, Why: fmt.Sprintf("the %d days before the collection", chartDays)}
	if f := r.Summary.FinishedAt; f != nil && f.After(w.To) {
		w.To = *f
	}
	reach := ref.Add(-chartReach * day)
	for _, f := range r.Ranked {
		if f.Time != nil && f.Time.Before(w.From) && !f.Time.Before(reach) {
			w.From = *f.Time
			w.Why = fmt.Sprintf("from the earliest finding (%s, %s) to the collection", f.Rule, f.Time.UTC().Format("2006-01-02 15:04Z"))
		}
	}
	return w
}

type bar struct {
	X, Y, W, H float64
	Kind       string
	Title      string
}

type tick struct {
	X      float64
	Label  string
	Anchor string // text-anchor: the end ticks' labels stay inside the chart
}

type legend struct {
	Kind  string
	Count int
	X     float64
}

const (
	chartW, chartH = 1000.0, 200.0
	chartLeft      = 40.0
	chartTop       = 10.0
	chartBottom    = 30.0
	chartBins      = 80
)

var chartKinds = []string{KindFile, KindProcess, KindLogin, KindCustody, KindCollection}

func makeChart(evs []Event, w window) chart {
	c := chart{Width: chartW, Height: chartH + 24, Events: len(evs)}
	if len(evs) == 0 {
		return c
	}
	var lo, hi time.Time
	if !w.From.IsZero() {
		lo, hi = w.From, w.To
		c.Window = w.Why
		c.Height += 20 // a line under the legend says the window
		for _, e := range evs {
			switch {
			case e.Time.Before(lo):
				c.Before++
			case e.Time.After(hi):
				c.After++
			}
		}
	} else {
		// No collection time: the chart spans the 1st to the 99th
		// percentile when there are enough events, so that a file dated
		// 1970 does not squash the rest; the events outside are counted.
		lo, hi = evs[0].Time, evs[len(evs)-1].Time
		if len(evs) >= 100 {
			lo, hi = evs[len(evs)/100].Time, evs[len(evs)-1-len(evs)/100].Time
		}
	}
	span := hi.Sub(lo)
	if span <= 0 {
		span = time.Second
		lo = lo.Add(-span / 2)
		hi = lo.Add(span)
	}
	counts := make([]map[string]int, chartBins)
	for i := range counts {
		counts[i] = map[string]int{}
	}
	total := map[string]int{}
	for _, e := range evs {
		if e.Time.Before(lo) || e.Time.After(hi) {
			if c.Window == "" {
				c.Outside++
			}
			continue
		}
		i := int(float64(e.Time.Sub(lo)) / float64(span) * chartBins)
		i = min(max(i, 0), chartBins-1)
		counts[i][e.Kind]++
		total[e.Kind]++
	}
	for _, m := range counts {
		n := 0
		for _, v := range m {
			n += v
		}
		c.Max = max(c.Max, n)
	}
	plotW := chartW - chartLeft - 10
	plotH := chartH - chartTop - chartBottom
	bw := plotW / chartBins
	scale := func(n int) float64 { // log scale keeps small kinds visible
		if c.Max == 0 {
			return 0
		}
		return plotH * math.Log1p(float64(n)) / math.Log1p(float64(c.Max))
	}
	binSpan := span / chartBins
	for i, m := range counts {
		x := chartLeft + float64(i)*bw
		cum := 0
		for _, k := range chartKinds {
			if m[k] == 0 {
				continue
			}
			y0 := scale(cum)
			cum += m[k]
			y1 := scale(cum)
			from := lo.Add(time.Duration(i) * binSpan).UTC().Format("2006-01-02 15:04:05Z")
			c.Bars = append(c.Bars, bar{X: x + 0.5, Y: chartTop + plotH - y1, W: bw - 1, H: y1 - y0, Kind: k,
				Title: fmt.Sprintf("%d %s events from %s", m[k], k, from)})
		}
	}
	for i := 0; i <= 4; i++ {
		t := lo.Add(time.Duration(float64(span) * float64(i) / 4))
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		c.Ticks = append(c.Ticks, tick{X: chartLeft + plotW*float64(i)/4, Label: t.UTC().Format("2006-01-02 15:04Z"), Anchor: anchor})
	}
	x := chartLeft
	for _, k := range chartKinds {
		if total[k] > 0 {
			c.Legend = append(c.Legend, legend{Kind: k, Count: total[k], X: x})
			x += 150
		}
	}
	c.From, c.To = lo.UTC().Format(time.RFC3339), hi.UTC().Format(time.RFC3339)
	return c
}
