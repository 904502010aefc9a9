package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/manifest"
)

// smallBundle writes a bundle of n records (files, a symlink and a
// metadata-only record among them) with bundle id id.
func smallBundle(t testing.TB, dir, id string, signer ssh.Signer, n int) (string, []artifact) {
	t.Helper()
	var arts []artifact
	target := manifest.BString("elsewhere")
	for i := range n {
		a := artifact{rec: manifest.Record{Path: manifest.BString(fmt.Sprintf("files/f%03d", i)), Entry: manifest.EntryFile, Source: "/f", Collector: "files"},
			data: []byte(strings.Repeat(fmt.Sprintf("artifact %d of %s\n", i, id), i%4+1))}
		switch i % 5 {
		case 3:
			a.rec.Entry, a.data = manifest.EntrySymlink, nil
			a.rec.File = &manifest.FileMeta{Type: "symlink", Mtime: time.Unix(1700000000, 0).UTC(), LinkTarget: &target}
		case 4:
			a.rec.Entry, a.data = manifest.EntryNone, nil
			a.rec.Outcome, a.rec.Errors = manifest.OutcomeDenied, []string{"permission denied"}
		}
		arts = append(arts, a)
	}
	return writeBundleID(t, dir, id, signer, arts), arts
}

func writeBundleID(t testing.TB, dir, id string, signer ssh.Signer, arts []artifact) string {
	t.Helper()
	hdr := &manifest.Header{BundleID: id, CaseID: "case-1", Examiner: "tester",
		StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	w, err := Create(dir, id+".tar.zst", hdr, Options{Signer: signer, Now: fixedClock(), MD5: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		rec := a.rec
		rec.Size = int64(len(a.data))
		var body io.Reader
		if rec.Entry == manifest.EntryFile {
			body = bytes.NewReader(a.data)
		}
		if err := w.Put(&rec, body); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Path
}

func proveBytes(t testing.TB, path string, opts ProveOptions) ([]byte, *Proved, error) {
	t.Helper()
	f, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	p, err := Prove(f, &buf, opts)
	return buf.Bytes(), p, err
}

func mustProve(t testing.TB, path string, opts ProveOptions) []byte {
	t.Helper()
	b, _, err := proveBytes(t, path, opts)
	if err != nil {
		t.Fatalf("prove %s: %v", opts.Path, err)
	}
	return b
}

func trustOf(t testing.TB, seed byte) manifest.Trust {
	return manifest.Trust{{Key: testSigner(t, seed).PublicKey(), Principals: []string{"ana@lab"}}}
}

// proofEntries reads a proof's entries (name and bytes), in order.
func proofEntries(t testing.TB, b []byte) [][2]string {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out [][2]string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{h.Name, string(body)})
	}
}

// writeProof writes entries as Prove does (the bundle start time of
// smallBundle), so that a check fails on what they hold, not on their form.
func writeProof(t testing.TB, entries [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &manifest.Header{StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	for _, e := range entries {
		if err := tw.WriteHeader(proofHeader(e[0], int64(len(e[1])), hdr)); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e[1]))
	}
	tw.Close()
	return buf.Bytes()
}

// Every record of bundles of 1 to 9 records (balanced trees and not, the
// first and the last record included) proves, and the proof says what it
// discloses: the artifact's bytes, its record, the tree.
func TestProveEveryRecord(t *testing.T) {
	dir := t.TempDir()
	for n := 1; n <= 9; n++ {
		path, arts := smallBundle(t, dir, fmt.Sprintf("0193aaaa-bbbb-7ccc-8ddd-%012d", n), testSigner(t, 1), n)
		for i, a := range arts {
			b := mustProve(t, path, ProveOptions{Path: string(a.rec.Path), Trust: trustOf(t, 1)})
			pv, err := CheckProof(bytes.NewReader(b), trustOf(t, 1))
			if err != nil {
				t.Fatalf("%d records, record %d: %v", n, i+1, err)
			}
			if pv.Proof.Seq != int64(i+1) || pv.Proof.TreeSize != int64(n) || !pv.Signed || !pv.Trusted || pv.Principal != "ana@lab" {
				t.Errorf("%d records, record %d: %+v signed %v trusted %v", n, i+1, pv.Proof, pv.Signed, pv.Trusted)
			}
			if pv.Record.Path != a.rec.Path || pv.Record.Entry != a.rec.Entry {
				t.Errorf("record %+v", pv.Record)
			}
			es := proofEntries(t, b)
			names := []string{}
			for _, e := range es {
				names = append(names, e[0])
			}
			want := []string{manifest.ProofMarkerPath, manifest.HeaderPath}
			if a.rec.Entry == manifest.EntryFile {
				want = append(want, string(a.rec.Path))
			}
			want = append(want, manifest.RecordPath(int64(i+1)), manifest.ManifestPath, manifest.SignaturePath, manifest.ProofPath)
			if strings.Join(names, " ") != strings.Join(want, " ") {
				t.Fatalf("entries %q, want %q", names, want)
			}
			if a.rec.Entry == manifest.EntryFile && es[2][1] != string(a.data) {
				t.Errorf("artifact bytes differ")
			}
		}
	}
}

// The big artifact, the odd names, the md5 of testArtifacts prove too.
func TestProveTestArtifacts(t *testing.T) {
	s := writeBundle(t, t.TempDir(), testSigner(t, 1), testArtifacts())
	for _, a := range testArtifacts() {
		b := mustProve(t, s.Path, ProveOptions{Path: string(a.rec.Path)})
		pv, err := CheckProof(bytes.NewReader(b), nil)
		if err != nil {
			t.Fatalf("%q: %v", a.rec.Path, err)
		}
		if !pv.Signed || pv.Trusted {
			t.Errorf("%q: signed %v trusted %v", a.rec.Path, pv.Signed, pv.Trusted)
		}
	}
}

// A proof with any one byte changed, cut anywhere, or with a byte added,
// fails, and as a *ProofError (exit 1), never a read error.
func TestProofAnyByteChanged(t *testing.T) {
	path, _ := smallBundle(t, t.TempDir(), "0193aaaa-bbbb-7ccc-8ddd-000000000001", testSigner(t, 1), 5)
	good := mustProve(t, path, ProveOptions{Path: "files/f001"})
	if _, err := CheckProof(bytes.NewReader(good), trustOf(t, 1)); err != nil {
		t.Fatal(err)
	}
	fail := func(what string, b []byte) {
		t.Helper()
		_, err := CheckProof(bytes.NewReader(b), trustOf(t, 1))
		var pe *ProofError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: checked (%v)", what, err)
		}
	}
	for i := range good {
		b := bytes.Clone(good)
		b[i] ^= 0x01
		fail(fmt.Sprintf("byte %d ^ 0x01", i), b)
		if i%7 == 0 {
			b[i] ^= 0xff
			fail(fmt.Sprintf("byte %d ^ 0xfe", i), b)
		}
	}
	for i := 100; i < len(good); i += 97 {
		fail(fmt.Sprintf("cut at %d", i), good[:i])
	}
	// Shorter, it is no proof at all.
	for _, i := range []int{0, 1, 99} {
		if _, err := CheckProof(bytes.NewReader(good[:i]), nil); !errors.As(err, new(*NotProofError)) {
			t.Errorf("cut at %d: %v", i, err)
		}
	}
	fail("one byte added", append(bytes.Clone(good), 0))
	fail("a block added", append(bytes.Clone(good), make([]byte, 512)...))
}

