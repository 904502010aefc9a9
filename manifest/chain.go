package manifest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxRecordSize bounds the bytes of one record, header or manifest entry that
// a reader accepts before parsing: an adversary's bundle must not make a
// verifier allocate without limit. A manifest lists every record's hash, so
// it may be large; records and headers are small.
const (
	MaxRecordSize   = 1 << 20
	MaxHeaderSize   = 1 << 20
	MaxManifestSize = 1 << 30
)

// Chain builds the hash chain and the Merkle tree of a bundle's records as
// they are written or read, one at a time and in order.
type Chain struct {
	headerHash string
	head       string
	seq        int64
	hashes     []string
	stored     []tlog.Hash
	counts     Counts
	lastPath   string
}

// NewChain starts a chain at the given bundle.json bytes.
func NewChain(header []byte) *Chain {
	h := SHA256Hex(header)
	return &Chain{headerHash: h, head: h}
}

// Head is the chain hash of the last record added (of bundle.json at first).
func (c *Chain) Head() string { return c.head }

// HeaderSHA256 is the digest of bundle.json's bytes.
func (c *Chain) HeaderSHA256() string { return c.headerHash }

// Len is the number of records added.
func (c *Chain) Len() int64 { return c.seq }

// Counts summarises the records added so far.
func (c *Chain) Counts() Counts { return c.counts }

// Hashes returns the chain hashes of the records added, in order.
func (c *Chain) Hashes() []string { return c.hashes }

// Next returns the Seq and Prev the next record must carry.
func (c *Chain) Next() (seq int64, prev string) { return c.seq + 1, c.head }

// Add appends a record given as its exact bytes and parsed value. It checks
// that the record carries the expected seq and prev.
func (c *Chain) Add(raw []byte, r *Record) error {
	seq, prev := c.Next()
	if r.Seq != seq {
		return &RecordError{Seq: seq, Path: string(r.Path), Reason: fmt.Sprintf("out of order: carries seq %d", r.Seq)}
	}
	if r.Prev != prev {
		if seq == 1 {
			return &RecordError{Seq: seq, Path: string(r.Path), Reason: fmt.Sprintf("broken link: prev is %s, but bundle.json hashes to %s: the header was edited, or this record", r.Prev, prev)}
		}
		return &RecordError{Seq: seq - 1, Path: c.lastPath, Reason: fmt.Sprintf("broken link: its bytes hash to %s, but record %d links to %s: this record was edited (or the next one's prev)", prev, seq, r.Prev)}
	}
	h := SHA256Hex(raw)
	leaf := tlog.RecordHash(raw)
	hs, err := tlog.StoredHashesForRecordHash(c.seq, leaf, c)
	if err != nil {
		return err
	}
	c.stored = append(c.stored, hs...)
	c.hashes = append(c.hashes, h)
	c.head = h
	c.seq = seq
	c.lastPath = string(r.Path)
	c.counts.Records++
	if r.Entry != EntryNone {
		c.counts.Artifacts++
		c.counts.Bytes += r.Size
	}
	if r.Outcome != OutcomeOK {
		c.counts.Errors++
	}
	return nil
}

// ReadHashes implements tlog.HashReader over the stored hashes.
func (c *Chain) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(c.stored)) {
			return nil, fmt.Errorf("merkle: no stored hash %d", x)
		}
		out[i] = c.stored[x]
	}
	return out, nil
}

// MerkleRoot is the RFC 6962 tree hash over the records added, in hex.
// The tree of no records hashes to SHA-256 of the empty string.
func (c *Chain) MerkleRoot() string {
	if c.seq == 0 {
		return SHA256Hex(nil)
	}
	h, err := tlog.TreeHash(c.seq, c)
	if err != nil {
		panic(err) // cannot happen: every stored hash was added by Add
	}
	return hex.EncodeToString(h[:])
}

// ProveRecord returns the inclusion proof of record seq (1-based) in the tree
// of all records added, so the record can be disclosed alone.
func (c *Chain) ProveRecord(seq int64) ([]string, error) {
	p, err := tlog.ProveRecord(c.seq, seq-1, c)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = hex.EncodeToString(h[:])
	}
	return out, nil
}

