package report

import (
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/diff"
	"github.com/hozen-dfir/hozen/manifest"
)

// TestHTMLDiffSection: a report given a comparison shows it, escaped, each
// entry marked when an input is tampered, and stays self-contained.
func TestHTMLDiffSection(t *testing.T) {
	r, _ := fixtureReport(t)
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	side := func(name string, st bundle.Status, procs ...diff.Process) *diff.Snapshot {
		return &diff.Snapshot{Name: name, Status: st, StartedAt: start, Host: manifest.Host{Hostname: "web1", MachineID: "m1"},
			Processes: append([]diff.Process{}, procs...), Files: []diff.File{}}
	}
	evil := diff.Process{PID: 666, Start: &start, Argv: []manifest.BString{"<script>alert(2)</script>"}, Exe: "/tmp/x"}
	r.Diff = diff.Compare(side("old.tar.zst", bundle.StatusIntact), side("new.tar.zst", bundle.StatusIntact, evil))
	h := renderHTML(t, r)
	for _, want := range []string{`id="diff"`, `href="#diff"`, "1 new, 0 gone, 0 changed", "diff-added", "&lt;script&gt;alert(2)&lt;/script&gt;"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(h, "<script>alert(2)") {
		t.Error("a process's argv reached the HTML unescaped")
	}
	if strings.Contains(h, "tampered input") {
		t.Error("an intact comparison is marked tampered")
	}
	if m := srcHref.FindString(h); m != "" {
		t.Errorf("a reference outside the file: %s", m)
	}
	if strings.Count(h, "<script") != 1 || strings.Count(h, "<style") != 1 {
		t.Error("want exactly one inline script and one style element")
	}

	r.Diff = diff.Compare(side("old.tar.zst", bundle.StatusIntact), side("new.tar.zst", bundle.StatusTampered, evil))
	h = renderHTML(t, r)
	if !strings.Contains(h, "TAMPERED INPUT") || strings.Count(h, `<span class="badge badge-tampered">tampered input</span>`) != 1 {
		t.Error("a comparison with a tampered input is not marked, banner and entry")
	}
}
