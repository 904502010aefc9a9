package manifest

// A proof discloses one artifact of a bundle without the rest: its bytes,
// its record, bundle.json, the signed manifest, and the RFC 6962 inclusion
// proof of the record under the manifest's Merkle root. docs/format.md
// ("Proofs") describes the file; package bundle writes and checks it. What
// is here is pure: the names and proof.json's schema.

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/hiddeco/sshsig"
)

// ProofFormat is the version of the proof file, the content of its first
// entry (ProofMarkerPath, with a newline) and proof.json's "format".
const ProofFormat = "hozen-proof/1"

// Entry names of a proof file that are not the bundle's own.
const (
	// ProofMarkerPath is the first entry: ProofFormat and a newline, as a
	// .deb's first member says its format.
	ProofMarkerPath = "hozen-proof"
	// ProofPath is the last entry: proof.json.
	ProofPath = "proof.json"
)

// MaxProofJSONSize bounds proof.json: a Merkle path of at most 63 hashes
// and an artifact path make a few KiB.
const MaxProofJSONSize = 1 << 20

// Proof is proof.json: what the proof claims, each value checked against
// the entries it comes with. Field order fixes its canonical bytes
// (Marshal): a checker demands exactly them.
type Proof struct {
	Format   string `json:"format"`
	BundleID string `json:"bundle_id"`
	// Seq and Path name the record disclosed; Record is its entry name.
	Seq    int64   `json:"seq"`
	Path   BString `json:"path"`
	Entry  string  `json:"entry"`
	Record string  `json:"record"`
	// RecordSHA256 is the record's chain hash, as the manifest lists it.
	RecordSHA256 string `json:"record_sha256"`
	// Size and SHA256 are the artifact's bytes, for a "file" record.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	// TreeSize and MerkleRoot are the manifest's count of records and its
	// root; Inclusion is the record's RFC 6962 audit path (hex hashes,
	// leaf to root) under them.
	TreeSize   int64    `json:"tree_size"`
	MerkleRoot string   `json:"merkle_root"`
	Inclusion  []string `json:"inclusion"`
	// Signer is the fingerprint of the manifest's signer; empty when the
	// bundle is unsigned (and the proof has no manifest.json.sig).
	Signer string `json:"signer,omitempty"`
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseProof parses proof.json strictly and demands its canonical bytes:
// unknown fields, other spacing or key order are errors.
func ParseProof(b []byte) (*Proof, error) {
	var p Proof
	if err := strictUnmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("proof.json: %w", err)
	}
	if p.Format != ProofFormat {
		return nil, fmt.Errorf("proof.json: format %q, want %q", p.Format, ProofFormat)
	}
	canon, err := Marshal(&p)
	if err != nil {
		return nil, fmt.Errorf("proof.json: %w", err)
	}
	if string(canon) != string(b) {
		return nil, fmt.Errorf("proof.json: not in canonical form (compact JSON, fields in order, one final newline)")
	}
	if p.Seq < 1 || p.TreeSize < p.Seq {
		return nil, fmt.Errorf("proof.json: record %d of a tree of %d", p.Seq, p.TreeSize)
	}
	if len(p.Inclusion) > 63 {
		return nil, fmt.Errorf("proof.json: an inclusion proof of %d hashes", len(p.Inclusion))
	}
	for _, h := range append([]string{p.RecordSHA256, p.MerkleRoot}, p.Inclusion...) {
		if !hexHash.MatchString(h) {
			return nil, fmt.Errorf("proof.json: malformed hash %q", h)
		}
	}
	return &p, nil
}

// CheckArmor checks that armored is an SSHSIG signature in the exact
// armor Sign writes: armor allows other line breaks and spacing around the
// same signature, and a proof has one form.
func CheckArmor(armored []byte) error {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return &ManifestError{Field: "signature", Reason: err.Error()}
	}
	if !bytes.Equal(sshsig.Armor(sig), armored) {
		return &ManifestError{Field: "signature", Reason: "not in the armor hozen writes"}
	}
	return nil
}
