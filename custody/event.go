package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Action says what happened to the evidence.
type Action string

// The actions a ledger records.
const (
	ActionCollected   Action = "collected"   // collection of a bundle started (hozen collect)
	ActionSealed      Action = "sealed"      // a bundle was sealed: file SHA-256, chain head, Merkle root
	ActionVerified    Action = "verified"    // a bundle was verified; Outcome says how
	ActionTransferred Action = "transferred" // custody passed from Actor to Recipient
	ActionReceived    Action = "received"    // Actor took custody
	ActionAccessed    Action = "accessed"    // the evidence was opened or examined
	ActionExtracted   Action = "extracted"   // artifacts were extracted from a bundle
	ActionExported    Action = "exported"    // evidence or a report left the lab's systems
	ActionNote        Action = "note"        // free text
	ActionImported    Action = "imported"    // another ledger's events were folded in
	ActionTimestamped Action = "timestamped" // a TSA timestamped a bundle file (RFC 3161); Reason is a [TimestampNote]
	ActionStored      Action = "stored"      // a bundle was stored past this host (hozen push): Location, Reason
)

// Actions lists every action, in the order of a bundle's life.
var Actions = []Action{
	ActionCollected, ActionSealed, ActionVerified, ActionTransferred, ActionReceived,
	ActionAccessed, ActionExtracted, ActionExported, ActionNote, ActionImported, ActionTimestamped, ActionStored,
}

// Valid reports whether a is one of [Actions].
func (a Action) Valid() bool {
	for _, b := range Actions {
		if a == b {
			return true
		}
	}
	return false
}

// Event is one entry of the ledger. Append fills Ledger, Seq, ID, At,
// Signature (with Options.Signer), Prev and Hash; the caller fills the rest.
// Empty strings mean "not applicable".
type Event struct {
	// Ledger is the id of the chain the event belongs to: the ledger that
	// recorded it (meta.ledger_id there). Imported events keep theirs.
	Ledger string    `json:"ledger"`
	Seq    int64     `json:"seq"` // position in its chain, from 1
	ID     string    `json:"id"`  // UUIDv7
	At     time.Time `json:"at"`  // UTC, when the ledger recorded the event
	Actor  string    `json:"actor"`
	Action Action    `json:"action"`
	CaseID string    `json:"case_id"`

	BundleID         string `json:"bundle_id"`
	BundleFile       string `json:"bundle_file"`        // the bundle's file name, without directory
	BundleSHA256     string `json:"bundle_sha256"`      // of the bundle file's bytes
	BundleHead       string `json:"bundle_head"`        // the bundle's record chain head
	BundleMerkleRoot string `json:"bundle_merkle_root"` // the bundle's Merkle root over its records

	Host      string `json:"host"`      // the machine where the action took place
	Location  string `json:"location"`  // where the evidence was (room, safe, courier)
	Recipient string `json:"recipient"` // who received custody (transferred)
	Reason    string `json:"reason"`    // why, free text
	Outcome   string `json:"outcome"`   // result of a verification (intact, tampered, incomplete)

	// For "imported": the other ledger's chain id, size and Merkle root at import.
	SourceLedger string `json:"source_ledger"`
	SourceSize   int64  `json:"source_size"`
	SourceRoot   string `json:"source_root"`

	// Signature is an armored OpenSSH SSHSIG (namespace [EventNamespace])
	// over the event's record with an empty signature, or "".
	Signature string `json:"signature"`

	Prev string `json:"prev"` // Hash of the event before in the chain; GenesisPrev for the first
	Hash string `json:"hash"` // SHA-256 of the event's record, hex
}

// GenesisPrev is the Prev of the first event of a chain.
const GenesisPrev = "0000000000000000000000000000000000000000000000000000000000000000"

// RecordVersion is the "v" of a record: the version of the canonical form.
const RecordVersion = 1

// timeFormat is the fixed-width UTC form of At, so that text order is time
// order.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

// FormatTime renders t as the ledger stores it.
func FormatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// record is the canonical form of an event: its fields in this order, every
// one present, no white space, Go encoding/json escaping without HTML
// escaping. See docs/custody.md.
type record struct {
	V                int    `json:"v"`
	Ledger           string `json:"ledger"`
	Seq              int64  `json:"seq"`
	ID               string `json:"id"`
	At               string `json:"at"`
	Actor            string `json:"actor"`
	Action           string `json:"action"`
	CaseID           string `json:"case_id"`
	BundleID         string `json:"bundle_id"`
	BundleFile       string `json:"bundle_file"`
	BundleSHA256     string `json:"bundle_sha256"`
	BundleHead       string `json:"bundle_head"`
	BundleMerkleRoot string `json:"bundle_merkle_root"`
	Host             string `json:"host"`
	Location         string `json:"location"`
	Recipient        string `json:"recipient"`
	Reason           string `json:"reason"`
	Outcome          string `json:"outcome"`
	SourceLedger     string `json:"source_ledger"`
	SourceSize       int64  `json:"source_size"`
	SourceRoot       string `json:"source_root"`
	Prev             string `json:"prev"`
	Signature        string `json:"signature"`
}

