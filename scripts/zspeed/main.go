// Command zspeed compresses a file in independent 1 MiB zstd frames on
// one core, as each of hozen's frame workers does (klauspost/compress at
// SpeedFastest, checksums on), writing nothing. make bench times it
// against `zstd -1 -T1` on the same file: the encoder's speed bounds how
// fast a collect can be, whatever the pipeline does.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"
)

func main() {
	frame := flag.Int("frame", 1<<20, "frame size in bytes")
	crc := flag.Bool("crc", true, "frame checksums, as hozen writes them")
	noEntropy := flag.Bool("noentropy", false, "leave literals without entropy coding")
	level := flag.Int("level", 1, "zstd level, mapped as hozen collect --level maps it")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: zspeed [-frame N] [-crc=false] [-noentropy] [-level N] FILE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(*level)), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(*crc), zstd.WithNoEntropyCompression(*noEntropy),
		zstd.WithWindowSize(*frame), zstd.WithLowerEncoderMem(true))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Read and compress one frame at a time, as zstd -T1 reads its input:
	// the wall time of the two compares the encoders.
	raw := make([]byte, *frame)
	dst := make([]byte, 0, *frame+*frame/8+1024)
	var in, out int64
	start := time.Now()
	for {
		n, err := io.ReadFull(f, raw)
		if n > 0 {
			dst = enc.EncodeAll(raw[:n], dst[:0])
			in += int64(n)
			out += int64(len(dst))
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("%.3f s, %d bytes in, %d out\n", time.Since(start).Seconds(), in, out)
}
