package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hozen-dfir/hozen/manifest"
)

// Proven is what a proof that checked establishes: the record Record (and,
// for a "file" record, the artifact's bytes, which hash to Record.SHA256)
// is record Proof.Seq of the bundle Header names, under the Merkle root of
// Manifest, and the manifest is signed by Signer (when Signed).
type Proven struct {
	Proof    *manifest.Proof
	Header   *manifest.Header
	Record   *manifest.Record
	Manifest *manifest.Manifest
	// Signed: the manifest carries a good signature by the header's
	// signer (fingerprint Signer). Trusted: the trust given trusts it;
	// Principal names it.
	Signed, Trusted   bool
	Signer, Principal string
}

// ProofError is a proof that does not check: a byte of it changed, an
// entry missing or out of place, parts of different bundles, a signature
// that does not hold, or (wrapping manifest.ErrUnsigned or
// manifest.ErrUntrustedSigner) a signer the trust given does not trust.
type ProofError struct{ Err error }

func (e *ProofError) Error() string { return e.Err.Error() }
func (e *ProofError) Unwrap() error { return e.Err }

// Untrusted reports whether the proof holds together but its signer is
// not trusted (or it is unsigned) under the trust given.
func (e *ProofError) Untrusted() bool {
	return errors.Is(e.Err, manifest.ErrUnsigned) || errors.Is(e.Err, manifest.ErrUntrustedSigner)
}

// LooksLikeProof reports whether the file at path is, by its first bytes,
// a proof (or one damaged) rather than a bundle: see IsProofPrefix.
func LooksLikeProof(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 512)
	n, _ := io.ReadFull(f, b)
	return IsProofPrefix(b[:n])
}

// IsProofPrefix reports whether a file's first bytes (up to 512) are those
// of a proof: a tar header whose name field (its first 100 bytes) is
// "hozen-proof" padded with NULs, with at most one byte changed. A proof
// with one byte changed anywhere is still recognisably a proof (and fails
// its check), as a bundle is (docs/format.md); another tar is not one.
func IsProofPrefix(b []byte) bool {
	want := make([]byte, 100)
	copy(want, manifest.ProofMarkerPath)
	if len(b) < len(want) {
		return false
	}
	diff := 0
	for i := range want {
		if b[i] != want[i] {
			diff++
		}
	}
	return diff <= 1
}

// NotProofError is a file that is no proof at all (IsProofPrefix).
type NotProofError struct{ Head string }

func (e *NotProofError) Error() string {
	return fmt.Sprintf("not a hozen-proof file: it does not start with a tar entry named %s (it starts %q)", manifest.ProofMarkerPath, e.Head)
}

