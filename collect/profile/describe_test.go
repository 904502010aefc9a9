package profile

import (
	"testing"

	"github.com/hozen-dfir/hozen/collect"
)

// TestEveryCollectorDescribed: `hozen profiles` says what each collector
// stores; a collector registered without a line there fails here.
func TestEveryCollectorDescribed(t *testing.T) {
	for _, c := range KnownCollectors() {
		if collect.DescribeCollector(c) == "" {
			t.Errorf("collector %q has no description in collect's collectorWhat", c)
		}
	}
}
