package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"
)

// protectCmds are the testscript commands of protect_*.txt.
var protectCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"agekey":  cmdAgekey,
	"setglob": cmdSetglob,
	"dirsnap": cmdDirsnap,
}

// agekey FILE VAR: writes a new age X25519 identity to FILE (as
// age-keygen does) and its public key to FILE.pub, and sets VAR to the
// public key.
func cmdAgekey(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: agekey FILE VAR")
	}
	id, err := age.GenerateX25519Identity()
	ts.Check(err)
	pub := id.Recipient().String()
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte("# public key: "+pub+"\n"+id.String()+"\n"), 0o600))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+".pub"), []byte(pub+"\n"), 0o644))
	ts.Setenv(args[1], pub)
}

// setglob VAR GLOB: sets VAR to the one file that GLOB matches; fails if
// it matches none or several (with ! : succeeds only if it matches none).
func cmdSetglob(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: setglob VAR GLOB")
	}
	m, err := filepath.Glob(ts.MkAbs(args[1]))
	ts.Check(err)
	if neg {
		if len(m) != 0 {
			ts.Fatalf("%s matches %v", args[1], m)
		}
		return
	}
	if len(m) != 1 {
		ts.Fatalf("want one file matching %s, found %v", args[1], m)
	}
	ts.Setenv(args[0], m[0])
}

// dirsnap DIR FILE: writes a listing of everything under DIR (names,
// types, sizes, modes and modification times) to FILE, to compare
// before and after a run.
func cmdDirsnap(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: dirsnap DIR FILE")
	}
	root := ts.MkAbs(args[0])
	var lines []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		lines = append(lines, fmt.Sprintf("%s %v %d %s", rel, fi.Mode(), fi.Size(), fi.ModTime().UTC()))
		return nil
	})
	ts.Check(err)
	sort.Strings(lines)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}