// CheckProof reads a proof from r and checks it offline: every byte of it
// (tar headers, padding and end included) is the one Prove writes, the
// artifact's bytes hash to the record's digests, the record is in the
// manifest's list and under its Merkle root (the RFC 6962 inclusion proof),
// bundle.json is the one the manifest hashes, and the manifest's signature
// holds for the header's signer, whom trust (if any) must trust. The error
// is a *ReadError when r cannot be read, a *NotProofError for a file that
// is not recognisably a proof, else a *ProofError.
func CheckProof(r io.Reader, trust manifest.Trust) (*Proven, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(ioTagger{r}, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	if head = head[:n]; !IsProofPrefix(head) {
		return nil, &NotProofError{Head: string(head[:min(n, 16)])}
	}
	c := &proofChecker{tap: &rawTap{r: io.MultiReader(bytes.NewReader(head), ioTagger{r})}}
	c.tr = tar.NewReader(c.tap)
	pv, err := c.check(trust)
	if err == nil {
		return pv, nil
	}
	var re *ReadError
	if errors.As(err, &re) {
		return nil, re
	}
	var pe *ProofError
	if errors.As(err, &pe) {
		return pv, pe // pv, when the signer alone is refused
	}
	return nil, &ProofError{Err: err}
}

// rawTap keeps the bytes read while on (a tar header, the padding before
// it), so that they can be compared with the canonical ones.
type rawTap struct {
	r   io.Reader
	on  bool
	buf []byte
}

const maxTap = 4 << 20

func (t *rawTap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if t.on {
		if len(t.buf)+n > maxTap {
			return 0, errors.New("a tar header of more than 4 MiB")
		}
		t.buf = append(t.buf, p[:n]...)
	}
	return n, err
}

type rawEntry struct {
	name    string // the name it must have
	size    int64
	prevPad int64
	raw     []byte // the bytes read for its header, the padding before it included
}

type proofChecker struct {
	tap     *rawTap
	tr      *tar.Reader
	entries []rawEntry
	lastPad int64
}

func pad(size int64) int64 { return (512 - size%512) % 512 }

// next reads the next entry's header; want, if not "", is the name it
// must have.
func (c *proofChecker) next(want string) (*tar.Header, error) {
	c.tap.on, c.tap.buf = true, c.tap.buf[:0]
	h, err := c.tr.Next()
	c.tap.on = false
	if err == io.EOF {
		if want != "" {
			return nil, fmt.Errorf("the proof ends where %s belongs", want)
		}
		c.entries = append(c.entries, rawEntry{prevPad: c.lastPad, raw: bytes.Clone(c.tap.buf)})
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("tar: %w", err)
	}
	if want != "" && h.Name != want {
		return nil, fmt.Errorf("entry %q where %s belongs", h.Name, want)
	}
	if h.Size < 0 {
		return nil, fmt.Errorf("entry %q: size %d", h.Name, h.Size)
	}
	c.entries = append(c.entries, rawEntry{name: h.Name, size: h.Size, prevPad: c.lastPad, raw: bytes.Clone(c.tap.buf)})
	c.lastPad = pad(h.Size)
	return h, nil
}

// read reads the entry h whole, at most limit bytes.
func (c *proofChecker) read(h *tar.Header, limit int64) ([]byte, error) {
	if h.Size > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed", h.Name, h.Size, limit)
	}
	b, err := io.ReadAll(c.tr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.Name, err)
	}
	return b, nil
}

type artifactSeen struct {
	name              string
	size              int64
	sha256, md5, sha1 string
}

func (c *proofChecker) check(trust manifest.Trust) (*Proven, error) {
	h, err := c.next("")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotProof, err)
	}
	if h.Name != manifest.ProofMarkerPath {
		return nil, fmt.Errorf("%w: its first entry is %q, not %s", errNotProof, h.Name, manifest.ProofMarkerPath)
	}
	marker, err := c.read(h, 64)
	if err != nil {
		return nil, err
	}
	if string(marker) != ProofMarker {
		return nil, fmt.Errorf("%s says %q; this hozen reads %s", manifest.ProofMarkerPath, marker, manifest.ProofFormat)
	}
	if h, err = c.next(manifest.HeaderPath); err != nil {
		return nil, err
	}
	hraw, err := c.read(h, manifest.MaxHeaderSize)
	if err != nil {
		return nil, err
	}
	hdr, err := manifest.ParseHeader(hraw)
	if err != nil {
		return nil, err
	}
	if h, err = c.next(""); err != nil {
		return nil, err
	}
	var art *artifactSeen
	if !strings.HasPrefix(h.Name, manifest.RecordsDir) {
		if art, err = c.artifact(h, hdr); err != nil {
			return nil, err
		}
		if h, err = c.next(""); err != nil {
			return nil, err
		}
	}
	if !strings.HasPrefix(h.Name, manifest.RecordsDir) {
		return nil, fmt.Errorf("entry %q where the record belongs", h.Name)
	}
	rraw, err := c.read(h, manifest.MaxRecordSize)
	if err != nil {
		return nil, err
	}
	rec, err := manifest.ParseRecord(rraw)
	if err != nil {
		return nil, err
	}
	if h.Name != manifest.RecordPath(rec.Seq) {
		return nil, fmt.Errorf("record %d is named %q, not %s", rec.Seq, h.Name, manifest.RecordPath(rec.Seq))
	}
	if h, err = c.next(manifest.ManifestPath); err != nil {
		return nil, err
	}
	mraw, err := c.read(h, manifest.MaxManifestSize)
	if err != nil {
		return nil, err
	}
	m, err := manifest.ParseManifest(mraw)
	if err != nil {
		return nil, err
	}
	var sig []byte
	if hdr.Signer != nil {
		if h, err = c.next(manifest.SignaturePath); err != nil {
			return nil, fmt.Errorf("%w (bundle.json names signer %s)", err, hdr.Signer.Fingerprint)
		}
		if sig, err = c.read(h, 64<<10); err != nil {
			return nil, err
		}
	}
	if h, err = c.next(manifest.ProofPath); err != nil {
		return nil, err
	}
	praw, err := c.read(h, manifest.MaxProofJSONSize)
	if err != nil {
		return nil, err
	}
	proof, err := manifest.ParseProof(praw)
	if err != nil {
		return nil, err
	}
	if _, err := c.next(""); err != io.EOF {
		if err == nil {
			return nil, fmt.Errorf("an entry after %s", manifest.ProofPath)
		}
		return nil, err
	}
	if err := c.end(hdr); err != nil {
		return nil, err
	}
	if err := bindProof(hdr, hraw, rec, rraw, m, proof, art); err != nil {
		return nil, err
	}
	pv := &Proven{Proof: proof, Header: hdr, Record: rec, Manifest: m}
	if err := checkProofSignature(pv, mraw, sig, trust); err != nil {
		return pv, err
	}
	return pv, nil
}

