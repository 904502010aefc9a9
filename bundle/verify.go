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
	"hash"
	"io"
	"strings"

	"github.com/hozen-dfir/hozen/manifest"
)

// Outcome is what verification concluded.
type Outcome string

// Outcomes of verification; docs/format.md ("Verification outcomes") says when each holds.
const (
	Intact     Outcome = "intact"
	Tampered   Outcome = "tampered"
	Incomplete Outcome = "incomplete"
)

// ErrIncomplete is wrapped by *IncompleteError.
var ErrIncomplete = errors.New("incomplete")

// IncompleteError says where an unsealed or cut-short bundle ends. Every
// record before the cut verified.
type IncompleteError struct {
	Records int64  // records that verified before the cut
	Offset  int64  // bytes of the file read, up to the cut
	Reason  string // "no seal: ...", "sealed early ..."
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%s; %d records verified before the cut at byte %d", e.Reason, e.Records, e.Offset)
}

func (e *IncompleteError) Unwrap() error { return ErrIncomplete }

// ReadError is an I/O failure reading the bundle file itself (not a
// property of its content).
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "read: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// machineError reports whether err is a failure of the machine verify runs
// on (reading the bundle file, or a spool in $TMPDIR) rather than anything
// about the bundle's content: it is returned as an error, never turned
// into an outcome.
func machineError(err error) bool {
	var re *ReadError
	var se *spoolError
	return errors.As(err, &re) || errors.As(err, &se)
}

type ioTagger struct{ r io.Reader }

func (t ioTagger) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		err = &ReadError{err}
	}
	return n, err
}

// Handler sees a bundle's content while it is verified. Nothing it sees is
// verified until Verify returns with Outcome Intact: a record is only
// vouched for by the records after it and, at the end, by the signed
// manifest. A handler that writes content out must stage it and keep it
// only once Verify returned (see hozen extract). Data comes before the
// record that describes it; Record follows once that record matched the
// data and linked to the chain so far.
type Handler interface {
	// Header is called once bundle.json parsed.
	Header(h *manifest.Header) error
	// Data is called for each data entry; body yields the entry's bytes
	// (the walk hashes them and drains what the handler leaves).
	Data(hdr *tar.Header, body io.Reader) error
	// Record is called once a record verified; for EntryFile and
	// EntrySymlink records it vouches for the Data call just before.
	Record(rec *manifest.Record) error
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Trust lists the keys the investigator trusts. Empty: the bundle can
	// only be shown consistent with itself.
	Trust manifest.Trust
	// Handler, if set, sees the content as it is verified.
	Handler Handler
	// Meta, if set, reads the exact bytes of each of hozen's own entries
	// (bundle.json, records, manifest, signature, SHA256SUMS), in order, as
	// they are verified. The manifest and SHA256SUMS grow with a bundle, so
	// they come as streams; what Meta leaves unread is read for it.
	Meta func(name string, r io.Reader) error
}

// Result is what Verify found. Fields are filled as far as the walk got.
type Result struct {
	Outcome Outcome
	Err     error // why it is not intact; nil if intact
	Header  *manifest.Header
	// Manifest is the seal, without its records and frames lists: they
	// were compared as they streamed by and are not kept.
	Manifest *manifest.Manifest
	Records  int64 // records verified
	Counts   manifest.Counts
	Head     string
	// Signed: the manifest carries a good signature by the header's signer.
	Signed bool
	Signer string // fingerprint, from the header
	// Trusted: the signer is one of VerifyOptions.Trust; Principal names it.
	Trusted   bool
	Principal string
	// FileSHA256 and FileSize are of the bundle file, when read to its end.
	FileSHA256 string
	FileSize   int64
	Frames     int
}

