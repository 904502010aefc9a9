package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run this test binary as the hozen command.
// (When cmd/hozen/main_test.go brings the shared harness, this moves there.)
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"hozen": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestCustodyScripts runs the custody end-to-end scripts,
// testdata/custody_*.txt, against the real command.
func TestCustodyScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Files: mustGlob(t, "testdata/custody_*.txt"),
		Cmds:  custodyScriptCmds(),
	})
}

func mustGlob(t *testing.T, pattern string) []string {
	files, err := filepathGlob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts %s: %v", pattern, err)
	}
	return files
}

// custodyScriptCmds are the script commands the custody scripts use.
//
//	lastline FILE VAR      sets $VAR to the last line of FILE (stdout, stderr or a file)
//	exits CODE CMD ARGS... runs CMD like exec and checks its exit code
func custodyScriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"lastline": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: lastline FILE VAR")
			}
			lines := strings.Split(strings.TrimRight(ts.ReadFile(args[0]), "\n"), "\n")
			ts.Setenv(args[1], lines[len(lines)-1])
		},
		"exits": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 2 {
				ts.Fatalf("usage: exits CODE CMD ARGS...")
			}
			want, err := strconv.Atoi(args[0])
			if err != nil {
				ts.Fatalf("exits: bad code %q", args[0])
			}
			got := 0
			if err := ts.Exec(args[1], args[2:]...); err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					ts.Fatalf("exits: %v", err)
				}
				got = ee.ExitCode()
			}
			if got != want {
				ts.Fatalf("exit code %d, want %d", got, want)
			}
		},
	}
}

var filepathGlob = filepath.Glob