// CheckInclusion checks that the record bytes raw are leaf seq (1-based) of a
// tree of n records with the given hex root.
func CheckInclusion(proof []string, n int64, root string, seq int64, raw []byte) error {
	th, err := parseHash(root)
	if err != nil {
		return err
	}
	p := make(tlog.RecordProof, len(proof))
	for i, s := range proof {
		if p[i], err = parseHash(s); err != nil {
			return err
		}
	}
	if err := tlog.CheckRecord(p, n, th, seq-1, tlog.RecordHash(raw)); err != nil {
		return fmt.Errorf("%w: inclusion proof of record %d: %v", ErrTampered, seq, err)
	}
	return nil
}

func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("malformed hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

// Seal fills in a manifest's chain fields from the records added.
func (c *Chain) Seal(m *Manifest) {
	m.HeaderSHA256 = c.headerHash
	m.Counts = c.counts
	m.Records = c.hashes
	if m.Records == nil {
		m.Records = []string{}
	}
	m.Head = c.head
	m.MerkleRoot = c.MerkleRoot()
}

// CheckManifest compares a manifest with the chain the reader rebuilt from
// the records it found, and reports the first field that differs.
func (c *Chain) CheckManifest(m *Manifest) error {
	if m.HeaderSHA256 != c.headerHash {
		return &ManifestError{Field: "header_sha256", Reason: fmt.Sprintf("says %s, bundle.json hashes to %s", m.HeaderSHA256, c.headerHash)}
	}
	if int64(len(m.Records)) != c.seq {
		return &ManifestError{Field: "records", Reason: fmt.Sprintf("lists %d records, the bundle holds %d", len(m.Records), c.seq)}
	}
	for i, h := range m.Records {
		if h != c.hashes[i] {
			return &RecordError{Seq: int64(i + 1), Reason: fmt.Sprintf("manifest lists chain hash %s, record hashes to %s", h, c.hashes[i])}
		}
	}
	if m.Counts != c.counts {
		return &ManifestError{Field: "counts", Reason: fmt.Sprintf("says %+v, records give %+v", m.Counts, c.counts)}
	}
	if m.Head != c.head {
		return &ManifestError{Field: "head", Reason: fmt.Sprintf("says %s, chain ends at %s", m.Head, c.head)}
	}
	if root := c.MerkleRoot(); m.MerkleRoot != root {
		return &ManifestError{Field: "merkle_root", Reason: fmt.Sprintf("says %s, records give %s", m.MerkleRoot, root)}
	}
	return nil
}

// ParseRecord parses a record strictly: unknown fields, trailing data and
// missing required fields are errors.
func ParseRecord(b []byte) (*Record, error) {
	var r Record
	if err := strictUnmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	switch r.Entry {
	case EntryFile, EntrySymlink, EntryNone:
	default:
		return nil, fmt.Errorf("record %d: unknown entry type %q", r.Seq, r.Entry)
	}
	if r.Seq < 1 {
		return nil, fmt.Errorf("record: seq %d is not positive", r.Seq)
	}
	if r.Size < 0 || r.BytesRead < 0 || r.BytesRead > r.Size {
		return nil, fmt.Errorf("record %d: size %d and bytes_read %d do not fit", r.Seq, r.Size, r.BytesRead)
	}
	if r.Entry == EntryFile && len(r.SHA256) != 64 {
		return nil, fmt.Errorf("record %d: no sha256", r.Seq)
	}
	return &r, nil
}

// ParseHeader parses bundle.json strictly and checks its format.
func ParseHeader(b []byte) (*Header, error) {
	var h Header
	if err := strictUnmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("bundle.json: %w", err)
	}
	if h.Format != Format {
		return nil, fmt.Errorf("bundle.json: format %q, want %q", h.Format, Format)
	}
	if h.BundleID == "" {
		return nil, errors.New("bundle.json: no bundle_id")
	}
	return &h, nil
}

// ParseManifest parses manifest.json strictly.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := strictUnmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("manifest.json: format %q, want %q", m.Format, Format)
	}
	switch m.Status {
	case StatusSealed, StatusInterrupted:
	default:
		return nil, fmt.Errorf("manifest.json: unknown status %q", m.Status)
	}
	return &m, nil
}

func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
