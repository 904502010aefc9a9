package main

import (
	"cmp"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkCollect runs 'hozen collect --profile $HOZEN_BENCH_PROFILE (default
// volatile) --include
// $HOZEN_BENCH_CORPUS/**' in process (for profiling with -cpuprofile);
// `make bench` times the real binary against tar | zstd instead.
func BenchmarkCollect(b *testing.B) {
	corpus := os.Getenv("HOZEN_BENCH_CORPUS")
	if corpus == "" {
		b.Skip("set HOZEN_BENCH_CORPUS to a directory (make bench generates one)")
	}
	profile := cmp.Or(os.Getenv("HOZEN_BENCH_PROFILE"), "volatile")
	for b.Loop() {
		out := b.TempDir()
		var stderr strings.Builder
		code := run([]string{"collect", "--profile", profile, "--include", filepath.Join(corpus, "**"), "--out", out}, strings.NewReader(""), io.Discard, &stderr)
		if code != 0 {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}
