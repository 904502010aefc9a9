package collect

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// visits records the calls a WalkDirFunc gets, and can skip.
func visits(skip func(path string, d fs.DirEntry) error) (*[]string, fs.WalkDirFunc) {
	var got []string
	return &got, func(path string, d fs.DirEntry, err error) error {
		s := path
		if err != nil {
			s += " error"
		}
		got = append(got, s)
		if err != nil || skip == nil {
			return nil
		}
		return skip(path, d)
	}
}

// TestWalkDirSmallAsWalkDir: on directories of fewer than walkBatch
// entries, walkDir makes exactly filepath.WalkDir's calls, in its order,
// with SkipDir on a directory and on a file.
func TestWalkDirSmallAsWalkDir(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"a/x", "a/y/z", "b", "c/d/e/f", "c/g", "h/i", "h/j", "h/k"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("a", filepath.Join(root, "link"))
	skip := func(path string, d fs.DirEntry) error {
		if strings.HasSuffix(path, "/c/d") || strings.HasSuffix(path, "/h/j") {
			return filepath.SkipDir
		}
		return nil
	}
	for _, sk := range []func(string, fs.DirEntry) error{nil, skip} {
		want, wfn := visits(sk)
		got, gfn := visits(sk)
		if err := filepath.WalkDir(root, wfn); err != nil {
			t.Fatal(err)
		}
		if err := walkDir(root, gfn); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(*got, *want) {
			t.Errorf("walkDir:\n%s\nWalkDir:\n%s", strings.Join(*got, "\n"), strings.Join(*want, "\n"))
		}
	}
	// A missing root is reported to fn, as WalkDir does.
	got, gfn := visits(nil)
	if err := walkDir(filepath.Join(root, "gone"), gfn); err != nil || len(*got) != 1 || !strings.HasSuffix((*got)[0], "gone error") {
		t.Errorf("missing root: %v %v", *got, err)
	}
}

// TestWalkDirLarge: a directory of more than walkBatch entries is visited
// whole, each entry once; SkipDir on a file ends the directory, also
// across batches. (The order within a batch is not checked here.)
func TestWalkDirLarge(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "big")
	os.Mkdir(dir, 0o755)
	n := 2*walkBatch + 7
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "inner"), nil, 0o644)
	got, fn := visits(nil)
	if err := walkDir(root, fn); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, p := range *got {
		seen[p]++
	}
	if len(*got) != n+4 || len(seen) != n+4 || seen[filepath.Join(dir, "sub", "inner")] != 1 {
		t.Fatalf("%d calls, %d distinct, want %d", len(*got), len(seen), n+4)
	}
	count := 0
	_, fn = visits(func(path string, d fs.DirEntry) error {
		if !d.IsDir() {
			count++
			if count == walkBatch+3 {
				return filepath.SkipDir
			}
		}
		return nil
	})
	if err := walkDir(root, fn); err != nil {
		t.Fatal(err)
	}
	if count != walkBatch+3 {
		t.Errorf("SkipDir on a file: %d files visited, want %d", count, walkBatch+3)
	}
}
