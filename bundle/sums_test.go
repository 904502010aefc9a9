package bundle

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpool: what is written comes back as written, from memory and from
// the file it spills to, also while writing goes on; the spool leaves no
// name in the directory (where the OS can unlink an open file); and what
// reaches the disk is not the lines in the clear.
func TestSpool(t *testing.T) {
	for _, memMax := range []int{0, 1000, 1 << 30} {
		dir := t.TempDir()
		s, err := newSpool("SHA256SUMS", dir, memMax)
		if err != nil {
			t.Fatal(err)
		}
		defer s.close()
		var want bytes.Buffer
		var mid int64
		for i := range 5000 {
			name := strings.Repeat("files/secret/path/", 3) + string(rune('a'+i%26))
			sum := strings.Repeat("0123456789abcdef", 4)
			writeSumLine(s, sum, name)
			writeSumLine(&want, sum, name)
			if i == 10 {
				mid = s.Len()
			}
		}
		// A reader of the first lines, opened before more are written.
		early, err := s.Open(mid)
		if err != nil {
			t.Fatal(err)
		}
		writeSumLine(s, "ff", "odd\nname")
		writeSumLine(&want, "ff", "odd\nname")
		got, err := io.ReadAll(early)
		if err != nil || !bytes.Equal(got, want.Bytes()[:mid]) {
			t.Fatalf("memMax %d: early reader gave %d bytes, want %d (%v)", memMax, len(got), mid, err)
		}
		n := s.Len()
		r, err := s.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		if got, err = io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
		if n != int64(want.Len()) || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("memMax %d: spool gave %d bytes (said %d), want %d", memMax, len(got), n, want.Len())
		}
		if _, err := s.Open(n + 1); err == nil {
			t.Errorf("memMax %d: opened more than was written", memMax)
		}
		if s.f == nil {
			if memMax < want.Len() {
				t.Errorf("memMax %d: %d bytes and still in memory", memMax, want.Len())
			}
			continue
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
			t.Errorf("memMax %d: the spool on disk holds the lines in the clear", memMax)
		}
	}
}

// TestSpoolNoRoom: a spool that cannot make its file says which spool,
// where, and what to do, and the error sticks.
func TestSpoolNoRoom(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	if _, err := newSpool("record hashes", missing, 0); err == nil || !strings.Contains(err.Error(), "record hashes spool in "+missing) {
		t.Fatalf("spool in a missing directory: %v", err)
	}
	t.Setenv("TMPDIR", missing)
	s, err := newSpool("frame index", "", 8)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if _, err := s.Write(make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	_, err = s.Write(make([]byte, 8))
	var se *spoolError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "set TMPDIR") {
		t.Fatalf("spill into a missing TMPDIR: %v", err)
	}
	if _, err := s.Open(8); !errors.As(err, &se) {
		t.Errorf("error did not stick: %v", err)
	}
}

// TestVerifySpools: a verifier whose lists outgrow memory spools them and
// still finds the bundle intact; one that cannot make its spool file fails
// with an error of the machine (not an outcome), saying what to do.
func TestVerifySpools(t *testing.T) {
	s := writeBundle(t, t.TempDir(), testSigner(t, 1), testArtifacts())
	defer func(m int) { verifySpoolMem = m }(verifySpoolMem)
	verifySpoolMem = 64
	res, err := verifyPath(t, s.Path, VerifyOptions{})
	if err != nil || res.Outcome != Intact {
		t.Fatalf("spooled verify: %v, %+v", err, res)
	}
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "gone"))
	_, err = verifyPath(t, s.Path, VerifyOptions{})
	var se *spoolError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "set TMPDIR") {
		t.Fatalf("verify without a temporary directory: %v", err)
	}
}

