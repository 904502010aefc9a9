package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// exitCmds are the testscript commands of exitcodes.txt.
var exitCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"flipbyte": cmdFlipbyte,
}

// flipbyte FILE WHERE: flips the low bit of one byte of FILE in place.
// WHERE is a percentage of the file's length (50%), or agemac: a
// character of the MAC on the last line of an age header.
func cmdFlipbyte(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE N%%|agemac")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	var at int
	if p, ok := strings.CutSuffix(args[1], "%"); ok {
		pct, err := strconv.Atoi(p)
		ts.Check(err)
		at = len(b) * pct / 100
	} else if args[1] == "agemac" {
		i := bytes.Index(b, []byte("\n--- "))
		if i < 0 {
			ts.Fatalf("%s has no age header MAC line", args[0])
		}
		at = i + len("\n--- ") + 5
		// stay within the base64 alphabet: the header must still parse
		if b[at] == 'A' {
			b[at] = 'B'
		} else {
			b[at] = 'A'
		}
		ts.Check(os.WriteFile(path, b, 0o644))
		return
	} else {
		ts.Fatalf("flipbyte: WHERE is N%% or agemac")
	}
	b[at] ^= 0x01
	ts.Check(os.WriteFile(path, b, 0o644))
}