// Parts of two bundles mixed (both sealed by the same trusted key): the
// proof fails whichever part comes from the other bundle.
func TestProofMixedBundles(t *testing.T) {
	dir := t.TempDir()
	pa, _ := smallBundle(t, dir, "0193aaaa-bbbb-7ccc-8ddd-00000000000a", testSigner(t, 1), 5)
	pb, _ := smallBundle(t, dir, "0193aaaa-bbbb-7ccc-8ddd-00000000000b", testSigner(t, 1), 5)
	ea := proofEntries(t, mustProve(t, pa, ProveOptions{Path: "files/f002"}))
	eb := proofEntries(t, mustProve(t, pb, ProveOptions{Path: "files/f002"}))
	if _, err := CheckProof(bytes.NewReader(writeProof(t, ea)), trustOf(t, 1)); err != nil {
		t.Fatalf("rewritten unchanged: %v", err)
	}
	// [start, end) of the entries taken from B.
	for _, c := range []struct {
		what       string
		start, end int
		want       string
	}{
		{"B's bundle.json", 1, 2, "different bundles"},
		{"B's artifact", 2, 3, "hashing to sha256"},
		{"B's record", 3, 4, "record 3 hashes to"},
		{"B's artifact and record", 2, 4, "record 3 hashes to"},
		{"B's manifest and signature", 4, 6, "different bundles"},
		{"B's signature", 5, 6, "signature"},
		{"B's proof.json", 6, 7, "proof.json is of bundle"},
	} {
		mixed := append(append(append([][2]string{}, ea[:c.start]...), eb[c.start:c.end]...), ea[c.end:]...)
		_, err := CheckProof(bytes.NewReader(writeProof(t, mixed)), trustOf(t, 1))
		var pe *ProofError
		if !errors.As(err, &pe) || pe.Untrusted() || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a failed proof saying %q", c.what, err, c.want)
		}
	}
}

