package bundle

import (
	"errors"

	"github.com/hozen-dfir/hozen/manifest"
)

// Status is what reading a bundle concluded: the one answer every command
// that reads a bundle gives (and maps to its exit code). It refines
// [Outcome] with what happens before or around verification: a file that
// is no bundle, one that cannot be decrypted, an I/O error.
type Status string

// The states of a bundle as read. docs/format.md ("Verification outcomes")
// says when each holds.
const (
	// StatusIntact: every check passed (and the signer is trusted, when
	// trusted keys were given).
	StatusIntact Status = "intact"
	// StatusTampered: a check failed: a hash, a link, a frame, the seal, a
	// signature, an encrypted part or header that fails authentication.
	StatusTampered Status = "tampered"
	// StatusUntrusted: the bundle holds together, but trusted keys were
	// given and it is unsigned or signed by another key.
	StatusUntrusted Status = "untrusted"
	// StatusIncomplete: cut short or sealed early; every record before the
	// cut verified.
	StatusIncomplete Status = "incomplete"
	// StatusNotBundle: the file is not a hozen bundle at all.
	StatusNotBundle Status = "not-a-bundle"
	// StatusCannotDecrypt: an encrypted bundle that the identities given
	// (or none) cannot decrypt. Not evidence about the bundle.
	StatusCannotDecrypt Status = "cannot-decrypt"
	// StatusIOError: the file could not be read (missing, a directory, a
	// read error), or another failure of the machine reading it.
	StatusIOError Status = "io-error"
)

// Classify sorts what opening and verifying a bundle gave into a Status:
// err from [Open], [Verify] or [File.Verify] (nil if none), and the
// Result (nil if there is none). An error wins over the result.
func Classify(res *Result, err error) Status {
	if err != nil {
		var cd *CannotDecryptError
		var ht *HeaderTamperedError
		var ah *AgeHeaderError
		var de *DecryptError
		switch {
		case errors.Is(err, ErrNotBundle), errors.Is(err, ErrArmored):
			return StatusNotBundle
		case errors.As(err, &cd):
			return StatusCannotDecrypt
		case errors.As(err, &ht), errors.As(err, &ah), errors.As(err, &de):
			return StatusTampered
		}
		return StatusIOError
	}
	if res == nil {
		return StatusIOError
	}
	switch res.Outcome {
	case Intact:
		return StatusIntact
	case Incomplete:
		return StatusIncomplete
	}
	if errors.Is(res.Err, manifest.ErrUnsigned) || errors.Is(res.Err, manifest.ErrUntrustedSigner) {
		return StatusUntrusted
	}
	return StatusTampered
}

// Status is the result's [Classify]: intact, tampered, untrusted or
// incomplete.
func (r *Result) Status() Status { return Classify(r, nil) }
