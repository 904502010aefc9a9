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

	"golang.org/x/crypto/ssh"

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
	// (bundle.json, records, manifest, signature, SHA256SUMS and its
	// signature), in order, as they are verified. The manifest and
	// SHA256SUMS grow with a bundle, so they come as streams; what Meta
	// leaves unread is read for it.
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
	// Faults lists what was found wrong, in the order found: the walk goes
	// on past a fault wherever the stream still parses. At most MaxFaults;
	// MoreFaults counts the rest. A re-packed bundle's header faults are
	// one fault (a *RepackedError), not one per entry.
	Faults     []Fault
	MoreFaults int64
	Repacked   bool
	// SignatureChecked: the walk reached the signature (or found the
	// header names no signer) and Signed says what it found. Otherwise
	// SignatureNote says why it was not checked.
	SignatureChecked bool
	SignatureNote    string
}

// Verify reads a bundle from r to its end and checks everything: every
// frame, every tar header byte and padding byte, every artifact's digest,
// every record's link, the manifest, the frame index, the signature,
// SHA256SUMS and its signature. The error is non-nil when reading r fails, and when r is not
// a hozen bundle at all (a *NotBundleError); what is wrong with a bundle's
// content is in the Result: Outcome, Faults, and Err holding the first
// fault (a *manifest.RecordError, *manifest.ManifestError, *FrameError,
// *StreamError), a *RepackedError, or an *IncompleteError.
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
	var nb *NotBundleError
	switch {
	case errors.As(err, &nb):
		return res, nb
	case err == nil && !v.faults.any():
		res.Outcome = Intact
		res.FileSHA256 = hex.EncodeToString(d.fileSum.Sum(nil))
		res.FileSize = d.split.off
		if res.Manifest.Status != manifest.StatusSealed {
			res.Outcome = Incomplete
			res.Err = &IncompleteError{Records: res.Records, Offset: d.split.off,
				Reason: fmt.Sprintf("sealed early, status %q (%s)", res.Manifest.Status, res.Manifest.Reason)}
		}
		return res, nil
	case machineError(err):
		return res, err
	case errors.As(err, new(*handlerError)):
		return res, errors.Unwrap(err)
	case err == nil:
		res.FileSHA256 = hex.EncodeToString(d.fileSum.Sum(nil))
		res.FileSize = d.split.off
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		reason := "no seal: the file ends after a complete frame"
		if errors.Is(err, io.ErrUnexpectedEOF) {
			reason = "no seal: the file ends inside a frame or an entry"
		}
		ie := &IncompleteError{Records: res.Records, Offset: d.split.off, Reason: reason}
		if !v.faults.any() {
			res.Outcome, res.Err = Incomplete, ie
			v.noSignature("the file ends before the seal")
			return res, nil
		}
		// Faults before a cut: tampered, and the cut is one more fact.
		v.faults.add(Fault{Kind: FaultStream, Seq: v.expectSeq(), Path: v.cur, Err: ie})
	default:
		var fe *FrameError
		var se *StreamError
		if (errors.As(err, &fe) || errors.As(err, &se)) && v.cur != "" {
			err = &WhereError{Entry: v.cur, Seq: v.expectSeq(), Err: err, Between: v.between}
		}
		v.faults.add(Fault{Kind: FaultStream, Seq: v.expectSeq(), Path: v.cur, Err: err,
			Reason: "the walk stopped here: " + clip(err.Error())})
		v.noSignature("verification stopped before the signature: " + clip(err.Error()))
	}
	res.Outcome = Tampered
	res.Faults, res.MoreFaults, res.Err = v.faults.result()
	res.Repacked = v.faults.repacked()
	if res.Err == nil { // a fault without an error cannot be; be safe
		res.Err = manifest.ErrTampered
	}
	return res, nil
}

