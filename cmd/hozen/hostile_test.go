package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/manifest"
)

// hostile KIND OUT: writes a crafted file an adversary could hand to an
// investigator:
//
//	dotdot       a bundle with an artifact at files/../../escape
//	absolute     a bundle with an artifact at /tmp/hozen-abs-escape
//	linkout      a consistent (unsigned) bundle: link files/a -> ../../../../outside,
//	             then a file files/a/evil through it; and link files/b ->
//	             $WORK/outside (absolute), then files/b/evil
//	linkin       a consistent bundle: link files/c -> . then files/c/evil
//	tar          a plain tar.zst (no bundle) with ../escape and /abs entries
func cmdHostile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: hostile KIND OUT")
	}
	out := ts.MkAbs(args[1])
	type art struct {
		path, target string // target: a symlink
		data         string
	}
	var arts []art
	switch args[0] {
	case "dotdot":
		arts = []art{{path: "files/ok", data: "fine\n"}, {path: "files/../../escape", data: "escaped\n"}}
	case "absolute":
		arts = []art{{path: "/tmp/hozen-abs-escape", data: "escaped\n"}}
	case "linkout":
		arts = []art{
			{path: "files/a", target: "../../../../outside"},
			{path: "files/a/evil", data: "through a link\n"},
			{path: "files/b", target: ts.MkAbs("outside")},
			{path: "files/b/evil", data: "through an absolute link\n"},
		}
	case "linkin":
		arts = []art{{path: "files/c", target: "."}, {path: "files/c/evil", data: "through a link inside\n"}}
	case "tar":
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, n := range []string{"../escape", "/tmp/hozen-abs-escape", "ok/../../escape2"} {
			ts.Check(tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: 4, Typeflag: tar.TypeReg}))
			_, err := tw.Write([]byte("bad\n"))
			ts.Check(err)
		}
		ts.Check(tw.Close())
		enc, err := zstd.NewWriter(nil)
		ts.Check(err)
		ts.Check(os.WriteFile(out, enc.EncodeAll(buf.Bytes(), nil), 0o644))
		return
	default:
		ts.Fatalf("unknown hostile kind %q", args[0])
	}
	dir := filepath.Dir(out)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	hdr := &manifest.Header{BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", CaseID: "hostile", Examiner: "mallory", StartedAt: t0}
	name := filepath.Base(out)
	w, err := bundle.Create(dir, name, hdr, bundle.Options{Now: func() time.Time { return t0 }})
	ts.Check(err)
	for _, a := range arts {
		rec := &manifest.Record{Path: manifest.BString(a.path), Source: manifest.BString(a.path), Collector: "files"}
		if a.target != "" {
			tgt := manifest.BString(a.target)
			rec.Entry = manifest.EntrySymlink
			rec.File = &manifest.FileMeta{Type: "symlink", Mtime: t0, LinkTarget: &tgt}
			ts.Check(w.Put(rec, nil))
			continue
		}
		rec.Entry = manifest.EntryFile
		rec.Size = int64(len(a.data))
		ts.Check(w.Put(rec, bytes.NewReader([]byte(a.data))))
	}
	_, err = w.Seal(manifest.StatusSealed, "", nil)
	ts.Check(err)
}
