package custody

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TimestampNote is the reason of a "timestamped" event, as one JSON
// object: an RFC 3161 token over the SHA-256 of the bundle file the
// event names (BundleSHA256), stored beside it. See docs/format.md,
// "Timestamps".
type TimestampNote struct {
	TSA         string `json:"tsa"`          // the TSA's URL
	Sidecar     string `json:"sidecar"`      // the file name the reply was stored as
	TokenSHA256 string `json:"token_sha256"` // SHA-256 of the stored reply's bytes
	GenTime     string `json:"gen_time"`     // the TSA's time, RFC 3339 UTC
	Subject     string `json:"tsa_subject"`  // the TSA certificate's subject
}

// String is the note as a timestamped event's reason.
func (n TimestampNote) String() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(n); err != nil {
		panic(err) // strings only
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ParseTimestampNote reads a timestamped event's reason, and checks that
// it names a TSA, a token's SHA-256 and a time.
func ParseTimestampNote(reason string) (TimestampNote, error) {
	var n TimestampNote
	dec := json.NewDecoder(strings.NewReader(reason))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil || dec.More() {
		return n, fmt.Errorf("a timestamped event's reason is a JSON object with tsa, sidecar, token_sha256, gen_time and tsa_subject")
	}
	if strings.TrimSpace(n.TSA) == "" {
		return n, fmt.Errorf("a timestamped event names its TSA")
	}
	if !isHex64(n.TokenSHA256) {
		return n, fmt.Errorf("a timestamped event's token_sha256 %q is not 64 lower-case hex digits", n.TokenSHA256)
	}
	if _, err := time.Parse(time.RFC3339, n.GenTime); err != nil {
		return n, fmt.Errorf("a timestamped event's gen_time %q is not RFC 3339", n.GenTime)
	}
	return n, nil
}
