package bundle

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestHugeWindow: a frame made by the real zstd CLI with --long=31 (a
// 2 GiB window, as zstd writes when it compresses a pipe) is refused by
// the decoder's window limit, with a FrameError and without allocating the
// window.
func TestHugeWindow(t *testing.T) {
	if _, err := exec.LookPath("zstd"); err != nil {
		t.Skip("needs the zstd CLI")
	}
	in := make([]byte, 1<<20)
	rand.Read(in)
	cmd := exec.Command("zstd", "-q", "--long=31", "-c")
	cmd.Stdin = bytes.NewReader(in)
	frame, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Verify(bytes.NewReader(frame), VerifyOptions{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	var fe *FrameError
	if res.Outcome != Tampered || !errors.As(res.Err, &fe) || !strings.Contains(res.Err.Error(), "window size exceeded") {
		t.Fatalf("outcome %s: %v", res.Outcome, res.Err)
	}
	grew := after.TotalAlloc - before.TotalAlloc
	t.Logf("%v; allocated %d KiB", res.Err, grew>>10)
	if grew > 64<<20 {
		t.Errorf("allocated %d MiB for a 2 GiB window frame", grew>>20)
	}
}
