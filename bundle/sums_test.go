package bundle

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// TestSumsSpool: the lines come back as written, the spool leaves no name
// in the directory (where the OS can unlink an open file), and what reaches
// the disk is not the lines in the clear.
func TestSumsSpool(t *testing.T) {
	dir := t.TempDir()
	s, err := newSumsSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	var want bytes.Buffer
	for i := range 5000 {
		name := strings.Repeat("files/secret/path/", 3) + string(rune('a'+i%26))
		sum := strings.Repeat("0123456789abcdef", 4)
		s.line(sum, name)
		writeSumLine(&want, sum, name)
	}
	s.line("ff", "odd\nname")
	writeSumLine(&want, "ff", "odd\nname")
	r, n, err := s.contents()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(want.Len()) || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("spool gave %d bytes (said %d), want %d", len(got), n, want.Len())
	}
	if s.path == "" {
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("unlinked spool still listed: %v", ents)
		}
	}
	raw := make([]byte, n)
	if _, err := s.f.ReadAt(raw, 0); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("secret")) || bytes.Contains(raw, []byte("0123456789abcdef")) {
		t.Error("the spool on disk holds the lines in the clear")
	}
}
