package bundle

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestDecompressionBomb: a frame that decompresses to far more than hozen
// ever writes into one frame is refused without allocating it.
func TestDecompressionBomb(t *testing.T) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	bomb := enc.EncodeAll(make([]byte, 256<<20), nil) // 256 MiB of zeros
	t.Logf("bomb: %d bytes compressed", len(bomb))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Verify(bytes.NewReader(bomb), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	var fe *FrameError
	if res.Outcome != Tampered || !errors.As(res.Err, &fe) {
		t.Fatalf("outcome %s: %v", res.Outcome, res.Err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("allocated %d MiB verifying a bomb", grew>>20)
	}
}

// FuzzVerify: whatever the bytes, Verify never panics, and only the
// untouched seed bundles are ever intact.
func FuzzVerify(f *testing.F) {
	dir := f.TempDir()
	s := writeBundle(f, dir, testSigner(f, 1), testArtifacts()[:5])
	good, err := os.ReadFile(s.Path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Add([]byte("not a bundle"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Verify(bytes.NewReader(b), VerifyOptions{})
		if errors.Is(err, ErrNotBundle) {
			return
		}
		if err != nil {
			t.Fatal(err) // a bytes.Reader never fails
		}
		if res.Outcome == Intact && !bytes.Equal(b, good) {
			t.Fatalf("a changed bundle verified intact")
		}
	})
}