// TestVerifyKeepsManifestOnlyToReadAgain: verify keeps the manifest in a
// spool only when something reads it again (the signature's check, Meta). With
// room in memory for the record hashes and the frame index but not the
// manifest, and no $TMPDIR, an unsigned bundle still verifies; a signed one
// fails saying what to do.
func TestVerifyKeepsManifestOnlyToReadAgain(t *testing.T) {
	arts := testArtifacts()[:2]
	unsigned := writeBundle(t, t.TempDir(), nil, arts)
	signed := writeBundle(t, t.TempDir(), testSigner(t, 1), arts)
	defer func(m int) { verifySpoolMem = m }(verifySpoolMem)
	verifySpoolMem = 256 // 2 record hashes (64 bytes), 3 frames (192); the manifest is larger
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "gone"))
	res, err := verifyPath(t, unsigned.Path, VerifyOptions{})
	if err != nil || res.Outcome != Intact || res.Records != 2 {
		t.Fatalf("unsigned, no TMPDIR: %v, %+v", err, res)
	}
	_, err = verifyPath(t, signed.Path, VerifyOptions{})
	var se *spoolError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "manifest spool") || !strings.Contains(err.Error(), "set TMPDIR") {
		t.Fatalf("signed, no TMPDIR: %v", err)
	}
	// Meta reads the manifest again too: kept, even unsigned.
	meta := func(string, io.Reader) error { return nil }
	_, err = verifyPath(t, unsigned.Path, VerifyOptions{Meta: meta})
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "manifest spool") {
		t.Fatalf("unsigned with Meta, no TMPDIR: %v", err)
	}
}

// shortWriter takes at most max bytes, then fails or (err nil) stops short.
type shortWriter struct {
	got bytes.Buffer
	max int
	err error
}

func (w *shortWriter) Write(p []byte) (int, error) {
	n := min(len(p), w.max-w.got.Len())
	w.got.Write(p[:n])
	if n < len(p) {
		return n, w.err
	}
	return n, nil
}

// TestCTRWriter: the spools' encryption gives what cipher.StreamWriter
// gives, for writes smaller and larger than its buffer, and counts what a
// failing or short writer took.
func TestCTRWriter(t *testing.T) {
	block, err := aes.NewCipher(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	iv := make([]byte, aes.BlockSize)
	plain := bytes.Repeat([]byte("0123456789abcdef-"), 30000) // 510,000 bytes
	var got, want bytes.Buffer
	cw := &ctrWriter{s: cipher.NewCTR(block, iv), w: &got}
	sw := cipher.StreamWriter{S: cipher.NewCTR(block, iv), W: &want}
	for _, n := range []int{1, 100, ctrChunk - 1, ctrChunk, ctrChunk + 1, 3*ctrChunk + 7} {
		p := plain[:n]
		plain = plain[n:]
		if k, err := cw.Write(p); k != n || err != nil {
			t.Fatalf("write of %d: %d, %v", n, k, err)
		}
		sw.Write(p)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatal("ciphertext differs from cipher.StreamWriter's")
	}
	broken := errors.New("disk gone")
	for _, tc := range []struct {
		w       *shortWriter
		wantErr error
	}{
		{&shortWriter{max: ctrChunk + 10, err: broken}, broken},
		{&shortWriter{max: ctrChunk + 10}, io.ErrShortWrite},
	} {
		n, err := (&ctrWriter{s: cipher.NewCTR(block, iv), w: tc.w}).Write(make([]byte, 2*ctrChunk))
		if n != ctrChunk+10 || err != tc.wantErr {
			t.Errorf("over a writer that takes %d bytes: %d, %v", tc.w.max, n, err)
		}
	}
}

// TestVerifyMetaFailsAfterReading: Meta's error is verify's, also when Meta
// read its entry to the end first (as extract does before it closes the
// file it wrote), and whichever of hozen's entries it came on.
func TestVerifyMetaFailsAfterReading(t *testing.T) {
	s := writeBundle(t, t.TempDir(), testSigner(t, 1), testArtifacts()[:2])
	boom := errors.New("close failed")
	for _, name := range []string{"hozen/bundle.json", "hozen/manifest.json", "hozen/manifest.json.sig", "hozen/SHA256SUMS"} {
		seen := false
		_, err := verifyPath(t, s.Path, VerifyOptions{Meta: func(got string, r io.Reader) error {
			if _, err := io.Copy(io.Discard, r); err != nil {
				return err
			}
			if got != name {
				return nil
			}
			seen = true
			return boom
		}})
		if !seen || !errors.Is(err, boom) {
			t.Errorf("%s: Meta failed after reading it (seen %v); Verify: %v", name, seen, err)
		}
	}
}
