package artifact

import (
	"cmp"
	"slices"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// PathFindings is the ranked list of findings of a collection.
const PathFindings = "volatile/findings/findings.json"

// Severities of a finding, most urgent first.
const (
	SeverityHigh   = "high"   // look at this first: likely compromise
	SeverityMedium = "medium" // suspicious; often malicious, sometimes admin work
	SeverityLow    = "low"    // unusual; worth a look when time allows
	SeverityInfo   = "info"   // on record for context, not suspicious by itself
)

// SeverityRank orders severities: 0 for high, 3 for info, 4 for anything
// else.
func SeverityRank(s string) int {
	switch s {
	case SeverityHigh:
		return 0
	case SeverityMedium:
		return 1
	case SeverityLow:
		return 2
	case SeverityInfo:
		return 3
	}
	return 4
}

// Finding is one thing a responder should look at, found by a rule over
// collected data. Rules are listed, with why each matters, in
// docs/collectors.md; none is tied to a fixture.
type Finding struct {
	// Rule is the rule's stable id ("exec-in-tmp", "cron-download-exec").
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	// Score orders findings of one severity: higher first.
	Score int `json:"score,omitempty"`
	// Title is one line; Reason says why this instance matters.
	Title  string `json:"title"`
	Reason string `json:"reason"`
	// Path is the host path concerned, when there is one; PID the process.
	Path manifest.BString `json:"path,omitempty"`
	PID  int              `json:"pid,omitempty"`
	// Evidence names the artifacts in the bundle that show it (bundle
	// paths, optionally with a "#key=value" selector such as
	// "volatile/processes/processes.json#pid=123").
	Evidence []string `json:"evidence"`
	// Time is when the thing found happened, when known (a file's mtime).
	Time *time.Time `json:"time,omitempty"`
}

// Findings is volatile/findings/findings.json: every finding of a
// collection, most urgent first. It is written even when empty, so that
// the rules' run is on record.
type Findings struct {
	Header
	CollectedAt time.Time `json:"collected_at"`
	// Rules lists the ids of the rules that ran.
	Rules    []string  `json:"rules"`
	Findings []Finding `json:"findings"`
}

// SortFindings orders findings most urgent first: by severity, then score, then
// rule and path, so that the order is the same whatever order they were
// found in.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(SeverityRank(a.Severity), SeverityRank(b.Severity)),
			cmp.Compare(b.Score, a.Score),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(string(a.Path), string(b.Path)),
			cmp.Compare(a.PID, b.PID),
		)
	})
}