// Verify reads a bundle from r to its end and checks everything: every
// frame, every tar header byte and padding byte, every artifact's digest,
// every record's link, the manifest, the frame index, the signature and
// SHA256SUMS. The error is non-nil only when reading r fails; what is
// wrong with the content is in the Result: Outcome, and Err holding a
// *manifest.RecordError, *manifest.ManifestError, *FrameError,
// *StreamError or *IncompleteError.
func Verify(r io.Reader, opts VerifyOptions) (*Result, error) {
	return verify(r, opts, maxRecords)
}

// maxRecords is the most records a bundle can hold: its manifest lists
// each record's chain hash (67 bytes of JSON: quotes, 64 hex digits and a
// comma) and may be at most manifest.MaxManifestSize bytes. A stream with
// more records can never be sealed, so the walk stops there instead of
// spooling the chain of an endless stream (32 bytes a record).
const maxRecords = manifest.MaxManifestSize / 67

func verify(r io.Reader, opts VerifyOptions, limit int64) (*Result, error) {
	d, err := newDecoded(ioTagger{r})
	if err != nil {
		return nil, err
	}
	defer d.close()
	v := &verifier{d: d, opts: opts, res: &Result{}, maxRecords: limit}
	defer v.closeSpools()
	v.tr = tar.NewReader(d)
	err = v.walk()
	res := v.res
	res.Frames = int(d.frames())
	if v.chain != nil {
		res.Records = v.chain.Len()
		res.Counts = v.chain.Counts()
		res.Head = v.chain.Head()
	}
	switch {
	case err == nil:
		res.Outcome = Intact
		res.FileSHA256 = hex.EncodeToString(d.fileSum.Sum(nil))
		res.FileSize = d.split.off
		if res.Manifest.Status != manifest.StatusSealed {
			res.Outcome = Incomplete
			res.Err = &IncompleteError{Records: res.Records, Offset: d.split.off,
				Reason: fmt.Sprintf("sealed early, status %q (%s)", res.Manifest.Status, res.Manifest.Reason)}
		}
	case machineError(err):
		return res, err
	case errors.As(err, new(*handlerError)):
		return res, errors.Unwrap(err)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		res.Outcome = Incomplete
		reason := "no seal: the file ends after a complete frame"
		if errors.Is(err, io.ErrUnexpectedEOF) {
			reason = "no seal: the file ends inside a frame or an entry"
		}
		res.Err = &IncompleteError{Records: res.Records, Offset: d.split.off, Reason: reason}
	default:
		res.Outcome = Tampered
		res.Err = err
		var fe *FrameError
		var se *StreamError
		if (errors.As(err, &fe) || errors.As(err, &se)) && v.cur != "" {
			res.Err = &WhereError{Entry: v.cur, Seq: res.Records + 1, Err: err}
		}
	}
	return res, nil
}

// handlerError carries an error of the Handler or Meta callback, which is
// the caller's (an I/O error extracting, say), not the bundle's.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

func wrapHandler(err error) error {
	if err == nil {
		return nil
	}
	return &handlerError{err}
}

// WhereError places a frame or stream error at the entry being read.
type WhereError struct {
	Entry string // the last entry whose header was read
	Seq   int64  // the record that entry belongs to
	Err   error
}

func (e *WhereError) Error() string {
	return fmt.Sprintf("at record %d (%s): %v", e.Seq, e.Entry, e.Err)
}

func (e *WhereError) Unwrap() error { return e.Err }

type verifier struct {
	maxRecords int64
	d          *decoded
	tr         *tar.Reader
	opts       VerifyOptions
	res        *Result
	chain      *manifest.Chain
	hdr        *manifest.Header
	// sums is what SHA256SUMS must hold, kept as its SHA-256 and length:
	// a bundle of millions of records would otherwise hold the whole
	// text in memory.
	sums sumsDigest
	// hashes are the records' chain hashes, which the manifest must list.
	hashes *spool

	cur        string // name of the last entry whose header was read
	pendingPad int64  // padding bytes after the last entry's data
	rawHdr     []byte // exact bytes of the last tar header read
	hdrStart   int64  // its position in the tar stream
}

