package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/hozen-dfir/hozen/collect"
)

// progress shows collection as it goes on stderr: the current collector,
// artifacts and bytes stored, and the rate. It is only used when stderr is
// a terminal; scripts and logs get the summary alone.
type progress struct {
	mu        sync.Mutex
	bar       *progressbar.ProgressBar
	collector string
	artifacts int64
	bytes     int64
}

// newProgress returns a progress display on w, or nil when w is not a
// terminal (force shows it anyway, for tests).
func newProgress(w io.Writer, force bool) *progress {
	if f, ok := w.(*os.File); !force && (!ok || !term.IsTerminal(int(f.Fd()))) {
		return nil
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription("starting"),
	)
	return &progress{bar: bar}
}

// Collector implements collect.Progress.
func (p *progress) Collector(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.collector = name
	p.bar.Describe(p.describe())
}

// Artifact implements collect.Progress.
func (p *progress) Artifact(path string, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.artifacts++
	p.bytes += n
	p.bar.Describe(p.describe())
	p.bar.Add64(n)
}

func (p *progress) describe() string {
	return fmt.Sprintf("%-12s %6d artifacts %10s", p.collector, p.artifacts, humanBytes(p.bytes))
}

// finish clears the display before the summary is printed.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Finish()
}

var _ collect.Progress = (*progress)(nil)
