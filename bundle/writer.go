package bundle

import (
	"cmp"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/manifest"
)

// PartialSuffix marks a bundle file that is still being written, or whose
// writing was cut short. Only a sealed bundle loses it.
const PartialSuffix = ".partial"

// Options configure a Writer.
type Options struct {
	// Level is the zstd level; zero means SpeedFastest.
	Level zstd.EncoderLevel
	// Workers compress frames in parallel; zero means GOMAXPROCS.
	Workers int
	// MD5 and SHA1 add those digests to every record (same read pass).
	MD5, SHA1 bool
	// Signer signs the manifest and SHA256SUMS (an ssh-agent is asked twice);
	// nil writes an unsigned bundle.
	Signer ssh.Signer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Recipients, when set, encrypt the bundle with age as it is written
	// (see encrypt.go); its name gets AgeSuffix.
	Recipients []age.Recipient
}

// Writer writes one bundle: header, then artifacts and their records, then
// the seal. It implements collect.Sink. A Writer is safe for concurrent
// Put calls; they are written one after the other.
type Writer struct {
	mu     sync.Mutex
	opts   Options
	path   string // final name
	f      *os.File
	out    *output // the file, or age encryption over it
	comp   *compressor
	fr     *framer
	tw     *tarWriter
	hdr    *manifest.Header
	chain  *manifest.Chain
	sums   *spool // the lines of SHA256SUMS
	hashes *spool // the records' chain hashes
	index  *spool // the frame index
	recBuf []byte // the last record's bytes, reused for the next
	err    error  // sticky: once writing failed, nothing more is written
	done   bool
}

