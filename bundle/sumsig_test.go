package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/hozen-dfir/hozen/manifest"
)

// sealEntry is one entry of a bundle's seal: manifest.json and what follows.
type sealEntry struct {
	name string
	data []byte
}

// reseal rewrites the seal of the bundle in b as edit makes it, keeping
// every byte before it, and stores it as the writer does (one stored
// frame): what verify sees is exactly what edit changed.
func reseal(t *testing.T, b []byte, edit func([]sealEntry) []sealEntry) []byte {
	t.Helper()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	stream, err := dec.DecodeAll(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(stream))
	var hdr *manifest.Header
	var m *manifest.Manifest
	for m == nil {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		switch h.Name {
		case manifest.HeaderPath:
			if hdr, err = manifest.ParseHeader(data); err != nil {
				t.Fatal(err)
			}
		case manifest.ManifestPath:
			if m, err = manifest.ParseManifest(data); err != nil {
				t.Fatal(err)
			}
		}
	}
	last := m.Frames[len(m.Frames)-1]
	off, uoff := last.Offset+last.Size, last.UOffset+last.USize
	var seal []sealEntry
	tr = tar.NewReader(bytes.NewReader(stream[uoff:]))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		seal = append(seal, sealEntry{h.Name, data})
	}
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range edit(seal) {
		if err := tw.WriteHeader(fixedHeader(e.name, int64(len(e.data)), hdr.StartedAt)); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return storedFrame(raw.Bytes(), append([]byte(nil), b[:off]...))
}

func sealData(t *testing.T, seal []sealEntry, name string) []byte {
	t.Helper()
	for _, e := range seal {
		if e.name == name {
			return e.data
		}
	}
	t.Fatalf("no %s in the seal", name)
	return nil
}

