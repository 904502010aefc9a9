package main

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// diffCmds are the testscript commands of diff.txt.
var diffCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"fixroot": cmdFixroot,
}

// fixroot DIR: copies the fixture host tree testdata/linuxroot (its /etc,
// /proc and /var) to DIR, links as links, for collect --root.
func cmdFixroot(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: fixroot DIR")
	}
	src, err := filepath.Abs("../../testdata/linuxroot")
	ts.Check(err)
	dst := ts.MkAbs(args[0])
	ts.Check(filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, 0o644)
		}
		return nil // no FIFO or device in the fixture
	}))
}
