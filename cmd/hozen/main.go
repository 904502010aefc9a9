// Command hozen preserves evidence from a suspect host in a sealed,
// hash-chained, signed bundle, and verifies and reads such bundles.
//
// Exit codes (also in README.md):
//
//	0   ok; bundle intact
//	1   tampered or untrusted (a damaged age header too), or a check failed
//	2   usage or I/O error; not a bundle; cannot decrypt (no or a wrong identity)
//	3   incomplete (unsealed or interrupted bundle)
//	130 interrupted
//
// Every command that reads a bundle maps its state to a code with exitFor.
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
