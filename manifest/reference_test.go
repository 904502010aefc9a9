package manifest

// The in-memory reference of the chain, against which the tests hold the
// streaming code: a chain whose hashes stay in memory, a seal that fills
// in the records list, and a check of a whole parsed manifest.

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
)

// MemList is a List in memory.
type MemList struct{ b []byte }

func (l *MemList) Write(p []byte) (int, error) { l.b = append(l.b, p...); return len(p), nil }
func (l *MemList) Len() int64                  { return int64(len(l.b)) }

// Open returns a reader of the first n bytes.
func (l *MemList) Open(n int64) (io.Reader, error) {
	if n < 0 || n > int64(len(l.b)) {
		return nil, fmt.Errorf("list: %d bytes asked, %d held", n, len(l.b))
	}
	return bytes.NewReader(l.b[:n:n]), nil
}

// NewChain starts a chain at the given bundle.json bytes, keeping the
// records' chain hashes in memory.
func NewChain(header []byte) *Chain { return NewChainOn(header, &MemList{}) }

// Hashes is the List of the records' chain hashes.
func (c *Chain) Hashes() List { return c.hashes }

// Seal fills in a manifest's chain fields from the records added, the
// list of their chain hashes included: for tests and small bundles (a
// writer streams the list with WriteManifest instead).
func (c *Chain) Seal(m *Manifest) error {
	c.SealFields(m)
	m.Records = make([]string, 0, c.seq)
	return eachEntry(c.hashes, c.seq, HashSize, func(_ int64, e []byte) error {
		m.Records = append(m.Records, hex.EncodeToString(e))
		return nil
	})
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
	err := eachEntry(c.hashes, c.seq, HashSize, func(i int64, e []byte) error {
		if want := hex.EncodeToString(e); m.Records[i] != want {
			return &RecordError{Seq: i + 1, Reason: fmt.Sprintf("manifest lists chain hash %s, record hashes to %s", clipHash(m.Records[i]), want)}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.CheckFields(m)
}
