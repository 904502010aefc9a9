package export

import (
	"archive/tar"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/manifest"
)

// Bundle is a bundle as read for export: only what verified.
type Bundle struct {
	// Name is the bundle's file name, as the exports name it.
	Name   string
	Result *bundle.Result
	Header *manifest.Header
	// Records are the records that verified, in order.
	Records []manifest.Record
	// Meta are hozen's own entries that extract delivers, in order, with
	// their digests (computed here from their bytes).
	Meta []MetaEntry
	// Layout is the tree extract writes; Links are the bundle's links,
	// with extract's decision for each.
	Layout *bundle.Layout
	Links  []bundle.PlannedLink
	// Incomplete: the bundle was cut short or sealed early, and the
	// export was allowed to go on with what verified.
	Incomplete bool
	// Custody is the bundle's custody trail, when a ledger was given.
	Custody *Custody
	// Tool names the hozen that exports (its version).
	Tool string

	placed map[string]digest // the files in Layout, by path
}

// digest is a file's size and digests ("" for one not known).
type digest struct {
	size              int64
	sha256, md5, sha1 string
}

// Custody is a custody trail: the ledger's id, its checkpoint and the
// events, and whether the ledger verified.
type Custody struct {
	Ledger    string
	Head      string
	Events    []custody.Event
	VerifyErr error
}

// MetaEntry is one of hozen's own entries of a bundle (bundle.json,
// records, manifest, SHA256SUMS and their signatures).
type MetaEntry struct {
	Path              string
	Size              int64
	SHA256, MD5, SHA1 string
}

// ReadOptions configure [Read].
type ReadOptions struct {
	// Name is the bundle's file name.
	Name string
	// Verify reads the bundle with the options given (the caller adds
	// Trust): bundle.File.Verify, or bundle.Verify over a reader.
	Verify func(bundle.VerifyOptions) (*bundle.Result, error)
	// AllowIncomplete: export what verified from a bundle cut short.
	AllowIncomplete bool
}

// NotVerifiedError is a bundle that is not exported: tampered,
// untrusted, or incomplete without ReadOptions.AllowIncomplete.
type NotVerifiedError struct {
	Status bundle.Status
	Result *bundle.Result
}

func (e *NotVerifiedError) Error() string {
	return fmt.Sprintf("the bundle is %s: %v", e.Status, e.Result.Err)
}

// Read verifies a bundle and keeps what the exports need. It returns a
// *NotVerifiedError for a bundle that is not intact (see
// ReadOptions.AllowIncomplete), or the error of Verify.
func Read(opts ReadOptions) (*Bundle, error) {
	b := &Bundle{Name: opts.Name, Layout: bundle.NewLayout(), placed: map[string]digest{}}
	res, err := opts.Verify(bundle.VerifyOptions{Handler: reader{b}, Meta: b.meta})
	if err != nil {
		return nil, err
	}
	b.Result = res
	switch st := res.Status(); st {
	case bundle.StatusIntact:
	case bundle.StatusIncomplete:
		if !opts.AllowIncomplete {
			return nil, &NotVerifiedError{Status: st, Result: res}
		}
		b.Incomplete = true
	default:
		return nil, &NotVerifiedError{Status: st, Result: res}
	}
	if res.FileSHA256 == "" {
		// As extract: what comes after the records was never checked.
		tail := map[string]bool{manifest.ManifestPath: true, manifest.SignaturePath: true, manifest.SumsPath: true, manifest.SumsSigPath: true}
		kept := b.Meta[:0]
		for _, m := range b.Meta {
			if tail[m.Path] {
				b.Layout.RemoveFile(m.Path)
				delete(b.placed, m.Path)
				continue
			}
			kept = append(kept, m)
		}
		b.Meta = kept
	}
	b.Links = b.Layout.PlaceLinks()
	return b, nil
}

// reader is the Handler that keeps the verified records.
type reader struct{ b *Bundle }

func (r reader) Header(h *manifest.Header) error { r.b.Header = h; return nil }

func (r reader) Data(*tar.Header, io.Reader) error { return nil }

func (r reader) Record(rec *manifest.Record) error {
	b := r.b
	b.Records = append(b.Records, *rec)
	p := string(rec.Path)
	switch rec.Entry {
	case manifest.EntryFile:
		if b.Layout.AddFile(p) == "" {
			b.placed[p] = digest{size: rec.Size, sha256: rec.SHA256, md5: rec.MD5, sha1: rec.SHA1}
		}
	case manifest.EntrySymlink:
		target := ""
		if rec.File != nil && rec.File.LinkTarget != nil {
			target = string(*rec.File.LinkTarget)
		}
		b.Layout.AddLink(rec.Seq, p, target)
	}
	return nil
}

func (b *Bundle) meta(name string, r io.Reader) error {
	s256, m5, s1 := sha256.New(), md5.New(), sha1.New()
	n, err := io.Copy(io.MultiWriter(s256, m5, s1), r)
	if err != nil {
		return err
	}
	b.Meta = append(b.Meta, MetaEntry{Path: name, Size: n,
		SHA256: hex.EncodeToString(s256.Sum(nil)), MD5: hex.EncodeToString(m5.Sum(nil)), SHA1: hex.EncodeToString(s1.Sum(nil))})
	m := b.Meta[len(b.Meta)-1]
	if b.Layout.AddFile(name) == "" {
		b.placed[name] = digest{size: m.Size, sha256: m.SHA256, md5: m.MD5, sha1: m.SHA1}
	}
	return nil
}
