package bundle

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteBackPassesEveryByte: the write-back wrapper changes nothing in
// what is written, and starts write-back once per writeBackEvery bytes.
func TestWriteBackPassesEveryByte(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &writeBack{f: f}
	var want bytes.Buffer
	chunk := make([]byte, 300<<10+7)
	for i := 0; want.Len() < 3*writeBackEvery+5; i++ {
		for j := range chunk {
			chunk[j] = byte(i + j)
		}
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
		want.Write(chunk)
	}
	if w.off != int64(want.Len()) || w.started > w.off || w.off-w.started >= writeBackEvery || w.started < 2*writeBackEvery {
		t.Errorf("wrote %d, off %d, write-back started for %d", want.Len(), w.off, w.started)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("file differs from what was written (%d vs %d bytes)", len(got), want.Len())
	}
}
