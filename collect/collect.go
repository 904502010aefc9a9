// Package collect reads a host's state and files and hands each artifact to
// a [Sink] in collection order (RFC 3227: most volatile first).
//
// # Collectors
//
// A [Collector] reads one kind of evidence. Collectors read through
// [Env.Root], a directory that stands for "/" (the real root on a suspect
// host, a fixture tree from testdata/ in tests), so that every collector can
// be tested without the test machine's /proc. Collectors never run a program
// of the host.
//
// # Artifacts
//
// An artifact is a [manifest.Record] that the collector fills as far as it
// knows (path, source, collector, entry type, size, file metadata, outcome,
// errors), and a body that supplies exactly Size bytes. The sink fills in
// sequence, digests, time and chain link, and writes the record after the
// data. A body that implements [Reporter] is asked, after it was read, to
// amend the record (a file that grew or changed while read).
//
// The package never imports the bundle writer or the custody ledger.
package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// Sink receives artifacts. The bundle writer implements it.
type Sink interface {
	// Put stores one artifact. For an EntryFile record, body supplies the
	// data: the sink reads at most rec.Size bytes and pads with zeros (and
	// says so in the record) if body ends early or fails. For other entry
	// types body is nil.
	Put(rec *manifest.Record, body io.Reader) error
}

// Reporter is implemented by bodies that learn something while read (the
// file grew, changed, or the watchdog fired); the sink calls Report after
// reading and before writing the record.
type Reporter interface {
	Report(rec *manifest.Record)
}

// Collector reads one kind of evidence.
type Collector interface {
	// Name is the collector's name as records and profiles give it.
	Name() string
	// Collect reads and puts artifacts. It returns an error only when the
	// sink fails (the bundle cannot be written); what the host refuses is
	// evidence and goes into records.
	Collect(ctx context.Context, env *Env, sink Sink) error
}

// Env is what collectors share.
type Env struct {
	// Root stands for the host's "/"; "/" on a live host.
	Root string
	// DeadBox marks a collection from a file system that is not the
	// running host's (a mounted image, a container's root): collectors
	// of live state ([LiveCollector]) are skipped with a record saying so.
	DeadBox bool
	// Now is the clock; tests pass a fixed one.
	Now func() time.Time
	// Progress, when not nil, hears what is being collected.
	Progress Progress
	// Budget bounds the bytes all collectors store together; nil for none.
	Budget *Budget
	// Redactor, when not nil, keeps hozen's own secrets out of every
	// artifact [Run] stores (see [Redactor]).
	Redactor *Redactor
	// Findings gathers what rules flag (see [Env.Finding]); nil makes one.
	Findings     *FindingSet
	findingsOnce sync.Once
	owners       pkgOwners // PackageOwns's set, read once
	files        *runFiles // the files stored that a later collector could reach
}

// Progress hears about collection as it goes. Library code never prints.
type Progress interface {
	Collector(name string)
	Artifact(path string, bytes int64)
}

// PutJSON stores v, indented JSON, as a volatile artifact at path.
func PutJSON(sink Sink, path, collector string, v artifact.Doc) error {
	v.Stamp()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	return PutBytes(sink, path, collector, collector, b, nil)
}

// PutBytes stores b as an artifact at path; errs become the record's errors
// (and its outcome "partial" when there are any).
func PutBytes(sink Sink, path, source, collector string, b []byte, errs []string) error {
	rec := &manifest.Record{
		Path:      manifest.BString(path),
		Entry:     manifest.EntryFile,
		Source:    manifest.BString(source),
		Collector: collector,
		Size:      int64(len(b)),
		Outcome:   manifest.OutcomeOK,
		Errors:    errs,
	}
	if len(errs) > 0 {
		rec.Outcome = manifest.OutcomePartial
	}
	return sink.Put(rec, bytes.NewReader(b))
}
