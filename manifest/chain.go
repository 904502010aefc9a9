package manifest

import (
	"bytes"
	"crypto/sha256"
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
// they are written or read, one at a time and in order. It appends each
// record's chain hash (which the manifest lists) to a List, and keeps, for
// the tree, only the roots of its complete subtrees: with a List on disk,
// its memory does not grow with the number of records.
type Chain struct {
	headerHash string
	head       string
	seq        int64
	hashes     List
	// edge holds the roots of the tree's complete subtrees, largest
	// (leftmost) first: one per bit set in seq (a compact range).
	edge     []tlog.Hash
	counts   Counts
	lastPath string
}

// NewChainOn starts a chain that appends the records' chain hashes to
// hashes (HashSize bytes each).
func NewChainOn(header []byte, hashes List) *Chain {
	h := SHA256Hex(header)
	return &Chain{headerHash: h, head: h, hashes: hashes}
}

// Head is the chain hash of the last record added (of bundle.json at first).
func (c *Chain) Head() string { return c.head }

// HeaderSHA256 is the digest of bundle.json's bytes.
func (c *Chain) HeaderSHA256() string { return c.headerHash }

// Len is the number of records added.
func (c *Chain) Len() int64 { return c.seq }

// Counts summarises the records added so far.
func (c *Chain) Counts() Counts { return c.counts }

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
	sum := sha256.Sum256(raw)
	if _, err := c.hashes.Write(sum[:]); err != nil {
		return fmt.Errorf("record %d: keeping its chain hash: %w", seq, err)
	}
	h := hex.EncodeToString(sum[:])
	c.addLeaf(tlog.RecordHash(raw))
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

// addLeaf adds a leaf to the compact range: the subtrees it completes
// (one per trailing one bit of the count before it) merge into one.
func (c *Chain) addLeaf(h tlog.Hash) {
	for n := c.seq; n&1 == 1; n >>= 1 {
		h = tlog.NodeHash(c.edge[len(c.edge)-1], h)
		c.edge = c.edge[:len(c.edge)-1]
	}
	c.edge = append(c.edge, h)
}

// MerkleRoot is the RFC 6962 tree hash over the records added, in hex.
// The tree of no records hashes to SHA-256 of the empty string. With the
// complete subtrees' roots largest first, the root folds them from the
// right: RFC 6962 splits a tree at the largest power of two below its size.
func (c *Chain) MerkleRoot() string {
	if len(c.edge) == 0 {
		return SHA256Hex(nil)
	}
	h := c.edge[len(c.edge)-1]
	for i := len(c.edge) - 2; i >= 0; i-- {
		h = tlog.NodeHash(c.edge[i], h)
	}
	return hex.EncodeToString(h[:])
}

// LeafHash is a record's leaf in the Merkle tree (RFC 6962: SHA-256 of a
// zero byte and the record's bytes).
func LeafHash(raw []byte) tlog.Hash { return tlog.RecordHash(raw) }

// ProveRecord returns the inclusion proof of record seq (1-based) in the
// tree over leaves (every record's LeafHash, in order), so the record can
// be disclosed alone. It holds the whole tree in memory, about 64 bytes per
// record.
func ProveRecord(leaves []tlog.Hash, seq int64) ([]string, error) {
	var stored HashList
	for i, leaf := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), leaf, stored)
		if err != nil {
			return nil, err
		}
		stored = append(stored, hs...)
	}
	p, err := tlog.ProveRecord(int64(len(leaves)), seq-1, stored)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = hex.EncodeToString(h[:])
	}
	return out, nil
}

// HashList is a tlog.HashReader over stored hashes in memory (the
// chain's Merkle tree here, the ledger's in custody).
type HashList []tlog.Hash

// ReadHashes implements tlog.HashReader.
func (l HashList) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(l)) {
			return nil, fmt.Errorf("merkle: no stored hash %d", x)
		}
		out[i] = l[x]
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

// SealFields fills in the chain fields but Records.
func (c *Chain) SealFields(m *Manifest) {
	m.HeaderSHA256 = c.headerHash
	m.Counts = c.counts
	m.Head = c.head
	m.MerkleRoot = c.MerkleRoot()
}

// CheckFields compares a manifest's chain fields but the records list
// (which ReadManifest checks as it streams by) with the chain the reader
// rebuilt from the records it found, and reports the first that differs.
func (c *Chain) CheckFields(m *Manifest) error {
	if m.HeaderSHA256 != c.headerHash {
		return &ManifestError{Field: "header_sha256", Reason: fmt.Sprintf("says %s, bundle.json hashes to %s", m.HeaderSHA256, c.headerHash)}
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
	if !KnownFormat(h.Format) {
		return nil, fmt.Errorf("bundle.json: format %q, want %q or %q", h.Format, Format, FormatV1)
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
	if !KnownFormat(m.Format) {
		return nil, fmt.Errorf("manifest.json: format %q, want %q or %q", m.Format, Format, FormatV1)
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
