package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/hozen-dfir/hozen/collect"
)

// progressEvery is the shortest time between two redraws of the display.
const progressEvery = 100 * time.Millisecond

// progress shows collection as it goes on stderr, one line redrawn in
// place: the current collector, artifacts and bytes stored, the rate and
// the time so far. It is only used when stderr is a terminal; scripts and
// logs get the summary alone.
type progress struct {
	mu        sync.Mutex
	w         io.Writer
	width     int              // terminal columns; 0 for no limit
	now       func() time.Time // the clock, replaced by tests
	start     time.Time
	drawn     time.Time // when the line was last drawn; zero for never
	spin      int
	collector string
	artifacts int64
	bytes     int64
}

// newProgress returns a progress display on w, or nil when w is not a
// terminal.
func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		width = 0
	}
	return startProgress(w, width, time.Now)
}

// startProgress returns a display on w, terminal or not, that truncates
// its line to width columns (0: no limit) and reads the time from now.
func startProgress(w io.Writer, width int, now func() time.Time) *progress {
	return &progress{w: w, width: width, now: now, start: now(), collector: "starting"}
}

// Collector implements collect.Progress. A new collector is always shown.
func (p *progress) Collector(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.collector = name
	p.draw(true)
}

// Artifact implements collect.Progress. The line is redrawn at most every
// progressEvery: a collector storing thousands of small files a second
// does not spend its time writing to the terminal.
func (p *progress) Artifact(path string, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.artifacts++
	p.bytes += n
	p.draw(false)
}

// spinner turns once per redraw, so a long, quiet collector still shows
// that hozen is alive whenever an artifact arrives.
const spinner = `|/-\`

// draw writes the line over the previous one, unless it was drawn less
// than progressEvery ago and force is false. Callers hold p.mu.
func (p *progress) draw(force bool) {
	now := p.now()
	if !force && !p.drawn.IsZero() && now.Sub(p.drawn) < progressEvery {
		return
	}
	p.drawn = now
	elapsed := now.Sub(p.start)
	rate := ""
	if s := elapsed.Seconds(); s >= 1 {
		rate = humanBytes(int64(float64(p.bytes)/s)) + "/s"
	}
	line := fmt.Sprintf("%c %-12s %6d artifacts %10s %12s %8s",
		spinner[p.spin%len(spinner)], p.collector, p.artifacts, humanBytes(p.bytes), rate,
		elapsed.Truncate(time.Second))
	p.spin++
	if p.width > 0 && len(line) >= p.width {
		// One column short of the width: a full line makes some
		// terminals wrap, and \r then redraws on the next line.
		line = line[:p.width-1]
	}
	// \r to the start of the line, the line, then erase what is left of
	// a longer previous one (ESC [ K).
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

// finish clears the display before the summary is printed.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.drawn.IsZero() {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

var _ collect.Progress = (*progress)(nil)

// humanBytes is n for people: B, KiB, MiB or GiB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
