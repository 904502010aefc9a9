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
	"join":  strings.Join,
	"add":   func(a, b int) int { return a + b },
	"lower": strings.ToLower,
	"open":  func(p *Process) bool { return p.Depth < 2 || p.Flagged },
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
}

// WriteHTML renders the report as one self-contained HTML file: style and
// script inline, no reference to anything outside the file, and a
// Content-Security-Policy that forbids every fetch.
func WriteHTML(w io.Writer, r *Report) error {
	p := &page{Report: r, CSP: CSP, CSS: template.CSS(reportCSS), JS: template.JS(reportJS)}
	p.Chart = makeChart(r.Timeline())
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
		if pr.Suspicious() {
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
	From, To      string
	Max           int
}

type bar struct {
	X, Y, W, H float64
	Kind       string
	Title      string
}

type tick struct {
	X     float64
	Label string
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

func makeChart(evs []Event) chart {
	c := chart{Width: chartW, Height: chartH + 24, Events: len(evs)}
	if len(evs) == 0 {
		return c
	}
	// The chart spans the 1st to the 99th percentile when there are
	// enough events, so that a file dated 1970 does not squash the rest;
	// the events outside are counted.
	lo, hi := evs[0].Time, evs[len(evs)-1].Time
	if len(evs) >= 100 {
		lo, hi = evs[len(evs)/100].Time, evs[len(evs)-1-len(evs)/100].Time
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
			c.Outside++
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
		c.Ticks = append(c.Ticks, tick{X: chartLeft + plotW*float64(i)/4, Label: t.UTC().Format("2006-01-02 15:04Z")})
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
