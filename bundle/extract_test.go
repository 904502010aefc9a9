package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hozen-dfir/hozen/manifest"
)

func linkArt(p, target string) artifact {
	tg := manifest.BString(target)
	return artifact{rec: manifest.Record{Path: manifest.BString(p), Entry: manifest.EntrySymlink, Source: manifest.BString("/" + p), Collector: "files",
		File: &manifest.FileMeta{Type: "symlink", LinkTarget: &tg}}}
}

func fileArt(p, data string) artifact {
	return artifact{rec: manifest.Record{Path: manifest.BString(p), Entry: manifest.EntryFile, Source: manifest.BString("/" + p), Collector: "files"}, data: []byte(data)}
}

// extractBytes extracts the bundle b (all of it, or the paths given) into dir.
func extractBytes(b []byte, dir string, paths ...string) (*Extracted, error) {
	return Extract(ExtractOptions{Dir: dir, Paths: paths, Verify: func(o VerifyOptions) (*Result, error) {
		return Verify(bytes.NewReader(b), o)
	}})
}

// resolve is 'readlink -m': p with every link followed, components that
// do not exist taken as they are.
func resolve(t *testing.T, p string) string {
	t.Helper()
	rest := strings.Split(strings.TrimPrefix(filepath.ToSlash(p), "/"), "/")
	cur := "/"
	for hops := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 100 {
			return next // a loop: it resolves nowhere
		}
		tg, err := os.Readlink(next)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.IsAbs(tg) {
			cur = "/"
		}
		rest = append(strings.Split(filepath.ToSlash(tg), "/"), rest...)
	}
	return cur
}

