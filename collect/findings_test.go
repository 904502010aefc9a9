package collect

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// findingCollector adds findings from several goroutines, as collectors
// with workers do.
type findingCollector struct{ fs []artifact.Finding }

func (*findingCollector) Name() string { return "flagger" }

func (c *findingCollector) Collect(_ context.Context, env *Env, _ Sink) error {
	env.RuleRan("quiet-rule")
	var wg sync.WaitGroup
	for _, f := range c.fs {
		wg.Go(func() { env.Finding(f) })
	}
	wg.Wait()
	return nil
}

func TestRunStoresFindingsRankedLast(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &findingCollector{fs: []artifact.Finding{
		{Rule: "b-low", Severity: artifact.SeverityLow, Title: "low", Path: "/tmp/z"},
		{Rule: "a-high", Severity: artifact.SeverityHigh, Score: 10, Title: "high 10"},
		{Rule: "c-info", Severity: artifact.SeverityInfo, Title: "info"},
		{Rule: "a-high", Severity: artifact.SeverityHigh, Score: 50, Title: "high 50"},
		{Rule: "m", Severity: artifact.SeverityMedium, Title: "medium"},
	}}
	env := &Env{Root: t.TempDir(), Now: func() time.Time { return at }}
	var sink recSink
	stats, err := Run(context.Background(), env, []Collector{c}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if got := sink.order; !slices.Equal(got, []string{artifact.PathFindings}) {
		t.Fatalf("artifacts %v, want only the findings", got)
	}
	if len(stats) != 2 || stats[1].Collector != "findings" || stats[1].Records != 1 {
		t.Errorf("stats %+v: want the flagger, then findings with one record", stats)
	}
	var doc artifact.Findings
	if err := json.Unmarshal(sink.data[artifact.PathFindings], &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != artifact.Version || !doc.CollectedAt.Equal(at) {
		t.Errorf("schema %q, collected_at %v", doc.Schema, doc.CollectedAt)
	}
	var titles []string
	for _, f := range doc.Findings {
		titles = append(titles, f.Title)
		if f.Evidence == nil {
			t.Errorf("%s: evidence is null, want a list", f.Title)
		}
	}
	if want := []string{"high 50", "high 10", "medium", "low", "info"}; !slices.Equal(titles, want) {
		t.Errorf("order %q, want %q", titles, want)
	}
	if want := []string{"a-high", "b-low", "c-info", "m", "quiet-rule"}; !slices.Equal(doc.Rules, want) {
		t.Errorf("rules %q, want %q (a rule that found nothing is on record too)", doc.Rules, want)
	}
}

func TestRunWithNoRuleStoresNoFindings(t *testing.T) {
	var sink recSink
	if _, err := Run(context.Background(), &Env{Root: t.TempDir()}, []Collector{&silentCollector{}}, &sink); err != nil {
		t.Fatal(err)
	}
	if len(sink.order) != 0 {
		t.Errorf("artifacts %v: a collection in which no rule ran stores no findings", sink.order)
	}
}

type silentCollector struct{}

func (*silentCollector) Name() string                              { return "silent" }
func (*silentCollector) Collect(context.Context, *Env, Sink) error { return nil }

func TestRunInterruptedStoresNoFindings(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var sink recSink
	if _, err := Run(ctx, &Env{Root: t.TempDir()}, []Collector{&findingCollector{}}, &sink); err == nil {
		t.Fatal("Run of a cancelled context returned no error")
	}
	if len(sink.order) != 0 {
		t.Errorf("artifacts %v after cancel", sink.order)
	}
}