// A proof sealed by another key than the one trusted, or unsigned, is
// untrusted; without trust it checks and says who signed it.
func TestProofOtherSigner(t *testing.T) {
	dir := t.TempDir()
	ps, _ := smallBundle(t, dir, "0193aaaa-bbbb-7ccc-8ddd-00000000000c", testSigner(t, 1), 3)
	pu, _ := smallBundle(t, dir, "0193aaaa-bbbb-7ccc-8ddd-00000000000d", nil, 3)
	signed := mustProve(t, ps, ProveOptions{Path: "files/f000"})
	unsigned := mustProve(t, pu, ProveOptions{Path: "files/f000"})
	for _, c := range []struct {
		what  string
		b     []byte
		trust manifest.Trust
	}{{"another signer", signed, trustOf(t, 2)}, {"unsigned", unsigned, trustOf(t, 1)}} {
		_, err := CheckProof(bytes.NewReader(c.b), c.trust)
		var pe *ProofError
		if !errors.As(err, &pe) || !pe.Untrusted() {
			t.Errorf("%s: %v, want untrusted", c.what, err)
		}
	}
	pv, err := CheckProof(bytes.NewReader(unsigned), nil)
	if err != nil || pv.Signed {
		t.Errorf("unsigned without trust: %v signed %v", err, pv != nil && pv.Signed)
	}
	for _, e := range proofEntries(t, unsigned) {
		if e[0] == manifest.SignaturePath {
			t.Errorf("an unsigned proof holds %s", e[0])
		}
	}
	// Prove itself refuses a bundle sealed by a key not trusted.
	if _, _, err := proveBytes(t, ps, ProveOptions{Path: "files/f000", Trust: trustOf(t, 2)}); !errors.As(err, new(*NotIntactError)) {
		t.Errorf("prove under another key: %v", err)
	}
}

