package bundle

// Proofs: one artifact of a bundle disclosed without the rest. A proof is
// a plain tar (`tar -xf` opens it) of, in this order:
//
//	hozen-proof                 "hozen-proof/1\n"
//	hozen/bundle.json           the bundle's header
//	PATH                        the artifact's bytes (a "file" record only)
//	hozen/records/NNNNNNNN.json the record
//	hozen/manifest.json         the manifest
//	hozen/manifest.json.sig     its signature (a signed bundle only)
//	proof.json                  the claim and the record's RFC 6962 inclusion proof
//
// Every entry's tar header is the one Prove writes (mode 0644, uid and gid
// 0, mtime the bundle's start in whole seconds), and CheckProof demands
// those bytes, the zero padding and the end of the archive exactly: a
// proof has one form. docs/format.md ("Proofs") says how to check one with
// standard tools.

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hozen-dfir/hozen/manifest"
)

// ProveOptions choose the record Prove discloses.
type ProveOptions struct {
	// Path is the artifact path in the bundle (as ls shows it).
	Path string
	// Seq, if not 0, picks the record among several with Path.
	Seq int64
	// Trust, if set, must trust the bundle's signer, as for Verify.
	Trust manifest.Trust
}

// PathNotFoundError: no record of the bundle has the path asked for.
type PathNotFoundError struct {
	Path string
	Seq  int64
}

func (e *PathNotFoundError) Error() string {
	if e.Seq != 0 {
		return fmt.Sprintf("record %d of the bundle is not %q", e.Seq, e.Path)
	}
	return fmt.Sprintf("no artifact %q in the bundle", e.Path)
}

// AmbiguousPathError: several records have the path; ProveOptions.Seq
// must pick one.
type AmbiguousPathError struct {
	Path string
	Seqs []int64
}

func (e *AmbiguousPathError) Error() string {
	return fmt.Sprintf("records %d and %d both name %q: choose one by its seq", e.Seqs[0], e.Seqs[1], e.Path)
}

// NotIntactError: the bundle did not verify intact; nothing it holds is
// proven. Res says what it is.
type NotIntactError struct{ Res *Result }

func (e *NotIntactError) Error() string {
	return fmt.Sprintf("the bundle is %s: %v; only an intact bundle can be proven", e.Res.Status(), e.Res.Err)
}

// Proved says what Prove wrote.
type Proved struct {
	Proof  *manifest.Proof
	Header *manifest.Header
	Result *Result
}

// Prove verifies the bundle f and writes to w a proof of the record
// opts.Path (see the package comment above and docs/format.md). The
// artifact's bytes are streamed to w as they verify, never held whole; the
// manifest is spooled as the verifier spools it (in memory while small,
// encrypted beyond), to learn its size. What is written
// to w is a proof only if Prove returns nil: a caller writes to a
// temporary file and keeps it then (the bundle may turn out tampered
// after the artifact was written).
func Prove(f *File, w io.Writer, opts ProveOptions) (*Proved, error) {
	p := &prover{tw: tar.NewWriter(w), opts: opts}
	defer p.close()
	res, err := f.Verify(VerifyOptions{Trust: opts.Trust, Handler: p, Meta: p.meta})
	if err != nil {
		return nil, err
	}
	if res.Status() != StatusIntact {
		return nil, &NotIntactError{Res: res}
	}
	if p.rec == nil {
		return nil, &PathNotFoundError{Path: opts.Path, Seq: opts.Seq}
	}
	proof, err := p.finish(res)
	if err != nil {
		return nil, err
	}
	return &Proved{Proof: proof, Header: p.hdr, Result: res}, nil
}

// prover is the Handler and Meta of Prove: it writes the proof's entries
// as the bundle's verify by.
type prover struct {
	tw     *tar.Writer
	opts   ProveOptions
	hdr    *manifest.Header
	hdrRaw []byte // bundle.json's bytes (Meta sees them before Header)
	leaves []tlog.Hash
	// lastRaw is the last record's bytes (Meta sees them before Record).
	lastRaw []byte
	// dataSeq is the seq of the data entry written, 0 if none.
	dataSeq int64
	rec     *manifest.Record
	recRaw  []byte
	sig     []byte
	mspool  *spool // the manifest's bytes
}

func (p *prover) close() {
	if p.mspool != nil {
		p.mspool.close()
	}
}

func (p *prover) wants(seq int64, path string) bool {
	return path == p.opts.Path && (p.opts.Seq == 0 || p.opts.Seq == seq)
}

func (p *prover) entry(name string, size int64) error {
	return p.tw.WriteHeader(proofHeader(name, size, p.hdr))
}

// Header writes the marker and bundle.json, with the header the verifier
// parsed.
func (p *prover) Header(h *manifest.Header) error {
	p.hdr = h
	if err := p.entry(manifest.ProofMarkerPath, int64(len(ProofMarker))); err != nil {
		return err
	}
	if _, err := io.WriteString(p.tw, ProofMarker); err != nil {
		return err
	}
	if err := p.entry(manifest.HeaderPath, int64(len(p.hdrRaw))); err != nil {
		return err
	}
	_, err := p.tw.Write(p.hdrRaw)
	return err
}