// artifact reads the artifact's bytes as they stream by, hashing them.
func (c *proofChecker) artifact(h *tar.Header, hdr *manifest.Header) (*artifactSeen, error) {
	if err := checkArtifactPath(h.Name); err != nil {
		return nil, fmt.Errorf("entry %q where the artifact or the record belongs: %v", h.Name, err)
	}
	if h.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("%s: tar entry type %q", h.Name, h.Typeflag)
	}
	s, m5, s1 := sha256.New(), md5.New(), sha1.New()
	n, err := io.Copy(io.MultiWriter(s, m5, s1), c.tr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.Name, err)
	}
	a := &artifactSeen{name: h.Name, size: n, sha256: hex.EncodeToString(s.Sum(nil))}
	for _, x := range hdr.Hashes {
		switch x {
		case "md5":
			a.md5 = hex.EncodeToString(m5.Sum(nil))
		case "sha1":
			a.sha1 = hex.EncodeToString(s1.Sum(nil))
		}
	}
	return a, nil
}

// end checks every tar header, the padding and the end of the archive
// against what Prove writes, and that nothing follows.
func (c *proofChecker) end(hdr *manifest.Header) error {
	for _, e := range c.entries {
		var want bytes.Buffer
		want.Write(make([]byte, e.prevPad))
		if e.name == "" {
			want.Write(make([]byte, 1024))
		} else {
			tw := tar.NewWriter(&want)
			if err := tw.WriteHeader(proofHeader(e.name, e.size, hdr)); err != nil {
				return fmt.Errorf("entry %q: %v", e.name, err)
			}
		}
		if !bytes.Equal(want.Bytes(), e.raw) {
			what := "the end of the archive"
			if e.name != "" {
				what = fmt.Sprintf("the tar header of %q", e.name)
			}
			return fmt.Errorf("%s (or the padding before it) is not the one hozen writes", what)
		}
	}
	var one [1]byte
	if n, err := io.ReadFull(c.tap, one[:]); n != 0 || err != io.EOF {
		if err != nil && err != io.ErrUnexpectedEOF {
			return err
		}
		return errors.New("bytes after the end of the archive")
	}
	return nil
}

