package report

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

func pidsOf(ns []procNode) []int {
	var out []int
	var walk func([]procNode)
	walk = func(ns []procNode) {
		for _, n := range ns {
			out = append(out, n.PID)
			walk(n.Kids)
		}
	}
	walk(ns)
	slices.Sort(out)
	return out
}

// TestCollapsedTree: the tree shown first holds the flagged processes
// (deleted exe, hidden, traced, named by a finding's PID or by an
// evidence path's #pid=N), hozen's own, and their ancestors; nothing else.
func TestCollapsedTree(t *testing.T) {
	r, _ := fixtureReport(t)
	got := pidsOf(collapsedTree(r.Processes))
	// 1300 deleted and traced; 1301 named only by "#pid=1301"; 6666 hidden
	// and named by PID; 7000 hozen; 1, 400, 1234, 1240 their ancestors.
	// Not 2 (kthreadd) nor 7001 (vanished, unflagged).
	want := []int{1, 400, 1234, 1240, 1300, 1301, 6666, 7000}
	if !slices.Equal(got, want) {
		t.Fatalf("collapsed tree shows %v, want %v", got, want)
	}
	if full := pidsOf(fullTree(r.Processes)); len(full) != r.ProcessCount {
		t.Errorf("full tree shows %d processes, want %d", len(full), r.ProcessCount)
	}
	for _, n := range collapsedTree(r.Processes) {
		if n.PID == 1 && n.Omitted != 1 {
			t.Errorf("pid 1 leaves out %d children, want 1 (7001)", n.Omitted)
		}
	}
	var p1301, p7000, p7001 *Process
	r.Walk(func(p *Process) {
		switch p.PID {
		case 1301:
			p1301 = p
		case 7000:
			p7000 = p
		case 7001:
			p7001 = p
		}
	})
	if !slices.Equal(p1301.Findings, []string{"raw-socket"}) || !p1301.IsFlagged() {
		t.Errorf("pid 1301: findings %v, want the raw-socket finding that names it by #pid=1301", p1301.Findings)
	}
	if !p7000.Self || p7000.IsFlagged() {
		t.Errorf("pid 7000 (the footprint's pid): self %v flagged %v, want marked as hozen and not flagged", p7000.Self, p7000.IsFlagged())
	}
	if !p7001.Vanished() {
		t.Error("pid 7001 is not vanished")
	}

	h := renderHTML(t, r)
	collapsed, full, ok := strings.Cut(h, `<details class="alltree">`)
	if !ok {
		t.Fatal("no full tree behind a <details>")
	}
	collapsed = collapsed[strings.Index(collapsed, `id="process-flagged"`):]
	for _, want := range []string{`data-pid="1301"`, `data-pid="7000"`, "hozen (this collection)", "1 more child not flagged"} {
		if !strings.Contains(collapsed, want) {
			t.Errorf("collapsed tree lacks %q", want)
		}
	}
	if strings.Contains(collapsed, `data-pid="7001"`) || strings.Contains(collapsed, `data-pid="2"`) {
		t.Error("collapsed tree shows an unflagged process")
	}
	for _, want := range []string{"show all 10 processes", `data-pid="7001"`, "vanished before read", `data-pid="2"`} {
		if !strings.Contains(full, want) {
			t.Errorf("full tree lacks %q", want)
		}
	}
	// hozen's 225-character command line is folded: cut in the summary,
	// every argument in the list.
	if !strings.Contains(h, "16 arguments, 225 characters: show each") || !strings.Contains(h, "<li><code>--ledger</code></li>") {
		t.Error("a long command line is not folded")
	}
}

// TestCollapsedTreeNothingFlagged: with no flagged process the collapsed
// tree is empty and the page says so.
func TestCollapsedTreeNothingFlagged(t *testing.T) {
	leaf := &Process{PID: 2, PPID: 1}
	root := &Process{PID: 1, Children: []*Process{leaf}}
	r := &Report{Processes: []*Process{root}, ProcessCount: 2}
	r.markProcesses(map[int]*Process{1: root, 2: leaf})
	if got := collapsedTree(r.Processes); len(got) != 0 {
		t.Fatalf("collapsed tree shows %v", pidsOf(got))
	}
	if h := renderHTML(t, r); !strings.Contains(h, "No process is flagged") {
		t.Error("the page does not say that no process is flagged")
	}
}

// TestChartWindow: the chart shows the 14 days before the collection, or
// from the earliest finding with a time up to 30 days before; events
// outside are counted, not drawn.
func TestChartWindow(t *testing.T) {
	fin := t0.Add(time.Minute)
	day := 24 * time.Hour
	ev := func(ts ...time.Time) []Event {
		var out []Event
		for _, tm := range ts {
			out = append(out, Event{Time: tm, Kind: KindFile})
		}
		return out
	}
	events := ev(time.Unix(0, 0).UTC(), t0.Add(-40*day), t0.Add(-20*day), t0.Add(-time.Hour), t0, fin, t0.Add(2*day))
	finding := func(d time.Duration) []artifact.Finding {
		tm := t0.Add(d)
		return []artifact.Finding{{Rule: "r", Severity: artifact.SeverityHigh, Time: &tm}}
	}
	for _, tc := range []struct {
		name          string
		ranked        []artifact.Finding
		from          time.Time
		before, after int
	}{
		{"14 days", nil, t0.Add(-14 * day), 3, 1},
		{"earliest finding", finding(-20 * day), t0.Add(-20 * day), 2, 1},
		{"finding beyond 30 days", finding(-40 * day), t0.Add(-14 * day), 3, 1},
	} {
		r := &Report{Summary: Summary{StartedAt: t0, FinishedAt: &fin}, Ranked: tc.ranked}
		w := chartWindow(r)
		if !w.From.Equal(tc.from) || !w.To.Equal(fin) {
			t.Errorf("%s: window %s to %s, want %s to %s", tc.name, w.From, w.To, tc.from, fin)
		}
		c := makeChart(events, w)
		if c.Before != tc.before || c.After != tc.after || c.Window == "" {
			t.Errorf("%s: %d before, %d after, window %q; want %d, %d", tc.name, c.Before, c.After, c.Window, tc.before, tc.after)
		}
		if !strings.HasPrefix(c.Ticks[0].Label, tc.from.Format("2006-01-02")) {
			t.Errorf("%s: the chart starts at %s, want %s", tc.name, c.Ticks[0].Label, tc.from)
		}
	}
	// No collection time (a bundle cut before its header): the events'
	// own span.
	c := makeChart(events, chartWindow(&Report{}))
	if c.Window != "" || c.From != "1970-01-01T00:00:00Z" {
		t.Errorf("without a start time: window %q from %s", c.Window, c.From)
	}
}
