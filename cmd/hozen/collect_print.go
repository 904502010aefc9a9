package main

import (
	"fmt"
	"strings"

	"github.com/hozen-dfir/hozen/acquire"
)

// summaryOf is collect --json's object for a session's result.
func summaryOf(r *acquire.Result) collectSummary {
	sum := collectSummary{
		Schema: collectSummarySchema, Bundle: r.Path, SHA256: r.SHA256, Size: r.Size, BundleID: r.BundleID,
		Status: r.Status, Head: r.Head, MerkleRoot: r.MerkleRoot,
		Records: r.Counts.Records, Artifacts: r.Counts.Artifacts, Errors: r.Counts.Errors, Bytes: r.Counts.Bytes,
		Signer: r.Signer, Encrypted: r.Encrypted, Recipients: r.RecipientNames, StreamSHA256: r.StreamSHA256,
		Ledger: r.Ledger, LedgerHead: r.LedgerHead, Duration: r.Duration.Seconds(),
		Collectors: make([]collectorSummary, 0, len(r.Collectors)),
		Privileges: r.Privileges, DeadBox: r.DeadBox, Timestamps: r.Timestamps, Stored: r.Stored,
	}
	for _, s := range r.Collectors {
		sum.Collectors = append(sum.Collectors, collectorSummary{Collector: s.Collector, Records: s.Records, Bytes: s.Bytes,
			Errors: s.Errors, Duration: s.Duration.Seconds()})
	}
	if rst := r.Redacted; rst.Artifacts > 0 || rst.Skipped > 0 || len(rst.Short) > 0 {
		sum.Redacted = &rst
	}
	return sum
}

// collectReporter shows a session on stderr: the progress display (on a
// terminal only) and warnings as they happen.
type collectReporter struct {
	a *app
	p *progress // nil when stderr is not a terminal
}

func (r collectReporter) Collector(name string) {
	if r.p != nil {
		r.p.Collector(name)
	}
}

func (r collectReporter) Artifact(path string, n int64) {
	if r.p != nil {
		r.p.Artifact(path, n)
	}
}

func (r collectReporter) Stopped() {
	if r.p != nil {
		r.p.finish()
	}
}

func (r collectReporter) Warning(msg string) { r.a.warnf("%s", msg) }

// printCollectSummary writes the one-screen summary to stderr.
func printCollectSummary(a *app, s *collectSummary) {
	w := a.stderr
	fmt.Fprintf(w, "hozen: %s %s in %.1fs\n", s.Status, s.Bundle, s.Duration)
	for _, c := range s.Collectors {
		fmt.Fprintf(w, "  %-12s %6d records %10s %5d not ok  %.2fs\n", c.Collector, c.Records, humanBytes(c.Bytes), c.Errors, c.Duration)
	}
	fmt.Fprintf(w, "  total        %6d records %10s %5d not ok\n", s.Records, humanBytes(s.Bytes), s.Errors)
	fmt.Fprintf(w, "  sha256 %s\n  head   %s\n", s.SHA256, s.Head)
	if s.Signer != "" {
		fmt.Fprintf(w, "  signed by %s\n", s.Signer)
	}
	if s.Encrypted {
		fmt.Fprintf(w, "  encrypted (age) to %s\n", strings.Join(s.Recipients, ", "))
	}
	if s.Redacted != nil && (s.Redacted.Artifacts > 0 || s.Redacted.Skipped > 0) {
		fmt.Fprintf(w, "  redacted: %s\n", acquire.RedactionNote(*s.Redacted))
	}
	for _, t := range s.Timestamps {
		fmt.Fprintf(w, "  timestamp %s\n", t)
	}
	fmt.Fprintf(w, "  ledger %s, head (write it down or send it on):\n  %s\n", s.Ledger, s.LedgerHead)
	if p := s.Privileges; p != nil && !p.Root {
		fmt.Fprintf(w, "hozen: warning: collected without root (uid %d): not collected: %s\n", p.EUID, strings.Join(p.Missing, "; "))
	}
	if d := s.DeadBox; d != nil {
		fmt.Fprintf(w, "  dead-box collection of %s; not collected: %s\n", d.Root, strings.Join(d.Skipped, ", "))
	}
}