// noSignature says why the signature was not checked, if it was not.
func (v *verifier) noSignature(why string) {
	if !v.res.SignatureChecked && v.res.SignatureNote == "" {
		v.res.SignatureNote = why
	}
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
	// Between: the error came after Entry ended, where the next entry
	// (or the seal) begins.
	Between bool
}

func (e *WhereError) Error() string {
	if e.Between {
		return fmt.Sprintf("after %s, where the next entry or the seal begins: %v", e.Entry, e.Err)
	}
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
	// signerKey is the header's signer, once the manifest's signature
	// checked; SHA256SUMS.sig must be by it too.
	signerKey ssh.PublicKey

	cur        string // name of the last entry whose header was read
	between    bool   // reading a header: cur has ended
	pendingPad int64  // padding bytes after the last entry's data
	rawHdr     []byte // exact bytes of the last tar header read
	hdrStart   int64  // its position in the tar stream

	faults faultList
	// broken: the chain broke (a record missing, out of order, edited);
	// the records after it are checked against their own data and the
	// record before them (lastSeq, lastHash), and the chain's totals are
	// not compared with the manifest's.
	broken   bool
	lastSeq  int64
	lastHash string
}

// ok: nothing was found wrong so far. The Handler and Meta see content
// only while ok: what follows a fault is checked and listed, not shown.
func (v *verifier) ok() bool { return !v.faults.any() }

// fault notes f and goes on.
func (v *verifier) fault(f Fault) { v.faults.add(f) }

// expectSeq is the seq the next record must carry.
func (v *verifier) expectSeq() int64 {
	switch {
	case v.broken:
		return v.lastSeq + 1
	case v.chain != nil:
		seq, _ := v.chain.Next()
		return seq
	}
	return 1
}