// next reads the next tar header. It keeps the header's exact bytes, so
// they can be compared with what the record implies, and checks that the
// padding before it is zero: tar readers skip padding unread, and nothing
// may hide there.
func (v *verifier) next() (*tar.Header, error) {
	var raw []byte
	start := v.d.upos
	v.d.capture = &raw
	h, err := v.tr.Next()
	v.d.capture = nil
	pad := min(v.pendingPad, int64(len(raw)))
	v.pendingPad = 0
	for i, b := range raw[:pad] {
		if b != 0 {
			return nil, &StreamError{Offset: start + int64(i), Reason: "non-zero byte in tar padding"}
		}
	}
	v.rawHdr, v.hdrStart = raw[pad:], start+pad
	if err != nil {
		var fe *FrameError
		var se *StreamError
		switch {
		case err == io.EOF, err == io.ErrUnexpectedEOF, errors.As(err, &fe), errors.As(err, &se), machineError(err):
			return nil, err
		default:
			return nil, &StreamError{Offset: v.hdrStart, Reason: err.Error()}
		}
	}
	v.pendingPad = (512 - h.Size%512) % 512
	v.cur = h.Name
	return h, nil
}

// checkHeader demands that the last header's bytes are exactly those the
// writer makes for want.
func (v *verifier) checkHeader(want *tar.Header, what string) error {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(want); err != nil {
		return &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("%s: %v", what, err)}
	}
	if !bytes.Equal(b.Bytes(), v.rawHdr) {
		return &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("%s: tar header differs from the one its record implies", what)}
	}
	return nil
}

// tooLarge says when one of hozen's own entries is larger than any bundle
// holds.
func (v *verifier) tooLarge(h *tar.Header, limit int64) error {
	if h.Size > limit {
		return &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("%s is %d bytes, more than the %d a hozen bundle holds", h.Name, h.Size, limit)}
	}
	return nil
}

// readAll reads a whole entry of at most limit bytes.
func (v *verifier) readAll(h *tar.Header, limit int64) ([]byte, error) {
	if err := v.tooLarge(h, limit); err != nil {
		return nil, err
	}
	b := make([]byte, h.Size)
	if _, err := io.ReadFull(v.tr, b); err != nil {
		return nil, err
	}
	return b, nil
}

func (v *verifier) walk() error {
	// 1. bundle.json
	h, err := v.next()
	if err != nil {
		return err
	}
	if h.Name != manifest.HeaderPath || h.Typeflag != tar.TypeReg {
		return &StreamError{Offset: 0, Reason: fmt.Sprintf("first entry is %q, not %s: not a hozen bundle", h.Name, manifest.HeaderPath)}
	}
	raw, err := v.readAll(h, manifest.MaxHeaderSize)
	if err != nil {
		return err
	}
	hdr, err := manifest.ParseHeader(raw)
	if err != nil {
		return &manifest.ManifestError{Field: "bundle.json", Reason: clip(err.Error())}
	}
	if err := v.checkHeader(fixedHeader(manifest.HeaderPath, h.Size, hdr.StartedAt), manifest.HeaderPath); err != nil {
		return err
	}
	v.hdr, v.res.Header = hdr, hdr
	if hdr.Signer != nil {
		v.res.Signer = hdr.Signer.Fingerprint
	}
	v.hashes = newVerifySpool("record hashes")
	v.chain = manifest.NewChainOn(raw, v.hashes)
	if err := v.addSumOf(manifest.HeaderPath, raw, v.chain.HeaderSHA256()); err != nil {
		return err
	}
	if v.opts.Handler != nil {
		if err := v.opts.Handler.Header(hdr); err != nil {
			return wrapHandler(err)
		}
	}
	// 2. artifacts and records
	for {
		h, err := v.next()
		if err != nil {
			return err
		}
		switch {
		case h.Name == manifest.ManifestPath:
			return v.seal(h)
		case strings.HasPrefix(h.Name, manifest.RecordsDir):
			if err := v.record(h, nil); err != nil {
				return err
			}
		default:
			if err := v.artifact(h); err != nil {
				return err
			}
		}
	}
}

