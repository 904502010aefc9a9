package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hozen-dfir/hozen/bundle"
)

// Exit codes; documented in README.md ("Exit codes") and in main.go.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitIncomplete  = 3
	exitInterrupted = 130
)

// exitFor is the exit code of a bundle's state, for every command that
// reads a bundle: verify, ls, extract, report, show and timeline. A wrong
// identity is no evidence about the bundle (2); a damaged age header is
// (1), like a damaged first frame of a plain bundle.
func exitFor(s bundle.Status) int {
	switch s {
	case bundle.StatusIntact:
		return exitOK
	case bundle.StatusTampered, bundle.StatusUntrusted:
		return exitFailed
	case bundle.StatusIncomplete:
		return exitIncomplete
	default: // not-a-bundle, cannot-decrypt, io-error
		return exitUsage
	}
}

// exitCode maps an error to an exit code; the one place that does. An
// error that carries no code of its own is sorted by bundle.Classify, so a
// bundle's state gives the same code whichever command met it.
func exitCode(err error) int {
	var s silentError
	var c codedError
	var u usageError
	switch {
	case errors.As(err, &s):
		return s.code
	case errors.As(err, &c):
		return c.code
	case errors.As(err, &u):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFor(bundle.Classify(nil, err))
}

// codedError carries an exit code with its error.
type codedError struct {
	code int
	err  error
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }

// withCode attaches an exit code to err.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return codedError{code, err}
}

// silentError is an exit code whose message was already printed.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError is a command line that does not parse.
type usageError struct {
	cmd string // the command's path after "hozen": "collect", "custody record"
	err error
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// silentErrorOf is the exit code whose message was already printed, or nil
// for exitOK.
func silentErrorOf(code int) error {
	if code == exitOK {
		return nil
	}
	return silentError{code}
}