// Create starts the bundle dir/name (name ends in .tar.zst, plus .age when
// opts.Recipients encrypt it), writing to name+".partial" until Seal.
// hdr's Hashes are set from opts.
func Create(dir, name string, hdr *manifest.Header, opts Options) (*Writer, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Level == 0 {
		opts.Level = zstd.SpeedFastest
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	hdr.Format = manifest.Format
	hdr.Hashes = []string{"sha256"}
	if opts.MD5 {
		hdr.Hashes = append(hdr.Hashes, "md5")
	}
	if opts.SHA1 {
		hdr.Hashes = append(hdr.Hashes, "sha1")
	}
	if opts.Signer != nil {
		hdr.Signer = manifest.SignerOf(opts.Signer.PublicKey())
	}
	if len(opts.Recipients) > 0 && !strings.HasSuffix(name, AgeSuffix) {
		name += AgeSuffix
	}
	final := filepath.Join(dir, name)
	if _, err := os.Lstat(final); err == nil {
		return nil, fmt.Errorf("%s already exists; hozen never overwrites a bundle", final)
	}
	f, err := os.OpenFile(final+PartialSuffix, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	var spools []*spool
	fail := func(err error) (*Writer, error) {
		for _, s := range spools {
			s.close()
		}
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	for _, what := range []string{"SHA256SUMS", "record hashes", "frame index"} {
		s, err := newSpool(what, dir, 0)
		if err != nil {
			return fail(err)
		}
		spools = append(spools, s)
	}
	out, err := newOutput(&writeBack{f: f}, opts.Recipients)
	if err != nil {
		return fail(err)
	}
	comp, err := newCompressor(out.w, opts.Level, opts.Workers, spools[2])
	if err != nil {
		return fail(err)
	}
	w := &Writer{opts: opts, path: final, f: f, out: out, comp: comp, hdr: hdr,
		sums: spools[0], hashes: spools[1], index: spools[2]}
	w.fr = &framer{c: comp, buf: comp.getBuf()}
	w.tw = newTarWriter(w.fr)
	raw, err := manifest.Marshal(hdr)
	if err != nil {
		w.Abort()
		return nil, err
	}
	w.chain = manifest.NewChainOn(raw, w.hashes)
	if err := w.writeFixedSum(manifest.HeaderPath, raw, w.chain.HeaderSHA256()); err != nil {
		w.Abort()
		return nil, err
	}
	// The header goes out in a frame of its own at once: a bundle cut
	// short at any later point still says what it is.
	if err := w.cut(); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// PartialPath is the name the bundle has until it is sealed.
func (w *Writer) PartialPath() string { return w.path + PartialSuffix }

// Path is the name the bundle has once sealed.
func (w *Writer) Path() string { return w.path }

// Header is the bundle's header as written.
func (w *Writer) Header() *manifest.Header { return w.hdr }

// Head is the chain hash of the last record written.
func (w *Writer) Head() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.chain.Head()
}

// boundary ends the last entry (its padding) and lets the framer cut a
// frame before an entry of next bytes.
func (w *Writer) boundary(next int64) error {
	if err := w.tw.Flush(); err != nil {
		return err
	}
	return w.fr.boundary(next)
}

// cut ends the last entry and the current frame.
func (w *Writer) cut() error {
	if err := w.tw.Flush(); err != nil {
		return err
	}
	return w.fr.cut()
}

// writeFixed writes one of hozen's own entries and its SHA256SUMS line.
func (w *Writer) writeFixed(name string, b []byte) error {
	return w.writeFixedSum(name, b, manifest.SHA256Hex(b))
}

// writeFixedSum is writeFixed for bytes whose SHA-256 is known already
// (bundle.json and records: the chain hashed them).
func (w *Writer) writeFixedSum(name string, b []byte, sum string) error {
	if err := w.startFixed(name, int64(len(b))); err != nil {
		return err
	}
	if _, err := w.tw.Write(b); err != nil {
		return err
	}
	writeSumLine(w.sums, sum, name)
	return nil
}

// startFixed starts one of hozen's own entries, of size bytes, in a frame
// that has room for it and its header where it can.
func (w *Writer) startFixed(name string, size int64) error {
	if err := w.boundary(size + 1024); err != nil {
		return err
	}
	return w.tw.WriteHeader(fixedHeader(name, size, w.hdr.StartedAt))
}

// writeSumLine writes one line in `sha256sum -c` format; a name holding a
// backslash, newline or carriage return is escaped as GNU coreutils does.
func writeSumLine(buf io.StringWriter, sum, name string) {
	if strings.ContainsAny(name, "\\\n\r") {
		r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`)
		buf.WriteString(`\` + sum + "  " + r.Replace(name) + "\n")
		return
	}
	// One line a file: written in parts, not joined into a new string.
	buf.WriteString(sum)
	buf.WriteString("  ")
	buf.WriteString(name)
	buf.WriteString("\n")
}

// ErrClosed is returned by Put after Seal or Abort.
var ErrClosed = errors.New("bundle writer is closed")

// Put writes one artifact and its record (collect.Sink). For EntryFile it
// reads exactly rec.Size bytes from body; if body ends early or fails, the
// rest is zero padding and the record says how many bytes were real.
func (w *Writer) Put(rec *manifest.Record, body io.Reader) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if err := w.put(rec, body); err != nil {
		w.err = err
		return err
	}
	return nil
}

func (w *Writer) put(rec *manifest.Record, body io.Reader) error {
	rec.Seq, rec.Prev = w.chain.Next()
	rec.CollectedAt = w.opts.Now().UTC()
	if rec.Outcome == "" {
		rec.Outcome = manifest.OutcomeOK
	}
	switch rec.Entry {
	case manifest.EntryFile:
		if err := w.putData(rec, body); err != nil {
			return err
		}
	case manifest.EntrySymlink:
		rec.Size, rec.BytesRead = 0, 0
		if err := w.boundary(0); err != nil {
			return err
		}
		if err := w.tw.WriteHeader(dataHeader(rec)); err != nil {
			return fmt.Errorf("write %s: %w", rec.Path, err)
		}
	case manifest.EntryNone:
		rec.Size, rec.BytesRead = 0, 0
	default:
		return fmt.Errorf("record for %s: unknown entry type %q", rec.Path, rec.Entry)
	}
	raw, err := manifest.AppendMarshal(w.recBuf[:0], rec)
	if err != nil {
		return err
	}
	w.recBuf = raw // the chain and the tar writer keep no reference to it
	if err := w.chain.Add(raw, rec); err != nil {
		return err
	}
	return w.writeFixedSum(manifest.RecordPath(rec.Seq), raw, w.chain.Head())
}

func (w *Writer) putData(rec *manifest.Record, body io.Reader) error {
	if rec.Size < 0 {
		return fmt.Errorf("record for %s: negative size", rec.Path)
	}
	if err := w.boundary(rec.Size); err != nil {
		return err
	}
	if err := w.tw.WriteHeader(dataHeader(rec)); err != nil {
		return fmt.Errorf("write %s: %w", rec.Path, err)
	}
	if pre, sum := prehashedBytes(body, rec.Size, w.opts.MD5 || w.opts.SHA1); pre != nil {
		if _, err := w.tw.Write(pre); err != nil {
			if cerr := w.comp.error(); cerr != nil {
				return cerr
			}
			return err
		}
		rec.BytesRead = rec.Size
		w.endData(rec, body, sum[:])
		return nil
	}
	sha := sha256.New()
	hs := []io.Writer{sha}
	var md, s1 hash.Hash
	if w.opts.MD5 {
		md = md5.New()
		hs = append(hs, md)
	}
	if w.opts.SHA1 {
		s1 = sha1.New()
		hs = append(hs, s1)
	}
	var n int64
	var readErr error
	if body != nil {
		n, readErr = w.readInto(body, rec.Size, hs)
		if readErr != nil && w.comp.error() != nil {
			return w.comp.error()
		}
	}
	rec.BytesRead = n
	if n < rec.Size {
		// Pad, so the tar header's size holds; the record tells the truth.
		if err := writeZeros(io.MultiWriter(append(hs, w.tw)...), rec.Size-n); err != nil {
			return err
		}
		why := "the source ended early"
		if readErr != nil {
			why = readErr.Error()
		}
		rec.Errors = append(rec.Errors, fmt.Sprintf("read %d of %d bytes (%s); the rest is zero padding", n, rec.Size, why))
		if rec.Outcome == manifest.OutcomeOK {
			rec.Outcome = manifest.OutcomePartial
		}
	}
	if md != nil {
		rec.MD5 = hex.EncodeToString(md.Sum(nil))
	}
	if s1 != nil {
		rec.SHA1 = hex.EncodeToString(s1.Sum(nil))
	}
	w.endData(rec, body, sha.Sum(nil))
	return nil
}

// endData ends a data entry: the body reports what it saw while read, and
// the record and SHA256SUMS get the entry's SHA-256.
func (w *Writer) endData(rec *manifest.Record, body io.Reader, sha256sum []byte) {
	if r, ok := body.(interface{ Report(*manifest.Record) }); ok {
		r.Report(rec)
	}
	rec.SHA256 = hex.EncodeToString(sha256sum)
	writeSumLine(w.sums, rec.SHA256, string(rec.Path))
}

// prehashedBytes returns the bytes and SHA-256 of a body that hashed
// itself as it read (collect.Prehashed: small files read ahead, hashed by
// the goroutine that read them), when they are exactly the size bytes the
// record promises and no other digest is asked for; nil otherwise, and
// the writer hashes as it copies. Verify hashes every byte again.
func prehashedBytes(body io.Reader, size int64, otherDigests bool) ([]byte, [sha256.Size]byte) {
	p, ok := body.(interface {
		Bytes() []byte
		SHA256() ([sha256.Size]byte, bool)
	})
	if !ok || otherDigests {
		return nil, [sha256.Size]byte{}
	}
	sum, ok := p.SHA256()
	if b := p.Bytes(); ok && int64(len(b)) == size {
		return b, sum
	}
	return nil, [sha256.Size]byte{}
}

// readChunk bounds one read of an artifact's body: the bytes just read are
// hashed while still in the core's cache.
const readChunk = 256 << 10

// readInto reads up to size bytes of the current entry's data from body
// straight into the frame being gathered, each piece hashed by hs as it
// lands: no copy from a read buffer into the frame. It returns how many
// bytes were read, and the read error that stopped it early (nil at the
// end of body; io.ErrNoProgress for a body that keeps reading nothing).
func (w *Writer) readInto(body io.Reader, size int64, hs []io.Writer) (int64, error) {
	size = min(size, w.tw.remaining())
	var n int64
	idle := 0
	for n < size {
		p := w.fr.room()
		p = p[:min(int64(len(p)), size-n, readChunk)]
		k, err := body.Read(p)
		if k < 0 || k > len(p) {
			return n, fmt.Errorf("body read returned %d bytes for a buffer of %d", k, len(p))
		}
		if k > 0 {
			idle = 0
			for _, h := range hs {
				h.Write(p[:k])
			}
			w.tw.wrote(k)
			n += int64(k)
			if ferr := w.fr.fill(k); ferr != nil {
				return n, ferr
			}
		}
		switch {
		case err == io.EOF:
			return n, nil
		case err != nil:
			return n, err
		case k == 0:
			if idle++; idle >= 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

var zeros = make([]byte, 64<<10)

func writeZeros(w io.Writer, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// Sealed describes a sealed bundle.
type Sealed struct {
	Path   string
	SHA256 string // of the bundle file as stored (the ciphertext, if encrypted)
	Size   int64  // of the bundle file as stored
	// StreamSHA256 and StreamSize are of the .tar.zst stream; the same as
	// SHA256 and Size unless the bundle is encrypted, when they are what
	// 'age -d' gives back.
	StreamSHA256 string
	StreamSize   int64
	Encrypted    bool
	// Manifest is the manifest written, without its records and frames
	// lists, which were streamed from spools and are not kept.
	Manifest *manifest.Manifest
}

// Seal writes the manifest, its signature, SHA256SUMS and its signature,
// ends the tar stream, syncs the file and only then renames it to its final name.
// status is manifest.StatusSealed, or StatusInterrupted with a reason.
func (w *Writer) Seal(status, reason string, ledger *manifest.Checkpoint) (*Sealed, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil, ErrClosed
	}
	if w.err != nil {
		return nil, fmt.Errorf("cannot seal %s: %w", w.PartialPath(), w.err)
	}
	s, err := w.seal(status, reason, ledger)
	if err != nil {
		w.err = err
		w.done = true
		w.comp.close()
		w.out.close()
		w.f.Close()
	}
	// Only now: the compressor indexes frames until it stops.
	w.closeSpools()
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", w.PartialPath(), err)
	}
	return s, nil
}

func (w *Writer) seal(status, reason string, ledger *manifest.Checkpoint) (*Sealed, error) {
	// End the records' frames, so the index covers everything before the
	// manifest.
	if err := w.cut(); err != nil {
		return nil, err
	}
	if err := w.comp.drain(); err != nil {
		return nil, err
	}
	w.fr.store = true
	m := &manifest.Manifest{
		Format:     manifest.Format,
		BundleID:   w.hdr.BundleID,
		Status:     status,
		StartedAt:  w.hdr.StartedAt,
		FinishedAt: w.opts.Now().UTC(),
		Ledger:     ledger,
		Reason:     reason,
	}
	w.chain.SealFields(m)
	nframes, err := w.comp.indexed()
	if err != nil {
		return nil, err
	}
	lists := manifest.Lists{Records: w.hashes, NRecords: w.chain.Len(), Frames: w.index, NFrames: nframes}
	if err := w.writeManifest(m, lists); err != nil {
		return nil, err
	}
	n := w.sums.Len()
	sums, err := w.sums.Open(n)
	if err != nil {
		return nil, err
	}
	if err := w.startFixed(manifest.SumsPath, n); err != nil {
		return nil, err
	}
	if _, err := io.Copy(w.tw, sums); err != nil {
		return nil, err
	}
	if err := w.writeSumsSig(n); err != nil {
		return nil, err
	}
	if err := w.tw.Close(); err != nil {
		return nil, err
	}
	if err := w.fr.cut(); err != nil {
		return nil, err
	}
	if err := w.comp.close(); err != nil {
		return nil, err
	}
	w.done = true
	if err := w.out.close(); err != nil {
		w.f.Close()
		return nil, err
	}
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		return nil, err
	}
	streamSum, streamSize := hex.EncodeToString(w.comp.fileSum.Sum(nil)), w.comp.off
	sum, size := w.out.sum(w.comp.fileSum, w.comp.off)
	if err := w.f.Close(); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(w.path); err == nil {
		return nil, fmt.Errorf("%s appeared while writing; not overwritten", w.path)
	}
	if err := os.Rename(w.PartialPath(), w.path); err != nil {
		return nil, err
	}
	syncDir(filepath.Dir(w.path))
	return &Sealed{
		Path:         w.path,
		SHA256:       sum,
		Size:         size,
		StreamSHA256: streamSum,
		StreamSize:   streamSize,
		Encrypted:    w.out.stored != nil,
		Manifest:     m,
	}, nil
}

// writeManifest writes the manifest and its signature. The manifest is
// streamed from the lists, never held whole: once through the signature's
// digest (or, unsigned, only counted) for its size, which the tar header
// needs first, then into the bundle.
func (w *Writer) writeManifest(m *manifest.Manifest, lists manifest.Lists) error {
	var (
		size int64
		sig  []byte
		err  error
	)
	if w.opts.Signer == nil {
		size, err = manifest.WriteManifest(io.Discard, m, lists)
	} else {
		pr, pw := io.Pipe()
		var werr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			size, werr = manifest.WriteManifest(pw, m, lists)
			pw.CloseWithError(werr)
		}()
		sig, err = manifest.Sign(pr, w.opts.Signer)
		pr.Close()
		<-done
		err = cmp.Or(err, werr) // a failed write reaches Sign through the pipe too
	}
	if err != nil {
		return err
	}
	if err := w.startFixed(manifest.ManifestPath, size); err != nil {
		return err
	}
	sum := sha256.New()
	n, err := manifest.WriteManifest(io.MultiWriter(w.tw, sum), m, lists)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("manifest: %d bytes written, %d announced", n, size)
	}
	writeSumLine(w.sums, hex.EncodeToString(sum.Sum(nil)), manifest.ManifestPath)
	if sig != nil {
		return w.writeFixed(manifest.SignaturePath, sig)
	}
	return nil
}

// writeSumsSig writes hozen/SHA256SUMS.sig, the signature of the n bytes
// of SHA256SUMS, when the bundle is signed. SHA256SUMS lists every other
// entry, the manifest and its signature included, so with this signature
// `sha256sum -c` binds each file to the signer, with no hozen at hand:
// without it, whoever edits a file can rewrite its line. An unsigned
// bundle gets none: it has nothing to bind to.
func (w *Writer) writeSumsSig(n int64) error {
	if w.opts.Signer == nil {
		return nil
	}
	sums, err := w.sums.Open(n)
	if err != nil {
		return err
	}
	sig, err := manifest.Sign(sums, w.opts.Signer)
	if err != nil {
		return fmt.Errorf("%s: %w", manifest.SumsPath, err)
	}
	if err := w.startFixed(manifest.SumsSigPath, int64(len(sig))); err != nil {
		return err
	}
	_, err = w.tw.Write(sig)
	return err
}

func (w *Writer) closeSpools() {
	w.sums.close()
	w.hashes.close()
	w.index.close()
}

// Abort stops writing: every complete frame so far is written out and the
// file keeps its .partial name, never called sealed. It returns the path.
func (w *Writer) Abort() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return w.PartialPath()
	}
	w.done = true
	w.tw.Flush()
	w.fr.cut()
	w.comp.close()
	w.closeSpools() // after the compressor, which indexes what it writes
	// An encrypted bundle gets its last age chunk, so that it decrypts
	// whole to the cut bundle.
	w.out.close()
	w.f.Sync()
	w.f.Close()
	return w.PartialPath()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
