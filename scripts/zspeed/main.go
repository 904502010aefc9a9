// Command zspeed compresses a file in independent 1 MiB zstd frames on
// one core, as each of hozen's frame workers does (klauspost/compress at
// SpeedFastest, checksums on), writing nothing. make bench times it
// against `zstd -1 -T1` on the same file: the encoder's speed bounds how
// fast a collect can be, whatever the pipeline does. With -workers N the
// frames are compressed on N goroutines, as a collect compresses them:
// make bench times that, on the whole corpus, against `tar | zstd -1 -T0`,
// which does everything a collect is measured against.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/hozen-dfir/hozen/bundle"
)

func main() {
	frame := flag.Int("frame", 1<<20, "frame size in bytes")
	crc := flag.Bool("crc", true, "frame checksums, as hozen writes them")
	noEntropy := flag.Bool("noentropy", false, "leave literals without entropy coding")
	level := flag.Int("level", 1, "zstd level, mapped as hozen collect --level maps it")
	workers := flag.Int("workers", 1, "compress frames on this many goroutines")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: zspeed [-frame N] [-crc=false] [-noentropy] [-level N] [-workers N] FILE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// hozen's settings, then what the flags change (later options win).
	opts := append(bundle.EncoderOptions(zstd.EncoderLevelFromZstd(*level), *workers),
		zstd.WithEncoderCRC(*crc), zstd.WithNoEntropyCompression(*noEntropy), zstd.WithWindowSize(*frame))
	enc, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	var in, out int64
	if *workers > 1 {
		in, out = compressOn(*workers, f, enc, *frame)
	} else {
		in, out = compress(f, enc, *frame)
	}
	fmt.Printf("%.3f s, %d bytes in, %d out\n", time.Since(start).Seconds(), in, out)
}

// compress reads and compresses one frame at a time, as zstd -T1 reads
// its input: the wall time of the two compares the encoders.
func compress(f io.Reader, enc *zstd.Encoder, frame int) (in, out int64) {
	raw := make([]byte, frame)
	dst := make([]byte, 0, enc.MaxEncodedSize(frame))
	readFrames(f, func() []byte { return raw }, func(p []byte) {
		dst = enc.EncodeAll(p, dst[:0])
		in += int64(len(p))
		out += int64(len(dst))
	})
	return in, out
}

// compressOn reads frames and compresses them on workers goroutines, with
// no order kept and nothing written: the least a pipeline of independent
// frames can spend on compression.
func compressOn(workers int, f io.Reader, enc *zstd.Encoder, frame int) (in, out int64) {
	free := make(chan []byte, 2*workers)
	for range 2 * workers {
		free <- make([]byte, frame)
	}
	work := make(chan []byte)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			dst := make([]byte, 0, enc.MaxEncodedSize(frame))
			for raw := range work {
				dst = enc.EncodeAll(raw, dst[:0])
				mu.Lock()
				in += int64(len(raw))
				out += int64(len(dst))
				mu.Unlock()
				free <- raw[:cap(raw)]
			}
		})
	}
	readFrames(f, func() []byte { return <-free }, func(p []byte) { work <- p })
	close(work)
	wg.Wait()
	return in, out
}

// readFrames reads f a frame at a time into the buffers next gives, and
// hands each frame read to use; it exits the program on a read error.
func readFrames(f io.Reader, next func() []byte, use func([]byte)) {
	for {
		raw := next()
		n, err := io.ReadFull(f, raw)
		if n > 0 {
			use(raw[:n])
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
