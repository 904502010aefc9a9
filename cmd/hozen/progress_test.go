package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	if newProgress(&buf, false) != nil {
		t.Fatal("progress shown on a writer that is not a terminal")
	}
	p := newProgress(&buf, true)
	p.Collector("network")
	for range 3 {
		p.Artifact("volatile/x", 1<<20)
	}
	time.Sleep(150 * time.Millisecond) // past the throttle
	p.Artifact("volatile/y", 1<<20)
	out := buf.String()
	if !strings.Contains(out, "network") || !strings.Contains(out, "3 artifacts") || !strings.Contains(out, "MiB") {
		t.Errorf("progress shows %q", out)
	}
	p.finish()
}
