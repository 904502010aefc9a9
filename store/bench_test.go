package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/minio/minio-go/v7"
)

// BenchmarkPush stores a 128 MiB file in versitygw on loopback: hozen's
// Put (parts with SHA-256 checksums, then read back and hashed), minio-go's
// plain FPutObject, reading the file (cat > /dev/null), and the resumption
// of an upload cut at 50 %. make bench prints them; compare MB/s.
func BenchmarkPush(b *testing.B) {
	g := startGateway(b)
	g.bucket(b, "bench", true)
	const size = 128 << 20
	path, _ := randomFile(b, b.TempDir(), "bundle.tar.zst", size)
	d := g.dest(b, "s3://bench", nil)
	n := 0
	key := func() string { n++; return fmt.Sprintf("k%d", n) }
	b.Run("cat", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			f, _ := os.Open(path)
			io.Copy(io.Discard, f)
			f.Close()
		}
	})
	b.Run("fputobject", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if _, err := g.client.FPutObject(context.Background(), "bench", key(), path, minio.PutObjectOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hozen-put", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			dd := g.dest(b, "s3://bench/"+key(), nil)
			if _, err := dd.Put(context.Background(), path, PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hozen-resume-after-50pct", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			b.StopTimer()
			dd := g.dest(b, "s3://bench/"+key(), nil)
			ctx, cancel := context.WithCancel(context.Background())
			dd.Put(ctx, path, PutOptions{Progress: func(done, total int64) {
				if done*2 >= total {
					cancel()
				}
			}})
			cancel()
			b.StartTimer()
			if _, err := dd.Put(context.Background(), path, PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	_ = d
}