func verifyBytes(t *testing.T, b []byte, opts VerifyOptions) *Result {
	t.Helper()
	res, err := Verify(bytes.NewReader(b), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A signed bundle ends with a signature of SHA256SUMS by the manifest's
// signer, and SHA256SUMS lists every other entry, the manifest and its
// signature included: `sha256sum -c` after `ssh-keygen -Y verify` of it
// binds every file to the signer.
func TestSumsSignature(t *testing.T) {
	dir := t.TempDir()
	arts := testArtifacts()[:5]
	b, err := os.ReadFile(writeBundle(t, dir, testSigner(t, 1), arts).Path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	reseal(t, b, func(seal []sealEntry) []sealEntry {
		for _, e := range seal {
			names = append(names, e.name)
		}
		sums := sealData(t, seal, manifest.SumsPath)
		sig := sealData(t, seal, manifest.SumsSigPath)
		if err := manifest.VerifySignature(bytes.NewReader(sums), sig, testSigner(t, 1).PublicKey()); err != nil {
			t.Errorf("SHA256SUMS.sig: %v", err)
		}
		for _, want := range []string{manifest.HeaderPath, manifest.RecordPath(5), "files/etc/with space", manifest.ManifestPath, manifest.SignaturePath} {
			if !bytes.Contains(sums, []byte("  "+want+"\n")) {
				t.Errorf("SHA256SUMS does not list %s:\n%s", want, sums)
			}
		}
		if n := bytes.Count(sums, []byte("\n")); n != 11 { // bundle.json, 5 records, 3 regular data entries, manifest, signature
			t.Errorf("SHA256SUMS has %d lines, want 11:\n%s", n, sums)
		}
		return seal
	})
	want := []string{manifest.ManifestPath, manifest.SignaturePath, manifest.SumsPath, manifest.SumsSigPath}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("seal entries %q, want %q", names, want)
	}
	trust := manifest.Trust{{Key: testSigner(t, 1).PublicKey()}}
	res := verifyBytes(t, b, VerifyOptions{Trust: trust})
	if res.Outcome != Intact || !res.Trusted || res.Header.Format != manifest.Format {
		t.Fatalf("outcome %s (%v), trusted %v, format %q", res.Outcome, res.Err, res.Trusted, res.Header.Format)
	}
	// Meta is handed the signature too (extract writes it out).
	var meta []string
	verifyBytes(t, b, VerifyOptions{Meta: func(name string, r io.Reader) error {
		if strings.HasPrefix(name, "hozen/") && !strings.HasPrefix(name, manifest.RecordsDir) {
			meta = append(meta, name)
		}
		return nil
	}})
	if got := strings.Join(meta, " "); got != manifest.HeaderPath+" "+strings.Join(want, " ") {
		t.Errorf("Meta saw %s", got)
	}

	// Unsigned: nothing to sign with, no SHA256SUMS.sig.
	udir := t.TempDir()
	u, err := os.ReadFile(writeBundle(t, udir, nil, arts).Path)
	if err != nil {
		t.Fatal(err)
	}
	reseal(t, u, func(seal []sealEntry) []sealEntry {
		if len(seal) != 2 || seal[1].name != manifest.SumsPath {
			t.Errorf("unsigned seal: %d entries, last %s", len(seal), seal[len(seal)-1].name)
		}
		return seal
	})
	if res := verifyBytes(t, u, VerifyOptions{}); res.Outcome != Intact {
		t.Fatalf("unsigned: %s (%v)", res.Outcome, res.Err)
	}
}

// Whatever a forger does to SHA256SUMS.sig is tampering: removing it,
// moving it, or putting another signature in its place.
func TestSumsSignatureTampered(t *testing.T) {
	dir := t.TempDir()
	arts := testArtifacts()[:5]
	signed, err := os.ReadFile(writeBundle(t, dir, testSigner(t, 1), arts).Path)
	if err != nil {
		t.Fatal(err)
	}
	udir := t.TempDir()
	unsigned, err := os.ReadFile(writeBundle(t, udir, nil, arts).Path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := os.ReadFile(filepath.Join("testdata", "v1-signed.tar.zst"))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(msg []byte, seed byte) []byte {
		sig, err := manifest.Sign(bytes.NewReader(msg), testSigner(t, seed))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	// The seal as written comes back byte for byte: the cases below
	// differ from an intact bundle by their edit alone.
	for _, b := range [][]byte{signed, unsigned, v1} {
		if got := reseal(t, b, func(s []sealEntry) []sealEntry { return s }); !bytes.Equal(got, b) {
			t.Fatal("reseal without an edit changed the bundle")
		}
	}
	without := func(seal []sealEntry, name string) []sealEntry {
		var out []sealEntry
		for _, e := range seal {
			if e.name != name {
				out = append(out, e)
			}
		}
		return out
	}
	replace := func(seal []sealEntry, data []byte) []sealEntry {
		for i := range seal {
			if seal[i].name == manifest.SumsSigPath {
				seal[i].data = data
			}
		}
		return seal
	}
	withSig := func(seal []sealEntry, seed byte) []sealEntry {
		return append(seal, sealEntry{manifest.SumsSigPath, sign(sealData(t, seal, manifest.SumsPath), seed)})
	}
	for _, c := range []struct {
		name   string
		bundle []byte
		edit   func([]sealEntry) []sealEntry
		field  string // the *manifest.ManifestError's; "" for a *StreamError
	}{
		{"removed", signed, func(s []sealEntry) []sealEntry { return without(s, manifest.SumsSigPath) }, "SHA256SUMS.sig"},
		{"the manifest's signature in its place", signed, func(s []sealEntry) []sealEntry {
			return replace(s, sealData(t, s, manifest.SignaturePath))
		}, "SHA256SUMS.sig"},
		{"another key's", signed, func(s []sealEntry) []sealEntry {
			return replace(s, sign(sealData(t, s, manifest.SumsPath), 2))
		}, "SHA256SUMS.sig"},
		{"of other bytes", signed, func(s []sealEntry) []sealEntry {
			return replace(s, sign(append(sealData(t, s, manifest.SumsPath), "x  files/x\n"...), 1))
		}, "SHA256SUMS.sig"},
		{"not a signature", signed, func(s []sealEntry) []sealEntry { return replace(s, []byte("-----BEGIN SSH SIGNATURE-----\n")) }, "SHA256SUMS.sig"},
		{"before SHA256SUMS", signed, func(s []sealEntry) []sealEntry {
			if len(s) != 4 || s[3].name != manifest.SumsSigPath {
				t.Fatalf("seal of %d entries, no %s last", len(s), manifest.SumsSigPath)
			}
			s[2], s[3] = s[3], s[2]
			return s
		}, ""},
		{"an entry after it", signed, func(s []sealEntry) []sealEntry {
			return append(s, sealEntry{"hozen/extra", []byte("x")})
		}, ""},
		{"added to an unsigned bundle", unsigned, func(s []sealEntry) []sealEntry { return withSig(s, 1) }, ""},
		{"added to a hozen-bundle/1 bundle, by its signer", v1, func(s []sealEntry) []sealEntry { return withSig(s, 1) }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := verifyBytes(t, reseal(t, c.bundle, c.edit), VerifyOptions{})
			if res.Outcome != Tampered {
				t.Fatalf("outcome %s (%v), want tampered", res.Outcome, res.Err)
			}
			var me *manifest.ManifestError
			var se *StreamError
			switch {
			case c.field != "" && (!errors.As(res.Err, &me) || me.Field != c.field):
				t.Errorf("error %v, want a manifest error on %s", res.Err, c.field)
			case c.field == "" && !errors.As(res.Err, &se):
				t.Errorf("error %v, want a stream error", res.Err)
			}
			t.Log(res.Err)
		})
	}
}

// Bundles written before SHA256SUMS was signed (format hozen-bundle/1,
// the files in testdata were written by hozen of that time) verify as
// they always did, signed and trusted or unsigned.
func TestFormatV1Bundles(t *testing.T) {
	trust := manifest.Trust{{Key: testSigner(t, 1).PublicKey(), Principals: []string{"tester"}}}
	res := verifyFile(t, filepath.Join("testdata", "v1-signed.tar.zst"), VerifyOptions{Trust: trust})
	if res.Outcome != Intact || !res.Signed || !res.Trusted || res.Header.Format != manifest.FormatV1 || res.Records != 5 {
		t.Fatalf("v1 signed: %s (%v), signed %v trusted %v format %q records %d", res.Outcome, res.Err, res.Signed, res.Trusted, res.Header.Format, res.Records)
	}
	res = verifyFile(t, filepath.Join("testdata", "v1-unsigned.tar.zst"), VerifyOptions{})
	if res.Outcome != Intact || res.Signed || res.Header.Format != manifest.FormatV1 {
		t.Fatalf("v1 unsigned: %s (%v), signed %v format %q", res.Outcome, res.Err, res.Signed, res.Header.Format)
	}
}