func (p *prover) Data(h *tar.Header, body io.Reader) error {
	seq := int64(len(p.leaves)) + 1
	if h.Typeflag != tar.TypeReg || !p.wants(seq, h.Name) || p.dataSeq != 0 {
		return nil
	}
	p.dataSeq = seq
	if err := p.entry(h.Name, h.Size); err != nil {
		return err
	}
	_, err := io.Copy(p.tw, body)
	return err
}

func (p *prover) Record(r *manifest.Record) error {
	if !p.wants(r.Seq, string(r.Path)) {
		return nil
	}
	if p.rec != nil {
		return &AmbiguousPathError{Path: p.opts.Path, Seqs: []int64{p.rec.Seq, r.Seq}}
	}
	if r.Entry == manifest.EntryFile && p.dataSeq != r.Seq {
		// Only a second record with the path (already refused) leaves
		// the data written for another seq.
		return fmt.Errorf("record %d: its data entry was not kept", r.Seq)
	}
	p.rec, p.recRaw = r, p.lastRaw
	if err := p.entry(manifest.RecordPath(r.Seq), int64(len(p.recRaw))); err != nil {
		return err
	}
	_, err := p.tw.Write(p.recRaw)
	return err
}

// meta sees hozen's own entries: it keeps bundle.json's bytes (for
// Header) and the records' leaves, and writes the manifest and keeps its
// signature.
func (p *prover) meta(name string, r io.Reader) error {
	switch {
	case name == manifest.HeaderPath:
		b, err := io.ReadAll(io.LimitReader(r, manifest.MaxHeaderSize+1))
		p.hdrRaw = b
		return err
	case strings.HasPrefix(name, manifest.RecordsDir):
		b, err := io.ReadAll(io.LimitReader(r, manifest.MaxRecordSize+1))
		if err != nil {
			return err
		}
		p.lastRaw = b
		p.leaves = append(p.leaves, manifest.LeafHash(b))
		return nil
	case name == manifest.ManifestPath:
		if p.rec == nil {
			return nil // not found: nothing more to write
		}
		p.mspool = newVerifySpool("manifest")
		if _, err := io.Copy(p.mspool, r); err != nil {
			return err
		}
		m, err := p.mspool.Open(p.mspool.Len())
		if err != nil {
			return err
		}
		if err := p.entry(manifest.ManifestPath, p.mspool.Len()); err != nil {
			return err
		}
		_, err = io.Copy(p.tw, m)
		return err
	case name == manifest.SignaturePath:
		b, err := io.ReadAll(io.LimitReader(r, 64<<10))
		p.sig = b
		return err
	}
	return nil
}

// finish writes the signature and proof.json and ends the tar.
func (p *prover) finish(res *Result) (*manifest.Proof, error) {
	if p.hdr.Signer != nil {
		if err := p.entry(manifest.SignaturePath, int64(len(p.sig))); err != nil {
			return nil, err
		}
		if _, err := p.tw.Write(p.sig); err != nil {
			return nil, err
		}
	}
	incl, err := manifest.ProveRecord(p.leaves, p.rec.Seq)
	if err != nil {
		return nil, err
	}
	proof := &manifest.Proof{
		Format:       manifest.ProofFormat,
		BundleID:     p.hdr.BundleID,
		Seq:          p.rec.Seq,
		Path:         p.rec.Path,
		Entry:        p.rec.Entry,
		Record:       manifest.RecordPath(p.rec.Seq),
		RecordSHA256: manifest.SHA256Hex(p.recRaw),
		TreeSize:     int64(len(p.leaves)),
		MerkleRoot:   res.Manifest.MerkleRoot,
		Inclusion:    incl,
	}
	if proof.Inclusion == nil {
		proof.Inclusion = []string{}
	}
	if p.rec.Entry == manifest.EntryFile {
		proof.Size, proof.SHA256 = p.rec.Size, p.rec.SHA256
	}
	if p.hdr.Signer != nil {
		proof.Signer = p.hdr.Signer.Fingerprint
	}
	b, err := manifest.Marshal(proof)
	if err != nil {
		return nil, err
	}
	if err := p.entry(manifest.ProofPath, int64(len(b))); err != nil {
		return nil, err
	}
	if _, err := p.tw.Write(b); err != nil {
		return nil, err
	}
	return proof, p.tw.Close()
}

// ProofMarker is the content of a proof's first entry.
const ProofMarker = manifest.ProofFormat + "\n"

// proofHeader is the tar header of every entry of a proof.
func proofHeader(name string, size int64, h *manifest.Header) *tar.Header {
	return fixedHeader(name, size, h.StartedAt)
}

var errNotProof = errors.New("not a proof as hozen writes it")