// linksInside fails the test for any link under dir that resolves
// outside it, and returns the links found (relative to dir).
func linksInside(t *testing.T, dir string, skip ...string) []string {
	t.Helper()
	top, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	err = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		rel, _ := filepath.Rel(top, p)
		rel = filepath.ToSlash(rel)
		if slices.Contains(skip, rel) {
			return nil
		}
		found = append(found, rel)
		if r := resolve(t, p); r != top && !strings.HasPrefix(r, top+string(filepath.Separator)) {
			tg, _ := os.Readlink(p)
			t.Errorf("%s -> %s resolves outside the extraction: %s", rel, tg, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(found)
	return found
}

// TestExtractLinks: whatever the links of a bundle and their order, no
// link created resolves outside the extraction directory; links that
// stay inside are created.
func TestExtractLinks(t *testing.T) {
	hops := []artifact{fileArt("files/d/y/f", "x")}
	for i := range 45 { // c(i) -> c(i+1)/y/.. : files/d, through 45-i links
		hops = append(hops, linkArt(fmt.Sprintf("files/c%d", i), fmt.Sprintf("c%d/y/..", i+1)))
	}
	hops = append(hops, linkArt("files/c45", "d"))
	for _, tc := range []struct {
		name    string
		arts    []artifact
		created []string // exactly these links are created
		why     map[string]string
		plant   bool // DIR holds files/planted -> /etc before extract
	}{
		{name: "chain, the link passed through comes after",
			arts:    []artifact{linkArt("files/q", "s/../escape"), linkArt("files/s", "..")},
			created: []string{"files/s"}, why: map[string]string{"files/q": "through the link files/s, it climbs above"}},
		{name: "chain, the link passed through comes before",
			arts:    []artifact{linkArt("files/s", ".."), linkArt("files/q", "s/../escape")},
			created: []string{"files/s"}},
		{name: "chain through links to links",
			arts:    []artifact{linkArt("files/s", ".."), linkArt("files/t", "s"), linkArt("files/u", "t/files/../../x")},
			created: []string{"files/s", "files/t"}, why: map[string]string{"files/u": "climbs above"}},
		{name: "absolute",
			arts: []artifact{linkArt("files/a", "/etc"), linkArt("files/b", "a/passwd")},
			why:  map[string]string{"files/a": "absolute", "files/b": "passes through the link files/a, which is not created"}},
		{name: "lexically above",
			arts: []artifact{fileArt("files/d/f", "x"), linkArt("files/l", "d/../../../x")},
			why:  map[string]string{"files/l": "climbs above"}},
		{name: "a link whose place a directory of the bundle takes",
			arts:    []artifact{linkArt("files/c", "."), fileArt("files/c/evil", "x"), fileArt("files/e/f", "x"), linkArt("files/e", "..")},
			created: nil, why: map[string]string{"files/c": "at its path", "files/e": "at its path"}},
		{name: "a link inside a link",
			arts:    []artifact{linkArt("files/s", ".."), linkArt("files/s/x", "files")},
			created: []string{"files/s"}, why: map[string]string{"files/s/x": "its directory files/s is a link"}},
		{name: "a loop",
			arts: []artifact{linkArt("files/l1", "l2/x"), linkArt("files/l2", "l1/y")},
			why:  map[string]string{"files/l1": "passes through the link files/l2, which is not created", "files/l2": "loop of links, through files/l1"}},
		{name: "through missing directories",
			arts: []artifact{linkArt("files/m", "nowhere/../../x"), linkArt("files/n", "nowhere/x")},
			why:  map[string]string{"files/m": "which is not extracted", "files/n": "which is not extracted"}},
		{name: "inside, through links",
			arts: []artifact{fileArt("files/d/f", "x"), linkArt("files/s", "d"), linkArt("files/g", "s/f"), linkArt("files/h", "s/../d/f"),
				linkArt("files/top", ".."), linkArt("files/k", "top/files/d/f"), linkArt("files/dangling", "d/nothing")},
			created: []string{"files/dangling", "files/g", "files/h", "files/k", "files/s", "files/top"}},
		{name: "too many hops", arts: hops, why: map[string]string{"files/c4": "too many links", "files/c0": "passes through the link files/c1, which is not created"}},
		{name: "a link planted in DIR at a target",
			arts: []artifact{linkArt("files/p", "planted"), linkArt("files/p2", "planted/x")}, plant: true,
			why: map[string]string{"files/p": "already holds a link at files/planted", "files/p2": "which is not extracted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := writeBundle(t, t.TempDir(), testSigner(t, 1), tc.arts)
			b, err := os.ReadFile(s.Path)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "x")
			var skip []string
			if tc.plant {
				if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("/etc", filepath.Join(dir, "files/planted")); err != nil {
					t.Fatal(err)
				}
				skip = append(skip, "files/planted")
			}
			x, err := extractBytes(b, dir)
			if err != nil {
				t.Fatal(err)
			}
			if x.Result.Outcome != Intact {
				t.Fatalf("outcome %s: %v", x.Result.Outcome, x.Result.Err)
			}
			got := linksInside(t, dir, skip...)
			if tc.created != nil && !slices.Equal(got, tc.created) {
				t.Errorf("created %q, want %q", got, tc.created)
			}
			if x.Links != len(got) {
				t.Errorf("Links = %d, found %d", x.Links, len(got))
			}
			nlinks := 0
			for _, a := range tc.arts {
				if a.rec.Entry == manifest.EntrySymlink {
					nlinks++
				}
			}
			if !tc.plant {
				// Layout decides as Extract does, without writing.
				lay := NewLayout()
				for _, a := range tc.arts {
					if a.rec.Entry == manifest.EntryFile {
						lay.AddFile(string(a.rec.Path))
					} else {
						lay.AddLink(a.rec.Seq, string(a.rec.Path), string(*a.rec.File.LinkTarget))
					}
				}
				var planned []string
				for _, l := range lay.PlaceLinks() {
					if l.Created {
						planned = append(planned, l.Path)
					}
				}
				slices.Sort(planned)
				if !slices.Equal(planned, got) {
					t.Errorf("Layout creates %q, Extract created %q", planned, got)
				}
			}
			if x.Links+len(x.NotCreated) != nlinks {
				t.Errorf("%d created + %d not created, the bundle has %d links", x.Links, len(x.NotCreated), nlinks)
			}
			for p, want := range tc.why {
				i := slices.IndexFunc(x.NotCreated, func(l LinkNotCreated) bool { return l.Path == p })
				if i < 0 {
					t.Errorf("%s was created; want not created: %s", p, want)
					continue
				}
				if !strings.Contains(x.NotCreated[i].Reason, want) {
					t.Errorf("%s not created because %q, want %q", p, x.NotCreated[i].Reason, want)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "files/d/f")); tc.name == "lexically above" && err != nil {
				t.Errorf("the bundle's file is not extracted: %v", err)
			}
		})
	}
}

// TestExtractCut: from a bundle cut anywhere, only entries whose record
// verified are delivered, whole; an entry whose record never arrived is
// dropped and named; hozen's entries after the records only come with
// a bundle read to its end.
func TestExtractCut(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 5*maxFrame/2) // spans frames: a cut can fall inside it
	for i := range big {
		big[i] = byte(rnd.Uint32())
	}
	arts := []artifact{fileArt("files/a", "first\n"), fileArt("files/big", string(big)), fileArt("files/z", "after\n"), linkArt("files/l", "z")}
	s := writeBundle(t, t.TempDir(), testSigner(t, 1), arts)
	b, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for _, a := range arts {
		if a.rec.Entry == manifest.EntryFile {
			want[string(a.rec.Path)] = a.data
		}
	}
	sawDropped := false
	cuts := []int{len(b)}
	for c := 1; c < len(b); c += len(b)/60 + 1 {
		cuts = append(cuts, c)
	}
	for _, cut := range cuts {
		dir := filepath.Join(t.TempDir(), "x")
		x, err := extractBytes(b[:cut], dir)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		res := x.Result
		if res.Outcome == Tampered {
			t.Fatalf("cut %d: tampered: %v", cut, res.Err)
		}
		files := 0
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			rel = filepath.ToSlash(rel)
			if strings.HasPrefix(rel, ".hozen-") {
				t.Errorf("cut %d: staging left behind: %s", cut, rel)
			}
			if strings.HasPrefix(rel, "hozen/") {
				return nil
			}
			files++
			got, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, want[rel]) {
				t.Errorf("cut %d: %s delivered with %d bytes, not its %d", cut, rel, len(got), len(want[rel]))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// records 1..3 are the files a, big, z: one delivered a record.
		if verified := min(res.Records, 3); int64(files) != verified || x.Files != files {
			t.Errorf("cut %d: %d files delivered (Files %d), %d file records verified", cut, files, x.Files, verified)
		}
		for _, name := range []string{manifest.ManifestPath, manifest.SignaturePath, manifest.SumsPath} {
			_, err := os.Stat(filepath.Join(dir, name))
			if complete := res.FileSHA256 != ""; complete != (err == nil) {
				t.Errorf("cut %d: walk complete %v, %s there: %v", cut, complete, name, err == nil)
			}
		}
		for _, d := range x.Dropped {
			if strings.HasPrefix(d.Path, "files/") {
				sawDropped = true
				if !strings.Contains(d.Reason, "its record never arrived (the bundle ends at byte") {
					t.Errorf("cut %d: dropped %s: %s", cut, d.Path, d.Reason)
				}
			}
		}
	}
	if !sawDropped {
		t.Errorf("no cut dropped an entry whose record never arrived: the test tests nothing")
	}
}

// TestExtractNotInBundle: a PATH that selects nothing is an error, and
// nothing is extracted.
func TestExtractNotInBundle(t *testing.T) {
	s := writeBundle(t, t.TempDir(), nil, testArtifacts()[:5])
	b, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "x")
	_, err = extractBytes(b, dir, "files/link", "files/nosuch", "files/denied", "volatile/")
	var ne *NotInBundleError
	if !errors.As(err, &ne) || !slices.Equal(ne.Paths, []string{"files/nosuch"}) || ne.Cut {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("something was extracted: %v", entries)
	}
	// a metadata-only record and a directory of artifacts are there
	x, err := extractBytes(b, dir, "files/denied", "volatile/")
	if err != nil || x.Files != 1 {
		t.Fatalf("x = %+v, err = %v", x, err)
	}
}

func TestWindowsRooted(t *testing.T) {
	for _, tg := range []string{`..\..\x`, `C:\Windows`, `C:x`, `\\server\share`} {
		if !windowsRooted("windows", tg) {
			t.Errorf("%q passes on windows", tg)
		}
		if windowsRooted("linux", tg) {
			t.Errorf("%q refused on linux, where it is a plain name", tg)
		}
	}
}
