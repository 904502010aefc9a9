package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkCollect runs 'hozen collect --profile volatile --include
// $HOZEN_BENCH_CORPUS/**' in process (for profiling with -cpuprofile);
// `make bench` times the real binary against tar | zstd instead.
func BenchmarkCollect(b *testing.B) {
	corpus := os.Getenv("HOZEN_BENCH_CORPUS")
	if corpus == "" {
		b.Skip("set HOZEN_BENCH_CORPUS to a directory (make bench generates one)")
	}
	for b.Loop() {
		out := b.TempDir()
		var stderr strings.Builder
		code := run([]string{"collect", "--profile", "volatile", "--include", filepath.Join(corpus, "**"), "--out", out}, strings.NewReader(""), io.Discard, &stderr)
		if code != 0 {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}
