package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// extractCmds are the testscript commands of extract_*.txt.
var extractCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"mkchain": cmdMkchain,
}

// mkchain TREE DIR: a tree of links that each look harmless by their
// target text alone, but resolve outside DIR once the tree is collected
// and extracted with -C DIR (where TREE lands at DIR/files/<abs TREE>):
//
//	s      -> ../../..      as many '..' as TREE is deep, plus one: DIR itself
//	q      -> s/../outside  through s: the directory next to DIR
//	etc    -> s/../../etc   through s, up to / : the examiner's /etc
//	a1     -> z9/../outside through z9, a link that comes after it
//	z9     -> ../../..      like s
//	r      -> q             a link to a link
//
// and links that stay inside DIR, which extract must still create:
//
//	ok     -> plain.txt
//	sub/up -> ../plain.txt
//	via    -> sub/../plain.txt
//	inside -> s/files       through s, to DIR/files
func cmdMkchain(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mkchain TREE DIR")
	}
	tree, dir := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	depth := func(p string) int { return len(strings.Split(strings.Trim(filepath.ToSlash(p), "/"), "/")) }
	up := func(n int) string { return strings.TrimSuffix(strings.Repeat("../", n), "/") }
	toRoot := up(depth(tree) + 1) // from DIR/files/<tree> back to DIR
	ts.Check(os.MkdirAll(filepath.Join(tree, "sub"), 0o755))
	ts.Check(os.WriteFile(filepath.Join(tree, "plain.txt"), []byte("plain\n"), 0o644))
	for _, l := range [][2]string{
		{"s", toRoot},
		{"q", "s/../outside"},
		{"etc", "s/" + up(depth(dir)) + "/etc"},
		{"a1", "z9/../outside"},
		{"z9", toRoot},
		{"r", "q"},
		{"ok", "plain.txt"},
		{"sub/up", "../plain.txt"},
		{"via", "sub/../plain.txt"},
		{"inside", "s/files"},
	} {
		ts.Check(os.Symlink(l[1], filepath.Join(tree, l[0])))
	}
}
