package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when the test says so.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestProgressOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	if newProgress(&buf) != nil {
		t.Error("progress shown on a bytes.Buffer")
	}
	f, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if newProgress(f) != nil {
		t.Error("progress shown on a regular file")
	}
}

// TestProgress feeds the display fixed updates on a fixed clock and checks
// every line it draws: what it shows, when it redraws, and that finish
// leaves an empty line for the summary.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	p := startProgress(&buf, 0, clock.now)
	var lines []string
	drawn := func() {
		t.Helper()
		out := buf.String()
		buf.Reset()
		if out == "" {
			lines = append(lines, "")
			return
		}
		if !strings.HasPrefix(out, "\r") || !strings.HasSuffix(out, "\x1b[K") || strings.Count(out, "\r") != 1 {
			t.Fatalf("not one line redrawn in place: %q", out)
		}
		lines = append(lines, strings.TrimSuffix(strings.TrimPrefix(out, "\r"), "\x1b[K"))
	}

	p.Collector("network") // a new collector is drawn at once
	drawn()
	p.Artifact("volatile/a", 1<<20) // within 100ms of the last draw: not drawn
	drawn()
	clock.advance(50 * time.Millisecond)
	p.Artifact("volatile/b", 1<<20)
	drawn()
	clock.advance(50 * time.Millisecond) // 100ms since the last draw
	p.Artifact("volatile/c", 1<<20)
	drawn()
	clock.advance(1900 * time.Millisecond) // 2s in: a rate is shown
	p.Artifact("volatile/d", 1<<20)
	drawn()
	clock.advance(time.Millisecond)
	p.Collector("logs") // even 1ms later
	drawn()

	want := []string{
		"| network           0 artifacts        0 B                    0s",
		"",
		"",
		"/ network           3 artifacts    3.0 MiB                    0s",
		"- network           4 artifacts    4.0 MiB    2.0 MiB/s       2s",
		`\ logs              4 artifacts    4.0 MiB    2.0 MiB/s       2s`,
	}
	if len(lines) != len(want) {
		t.Fatalf("drew %d times, want %d: %q", len(lines), len(want), lines)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("draw %d:\n got %q\nwant %q", i, lines[i], want[i])
		}
	}
	p.finish()
	if got := buf.String(); got != "\r\x1b[K" {
		t.Errorf("finish wrote %q, want the line erased", got)
	}
}

// TestProgressWidth: a line never fills a narrow terminal, so it cannot
// wrap and leave a trail of lines behind.
func TestProgressWidth(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	p := startProgress(&buf, 20, clock.now)
	p.Collector("filesystem")
	if got, want := buf.String(), "\r| filesystem       \x1b[K"; got != want {
		t.Errorf("drew %q, want %q", got, want)
	}
	buf.Reset()
	p = startProgress(&buf, 20, clock.now)
	p.finish()
	if buf.Len() != 0 {
		t.Errorf("finish before any draw wrote %q", buf.String())
	}
}
