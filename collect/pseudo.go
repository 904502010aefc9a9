package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Caps for kernel pseudo-files (/proc, /sys): they report size 0, may be
// endless (/proc/kcore, /dev/zero) and may block.
const (
	PseudoMaxBytes = 16 << 20
	PseudoDeadline = 5 * time.Second
)

// PseudoResult is what ReadPseudo got and how it went.
type PseudoResult struct {
	Data    []byte
	Outcome string // a manifest.Outcome* value
	Err     error
}

// ReadPseudo reads a kernel pseudo-file whole, up to max bytes, giving up at
// the context's deadline (or PseudoDeadline). A read that blocks past the
// deadline is abandoned: its goroutine ends when the kernel returns.
func ReadPseudo(ctx context.Context, path string, max int64) PseudoResult {
	return readPseudo(ctx, path, func() (*os.File, error) { return openNoFollow(path) }, max)
}

// readPseudo is ReadPseudo of the file open opens (path names it).
func readPseudo(ctx context.Context, path string, open func() (*os.File, error), max int64) PseudoResult {
	if max <= 0 {
		max = PseudoMaxBytes
	}
	ctx, cancel := context.WithTimeout(ctx, PseudoDeadline)
	defer cancel()
	done := make(chan PseudoResult, 1)
	go func() {
		f, err := open()
		if err != nil {
			done <- PseudoResult{Outcome: outcomeOf(err), Err: err}
			return
		}
		defer f.Close()
		data, more, err := readAtMost(f, max)
		res := PseudoResult{Data: data, Outcome: manifest.OutcomeOK}
		if more {
			res.Outcome = manifest.OutcomePartial
			res.Err = fmt.Errorf("truncated at %d bytes", max)
		}
		if err != nil {
			res.Outcome = outcomeOf(err)
			if len(data) > 0 {
				res.Outcome = manifest.OutcomePartial
			}
			res.Err = err
		}
		done <- res
	}()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
		return PseudoResult{Outcome: manifest.OutcomeTimeout, Err: fmt.Errorf("%s: no answer within %v", path, PseudoDeadline)}
	}
}

// readAtMost reads r to its end, up to max bytes: the one bounded read
// behind ReadPseudo, readBounded, readState and readRPMFile, which differ
// in how they open and check the file and in what a larger one gets
// (truncated or refused). It reads one byte past max to tell a file of
// exactly max bytes from a larger one: more says there was more, and
// data is then the first max bytes.
func readAtMost(r io.Reader, max int64) (data []byte, more bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(data)) > max {
		return data[:max], true, err
	}
	return data, false, err
}

// outcomeOf classifies an open or read error.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return manifest.OutcomeOK
	case errors.As(err, new(*ReplacedError)):
		return manifest.OutcomeChanged
	case errors.Is(err, fs.ErrPermission):
		return manifest.OutcomeDenied
	case errors.Is(err, fs.ErrNotExist):
		return manifest.OutcomeVanished
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return manifest.OutcomeTimeout
	default:
		return manifest.OutcomeError
	}
}

// PutPseudo reads a pseudo-file under env.Root and stores it raw at
// bundle path "volatile/raw" + hostPath, with its outcome. It returns the
// data read, for the collector to parse.
func PutPseudo(ctx context.Context, env *Env, sink Sink, hostPath, collector string) ([]byte, error) {
	res := ReadPseudo(ctx, env.Path(hostPath), PseudoMaxBytes)
	rec := &manifest.Record{
		Path:      manifest.BString("volatile/raw" + hostPath),
		Source:    manifest.BString(hostPath),
		Collector: collector,
	}
	if !res.describe(rec) {
		return nil, sink.Put(rec, nil)
	}
	return res.Data, sink.Put(rec, bytesReader(res.Data))
}

// describe puts the read's outcome and error into rec, and its data size
// when there is data to store (EntryFile). A read that got nothing gives
// a metadata-only record (EntryNone) and false.
func (r PseudoResult) describe(rec *manifest.Record) bool {
	rec.Outcome = r.Outcome
	if r.Err != nil {
		rec.Errors = append(rec.Errors, r.Err.Error())
	}
	if r.Data == nil && r.Outcome != manifest.OutcomeOK && r.Outcome != manifest.OutcomePartial {
		rec.Entry = manifest.EntryNone
		return false
	}
	rec.Entry = manifest.EntryFile
	rec.Size = int64(len(r.Data))
	return true
}
