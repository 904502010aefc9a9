package bundle

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hozen-dfir/hozen/manifest"
)

// ErrNotBundle is wrapped by *NotBundleError.
var ErrNotBundle = errors.New("not a hozen bundle")

// NotBundleError: the file is not a hozen bundle at all (not zstd, zstd
// but not tar, or a tar whose first entry is not hozen/bundle.json).
// Verify returns it as its error: it is not evidence that a bundle was
// tampered with. A file that is recognisably a bundle (zstd magic at its
// start, or hozen/bundle.json first) with damage is tampered instead.
type NotBundleError struct{ Reason string }

func (e *NotBundleError) Error() string { return "not a hozen bundle: " + e.Reason }
func (e *NotBundleError) Unwrap() error { return ErrNotBundle }

// RepackedError says that every tar header differs from the one hozen
// writes, from bundle.json on: another tool re-packed the bundle. The
// faults found besides (data that differs, entries missing) are in
// Result.Faults.
type RepackedError struct {
	Faults int64 // faults other than the headers
}

func (e *RepackedError) Error() string {
	s := "re-packed by another tool: tar headers differ from hozen's from the first entry on"
	switch e.Faults {
	case 0:
		return s + "; no artifact differs"
	case 1:
		return s + "; 1 other fault"
	}
	return fmt.Sprintf("%s; %d other faults", s, e.Faults)
}

func (e *RepackedError) Unwrap() error { return manifest.ErrTampered }

// FaultKind says what is wrong with one artifact or part of a bundle.
type FaultKind string

// Kinds of fault.
const (
	FaultData      FaultKind = "data differs"      // bytes or entry type differ from the record
	FaultHeader    FaultKind = "header re-written" // tar header differs from the one hozen writes
	FaultMissing   FaultKind = "missing"           // a data entry or records are missing
	FaultExtra     FaultKind = "extra"             // an entry no record vouches for
	FaultOrder     FaultKind = "out of order"      // a record where another belongs
	FaultRecord    FaultKind = "record differs"    // a record edited, or its link broken
	FaultStream    FaultKind = "stream"            // padding, or the stream breaks here
	FaultSeal      FaultKind = "seal"              // manifest, frames, SHA256SUMS, end of file
	FaultSignature FaultKind = "signature"         // bad, missing, or not trusted
	FaultRepacked  FaultKind = "re-packed"         // every tar header differs: another tool wrote it
)

// MaxFaults is how many faults a Result lists; MoreFaults counts the rest.
const MaxFaults = 100

// Fault is one thing found wrong. Seq is the record it belongs to (0:
// none, as for the seal), Path the artifact or entry.
type Fault struct {
	Kind   FaultKind `json:"kind"`
	Seq    int64     `json:"seq,omitempty"`
	Path   string    `json:"path,omitempty"`
	Reason string    `json:"reason"`
	// Err is the typed error (*manifest.RecordError, ...).
	Err error `json:"-"`
	ord int64
}

// faultList keeps the first faults found, bounded, and counts the rest.
// Header faults are kept apart: a re-packed bundle has one for every
// entry, and they are then summed up in one line.
type faultList struct {
	n              int64
	first          error
	list, hdrs     []Fault
	more, moreHdrs int64
	// headers checked and differing; whether bundle.json's did.
	hdrChecked, hdrDiffer int64
	firstHdrDiffers       bool
}

func (l *faultList) add(f Fault) {
	l.n++
	f.ord = l.n
	if f.Reason == "" && f.Err != nil {
		f.Reason = clip(f.Err.Error())
	}
	if l.first == nil {
		l.first = f.Err
	}
	dst, more := &l.list, &l.more
	if f.Kind == FaultHeader {
		dst, more = &l.hdrs, &l.moreHdrs
	}
	if len(*dst) < MaxFaults {
		*dst = append(*dst, f)
	} else {
		*more++
	}
}

func (l *faultList) any() bool { return l.n > 0 }

// repacked: bundle.json's header and every other one checked differ.
func (l *faultList) repacked() bool {
	return l.firstHdrDiffers && l.hdrDiffer == l.hdrChecked
}

// result gives the faults to report, at most MaxFaults, how many more,
// and the error that sums them up.
func (l *faultList) result() ([]Fault, int64, error) {
	if l.repacked() {
		other := int64(len(l.list)) + l.more
		f := Fault{Kind: FaultRepacked, Err: &RepackedError{Faults: other}}
		f.Reason = f.Err.Error()
		return append([]Fault{f}, l.list...), l.more, f.Err
	}
	all := append(slices.Clone(l.list), l.hdrs...)
	slices.SortFunc(all, func(a, b Fault) int { return int(a.ord - b.ord) })
	more := l.more + l.moreHdrs
	if len(all) > MaxFaults {
		more += int64(len(all) - MaxFaults)
		all = all[:MaxFaults]
	}
	return all, more, l.first
}
