package manifest

import (
	"errors"
	"fmt"
)

// Sentinel errors. Typed errors below wrap one of them, so callers can test
// the kind with errors.Is and read the evidence with errors.As.
var (
	// ErrTampered means a hash, a link or a signature does not hold.
	ErrTampered = errors.New("tampered")
	// ErrUnsigned means a trusted key was required but the bundle has no signature.
	ErrUnsigned = errors.New("bundle is not signed")
	// ErrUntrustedSigner means the signature is good but the key is not trusted.
	ErrUntrustedSigner = errors.New("signer is not trusted")
)

// RecordError says which record failed a check, and why. It wraps ErrTampered.
type RecordError struct {
	Seq    int64
	Path   string // artifact path, when known
	Reason string
}

func (e *RecordError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("record %d (%s): %s", e.Seq, e.Path, e.Reason)
	}
	return fmt.Sprintf("record %d: %s", e.Seq, e.Reason)
}

// Unwrap lets errors.Is(err, ErrTampered) hold.
func (e *RecordError) Unwrap() error { return ErrTampered }

// ManifestError says which part of the manifest or signature failed.
type ManifestError struct {
	Field  string
	Reason string
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("manifest %s: %s", e.Field, e.Reason)
}

// Unwrap lets errors.Is(err, ErrTampered) hold.
func (e *ManifestError) Unwrap() error { return ErrTampered }
