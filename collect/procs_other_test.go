//go:build !linux

package collect

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// TestOtherOSLive runs both collectors through gopsutil and finds this
// test's own process; the pid probe's finding is written and says why it
// is empty.
func TestOtherOSLive(t *testing.T) {
	env := &Env{Root: "/", Now: time.Now}
	sink := &memSink{}
	ctx := context.Background()
	if err := (&Network{}).Collect(ctx, env, sink); err != nil {
		t.Fatal(err)
	}
	if err := (&Processes{}).Collect(ctx, env, sink); err != nil {
		t.Fatal(err)
	}
	var pt artifact.ProcessTable
	sink.decode(t, "volatile/processes/processes.json", &pt)
	found := false
	for _, p := range pt.Processes {
		if p.PID == os.Getpid() {
			found = true
		}
	}
	if !found {
		t.Errorf("own pid %d not listed", os.Getpid())
	}
	var h artifact.HiddenPIDs
	sink.decode(t, "volatile/findings/hidden_pids.json", &h)
	if len(h.Errors) == 0 {
		t.Error("hidden_pids.json does not say the probe is unavailable")
	}
}
