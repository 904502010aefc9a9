// Command gencorpus writes a deterministic corpus of log-like files for
// `make bench`: files of mixed sizes adding up to -mib MiB, plus -small
// small files, the same bytes on every run and machine (seeded PCG).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

var (
	hosts   = []string{"web01", "web02", "db01", "cache03", "bastion", "mail", "ci-runner-7"}
	daemons = []string{"sshd", "nginx", "postgres", "cron", "systemd", "kernel", "sudo", "dockerd"}
	words   = []string{"accepted", "connection", "from", "port", "session", "opened", "closed", "for", "user",
		"root", "failed", "password", "invalid", "request", "GET", "POST", "/api/v1/items", "status", "200", "404",
		"500", "timeout", "upstream", "checkpoint", "starting", "duration", "ms", "bytes", "client", "error"}
)

func main() {
	out := flag.String("o", "corpus", "output directory")
	mib := flag.Int("mib", 1024, "MiB of log-like files")
	small := flag.Int("small", 20000, "number of small files (1-8 KiB)")
	seed := flag.Uint64("seed", 1, "seed")
	flag.Parse()
	r := rand.New(rand.NewPCG(*seed, 2))
	if err := run(r, *out, int64(*mib)<<20, *small); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}

func run(r *rand.Rand, out string, total int64, small int) error {
	// Large files: sizes from 1 MiB to 128 MiB, like rotated logs.
	sizes := []int64{1 << 20, 4 << 20, 16 << 20, 64 << 20, 128 << 20, 32 << 20, 8 << 20, 2 << 20}
	var written int64
	for i := 0; written < total; i++ {
		n := min(sizes[i%len(sizes)], total-written)
		p := filepath.Join(out, "logs", fmt.Sprintf("app%03d.log", i))
		if err := writeLog(r, p, n); err != nil {
			return err
		}
		written += n
	}
	for i := 0; i < small; i++ {
		p := filepath.Join(out, "small", fmt.Sprintf("d%03d", i/200), fmt.Sprintf("f%05d.conf", i))
		if err := writeLog(r, p, int64(1024+r.IntN(7*1024))); err != nil {
			return err
		}
	}
	return nil
}

func writeLog(r *rand.Rand, path string, n int64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	t := int64(1700000000) + r.Int64N(1e7)
	for written := int64(0); written < n; {
		t += r.Int64N(3)
		line = line[:0]
		line = fmt.Appendf(line, "%d.%06d %s %s[%d]: ", t, r.IntN(1e6), hosts[r.IntN(len(hosts))], daemons[r.IntN(len(daemons))], 100+r.IntN(30000))
		for k := 3 + r.IntN(12); k > 0; k-- {
			line = append(line, words[r.IntN(len(words))]...)
			line = append(line, ' ')
		}
		line = fmt.Appendf(line, "id=%08x\n", r.Uint32())
		if rem := n - written; int64(len(line)) > rem {
			line = line[:rem]
		}
		w.Write(line)
		written += int64(len(line))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