// dataEntry is a data entry read but not yet vouched for.
type dataEntry struct {
	hdr    *tar.Header
	rawHdr []byte
	start  int64
	sha256 string
	md5    string
	sha1   string
}

func (v *verifier) artifact(h *tar.Header) error {
	seq, _ := v.chain.Next()
	if err := checkArtifactPath(h.Name); err != nil {
		return &manifest.RecordError{Seq: seq, Path: h.Name, Reason: err.Error()}
	}
	if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeSymlink {
		return &manifest.RecordError{Seq: seq, Path: h.Name, Reason: fmt.Sprintf("tar entry type %q is not one hozen writes", h.Typeflag)}
	}
	de := &dataEntry{hdr: h, rawHdr: v.rawHdr, start: v.hdrStart}
	sha := sha256.New()
	hs := []io.Writer{sha}
	var md, s1 hash.Hash
	for _, name := range v.hdr.Hashes {
		switch name {
		case "md5":
			md = md5.New()
			hs = append(hs, md)
		case "sha1":
			s1 = sha1.New()
			hs = append(hs, s1)
		}
	}
	body := io.TeeReader(v.tr, io.MultiWriter(hs...))
	if v.opts.Handler != nil {
		if err := v.opts.Handler.Data(h, body); err != nil {
			if machineError(err) {
				return err
			}
			// A read of body that failed is the bundle's fault: the
			// drain below meets the same error again.
			if !isContentError(err) {
				return wrapHandler(err)
			}
		}
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return err
	}
	de.sha256 = hex.EncodeToString(sha.Sum(nil))
	if md != nil {
		de.md5 = hex.EncodeToString(md.Sum(nil))
	}
	if s1 != nil {
		de.sha1 = hex.EncodeToString(s1.Sum(nil))
	}
	rh, err := v.next()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(rh.Name, manifest.RecordsDir) {
		return &manifest.RecordError{Seq: seq, Path: h.Name, Reason: fmt.Sprintf("no record follows the data; next entry is %q", rh.Name)}
	}
	return v.record(rh, de)
}

