package bundle

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/hozen-dfir/hozen/manifest"
)

// splitFrames cuts a bundle file into its zstd frames.
func splitFrames(t *testing.T, data []byte) [][]byte {
	t.Helper()
	s := newFrameSplitter(bytes.NewReader(data))
	var frames [][]byte
	for {
		fr, _, err := s.next(nil)
		if err == io.EOF {
			return frames
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, fr)
	}
}

// sealOf splits a bundle into the bytes before its seal and the seal's
// decoded tar bytes (the seal's frames are the stored ones at the end).
func sealOf(t *testing.T, data []byte) (prefix, seal []byte) {
	t.Helper()
	frames := splitFrames(t, data)
	i := len(frames)
	for i > 0 && frames[i-1][4] == 0xE0 {
		i--
	}
	if i == len(frames) {
		t.Fatal("no stored seal frame")
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, fr := range frames[:i] {
		prefix = append(prefix, fr...)
	}
	for _, fr := range frames[i:] {
		out, err := dec.DecodeAll(fr, nil)
		if err != nil {
			t.Fatal(err)
		}
		seal = append(seal, out...)
	}
	return prefix, seal
}

// rawBlocks is a zstd frame with header byte fhd (and the bytes after it)
// holding b in raw blocks of at most n bytes.
func rawBlocks(hdr []byte, b []byte, n int) []byte {
	fr := binary.LittleEndian.AppendUint32(nil, zstdMagic)
	fr = append(fr, hdr...)
	for first := true; first || len(b) > 0; first = false {
		k := min(len(b), n)
		bh := uint32(k) << 3
		if k == len(b) {
			bh |= 1
		}
		fr = append(fr, byte(bh), byte(bh>>8), byte(bh>>16))
		fr = append(fr, b[:k]...)
		b = b[k:]
	}
	return fr
}

// TestSealReframed: every other framing of the same seal bytes, and any
// byte after the seal, is tampering that names the seal; with a trusted
// key the bundle was intact and trusted on the old code.
func TestSealReframed(t *testing.T) {
	s := writeBundle(t, t.TempDir(), testSigner(t, 1), testArtifacts()[:5])
	data, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	trust := manifest.Trust{{Key: testSigner(t, 1).PublicKey(), Principals: []string{"tester"}}}
	if res := verifyFile(t, s.Path, VerifyOptions{Trust: trust}); res.Outcome != Intact {
		t.Fatalf("untouched: %s %v", res.Outcome, res.Err)
	}
	prefix, seal := sealOf(t, data)
	enc := func(opts ...zstd.EOption) []byte {
		e, err := zstd.NewWriter(nil, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		return e.EncodeAll(seal, nil)
	}
	half := len(seal) / 2
	fcs := binary.LittleEndian.AppendUint64([]byte{0xE0}, uint64(len(seal)))
	cases := map[string][]byte{
		"split in two stored frames":  append(storedFrame(seal[:half], nil), storedFrame(seal[half:], nil)...),
		"compressed, checksum":        enc(zstd.WithEncoderCRC(true)),
		"compressed, no checksum":     enc(zstd.WithEncoderCRC(false), zstd.WithEncoderLevel(zstd.SpeedBestCompression)),
		"raw blocks of 1000 bytes":    rawBlocks(fcs, seal, 1000),
		"raw, no content size":        rawBlocks([]byte{0x00, 0x50}, seal, 128<<10),
		"raw, with a checksum flag":   append(rawBlocks(append([]byte{0xE4}, fcs[1:]...), seal, 128<<10), 0, 0, 0, 0),
		"stored, one byte after":      append(storedFrame(seal, nil), 0),
		"stored, a skippable frame":   append(storedFrame(seal, nil), 0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0),
		"stored, an empty raw frame":  append(storedFrame(seal, nil), rawBlocks(fcs[:1:1], nil, 1)...),
		"stored, 4 zero bytes after":  append(storedFrame(seal, nil), 0, 0, 0, 0),
		"stored, a zstd frame after":  append(storedFrame(seal, nil), enc()...),
		"stored, tar padding after":   append(storedFrame(seal, nil), storedFrame(make([]byte, 512), nil)...),
		"stored, the same, sanity ok": storedFrame(seal, nil),
	}
	for name, sealFrames := range cases {
		t.Run(name, func(t *testing.T) {
			file := append(append([]byte(nil), prefix...), sealFrames...)
			res, err := Verify(bytes.NewReader(file), VerifyOptions{Trust: trust})
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(file, data) {
				if res.Outcome != Intact {
					t.Fatalf("the writer's own framing: %s %v", res.Outcome, res.Err)
				}
				return
			}
			if res.Outcome != Tampered {
				t.Fatalf("outcome %s (%v), want tampered", res.Outcome, res.Err)
			}
			if !errors.Is(res.Err, manifest.ErrTampered) || !strings.Contains(res.Err.Error(), "seal") {
				t.Fatalf("err %v: does not name the seal", res.Err)
			}
		})
	}
}

// repack re-writes a bundle as another tool would: GNU tar headers, one
// zstd frame, one artifact's bytes changed, the same order.
func repack(t *testing.T, data []byte, change string, newData []byte) []byte {
	t.Helper()
	dec, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	tr := tar.NewReader(dec)
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == change {
			b = newData
		}
		nh := &tar.Header{Name: h.Name, Typeflag: h.Typeflag, Linkname: h.Linkname, Mode: h.Mode,
			Size: int64(len(b)), ModTime: h.ModTime, Uname: "examiner", Gname: "examiner", Uid: 1000, Gid: 1000, Format: tar.FormatGNU}
		if err := tw.WriteHeader(nh); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	e, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	return e.EncodeAll(out.Bytes(), nil)
}

// TestRepackedListsFaults: a bundle re-packed by another tool with one
// artifact changed is called re-packed, the changed artifact is named
// with its kind of fault, and the signature is still checked.
func TestRepackedListsFaults(t *testing.T) {
	s := writeBundle(t, t.TempDir(), testSigner(t, 1), testArtifacts()[:5])
	data, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	trust := manifest.Trust{{Key: testSigner(t, 1).PublicKey(), Principals: []string{"tester"}}}
	file := repack(t, data, "files/etc/with space", []byte("HELLO"))
	res, err := Verify(bytes.NewReader(file), VerifyOptions{Trust: trust})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Tampered {
		t.Fatalf("outcome %s (%v)", res.Outcome, res.Err)
	}
	var re *RepackedError
	if !errors.As(res.Err, &re) || !strings.Contains(res.Err.Error(), "re-packed by another tool: tar headers differ from hozen's from the first entry on") {
		t.Fatalf("err %v: not called re-packed", res.Err)
	}
	var data1 []Fault
	for _, f := range res.Faults {
		if f.Kind == FaultData {
			data1 = append(data1, f)
		}
		if f.Kind == FaultHeader {
			t.Errorf("header fault listed one by one in a re-packed bundle: %+v", f)
		}
	}
	if len(data1) != 1 || data1[0].Path != "files/etc/with space" || data1[0].Seq != 2 {
		t.Fatalf("data faults %+v; all faults %+v", data1, res.Faults)
	}
	if !res.SignatureChecked || !res.Signed || !res.Trusted {
		t.Fatalf("signature checked %v signed %v trusted %v (%s)", res.SignatureChecked, res.Signed, res.Trusted, res.SignatureNote)
	}
	if res.Signer == "" || res.Header == nil {
		t.Fatalf("signer %q header %v", res.Signer, res.Header)
	}
}

// TestFaultsListedPastTheFirst: hozen's own framing, two artifacts changed
// in place (and one data entry removed): every one is listed, the walk
// goes on to the seal and checks the signature.
func TestFaultsListedPastTheFirst(t *testing.T) {
	arts := testArtifacts()[:5]
	arts[0].data = []byte(`{"hostname":"x"}` + "\n")
	s := writeBundle(t, t.TempDir(), testSigner(t, 1), arts)
	data, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	// Rebuild the stream with hozen's headers kept and data changed in
	// place (same sizes), the frames re-made: a forger without the key.
	dec, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(dec)
	dec.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range [][2]string{{`{"hostname":"x"}`, `{"hostname":"y"}`}, {"hello", "HELLO"}} {
		i := bytes.Index(raw, []byte(sub[0]))
		if i < 0 {
			t.Fatalf("%q not in the stream", sub[0])
		}
		copy(raw[i:], sub[1])
	}
	e, _ := zstd.NewWriter(nil)
	file := e.EncodeAll(raw, nil)
	e.Close()
	res, err := Verify(bytes.NewReader(file), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Tampered {
		t.Fatalf("outcome %s", res.Outcome)
	}
	var paths []string
	for _, f := range res.Faults {
		if f.Kind == FaultData {
			paths = append(paths, f.Path)
		}
	}
	if strings.Join(paths, "|") != "volatile/system.json|files/etc/with space" {
		t.Fatalf("data faults %q; all %+v", paths, res.Faults)
	}
	var re *manifest.RecordError
	if !errors.As(res.Err, &re) || re.Seq != 1 {
		t.Fatalf("first error %v", res.Err)
	}
	if !res.SignatureChecked || !res.Signed {
		t.Fatalf("signature not checked: %s", res.SignatureNote)
	}
}

// TestNotABundle: what is not a hozen bundle at all is an error
// (ErrNotBundle), never "tampered"; a recognisable bundle with damage
// stays tampered.
func TestNotABundle(t *testing.T) {
	enc, _ := zstd.NewWriter(nil)
	defer enc.Close()
	plainTar := func(name string) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
		tw.Write([]byte("abc"))
		tw.Close()
		return b.Bytes()
	}
	random := make([]byte, 5000)
	for i := range random {
		random[i] = byte(i*7919 + i>>3)
	}
	not := map[string][]byte{
		"random":             random,
		"passwd":             []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"),
		"plain tar":          plainTar("hozen/bundle.json"),
		"zstd of text":       enc.EncodeAll([]byte("hello, this is not a tar\n"), nil),
		"zstd of 2 KiB text": enc.EncodeAll(bytes.Repeat([]byte("not a tar header "), 120), nil),
		"tar.zst, other":     enc.EncodeAll(plainTar("etc/passwd"), nil),
		"tar.zst, empty tar": enc.EncodeAll(make([]byte, 1024), nil),
	}
	for name, b := range not {
		t.Run(name, func(t *testing.T) {
			res, err := Verify(bytes.NewReader(b), VerifyOptions{})
			if !errors.Is(err, ErrNotBundle) {
				t.Fatalf("err %v, outcome %v (%v): want ErrNotBundle", err, res.Outcome, res.Err)
			}
			var nb *NotBundleError
			if !errors.As(err, &nb) || !strings.Contains(err.Error(), "not a hozen bundle") {
				t.Fatalf("err %v", err)
			}
		})
	}

	s := writeBundle(t, t.TempDir(), testSigner(t, 1), testArtifacts()[:3])
	good, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	frame0 := splitFrames(t, good)[0]
	damaged := map[string]func(b []byte){
		"magic, one byte":     func(b []byte) { b[0] ^= 0xff },
		"frame 0 body":        func(b []byte) { b[len(frame0)/2] ^= 1 },
		"frame 0 checksum":    func(b []byte) { b[len(frame0)-1] ^= 1 },
		"second frame magic":  func(b []byte) { b[len(frame0)] ^= 1 },
		"second frame, inner": func(b []byte) { b[len(frame0)+40] ^= 1 },
	}
	for name, f := range damaged {
		t.Run(name, func(t *testing.T) {
			b := append([]byte(nil), good...)
			f(b)
			res, err := Verify(bytes.NewReader(b), VerifyOptions{})
			if err != nil {
				t.Fatalf("err %v: a damaged bundle is not 'not a bundle'", err)
			}
			if res.Outcome != Tampered {
				t.Fatalf("outcome %s (%v)", res.Outcome, res.Err)
			}
		})
	}
	// bundle.json first, hozen's, but no zstd: a plain tar of a bundle is
	// not a hozen bundle file (hozen never reads one).
	dec, _ := zstd.NewReader(nil)
	raw, err := dec.DecodeAll(good, nil)
	dec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(bytes.NewReader(raw), VerifyOptions{}); !errors.Is(err, ErrNotBundle) {
		t.Fatalf("decompressed bundle: err %v", err)
	}
}
