package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/manifest"
)

// fixedClock ticks one second per call from a fixed start.
func fixedClock() func() time.Time {
	t := time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func testSigner(t testing.TB, seed byte) ssh.Signer {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type artifact struct {
	rec  manifest.Record
	data []byte
}

func testArtifacts() []artifact {
	uid := int64(1000)
	target := manifest.BString("../target file")
	mt := time.Date(2025, 1, 2, 3, 4, 5, 600, time.UTC)
	return []artifact{
		{rec: manifest.Record{Path: "volatile/system.json", Entry: manifest.EntryFile, Source: "system", Collector: "system"}, data: []byte(`{"hostname":"x"}` + "\n")},
		{rec: manifest.Record{Path: "files/etc/with space", Entry: manifest.EntryFile, Source: "/etc/with space", Collector: "files",
			File: &manifest.FileMeta{Mode: "-rw-r-----", ModeBits: 0o640, Type: "file", Size: 5, UID: &uid, GID: &uid, Mtime: mt}}, data: []byte("hello")},
		{rec: manifest.Record{Path: "files/bad\xffname", Entry: manifest.EntryFile, Source: "/bad\xffname", Collector: "files"}, data: nil},
		{rec: manifest.Record{Path: "files/link", Entry: manifest.EntrySymlink, Source: "/link", Collector: "files",
			File: &manifest.FileMeta{Type: "symlink", Mtime: mt, LinkTarget: &target}}},
		{rec: manifest.Record{Path: "files/denied", Entry: manifest.EntryNone, Source: "/denied", Collector: "files", Outcome: manifest.OutcomeDenied, Errors: []string{"permission denied"}}},
		{rec: manifest.Record{Path: "files/big", Entry: manifest.EntryFile, Source: "/big", Collector: "files"}, data: bytes.Repeat([]byte("log line 12345\n"), 700000)},
	}
}

// writeBundle writes a small bundle into dir and returns its path.
func writeBundle(t testing.TB, dir string, signer ssh.Signer, arts []artifact) *Sealed {
	t.Helper()
	hdr := &manifest.Header{BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", CaseID: "case-1", Examiner: "tester",
		StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	w, err := Create(dir, "test.tar.zst", hdr, Options{Signer: signer, Now: fixedClock(), MD5: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		rec := a.rec
		rec.Size = int64(len(a.data))
		var body *bytes.Reader
		if rec.Entry == manifest.EntryFile {
			body = bytes.NewReader(a.data)
			if err := w.Put(&rec, body); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := w.Put(&rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func verifyFile(t testing.TB, path string, opts VerifyOptions) *Result {
	t.Helper()
	res, err := verifyPath(t, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// verifyPath is Verify of the file at path.
func verifyPath(t testing.TB, path string, opts VerifyOptions) (*Result, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Verify(f, opts)
}

func TestRoundTripIntact(t *testing.T) {
	dir := t.TempDir()
	s := writeBundle(t, dir, testSigner(t, 1), testArtifacts())
	if _, err := os.Stat(s.Path + PartialSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partial file left behind: %v", err)
	}
	trust := manifest.Trust{{Key: testSigner(t, 1).PublicKey(), Principals: []string{"tester"}}}
	res := verifyFile(t, s.Path, VerifyOptions{Trust: trust})
	if res.Outcome != Intact {
		t.Fatalf("outcome %s: %v", res.Outcome, res.Err)
	}
	if !res.Signed || !res.Trusted || res.Principal != "tester" {
		t.Errorf("signed %v trusted %v principal %q", res.Signed, res.Trusted, res.Principal)
	}
	if res.Records != 6 || res.Counts.Artifacts != 5 || res.Counts.Errors != 1 {
		t.Errorf("records %d counts %+v", res.Records, res.Counts)
	}
	if res.FileSHA256 != s.SHA256 || res.FileSize != s.Size {
		t.Errorf("file digest %s/%d, writer said %s/%d", res.FileSHA256, res.FileSize, s.SHA256, s.Size)
	}
	if res.Frames < 3 {
		t.Errorf("only %d frames; the big entry should span several", res.Frames)
	}
}

func TestUntrustedAndUnsigned(t *testing.T) {
	dir := t.TempDir()
	s := writeBundle(t, dir, testSigner(t, 1), testArtifacts()[:2])
	other := manifest.Trust{{Key: testSigner(t, 2).PublicKey()}}
	res := verifyFile(t, s.Path, VerifyOptions{Trust: other})
	if res.Outcome != Tampered || !errors.Is(res.Err, manifest.ErrUntrustedSigner) {
		t.Fatalf("other key: outcome %s err %v", res.Outcome, res.Err)
	}
	dir2 := t.TempDir()
	u := writeBundle(t, dir2, nil, testArtifacts()[:2])
	res = verifyFile(t, u.Path, VerifyOptions{})
	if res.Outcome != Intact || res.Signed {
		t.Fatalf("unsigned without trust: %s %v signed=%v", res.Outcome, res.Err, res.Signed)
	}
	res = verifyFile(t, u.Path, VerifyOptions{Trust: other})
	if !errors.Is(res.Err, manifest.ErrUnsigned) {
		t.Fatalf("unsigned with trust: %s %v", res.Outcome, res.Err)
	}
}

func TestTruncatedIsIncomplete(t *testing.T) {
	// Every cut of a small bundle, and 300 cuts of one with a large entry.
	small := testArtifacts()[:5]
	for _, arts := range [][]artifact{small, testArtifacts()} {
		truncateAll(t, arts)
	}
}

func truncateAll(t *testing.T, arts []artifact) {
	dir := t.TempDir()
	s := writeBundle(t, dir, testSigner(t, 1), arts)
	data, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	step := 1
	if len(data) > 10000 {
		step = len(data)/300 + 1
	}
	maxRecords := int64(0)
	for cut := 1; cut < len(data); cut += step {
		res, err := Verify(bytes.NewReader(data[:cut]), VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Incomplete {
			t.Fatalf("cut at %d: outcome %s (%v)", cut, res.Outcome, res.Err)
		}
		var ie *IncompleteError
		if !errors.As(res.Err, &ie) || !strings.Contains(ie.Error(), "records verified") {
			t.Fatalf("cut at %d: %v", cut, res.Err)
		}
		if ie.Records < maxRecords {
			t.Fatalf("cut at %d verified %d records, a shorter cut %d", cut, ie.Records, maxRecords)
		}
		maxRecords = ie.Records
	}
	if maxRecords == 0 {
		t.Fatalf("no cut verified any record")
	}
}

func TestSingleByteFlips(t *testing.T) {
	dir := t.TempDir()
	arts := testArtifacts()
	arts = append(arts[:5:5], artifact{rec: manifest.Record{Path: "files/small", Entry: manifest.EntryFile, Source: "/small", Collector: "files"}, data: []byte("abc")})
	s := writeBundle(t, dir, testSigner(t, 1), arts)
	data, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bundle of %d bytes, every byte flipped", len(data))
	mut := make([]byte, len(data))
	for i := range data {
		copy(mut, data)
		mut[i] ^= 0x01
		res, err := Verify(bytes.NewReader(mut), VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome == Intact {
			t.Fatalf("flip at byte %d of %d: reported intact", i, len(data))
		}
	}
}
