package bundle

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/hozen-dfir/hozen/manifest"
)

// logLike returns n bytes of deterministic log-like text.
func logLike(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"accepted", "connection", "from", "port", "session", "opened", "for", "user", "root", "failed", "GET", "/api/v1/items", "status", "200"}
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, "%d web01 sshd[%d]: ", 1700000000+r.IntN(1e6), r.IntN(30000))
		for k := 3 + r.IntN(10); k > 0; k-- {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "id=%08x\n", r.Uint32())
	}
	return b.Bytes()[:n]
}

// BenchmarkWrite measures writing artifacts into a bundle: hashing, tar,
// framing and compressing on all cores, as collect does.
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{4 << 10, 16 << 20} {
		data := logLike(size)
		count := (64 << 20) / size
		b.Run(fmt.Sprintf("files=%dx%dKiB", count, size>>10), func(b *testing.B) {
			b.SetBytes(int64(count * size))
			for b.Loop() {
				dir := b.TempDir()
				w, err := Create(dir, "b.tar.zst", &manifest.Header{BundleID: "x"}, Options{})
				if err != nil {
					b.Fatal(err)
				}
				for i := range count {
					rec := &manifest.Record{Path: manifest.BString(fmt.Sprintf("files/f%d", i)), Entry: manifest.EntryFile, Size: int64(size)}
					if err := w.Put(rec, bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := w.Seal(manifest.StatusSealed, "", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify measures verifying a 64 MiB bundle.
func BenchmarkVerify(b *testing.B) {
	dir := b.TempDir()
	data := logLike(16 << 20)
	w, err := Create(dir, "b.tar.zst", &manifest.Header{BundleID: "x"}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 4 {
		rec := &manifest.Record{Path: manifest.BString(fmt.Sprintf("files/f%d", i)), Entry: manifest.EntryFile, Size: int64(len(data))}
		if err := w.Put(rec, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	s, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(s.Path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 * int64(len(data)))
	for b.Loop() {
		res, err := Verify(bytes.NewReader(raw), VerifyOptions{})
		if err != nil || res.Outcome != Intact {
			b.Fatal(err, res.Err)
		}
	}
}