// encoder renders records; it reuses its buffer, so one per goroutine.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newEncoder() *encoder {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// encode returns the canonical bytes of r, valid until the next call.
func (e *encoder) encode(r *record) []byte {
	e.buf.Reset()
	if err := e.enc.Encode(r); err != nil {
		panic(err) // cannot happen: strings and integers only
	}
	b := e.buf.Bytes()
	return b[:len(b)-1] // Encode adds a newline
}

// toRecord is e's canonical form; at is e.At as stored.
func (e *Event) toRecord(at string) *record {
	return &record{
		V: RecordVersion, Ledger: e.Ledger, Seq: e.Seq, ID: e.ID, At: at,
		Actor: e.Actor, Action: string(e.Action), CaseID: e.CaseID,
		BundleID: e.BundleID, BundleFile: e.BundleFile, BundleSHA256: e.BundleSHA256,
		BundleHead: e.BundleHead, BundleMerkleRoot: e.BundleMerkleRoot,
		Host: e.Host, Location: e.Location, Recipient: e.Recipient, Reason: e.Reason,
		Outcome: e.Outcome, SourceLedger: e.SourceLedger, SourceSize: e.SourceSize,
		SourceRoot: e.SourceRoot, Prev: e.Prev, Signature: e.Signature,
	}
}

// Record returns the canonical bytes of e whose SHA-256 is e.Hash.
func (e *Event) Record() []byte {
	return bytes.Clone(newEncoder().encode(e.toRecord(FormatTime(e.At))))
}

// SignedMessage returns the bytes an event signature covers: the record
// with an empty signature.
func (e *Event) SignedMessage() []byte {
	c := *e
	c.Signature = ""
	return c.Record()
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// check validates the fields a caller fills, before Append.
func (e *Event) check() error {
	if !e.Action.Valid() {
		return fmt.Errorf("%w: unknown action %q (want one of %s)", ErrInvalidEvent, e.Action, actionList())
	}
	if strings.TrimSpace(e.Actor) == "" {
		return fmt.Errorf("%w: no actor: say who acts", ErrInvalidEvent)
	}
	if e.Action == ActionTransferred && strings.TrimSpace(e.Recipient) == "" {
		return fmt.Errorf("%w: a transfer needs a recipient", ErrInvalidEvent)
	}
	if e.Action == ActionStored && (e.BundleSHA256 == "" || strings.TrimSpace(e.Location) == "") {
		return fmt.Errorf("%w: a stored event needs the bundle's sha256 and the location it was stored at", ErrInvalidEvent)
	}
	if e.SourceSize < 0 {
		return fmt.Errorf("%w: negative source size", ErrInvalidEvent)
	}
	if e.Action == ActionTimestamped {
		if e.BundleSHA256 == "" {
			return fmt.Errorf("%w: a timestamped event names the bundle file's sha256 its token covers", ErrInvalidEvent)
		}
		if _, err := ParseTimestampNote(e.Reason); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidEvent, err)
		}
	}
	for name, v := range map[string]string{
		"actor": e.Actor, "case id": e.CaseID, "bundle id": e.BundleID, "bundle file": e.BundleFile,
		"bundle sha256": e.BundleSHA256, "bundle head": e.BundleHead, "bundle merkle root": e.BundleMerkleRoot,
		"host": e.Host, "location": e.Location, "recipient": e.Recipient, "reason": e.Reason,
		"outcome": e.Outcome, "source ledger": e.SourceLedger, "source root": e.SourceRoot,
	} {
		if !utf8.ValidString(v) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidEvent, name)
		}
		if strings.ContainsRune(v, 0) {
			return fmt.Errorf("%w: %s holds a NUL byte", ErrInvalidEvent, name)
		}
	}
	for name, v := range map[string]string{"bundle sha256": e.BundleSHA256, "bundle head": e.BundleHead, "bundle merkle root": e.BundleMerkleRoot, "source root": e.SourceRoot} {
		if v != "" && !isHex64(v) {
			return fmt.Errorf("%w: %s %q is not 64 lower-case hex digits", ErrInvalidEvent, name, v)
		}
	}
	return nil
}

func actionList() string {
	s := make([]string, len(Actions))
	for i, a := range Actions {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
