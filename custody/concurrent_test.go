package custody

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// The test binary doubles as an appender process: with this variable set
// to a ledger path, it appends HOZEN_CUSTODY_TEST_N events and exits.
const appenderEnv = "HOZEN_CUSTODY_TEST_APPENDER"

func TestMain(m *testing.M) {
	if path := os.Getenv(appenderEnv); path != "" {
		os.Exit(appender(path))
	}
	os.Exit(m.Run())
}

func appender(path string) int {
	n, _ := strconv.Atoi(os.Getenv("HOZEN_CUSTODY_TEST_N"))
	who := os.Getenv("HOZEN_CUSTODY_TEST_WHO")
	ctx := context.Background()
	l, err := Open(ctx, path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer l.Close()
	for i := 0; i < n; i++ {
		e := Event{Actor: who, Action: ActionNote, Reason: fmt.Sprintf("%s %d", who, i)}
		if err := l.Append(ctx, &e); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// TestConcurrentProcesses starts 8 processes that append 1,000 events each
// to one new ledger at once: all 8,000 must be there, in one intact chain.
func TestConcurrentProcesses(t *testing.T) {
	procs, each := 8, 1000
	if testing.Short() {
		each = 100
	}
	path := filepath.Join(t.TempDir(), "custody.db")
	var wg sync.WaitGroup
	errs := make([]error, procs)
	outs := make([][]byte, procs)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), appenderEnv+"="+path,
				"HOZEN_CUSTODY_TEST_N="+strconv.Itoa(each), "HOZEN_CUSTODY_TEST_WHO=p"+strconv.Itoa(p))
			outs[p], errs[p] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for p := range errs {
		if errs[p] != nil {
			t.Fatalf("process %d: %v\n%s", p, errs[p], outs[p])
		}
	}
	l := openTest(t, path)
	rep, err := l.Verify(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(procs * each); rep.Events != want || rep.Checkpoint.Size != want {
		t.Fatalf("%d events, checkpoint size %d; want %d", rep.Events, rep.Checkpoint.Size, want)
	}
	// Every process's events are all there, in its own order.
	evs, err := l.Events(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	next := map[string]int{}
	for _, e := range evs {
		if want := fmt.Sprintf("%s %d", e.Actor, next[e.Actor]); e.Reason != want {
			t.Fatalf("event %d: %q, want %q", e.Seq, e.Reason, want)
		}
		next[e.Actor]++
	}
	if len(next) != procs {
		t.Errorf("%d processes' events, want %d", len(next), procs)
	}
}
