package deploy

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/custody"
)

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// TestFleetLedgerImport gives the fleet figure for the lab's side: it
// builds HOZEN_FLEET_LEDGERS host ledgers (default 100) of
// HOZEN_FLEET_EVENTS events each (default 1,000) with the custody package,
// then folds them one by one into a lab ledger with the real 'hozen
// custody import', as the playbook does, and checks that the lab ledger
// verifies and holds them all. It reports times; it asserts none.
func TestFleetLedgerImport(t *testing.T) {
	if os.Getenv("HOZEN_FLEET") == "" {
		t.Skip("set HOZEN_FLEET=1 (make test-fleet) to time ledger imports")
	}
	nLedgers := envInt(t, "HOZEN_FLEET_LEDGERS", 100)
	nEvents := envInt(t, "HOZEN_FLEET_EVENTS", 1000)
	ctx := context.Background()
	dir := t.TempDir()
	bin := buildHozen(t, dir)

	// The host ledgers are built on tmpfs where there is one: each append
	// is a synchronous transaction, and building is not what is timed.
	src := dir
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "hozen-fleet-ledgers-")
		if err == nil {
			src = d
			t.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	start := time.Now()
	var paths []string
	for i := range nLedgers {
		p := filepath.Join(src, fmt.Sprintf("host%03d.db", i))
		l, err := custody.Open(ctx, p, custody.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for j := range nEvents {
			e := &custody.Event{Actor: "responder", Action: custody.ActionNote, CaseID: "FLEET-1",
				Host: fmt.Sprintf("host%03d", i), Reason: fmt.Sprintf("event %d", j)}
			if err := l.Append(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	t.Logf("built %d ledgers of %d events in %s (in %s)", nLedgers, nEvents, time.Since(start).Round(time.Millisecond), src)

	lab := filepath.Join(dir, "lab.db")
	start = time.Now()
	var slowest time.Duration
	for _, p := range paths {
		s := time.Now()
		out, err := exec.Command(bin, "custody", "--ledger", lab, "import", p, "--actor", "lab").CombinedOutput()
		if err != nil {
			t.Fatalf("hozen custody import %s: %v\n%s", p, err, out)
		}
		if !strings.Contains(string(out), fmt.Sprintf("imported %d new events", nEvents)) {
			t.Fatalf("hozen custody import %s:\n%s", p, out)
		}
		slowest = max(slowest, time.Since(s))
	}
	took := time.Since(start)
	fi, _ := os.Stat(lab)
	t.Logf("hozen custody import: %d ledgers x %d events into one lab ledger: %s in all, %s per ledger on average, slowest %s; lab ledger %d MiB",
		nLedgers, nEvents, took.Round(time.Millisecond), (took / time.Duration(nLedgers)).Round(time.Millisecond),
		slowest.Round(time.Millisecond), fi.Size()>>20)

	start = time.Now()
	out, err := exec.Command(bin, "custody", "--ledger", lab, "verify").CombinedOutput()
	if err != nil {
		t.Fatalf("hozen custody verify: %v\n%s", err, out)
	}
	t.Logf("hozen custody verify of the lab ledger (%d events): %s", nLedgers*(nEvents+1), time.Since(start).Round(time.Millisecond))
	l, err := custody.Open(ctx, lab, custody.Options{NoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != int64(nLedgers) {
		t.Errorf("lab's own chain has %d events; want %d imported events", cp.Size, nLedgers)
	}
}