// bindProof checks that the parts are of one bundle and say what
// proof.json says: bundle.json is the one the manifest hashes, the record
// is in the manifest's list and under its Merkle root, the artifact's
// bytes are the record's.
func bindProof(hdr *manifest.Header, hraw []byte, rec *manifest.Record, rraw []byte, m *manifest.Manifest, p *manifest.Proof, art *artifactSeen) error {
	switch {
	case m.HeaderSHA256 != manifest.SHA256Hex(hraw):
		return fmt.Errorf("bundle.json hashes to %s, the manifest's header_sha256 is %s: they are of different bundles", manifest.SHA256Hex(hraw), m.HeaderSHA256)
	case m.BundleID != hdr.BundleID || m.Format != hdr.Format || !m.StartedAt.Equal(hdr.StartedAt):
		return errors.New("the manifest's bundle_id, format or started_at differ from bundle.json's")
	case m.Status != manifest.StatusSealed:
		return fmt.Errorf("the manifest's status is %q: only a sealed bundle is proven", m.Status)
	case m.Counts.Records != int64(len(m.Records)):
		return fmt.Errorf("the manifest counts %d records and lists %d", m.Counts.Records, len(m.Records))
	case p.BundleID != hdr.BundleID:
		return fmt.Errorf("proof.json is of bundle %s, bundle.json of %s", p.BundleID, hdr.BundleID)
	case p.TreeSize != m.Counts.Records || p.MerkleRoot != m.MerkleRoot:
		return fmt.Errorf("proof.json's tree (%d records, root %s) is not the manifest's (%d, %s)", p.TreeSize, p.MerkleRoot, m.Counts.Records, m.MerkleRoot)
	case rec.Seq != p.Seq || rec.Path != p.Path || rec.Entry != p.Entry || p.Record != manifest.RecordPath(rec.Seq):
		return fmt.Errorf("proof.json names record %d %q, the record is %d %q", p.Seq, p.Path, rec.Seq, rec.Path)
	}
	if err := checkArtifactPath(string(rec.Path)); err != nil {
		return fmt.Errorf("record %d: %v", rec.Seq, err)
	}
	chain := manifest.SHA256Hex(rraw)
	if chain != p.RecordSHA256 || chain != m.Records[rec.Seq-1] {
		return fmt.Errorf("record %d hashes to %s; the manifest lists %s: it is not this bundle's record %d", rec.Seq, chain, m.Records[rec.Seq-1], rec.Seq)
	}
	if err := manifest.CheckInclusion(p.Inclusion, p.TreeSize, p.MerkleRoot, p.Seq, rraw); err != nil {
		return err
	}
	if rec.Entry != manifest.EntryFile {
		if art != nil {
			return fmt.Errorf("an artifact entry %q for a record of entry type %q", art.name, rec.Entry)
		}
		if p.Size != 0 || p.SHA256 != "" {
			return errors.New("proof.json gives a size or sha256 for a record with no data")
		}
		return nil
	}
	switch {
	case art == nil:
		return fmt.Errorf("record %d (%s) has data, and the proof has no entry for it", rec.Seq, rec.Path)
	case art.name != string(rec.Path):
		return fmt.Errorf("the artifact entry is %q, the record's path %q", art.name, rec.Path)
	case art.size != rec.Size || art.sha256 != rec.SHA256:
		return fmt.Errorf("%s: %d bytes hashing to sha256 %s; the record says %d bytes, %s", art.name, art.size, art.sha256, rec.Size, rec.SHA256)
	case art.md5 != rec.MD5 || art.sha1 != rec.SHA1:
		return fmt.Errorf("%s: md5/sha1 differ from the record's", art.name)
	case p.Size != rec.Size || p.SHA256 != rec.SHA256:
		return errors.New("proof.json's size or sha256 differ from the record's")
	}
	return nil
}

// checkProofSignature checks the manifest's signature against the
// header's signer, then the signer against trust, as Verify does.
func checkProofSignature(pv *Proven, mraw, sig []byte, trust manifest.Trust) error {
	signer := pv.Header.Signer
	if signer == nil {
		if pv.Proof.Signer != "" {
			return errors.New("proof.json names a signer; bundle.json names none")
		}
		if len(trust) > 0 {
			return &ProofError{Err: manifest.ErrUnsigned}
		}
		return nil
	}
	errFingerprint := errors.New("the signer's fingerprint in bundle.json or proof.json does not match its key")
	sb, err := checkSigner(signer, sig, trust, func() (io.Reader, error) {
		if pv.Proof.Signer != signer.Fingerprint {
			return nil, errFingerprint
		}
		if err := manifest.CheckArmor(sig); err != nil {
			return nil, err
		}
		return bytes.NewReader(mraw), nil
	})
	if sb.key != nil {
		pv.Signed, pv.Signer = true, signer.Fingerprint
		pv.Trusted, pv.Principal = sb.trusted, sb.principal
	}
	var ke *signerKeyError
	switch {
	case errors.As(err, &ke) && ke.err == errSignerFingerprint:
		return errFingerprint
	case errors.As(err, &ke):
		return fmt.Errorf("bundle.json's signer: %v", ke.err)
	case err != nil && sb.key != nil:
		return &ProofError{Err: err} // trust refused the signer
	}
	return err
}
