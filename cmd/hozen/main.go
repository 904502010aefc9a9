// Command hozen preserves evidence from a suspect host in a sealed,
// hash-chained, signed bundle, and verifies and reads such bundles.
//
// Exit codes (also in README.md):
//
//	0   ok; bundle intact
//	1   tampered, or a check failed
//	2   usage or I/O error
//	3   incomplete (unsealed or interrupted bundle)
//	130 interrupted
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

func main() {
	// On a suspect host every megabyte hozen takes disturbs the evidence:
	// ask the Go runtime to collect garbage harder rather than grow past
	// this much (a soft limit; GOMEMLIMIT in the environment overrides it).
	// Without it the heap may double before the collector runs. With it
	// and the spools, 100,000 small files took 74 MiB of RSS instead of
	// 201 (docs/performance.md, second session).
	// Only collect and verify: they stream, and run where memory matters;
	// report and the others hold what they show.
	if os.Getenv("GOMEMLIMIT") == "" && streams(os.Args[1:]) {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// memoryLimit is the Go runtime's soft memory limit for hozen collect and
// verify.
const memoryLimit = 64 << 20

// streams reports whether the command line runs collect or verify.
func streams(args []string) bool {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a == "collect" || a == "verify"
		}
	}
	return false
}

// run executes one hozen command line and returns its exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(app)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	var s silentError
	if !errors.As(err, &s) {
		app.errorf("%v", err)
		var u usageError
		if errors.As(err, &u) {
			app.hintf("run '%s --help' for usage", strings.TrimSpace("hozen "+u.cmd))
		}
	}
	return code
}

// Exit codes; documented in README.md and above.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitIncomplete  = 3
	exitInterrupted = 130
)

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

// exitCode maps an error to an exit code; the one place that does.
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
	default:
		return exitUsage
	}
}

// app holds a command line's streams; no package state.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func (a *app) errorf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "hozen: error: "+format+"\n", args...)
}

func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "hozen: warning: "+format+"\n", args...)
}

func (a *app) hintf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "hozen: hint: "+format+"\n", args...)
}

// writeJSON prints v as indented JSON, the form of the --json output of
// collect, profiles, custody log and custody verify.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