// record reads and checks the record entry h; de is the data entry it
// must vouch for (nil for a metadata-only record).
func (v *verifier) record(h *tar.Header, de *dataEntry) error {
	seq, _ := v.chain.Next()
	if seq > v.maxRecords {
		return &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("record %d: more records than a manifest of at most %d bytes can list (%d): not a hozen bundle", seq, manifest.MaxManifestSize, v.maxRecords)}
	}
	if h.Name != manifest.RecordPath(seq) {
		e := &manifest.RecordError{Seq: seq, Reason: fmt.Sprintf("entry %q found where %s belongs: records are missing or out of order", h.Name, manifest.RecordPath(seq))}
		if de != nil {
			e.Path = de.hdr.Name
		}
		return e
	}
	raw, err := v.readAll(h, manifest.MaxRecordSize)
	if err != nil {
		return err
	}
	if err := v.checkHeader(fixedHeader(h.Name, h.Size, v.hdr.StartedAt), h.Name); err != nil {
		return err
	}
	rec, err := manifest.ParseRecord(raw)
	if err != nil {
		return &manifest.RecordError{Seq: seq, Reason: clip(err.Error())}
	}
	path := string(rec.Path)
	fail := func(format string, args ...any) error {
		return &manifest.RecordError{Seq: seq, Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	if err := checkArtifactPath(path); err != nil {
		return fail("%v", err)
	}
	switch {
	case de == nil && rec.Entry != manifest.EntryNone:
		return fail("its %s entry is missing", rec.Entry)
	case de != nil && rec.Entry == manifest.EntryNone:
		return fail("a data entry %q precedes a metadata-only record", de.hdr.Name)
	case de != nil && de.hdr.Name != path:
		return fail("the data entry before it is %q", de.hdr.Name)
	}
	if de != nil {
		if rec.Entry == manifest.EntryFile && de.hdr.Typeflag != tar.TypeReg ||
			rec.Entry == manifest.EntrySymlink && de.hdr.Typeflag != tar.TypeSymlink {
			return fail("entry type differs from the record's %q", rec.Entry)
		}
		if rec.Entry == manifest.EntryFile {
			if de.sha256 != rec.SHA256 {
				return fail("data hashes to sha256 %s, the record says %s", de.sha256, rec.SHA256)
			}
			if de.md5 != rec.MD5 || de.sha1 != rec.SHA1 {
				return fail("data's md5/sha1 differ from the record's")
			}
		}
		saved, savedStart := v.rawHdr, v.hdrStart
		v.rawHdr, v.hdrStart = de.rawHdr, de.start
		err := v.checkHeader(dataHeader(rec), path)
		v.rawHdr, v.hdrStart = saved, savedStart
		if err != nil {
			return fail("%v", err)
		}
	}
	if err := v.chain.Add(raw, rec); err != nil {
		return err
	}
	if rec.Entry == manifest.EntryFile {
		v.sums.add(rec.SHA256, path)
	}
	if err := v.addSumOf(h.Name, raw, v.chain.Head()); err != nil {
		return err
	}
	if v.opts.Handler != nil {
		return wrapHandler(v.opts.Handler.Record(rec))
	}
	return nil
}

func (v *verifier) addSum(name string, b []byte) error {
	return v.addSumOf(name, b, manifest.SHA256Hex(b))
}

// addSumOf is addSum for bytes whose SHA-256 is known already (bundle.json
// and records: the chain hashed them).
func (v *verifier) addSumOf(name string, b []byte, sum string) error {
	v.sums.add(sum, name)
	return v.meta(name, bytes.NewReader(b))
}

// meta hands r to Meta, if set.
func (v *verifier) meta(name string, r io.Reader) error {
	if v.opts.Meta == nil {
		return nil
	}
	return wrapHandler(v.opts.Meta(name, r))
}

// stickyReader remembers the first error of r other than io.EOF: a parser
// (or Meta) that stops on an error of its own and a stream that broke
// under it are told apart this way.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// verifySpoolMem is how much of a list a verifier keeps in memory before
// it goes to a temporary file. The manifest's bytes (67 a record), kept
// only to check a signature, pass it first, at about 15,000 records; the
// records' hashes (32 bytes each) at about 32,000, the frame index (64
// bytes a frame) at 16,000 frames (16 GiB). A bundle below all three never
// touches the disk.
var verifySpoolMem = 1 << 20 // a variable for tests

func newVerifySpool(what string) *spool {
	s, _ := newSpool(what, "", verifySpoolMem) // no file yet: no error
	return s
}

func (v *verifier) closeSpools() {
	if v.hashes != nil {
		v.hashes.close()
	}
}

// sumsDigest hashes the SHA256SUMS text the entries seen so far imply.
type sumsDigest struct {
	h    hash.Hash
	n    int64
	line bytes.Buffer
}

func (d *sumsDigest) add(sum, name string) {
	if d.h == nil {
		d.h = sha256.New()
	}
	d.line.Reset()
	writeSumLine(&d.line, sum, name)
	d.n += int64(d.line.Len())
	d.h.Write(d.line.Bytes())
}

// maxReason bounds a parse error quoted in a verification error: a hostile
// record can hold a number of a million digits, and the JSON decoder quotes
// it whole.
const maxReason = 300

func clip(s string) string {
	if len(s) <= maxReason {
		return s
	}
	return fmt.Sprintf("%s... (%d bytes of error message cut)", strings.ToValidUTF8(s[:maxReason], ""), len(s)-maxReason)
}

// isContentError reports whether err came from reading the bundle's
// content (a bad frame, stream or a cut) rather than from the handler.
func isContentError(err error) bool {
	var fe *FrameError
	var se *StreamError
	return errors.As(err, &fe) || errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// checkArtifactPath accepts only the clean relative paths hozen writes
// under volatile/ and files/.
func checkArtifactPath(p string) error {
	if !strings.HasPrefix(p, "volatile/") && !strings.HasPrefix(p, "files/") {
		return fmt.Errorf("artifact path %q is outside volatile/ and files/", p)
	}
	for s := range strings.SplitSeq(p, "/") {
		if s == "" || s == "." || s == ".." {
			return fmt.Errorf("artifact path %q is not clean", p)
		}
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("artifact path %q holds a NUL byte", p)
	}
	return nil
}

// seal checks the manifest, the signature, SHA256SUMS and the end.
func (v *verifier) seal(h *tar.Header) error {
	manifestStart := v.hdrStart
	// The frames read so far: the indexed ones and the manifest's first.
	nframes, lastStart := v.d.frames(), v.d.lastUOffset
	if err := v.tooLarge(h, manifest.MaxManifestSize); err != nil {
		return err
	}
	if err := v.checkHeader(fixedHeader(manifest.ManifestPath, h.Size, v.hdr.StartedAt), manifest.ManifestPath); err != nil {
		return err
	}
	// The manifest streams by once: hashed for SHA256SUMS, and parsed with
	// its lists compared to the records' hashes and the frames read, entry
	// by entry. It is kept in a spool only for what reads it again: the
	// signature's check, when the header names a signer, and Meta. An
	// unsigned bundle's manifest (67 bytes a record) then never needs
	// $TMPDIR. The frames read so far are the indexed ones and the
	// manifest's first, whose tar header must be the first thing in it.
	ownFrame := nframes > 0 && lastStart == manifestStart
	digest := sha256.New()
	keep := io.Writer(digest)
	var raw *spool // nil: not kept
	if v.hdr.Signer != nil || v.opts.Meta != nil {
		raw = newVerifySpool("manifest")
		defer raw.close()
		keep = io.MultiWriter(digest, raw)
	}
	src := &stickyReader{r: v.tr}
	body := io.TeeReader(src, keep)
	want := manifest.Lists{Records: v.hashes, NRecords: v.chain.Len(), Frames: v.d.index, NFrames: max(nframes-1, 0)}
	m, mis, err := manifest.ReadManifest(body, want)
	if err == nil {
		_, err = io.Copy(io.Discard, body)
	}
	if src.err != nil {
		return src.err
	}
	if err != nil {
		if machineError(err) {
			return err
		}
		return &manifest.ManifestError{Field: "manifest.json", Reason: clip(err.Error())}
	}
	if m.BundleID != v.hdr.BundleID {
		return &manifest.ManifestError{Field: "bundle_id", Reason: fmt.Sprintf("%q, the header says %q", m.BundleID, v.hdr.BundleID)}
	}
	if !m.StartedAt.Equal(v.hdr.StartedAt) {
		return &manifest.ManifestError{Field: "started_at", Reason: "differs from the header's"}
	}
	if mis.Records != nil {
		return mis.Records
	}
	if err := v.chain.CheckFields(m); err != nil {
		return err
	}
	v.res.Manifest = m
	v.sums.add(hex.EncodeToString(digest.Sum(nil)), manifest.ManifestPath)
	if v.opts.Meta != nil {
		r, err := raw.Open(raw.Len())
		if err != nil {
			return err
		}
		if err := v.meta(manifest.ManifestPath, r); err != nil {
			return err
		}
	}

	h, err = v.next()
	if err != nil {
		return err
	}
	var sig []byte
	if h.Name == manifest.SignaturePath {
		if sig, err = v.readAll(h, 64<<10); err != nil {
			return err
		}
		if err := v.checkHeader(fixedHeader(h.Name, h.Size, v.hdr.StartedAt), h.Name); err != nil {
			return err
		}
		if err := v.addSum(manifest.SignaturePath, sig); err != nil {
			return err
		}
		if h, err = v.next(); err != nil {
			return err
		}
	}
	if err := v.checkSignature(raw, sig); err != nil {
		return err
	}
	if !ownFrame {
		return &manifest.ManifestError{Field: "frames", Reason: "the manifest does not start a frame of its own: the file was repacked"}
	}
	if mis.Frames != nil {
		return mis.Frames
	}
	if h.Name != manifest.SumsPath {
		return &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("entry %q where %s belongs", h.Name, manifest.SumsPath)}
	}
	if h.Size != v.sums.n {
		return &manifest.ManifestError{Field: "SHA256SUMS", Reason: fmt.Sprintf("is %d bytes; listing exactly the bundle's entries and digests takes %d", h.Size, v.sums.n)}
	}
	// Read it streaming, and hand it to Meta as it is read.
	got := sha256.New()
	// The tar reader ends the entry at h.Size, and fails (stickily) with
	// io.ErrUnexpectedEOF where the stream ends before it.
	src = &stickyReader{r: v.tr}
	body = io.TeeReader(src, got)
	if err := v.meta(manifest.SumsPath, body); err != nil && src.err == nil {
		return err
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return err
	}
	if err := v.checkHeader(fixedHeader(h.Name, h.Size, v.hdr.StartedAt), h.Name); err != nil {
		return err
	}
	if !bytes.Equal(got.Sum(nil), v.sums.h.Sum(nil)) {
		return &manifest.ManifestError{Field: "SHA256SUMS", Reason: "does not list exactly the bundle's entries and digests"}
	}
	if _, err := v.next(); err != io.EOF {
		if err == nil {
			return &StreamError{Offset: v.hdrStart, Reason: "entries after SHA256SUMS"}
		}
		return err
	}
	if !bytes.Equal(v.rawHdr, make([]byte, 1024)) {
		return &StreamError{Offset: v.hdrStart, Reason: "malformed end of archive"}
	}
	return v.d.drainEnd()
}

// checkSignature checks the manifest's signature against the header's
// signer, then the signer against the trusted keys.
// msg is the manifest's spool, nil when the header names no signer.
func (v *verifier) checkSignature(msg *spool, sig []byte) error {
	signer := v.hdr.Signer
	switch {
	case signer == nil && sig != nil:
		return &manifest.ManifestError{Field: "signature", Reason: "present, but the header names no signer"}
	case signer != nil && sig == nil:
		return &manifest.ManifestError{Field: "signature", Reason: fmt.Sprintf("missing; the header names signer %s", signer.Fingerprint)}
	case signer == nil:
		if len(v.opts.Trust) > 0 {
			return manifest.ErrUnsigned
		}
		return nil
	}
	pub, err := parsePublicKey(signer.PublicKey)
	if err != nil {
		return &manifest.ManifestError{Field: "signer", Reason: err.Error()}
	}
	if manifest.Fingerprint(pub) != signer.Fingerprint {
		return &manifest.ManifestError{Field: "signer", Reason: "fingerprint does not match the key"}
	}
	r, err := msg.Open(msg.Len())
	if err != nil {
		return err
	}
	if err := manifest.VerifySignature(r, sig, pub); err != nil {
		return err
	}
	v.res.Signed = true
	if len(v.opts.Trust) > 0 {
		tk, ok := v.opts.Trust.Lookup(pub, manifest.SignatureNamespace)
		if !ok {
			return fmt.Errorf("%w: %s is not among the trusted keys", manifest.ErrUntrustedSigner, signer.Fingerprint)
		}
		v.res.Trusted = true
		v.res.Principal = strings.Join(tk.Principals, ",")
	}
	return nil
}