// next reads the next tar header. It keeps the header's exact bytes, so
// they can be compared with what the record implies, and checks that the
// padding before it is zero: tar readers skip padding unread, and nothing
// may hide there.
func (v *verifier) next() (*tar.Header, error) {
	var raw []byte
	start := v.d.upos
	v.d.capture = &raw
	v.between = true
	h, err := v.tr.Next()
	v.between = err != nil && len(raw) <= int(v.pendingPad)
	v.d.capture = nil
	pad := min(v.pendingPad, int64(len(raw)))
	v.pendingPad = 0
	for i, b := range raw[:pad] {
		if b != 0 {
			v.fault(Fault{Kind: FaultStream, Seq: v.expectSeq(), Path: v.cur,
				Err: &StreamError{Offset: start + int64(i), Reason: fmt.Sprintf("non-zero byte in tar padding after %s", v.cur)}})
			break
		}
	}
	v.rawHdr, v.hdrStart = raw[pad:], start+pad
	if err != nil {
		var fe *FrameError
		var se *StreamError
		var nb *NotBundleError
		switch {
		case err == io.EOF, err == io.ErrUnexpectedEOF, errors.As(err, &fe), errors.As(err, &se), errors.As(err, &nb), machineError(err):
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
// writer makes for want. It counts the headers checked and differing: a
// bundle whose every header differs was re-packed.
func (v *verifier) checkHeader(want *tar.Header, what string) error {
	v.faults.hdrChecked++
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	err := tw.WriteHeader(want)
	if err != nil {
		err = &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("%s: %v", what, err)}
	} else if !bytes.Equal(b.Bytes(), v.rawHdr) {
		err = &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("%s: tar header differs from the one its record implies", what)}
	}
	if err != nil {
		v.faults.hdrDiffer++
	}
	return err
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

// first reads the first entry's header; what stops it there decides
// whether the file is a damaged bundle or no bundle at all. A file that
// starts with zstd's magic and whose first frame does not decode, or is
// cut, is a damaged (or cut) bundle; a first frame that decodes to no tar
// header, or to another first entry than bundle.json, is not a bundle:
// hozen's first frame holds bundle.json whole, under its checksum.
func (v *verifier) first() (*tar.Header, error) {
	h, err := v.next()
	if err != nil {
		if v.d.frames() == 0 || machineError(err) {
			return nil, err
		}
		if err == io.EOF {
			return nil, &NotBundleError{"a zstd stream of an empty tar archive"}
		}
		return nil, &NotBundleError{"a zstd stream, but not of a tar archive (" + clip(err.Error()) + ")"}
	}
	if h.Name != manifest.HeaderPath || h.Typeflag != tar.TypeReg {
		return nil, &NotBundleError{fmt.Sprintf("a tar.zst whose first entry is %q, not %s", h.Name, manifest.HeaderPath)}
	}
	return h, nil
}

func (v *verifier) walk() error {
	// 1. bundle.json
	h, err := v.first()
	if err != nil {
		return err
	}
	raw, err := v.readAll(h, manifest.MaxHeaderSize)
	if err != nil {
		return err
	}
	hdr, err := manifest.ParseHeader(raw)
	if err != nil {
		return &manifest.ManifestError{Field: "bundle.json", Reason: clip(err.Error())}
	}
	v.hdr, v.res.Header = hdr, hdr
	if hdr.Signer != nil {
		v.res.Signer = hdr.Signer.Fingerprint
	}
	if err := v.checkHeader(fixedHeader(manifest.HeaderPath, h.Size, hdr.StartedAt), manifest.HeaderPath); err != nil {
		v.faults.firstHdrDiffers = true
		v.fault(Fault{Kind: FaultHeader, Path: manifest.HeaderPath, Err: err})
	}
	v.hashes = newVerifySpool("record hashes")
	v.chain = manifest.NewChainOn(raw, v.hashes)
	if err := v.addSumOf(manifest.HeaderPath, raw, v.chain.HeaderSHA256()); err != nil {
		return err
	}
	if v.opts.Handler != nil && v.ok() {
		if err := v.opts.Handler.Header(hdr); err != nil {
			return wrapHandler(err)
		}
	}
	// 2. artifacts and records
	var pending *dataEntry // a data entry waiting for its record
	for {
		h, err := v.next()
		if err != nil {
			return err
		}
		switch {
		case h.Name == manifest.ManifestPath:
			v.unclaimed(pending, h.Name)
			return v.seal(h)
		case strings.HasPrefix(h.Name, manifest.RecordsDir):
			if err := v.record(h, pending); err != nil {
				return err
			}
			pending = nil
		default:
			v.unclaimed(pending, h.Name)
			if pending, err = v.artifact(h); err != nil {
				return err
			}
		}
	}
}

// unclaimed notes a data entry that no record followed.
func (v *verifier) unclaimed(de *dataEntry, next string) {
	if de == nil {
		return
	}
	v.fault(Fault{Kind: FaultExtra, Seq: de.seq, Path: de.hdr.Name,
		Err: &manifest.RecordError{Seq: de.seq, Path: de.hdr.Name, Reason: fmt.Sprintf("no record follows the data; next entry is %q", next)}})
}

// dataEntry is a data entry read but not yet vouched for.
type dataEntry struct {
	hdr    *tar.Header
	rawHdr []byte
	start  int64
	seq    int64 // the record it should belong to
	sha256 string
	md5    string
	sha1   string
}

// artifact reads a data entry. It returns nil (and notes the fault) for an
// entry no hozen bundle holds.
func (v *verifier) artifact(h *tar.Header) (*dataEntry, error) {
	seq := v.expectSeq()
	bad := checkArtifactPath(h.Name)
	if bad == nil && h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeSymlink {
		bad = fmt.Errorf("tar entry type %q is not one hozen writes", h.Typeflag)
	}
	if bad != nil {
		v.fault(Fault{Kind: FaultExtra, Seq: seq, Path: h.Name, Err: &manifest.RecordError{Seq: seq, Path: h.Name, Reason: bad.Error()}})
		_, err := io.Copy(io.Discard, v.tr)
		return nil, err
	}
	de := &dataEntry{hdr: h, rawHdr: v.rawHdr, start: v.hdrStart, seq: seq}
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
	if v.opts.Handler != nil && v.ok() {
		if err := v.opts.Handler.Data(h, body); err != nil {
			if machineError(err) {
				return nil, err
			}
			// A read of body that failed is the bundle's fault: the
			// drain below meets the same error again.
			if !isContentError(err) {
				return nil, wrapHandler(err)
			}
		}
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return nil, err
	}
	de.sha256 = hex.EncodeToString(sha.Sum(nil))
	if md != nil {
		de.md5 = hex.EncodeToString(md.Sum(nil))
	}
	if s1 != nil {
		de.sha1 = hex.EncodeToString(s1.Sum(nil))
	}
	return de, nil
}

// record reads and checks the record entry h; de is the data entry it
// must vouch for (nil for a metadata-only record). What is wrong is noted
// as faults; only an error that ends the walk is returned.
func (v *verifier) record(h *tar.Header, de *dataEntry) error {
	seq := v.expectSeq()
	if seq > v.maxRecords {
		return &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("record %d: more records than a manifest of at most %d bytes can list (%d): not a hozen bundle", seq, manifest.MaxManifestSize, v.maxRecords)}
	}
	raw, err := v.readAll(h, manifest.MaxRecordSize)
	if err != nil {
		return err
	}
	hdrErr := v.checkHeader(fixedHeader(h.Name, h.Size, v.hdr.StartedAt), h.Name)
	dataPath := ""
	if de != nil {
		dataPath = de.hdr.Name
	}
	rec, err := manifest.ParseRecord(raw)
	if err != nil {
		v.fault(Fault{Kind: FaultRecord, Seq: seq, Path: dataPath, Err: &manifest.RecordError{Seq: seq, Reason: clip(err.Error())}})
		v.breakChain(seq, raw)
		return nil
	}
	path := string(rec.Path)
	inOrder := h.Name == manifest.RecordPath(seq)
	if !inOrder {
		e := &manifest.RecordError{Seq: seq, Path: dataPath, Reason: fmt.Sprintf("entry %q found where %s belongs: records are missing or out of order", h.Name, manifest.RecordPath(seq))}
		f := Fault{Kind: FaultOrder, Seq: seq, Path: path, Err: e}
		if rec.Seq > seq && h.Name == manifest.RecordPath(rec.Seq) {
			f.Kind, f.Path = FaultMissing, ""
			f.Reason = fmt.Sprintf("records %d to %d are missing (the next one found is %s, %s)", seq, rec.Seq-1, manifest.RecordPath(rec.Seq), path)
			if rec.Seq == seq+1 {
				f.Reason = fmt.Sprintf("record %d is missing (the next one found is %s, %s)", seq, manifest.RecordPath(rec.Seq), path)
			}
		}
		v.fault(f)
		seq = rec.Seq
	}
	fail := func(kind FaultKind, p string, format string, args ...any) {
		v.fault(Fault{Kind: kind, Seq: seq, Path: p, Err: &manifest.RecordError{Seq: seq, Path: path, Reason: fmt.Sprintf(format, args...)}})
	}
	if err := checkArtifactPath(path); err != nil {
		fail(FaultRecord, path, "%v", err)
	}
	dataDiffers := false
	switch {
	case de == nil && rec.Entry != manifest.EntryNone:
		fail(FaultMissing, path, "its %s entry is missing", rec.Entry)
	case de != nil && rec.Entry == manifest.EntryNone:
		fail(FaultExtra, de.hdr.Name, "a data entry %q precedes a metadata-only record", de.hdr.Name)
	case de != nil && de.hdr.Name != path:
		fail(FaultMissing, path, "the data entry before it is %q", de.hdr.Name)
	case de != nil:
		switch {
		case rec.Entry == manifest.EntryFile && de.hdr.Typeflag != tar.TypeReg ||
			rec.Entry == manifest.EntrySymlink && de.hdr.Typeflag != tar.TypeSymlink:
			fail(FaultData, path, "entry type differs from the record's %q", rec.Entry)
			dataDiffers = true
		case rec.Entry == manifest.EntryFile && de.sha256 != rec.SHA256:
			fail(FaultData, path, "data hashes to sha256 %s, the record says %s", de.sha256, rec.SHA256)
			dataDiffers = true
		case rec.Entry == manifest.EntryFile && (de.md5 != rec.MD5 || de.sha1 != rec.SHA1):
			fail(FaultData, path, "data's md5/sha1 differ from the record's")
			dataDiffers = true
		}
		saved, savedStart := v.rawHdr, v.hdrStart
		v.rawHdr, v.hdrStart = de.rawHdr, de.start
		err := v.checkHeader(dataHeader(rec), path)
		v.rawHdr, v.hdrStart = saved, savedStart
		// Data that differs is the fault to name; its header (the size,
		// say) differing with it is no news.
		if err != nil && !dataDiffers {
			fail(FaultHeader, path, "%v", err)
		}
	}
	if hdrErr != nil {
		v.fault(Fault{Kind: FaultHeader, Seq: seq, Path: h.Name, Err: &manifest.RecordError{Seq: seq, Path: path, Reason: hdrErr.Error()}})
	}
	var sum string // the record's SHA-256, hashed once: by the chain or by breakChain
	switch {
	case !inOrder:
		sum = v.breakChain(seq, raw)
	case v.broken:
		if rec.Seq != seq {
			fail(FaultOrder, path, "out of order: carries seq %d", rec.Seq)
		} else if rec.Prev != v.lastHash {
			fail(FaultRecord, path, "broken link: prev is %s, but the record before it hashes to %s", rec.Prev, v.lastHash)
		}
		sum = v.breakChain(seq, raw)
	default:
		if err := v.chain.Add(raw, rec); err != nil {
			if !isContentError(err) && !errors.Is(err, manifest.ErrTampered) {
				return err // a spool that cannot be written
			}
			kind, p := FaultRecord, path
			var re *manifest.RecordError
			if errors.As(err, &re) {
				p = re.Path
				if strings.Contains(re.Reason, "out of order") {
					kind = FaultOrder
				}
			}
			v.fault(Fault{Kind: kind, Seq: seq, Path: p, Err: err})
			sum = v.breakChain(seq, raw)
		} else {
			sum = v.chain.Head() // the chain hash Add took: SHA-256 of raw
		}
	}
	if rec.Entry == manifest.EntryFile {
		v.sums.add(rec.SHA256, path)
	}
	if err := v.addSumOf(h.Name, raw, sum); err != nil {
		return err
	}
	if v.opts.Handler != nil && v.ok() {
		return wrapHandler(v.opts.Handler.Record(rec))
	}
	return nil
}

// breakChain notes that the chain broke: from here on each record is
// checked against the one before it only. It returns raw's SHA-256.
func (v *verifier) breakChain(seq int64, raw []byte) string {
	v.broken = true
	v.lastSeq, v.lastHash = seq, manifest.SHA256Hex(raw)
	return v.lastHash
}

func (v *verifier) addSum(name string, b []byte) error {
	return v.addSumOf(name, b, manifest.SHA256Hex(b))
}

// addSumOf is addSum for bytes whose SHA-256 is known already (bundle.json
// and records: the chain hashed them, or breakChain once the chain broke).
func (v *verifier) addSumOf(name string, b []byte, sum string) error {
	v.sums.add(sum, name)
	return v.meta(name, bytes.NewReader(b))
}

// meta hands r to Meta, if set.
func (v *verifier) meta(name string, r io.Reader) error {
	if v.opts.Meta == nil || !v.ok() {
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

// seal checks the manifest, the signature, SHA256SUMS, its signature and
// the end. What is wrong is noted as a fault and the walk goes on to the
// end, so that the signature is checked whenever the manifest and it can
// be read.
func (v *verifier) seal(h *tar.Header) error {
	manifestStart := v.hdrStart
	sealFault := func(err error) { v.fault(Fault{Kind: FaultSeal, Path: v.cur, Err: err}) }
	// The frames read so far: the indexed ones and the manifest's first.
	nframes, lastStart := v.d.frames(), v.d.lastUOffset
	if err := v.tooLarge(h, manifest.MaxManifestSize); err != nil {
		return err
	}
	if err := v.checkHeader(fixedHeader(manifest.ManifestPath, h.Size, v.hdr.StartedAt), manifest.ManifestPath); err != nil {
		v.fault(Fault{Kind: FaultHeader, Path: manifest.ManifestPath, Err: err})
	}
	// The manifest streams by once: hashed for SHA256SUMS, and parsed with
	// its lists compared to the records' hashes and the frames read, entry
	// by entry. It is kept in a spool only for what reads it again: the
	// signature's check, when the header names a signer, and Meta. An
	// unsigned bundle's manifest (67 bytes a record) then never needs
	// $TMPDIR. The frames read so far are the indexed ones and the
	// manifest's first, whose tar header must be the first thing in it.
	ownFrame := nframes > 0 && lastStart == manifestStart
	if ownFrame {
		v.d.startSeal()
	}
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
	if _, cerr := io.Copy(io.Discard, body); err == nil {
		err = cerr
	}
	if src.err != nil {
		return src.err
	}
	if err != nil {
		if machineError(err) {
			return err
		}
		sealFault(&manifest.ManifestError{Field: "manifest.json", Reason: clip(err.Error())})
		m = nil
	}
	if m != nil {
		if m.BundleID != v.hdr.BundleID {
			sealFault(&manifest.ManifestError{Field: "bundle_id", Reason: fmt.Sprintf("%q, the header says %q", m.BundleID, v.hdr.BundleID)})
		}
		if !m.StartedAt.Equal(v.hdr.StartedAt) {
			sealFault(&manifest.ManifestError{Field: "started_at", Reason: "differs from the header's"})
		}
		if m.Format != v.hdr.Format {
			sealFault(&manifest.ManifestError{Field: "format", Reason: fmt.Sprintf("%q, the header says %q", m.Format, v.hdr.Format)})
		}
		// With the chain broken, its totals cannot match: the faults
		// before say why.
		if !v.broken {
			if mis.Records != nil {
				sealFault(mis.Records)
			} else if err := v.chain.CheckFields(m); err != nil {
				sealFault(err)
			}
		}
		v.res.Manifest = m
	}
	v.sums.add(hex.EncodeToString(digest.Sum(nil)), manifest.ManifestPath)
	if v.opts.Meta != nil && v.ok() {
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
		v.noSignature("verification stopped before the signature: " + clip(err.Error()))
		return err
	}
	var sig []byte
	if h.Name == manifest.SignaturePath {
		if sig, err = v.readAll(h, 64<<10); err != nil {
			v.noSignature("its entry does not read: " + clip(err.Error()))
			return err
		}
		if err := v.checkHeader(fixedHeader(h.Name, h.Size, v.hdr.StartedAt), h.Name); err != nil {
			v.fault(Fault{Kind: FaultHeader, Path: h.Name, Err: err})
		}
		if err := v.addSum(manifest.SignaturePath, sig); err != nil {
			return err
		}
		if h, err = v.next(); err != nil {
			v.checkSignatureFault(raw, sig)
			return err
		}
	}
	if err := v.checkSignatureFault(raw, sig); err != nil {
		return err
	}
	if !ownFrame {
		v.fault(Fault{Kind: FaultSeal, Path: manifest.ManifestPath, Err: &manifest.ManifestError{Field: "frames", Reason: "the manifest does not start a frame of its own: the file was re-packed"}})
	} else if m != nil && mis.Frames != nil {
		sealFault(mis.Frames)
	}
	if h.Name != manifest.SumsPath {
		sealFault(&StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("entry %q where %s belongs", h.Name, manifest.SumsPath)})
	} else if h.Size != v.sums.n && !v.broken {
		sealFault(&manifest.ManifestError{Field: "SHA256SUMS", Reason: fmt.Sprintf("is %d bytes; listing exactly the bundle's entries and digests takes %d", h.Size, v.sums.n)})
	}
	// Read it streaming, and hand it to Meta as it is read; kept (in a
	// spool) only when its own signature follows, to check that.
	got := sha256.New()
	keep = got
	var sums *spool
	if v.signsSums() {
		sums = newVerifySpool("SHA256SUMS")
		defer sums.close()
		keep = io.MultiWriter(got, sums)
	}
	// The tar reader ends the entry at h.Size, and fails (stickily) with
	// io.ErrUnexpectedEOF where the stream ends before it.
	src = &stickyReader{r: v.tr}
	body = io.TeeReader(src, keep)
	if h.Name == manifest.SumsPath {
		if err := v.meta(manifest.SumsPath, body); err != nil && src.err == nil {
			return err
		}
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return err
	}
	if h.Name == manifest.SumsPath {
		if err := v.checkHeader(fixedHeader(h.Name, h.Size, v.hdr.StartedAt), h.Name); err != nil {
			v.fault(Fault{Kind: FaultHeader, Path: h.Name, Err: err})
		}
		if !v.broken && h.Size == v.sums.n && !bytes.Equal(got.Sum(nil), v.sums.h.Sum(nil)) {
			sealFault(&manifest.ManifestError{Field: "SHA256SUMS", Reason: "does not list exactly the bundle's entries and digests"})
		}
	}
	if sums != nil && h.Name == manifest.SumsPath {
		if err := v.sumsSig(sums); err != nil {
			if machineError(err) {
				return err
			}
			sealFault(err)
		}
	}
	if h, err := v.next(); err != io.EOF {
		if err == nil {
			v.fault(Fault{Kind: FaultExtra, Path: h.Name, Err: &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("entry %q after SHA256SUMS", h.Name)}})
			return nil
		}
		return err
	}
	if !bytes.Equal(v.rawHdr, make([]byte, 1024)) {
		sealFault(&StreamError{Offset: v.hdrStart, Reason: "malformed end of archive"})
	}
	if err := v.d.drainEnd(); err != nil {
		if machineError(err) {
			return err
		}
		sealFault(err)
	}
	if v.d.sealErr != nil {
		sealFault(v.d.sealErr)
	}
	return nil
}

// checkSignatureFault checks the signature, notes what it found, and
// returns only an error that ends the walk.
func (v *verifier) checkSignatureFault(msg *spool, sig []byte) error {
	err := v.checkSignature(msg, sig)
	if err == nil || machineError(err) {
		return err
	}
	v.fault(Fault{Kind: FaultSignature, Path: manifest.SignaturePath, Err: err})
	return nil
}

// signsSums reports whether the bundle must end with a signature of
// SHA256SUMS: a signed bundle of a format that has one.
func (v *verifier) signsSums() bool {
	return v.hdr.Signer != nil && manifest.SignsSums(v.hdr.Format)
}

// sumsSig reads hozen/SHA256SUMS.sig and checks it: a signature of the
// SHA256SUMS just read (kept in sums) by the key that signed the manifest.
// A bundle whose header names a signer and whose format signs SHA256SUMS
// must have it: its absence is tampering, as the header and the format
// are covered by the manifest's signature.
func (v *verifier) sumsSig(sums *spool) error {
	const field = "SHA256SUMS.sig"
	h, err := v.next()
	if err == io.EOF {
		return &manifest.ManifestError{Field: field, Reason: fmt.Sprintf("missing; a signed %s bundle ends with it", v.hdr.Format)}
	}
	if err != nil {
		return err
	}
	if h.Name != manifest.SumsSigPath {
		return &StreamError{Offset: v.hdrStart, Reason: fmt.Sprintf("entry %q where %s belongs", h.Name, manifest.SumsSigPath)}
	}
	sig, err := v.readAll(h, 64<<10)
	if err != nil {
		return err
	}
	if err := v.checkHeader(fixedHeader(h.Name, h.Size, v.hdr.StartedAt), h.Name); err != nil {
		return err
	}
	if err := v.meta(h.Name, bytes.NewReader(sig)); err != nil {
		return err
	}
	if v.signerKey == nil {
		return &manifest.ManifestError{Field: field, Reason: "not checked: the manifest's signature did not verify"}
	}
	r, err := sums.Open(sums.Len())
	if err != nil {
		return err
	}
	if err := manifest.VerifySignature(r, sig, v.signerKey); err != nil {
		if me, ok := err.(*manifest.ManifestError); ok {
			return &manifest.ManifestError{Field: field, Reason: me.Reason}
		}
		return err
	}
	return nil
}

// checkSignature checks the manifest's signature against the header's
// signer, then the signer against the trusted keys.
// msg is the manifest's spool, nil when the header names no signer.
func (v *verifier) checkSignature(msg *spool, sig []byte) error {
	signer := v.hdr.Signer
	v.res.SignatureChecked = true
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
	sb, err := checkSigner(signer, sig, v.opts.Trust, func() (io.Reader, error) { return msg.Open(msg.Len()) })
	if sb.key != nil {
		v.signerKey = sb.key
		v.res.Signed = true
		v.res.Trusted, v.res.Principal = sb.trusted, sb.principal
	}
	var ke *signerKeyError
	if errors.As(err, &ke) {
		return &manifest.ManifestError{Field: "signer", Reason: ke.Error()}
	}
	return err
}

// signedBy is what checkSigner found: key is the signer's once the
// signature verified; trusted and principal are trust's verdict.
type signedBy struct {
	key       ssh.PublicKey
	trusted   bool
	principal string
}

// signerKeyError: the header's signer key does not parse, or (err is
// errSignerFingerprint) does not hash to the header's fingerprint.
type signerKeyError struct{ err error }

func (e *signerKeyError) Error() string { return e.err.Error() }
func (e *signerKeyError) Unwrap() error { return e.err }

var errSignerFingerprint = errors.New("fingerprint does not match the key")

// checkSigner checks sig against the header's signer, over the bytes
// signed returns (after any check of the caller's own), then the signer
// against trust if it lists keys: Verify's check and CheckProof's. A key
// that does not parse or match its fingerprint is a *signerKeyError; an
// error with the result's key set is trust's refusal.
func checkSigner(signer *manifest.Signer, sig []byte, trust manifest.Trust, signed func() (io.Reader, error)) (signedBy, error) {
	var sb signedBy
	pub, err := parsePublicKey(signer.PublicKey)
	if err != nil {
		return sb, &signerKeyError{err}
	}
	if manifest.Fingerprint(pub) != signer.Fingerprint {
		return sb, &signerKeyError{errSignerFingerprint}
	}
	r, err := signed()
	if err != nil {
		return sb, err
	}
	if err := manifest.VerifySignature(r, sig, pub); err != nil {
		return sb, err
	}
	sb.key = pub
	if len(trust) > 0 {
		tk, err := trust.Check(pub, manifest.SignatureNamespace)
		if err != nil {
			return sb, err
		}
		sb.trusted, sb.principal = true, strings.Join(tk.Principals, ",")
	}
	return sb, nil
}
