package collect

import "testing"

// TestEveryCollectorDescribed: `hozen profiles` says what each collector
// stores; a collector registered without a line there fails here.
func TestEveryCollectorDescribed(t *testing.T) {
	for _, c := range KnownCollectors() {
		if DescribeCollector(c) == "" {
			t.Errorf("collector %q has no description in collectorWhat", c)
		}
	}
}
