package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/hozen-dfir/hozen/manifest"
)

// failAfter gives its data, then fails with err: on the read after the
// last data, or, with along, on the read that returns the last data.
type failAfter struct {
	data  []byte
	err   error
	along bool
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	if f.along && len(f.data) == 0 {
		return n, f.err
	}
	return n, nil
}

// overread claims to have read one byte more than it was asked for.
type overread struct{}

func (overread) Read(p []byte) (int, error) { return len(p) + 1, nil }

// stuck gives its data, then reads nothing, without an error, forever.
type stuck struct{ data []byte }

func (s *stuck) Read(p []byte) (int, error) {
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

// dribble gives at most 7 bytes a read.
type dribble struct{ r io.Reader }

func (d dribble) Read(p []byte) (int, error) { return d.r.Read(p[:min(len(p), 7)]) }

// TestPutBodies: an artifact's body is read straight into the frames, so
// what lands in the bundle, its record and its digests must still be what
// the body gave, for bodies that end on time, early, with an error, never,
// or late, and whatever the sizes of their reads.
func TestPutBodies(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 3*maxFrame+12345) // spans frames, and ends inside one
	for i := range big {
		big[i] = byte('a' + rnd.IntN(8))
	}
	half := len(big) / 2
	cases := []struct {
		name    string
		size    int // the record's size
		body    io.Reader
		read    int    // bytes the record must say were read
		outcome string // of the record
		errText string // in the record's errors
	}{
		{"whole", len(big), bytes.NewReader(big), len(big), manifest.OutcomeOK, ""},
		{"dribbled", 100000, dribble{bytes.NewReader(big[:100000])}, 100000, manifest.OutcomeOK, ""},
		{"short", len(big), bytes.NewReader(big[:half]), half, manifest.OutcomePartial, "the source ended early"},
		{"failing", len(big), &failAfter{data: big[:half], err: errors.New("disk on fire")}, half, manifest.OutcomePartial, "disk on fire"},
		{"failing with its last data", len(big), &failAfter{data: big[:half], err: errors.New("disk on fire"), along: true}, half, manifest.OutcomePartial, "disk on fire"},
		{"EOF with its last data", len(big), iotest.DataErrReader(bytes.NewReader(big)), len(big), manifest.OutcomeOK, ""},
		{"short, EOF with its last data", len(big), iotest.DataErrReader(bytes.NewReader(big[:half])), half, manifest.OutcomePartial, "the source ended early"},
		{"overread", len(big), overread{}, 0, manifest.OutcomePartial, "body read returned"},
		{"stuck", len(big), &stuck{big[:1000]}, 1000, manifest.OutcomePartial, io.ErrNoProgress.Error()},
		{"overlong", len(big), bytes.NewReader(append(big[:len(big):len(big)], "more"...)), len(big), manifest.OutcomeOK, ""},
	}
	hdr := &manifest.Header{BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", CaseID: "case-1",
		StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	w, err := Create(t.TempDir(), "put.tar.zst", hdr, Options{Now: fixedClock(), MD5: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		size := c.size
		rec := &manifest.Record{Path: manifest.BString("files/" + c.name), Entry: manifest.EntryFile,
			Source: manifest.BString("/" + c.name), Collector: "files", Size: int64(size)}
		if err := w.Put(rec, c.body); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	s, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := verifyFile(t, s.Path, VerifyOptions{}); res.Outcome != Intact {
		t.Fatalf("outcome %s: %v", res.Outcome, res.Err)
	}

	entries, records := readBundleEntries(t, s.Path)
	for _, c := range cases {
		size := c.size
		want := make([]byte, size) // what was read, then zero padding
		copy(want, big[:c.read])
		got := entries["files/"+c.name]
		if !bytes.Equal(got, want) {
			t.Errorf("%s: entry of %d bytes differs from the %d read and %d of padding", c.name, len(got), c.read, size-c.read)
		}
		r := records["files/"+c.name]
		if r == nil {
			t.Fatalf("%s: no record", c.name)
		}
		sum, md := sha256.Sum256(want), md5.Sum(want)
		errs := strings.Join(r.Errors, ";")
		if r.BytesRead != int64(c.read) || r.Outcome != c.outcome || r.SHA256 != hex.EncodeToString(sum[:]) ||
			r.MD5 != hex.EncodeToString(md[:]) || (c.errText == "") != (errs == "") || !strings.Contains(errs, c.errText) {
			t.Errorf("%s: read %d outcome %s errors %q sha256 %s md5 %s; want read %d outcome %s errors with %q, sha256 %x md5 %x",
				c.name, r.BytesRead, r.Outcome, errs, r.SHA256, r.MD5, c.read, c.outcome, c.errText, sum, md)
		}
	}
}

// readBundleEntries decompresses a bundle with the zstd decoder and reads
// its tar stream with archive/tar: the data entries by name, and the
// records by the artifact path they describe.
func readBundleEntries(t *testing.T, path string) (map[string][]byte, map[string]*manifest.Record) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	entries, records := map[string][]byte{}, map[string]*manifest.Record{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return entries, records
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(h.Name, manifest.RecordsDir):
			r, err := manifest.ParseRecord(b)
			if err != nil {
				t.Fatalf("%s: %v", h.Name, err)
			}
			records[string(r.Path)] = r
		case !strings.HasPrefix(h.Name, "hozen/"):
			entries[h.Name] = b
		}
	}
}

// TestPutCompressorFails: when the compressor has failed (the disk is
// full), a Put reading into the frames returns its error, and the writer
// stays failed; the artifact is not recorded as stored.
func TestPutCompressorFails(t *testing.T) {
	hdr := &manifest.Header{BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", CaseID: "case-1",
		StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	w, err := Create(t.TempDir(), "fail.tar.zst", hdr, Options{Now: fixedClock(), MD5: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	full := errors.New("no space left on device")
	w.comp.mu.Lock()
	w.comp.err = full
	w.comp.mu.Unlock()
	data := bytes.Repeat([]byte("x"), 3*maxFrame)
	rec := &manifest.Record{Path: "files/x", Entry: manifest.EntryFile, Source: "/x", Collector: "files", Size: int64(len(data))}
	if err := w.Put(rec, bytes.NewReader(data)); !errors.Is(err, full) {
		t.Fatalf("Put with the compressor failed: %v, want %v", err, full)
	}
	if rec.SHA256 != "" {
		t.Errorf("record got a digest (%s) for an artifact that was not stored", rec.SHA256)
	}
	rec2 := &manifest.Record{Path: "files/y", Entry: manifest.EntryFile, Source: "/y", Collector: "files", Size: 1}
	if err := w.Put(rec2, bytes.NewReader([]byte("y"))); !errors.Is(err, full) {
		t.Errorf("a later Put: %v, want %v", err, full)
	}
}
