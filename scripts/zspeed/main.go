// Command zspeed compresses a file in independent 1 MiB zstd frames on
// one core, as hozen's bundle writer does per worker (klauspost/compress
// at SpeedFastest, checksums on), and prints the seconds it took. make
// bench times it against `zstd -1 -T1` on the same file: the encoder's
// speed bounds how fast a collect can be, whatever the pipeline does.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"
)

func main() {
	frame := flag.Int("frame", 1<<20, "frame size in bytes")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: zspeed [-frame N] FILE")
		os.Exit(2)
	}
	data, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(true), zstd.WithWindowSize(*frame), zstd.WithLowerEncoderMem(true))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dst := make([]byte, 0, *frame+*frame/8+1024)
	out := 0
	start := time.Now()
	for i := 0; i < len(data); i += *frame {
		dst = enc.EncodeAll(data[i:min(i+*frame, len(data))], dst[:0])
		out += len(dst)
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("%.3f %d %d\n", secs, len(data), out)
}