// Only an intact bundle is proven; a path it does not hold is named; two
// records of one path need a seq.
func TestProveRefuses(t *testing.T) {
	dir := t.TempDir()
	path, _ := smallBundle(t, dir, "0193aaaa-bbbb-7ccc-8ddd-00000000000e", testSigner(t, 1), 4)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.tar.zst")
	b[len(b)/2] ^= 1
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var ni *NotIntactError
	if _, _, err := proveBytes(t, bad, ProveOptions{Path: "files/f000"}); !errors.As(err, &ni) || ni.Res.Status() != StatusTampered {
		t.Errorf("tampered bundle: %v", err)
	}
	var nf *PathNotFoundError
	if _, _, err := proveBytes(t, path, ProveOptions{Path: "files/nope"}); !errors.As(err, &nf) || !strings.Contains(err.Error(), "files/nope") {
		t.Errorf("missing path: %v", err)
	}
	if _, _, err := proveBytes(t, path, ProveOptions{Path: "files/f001", Seq: 3}); !errors.As(err, &nf) {
		t.Errorf("wrong seq: %v", err)
	}

	twice := []artifact{
		{rec: manifest.Record{Path: "files/x", Entry: manifest.EntryFile, Source: "/x", Collector: "files"}, data: []byte("first")},
		{rec: manifest.Record{Path: "files/y", Entry: manifest.EntryFile, Source: "/y", Collector: "files"}, data: []byte("between")},
		{rec: manifest.Record{Path: "files/x", Entry: manifest.EntryFile, Source: "/x", Collector: "files"}, data: []byte("second")},
	}
	p2 := writeBundleID(t, dir, "0193aaaa-bbbb-7ccc-8ddd-00000000000f", testSigner(t, 1), twice)
	var amb *AmbiguousPathError
	if _, _, err := proveBytes(t, p2, ProveOptions{Path: "files/x"}); !errors.As(err, &amb) {
		t.Errorf("two records of files/x: %v", err)
	}
	for seq, want := range map[int64]string{1: "first", 3: "second"} {
		pb := mustProve(t, p2, ProveOptions{Path: "files/x", Seq: seq})
		pv, err := CheckProof(bytes.NewReader(pb), nil)
		if err != nil || pv.Proof.Seq != seq || proofEntries(t, pb)[2][1] != want {
			t.Errorf("seq %d: %v", seq, err)
		}
	}
}

// Prove keeps the manifest as the verifier does: in memory while it is
// small (in an encrypted spool beyond), never in a plain temporary file
// (which once leaked an age bundle's manifest to $TMPDIR). With a TMPDIR
// where no file can be made, a small bundle still proves.
func TestProveMakesNoTempFile(t *testing.T) {
	path, _ := smallBundle(t, t.TempDir(), "0193aaaa-bbbb-7ccc-8ddd-000000000011", testSigner(t, 1), 3)
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "absent")) // os.TempDir on Unix
	b := mustProve(t, path, ProveOptions{Path: "files/f001", Trust: trustOf(t, 1)})
	if _, err := CheckProof(bytes.NewReader(b), trustOf(t, 1)); err != nil {
		t.Error(err)
	}
}

func TestIsProofPrefix(t *testing.T) {
	path, _ := smallBundle(t, t.TempDir(), "0193aaaa-bbbb-7ccc-8ddd-000000000010", nil, 1)
	b, _ := os.ReadFile(path)
	if IsProofPrefix(b) {
		t.Error("a bundle looks like a proof")
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "hozen-proof/x", Size: 0, Mode: 0o644})
	tw.Close()
	if IsProofPrefix(tb.Bytes()) {
		t.Error("another tar looks like a proof")
	}
	if _, err := CheckProof(bytes.NewReader(tb.Bytes()), nil); !errors.As(err, new(*NotProofError)) {
		t.Errorf("another tar: %v", err)
	}
	p := mustProve(t, path, ProveOptions{Path: "files/f000"})
	for i := range 512 {
		c := bytes.Clone(p)
		c[i] ^= 1
		if !IsProofPrefix(c) {
			t.Fatalf("a proof with byte %d changed does not look like one", i)
		}
	}
}

func FuzzCheckProof(f *testing.F) {
	dir := f.TempDir()
	path, _ := smallBundle(f, dir, "0193aaaa-bbbb-7ccc-8ddd-000000000011", testSigner(f, 1), 3)
	good := mustProve(f, path, ProveOptions{Path: "files/f001"})
	f.Add(good)
	f.Add(mustProve(f, path, ProveOptions{Path: "files/f000"}))
	f.Add(good[:700])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		pv, err := CheckProof(bytes.NewReader(b), trustOf(t, 1))
		if err == nil && (pv == nil || !pv.Trusted) {
			t.Fatalf("checked, but %+v", pv)
		}
	})
}
