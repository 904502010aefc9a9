package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/manifest"
)

func newExtractCmd(a *app) *cobra.Command {
	var dir, ledger, actor string
	var ids identityFlags
	c := &cobra.Command{
		Use:   "extract BUNDLE [PATH...] -C DIR",
		Short: "extract verified artifacts (all, or the PATHs given) into DIR",
		Long: `extract writes a bundle's artifacts into DIR, checking each one's hash while
writing it. Everything is first written to a staging directory inside DIR
and moved into place only once the whole bundle verified: a tampered
bundle leaves nothing in DIR. From an incomplete bundle (cut short or
interrupted) every record before the cut is extracted, with a warning.

PATHs select artifacts or directories by their path in the bundle (see
'hozen ls'). hozen/ metadata (bundle.json, records, manifest, SHA256SUMS
and their signatures) comes along when no PATH is given, so 'sha256sum -c
hozen/SHA256SUMS' works in DIR.

extract never overwrites a file, never writes outside DIR, refuses
absolute paths and '..', and does not create links that point outside DIR
(their targets stay in the records). Exit codes are verify's.`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if dir == "" {
				return usageError{cmd: "extract", err: errors.New("-C DIR is required")}
			}
			return runExtract(c.Context(), a, args[0], args[1:], dir, ledger, defaultExaminer(actor), ids)
		},
	}
	c.Flags().StringVarP(&dir, "directory", "C", "", "extract into `DIR` (created if missing)")
	c.Flags().StringVar(&ledger, "ledger", "", "record the extraction in this custody ledger `FILE`")
	c.Flags().StringVar(&actor, "actor", "", "who extracts, for the ledger (default: the login name)")
	ids.add(c)
	return c
}

// extractor stages a bundle's content under a directory through os.Root,
// which refuses any path that would leave it, symlinks included.
type extractor struct {
	a       *app
	stage   *os.Root
	want    []string
	cur     *tar.Header // data entry awaiting its record
	files   int
	links   int
	skipped int
}

func (x *extractor) selected(p string) bool {
	if len(x.want) == 0 {
		return true
	}
	for _, w := range x.want {
		w = strings.TrimSuffix(w, "/")
		if p == w || strings.HasPrefix(p, w+"/") {
			return true
		}
	}
	return false
}

func (x *extractor) Header(*manifest.Header) error { return nil }

func (x *extractor) Data(h *tar.Header, body io.Reader) error {
	x.cur = nil
	if !x.selected(h.Name) {
		return nil
	}
	if err := safeRelPath(h.Name); err != nil {
		return err
	}
	x.cur = h
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := createStaged(x.stage, h.Name, 0o600)
	if err != nil {
		return fmt.Errorf("extract %s: %w", h.Name, err)
	}
	return copyClose(f, body)
}

// createStaged creates the new file name in stage, and its directories.
func createStaged(stage *os.Root, name string, perm os.FileMode) (*os.File, error) {
	if err := stage.MkdirAll(path.Dir(name), 0o700); err != nil {
		return nil, err
	}
	return stage.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
}

// copyClose copies r into f and closes it: the first error of the two.
func copyClose(f *os.File, r io.Reader) error {
	_, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (x *extractor) Record(r *manifest.Record) error {
	h := x.cur
	x.cur = nil
	p := string(r.Path)
	if h == nil || h.Name != p {
		return nil
	}
	switch r.Entry {
	case manifest.EntryFile:
		perm := fs.FileMode(0o644)
		if r.File != nil {
			// No set-id bits and no group/other write on an examiner's disk.
			perm = fs.FileMode(r.File.ModeBits).Perm()&0o755 | 0o400
			defer x.stage.Chtimes(p, r.File.Mtime, r.File.Mtime)
		}
		if err := x.stage.Chmod(p, perm); err != nil {
			return err
		}
		x.files++
	case manifest.EntrySymlink:
		target := ""
		if r.File != nil && r.File.LinkTarget != nil {
			target = string(*r.File.LinkTarget)
		}
		if path.IsAbs(target) || escapes(path.Join(path.Dir(p), target)) {
			x.a.warnf("not creating link %s -> %s: it points outside the target directory (record %d keeps the target)", displayPath(p), displayPath(target), r.Seq)
			x.skipped++
			return nil
		}
		if err := x.stage.MkdirAll(path.Dir(p), 0o700); err != nil {
			return err
		}
		if err := x.stage.Symlink(target, p); err != nil {
			return fmt.Errorf("extract link %s: %w", p, err)
		}
		x.links++
	}
	return nil
}

// escapes reports whether a cleaned relative path climbs above its root.
func escapes(p string) bool {
	p = path.Clean(p)
	return p == ".." || strings.HasPrefix(p, "../")
}

func safeRelPath(p string) error {
	if path.IsAbs(p) || escapes(p) || strings.Contains(p, "\x00") || strings.HasPrefix(p, ".hozen-") {
		return fmt.Errorf("refusing to extract %q: absolute, outside the target directory, or reserved", p)
	}
	return nil
}

func runExtract(ctx context.Context, a *app, bundlePath string, want []string, dir, ledger, actor string, ids identityFlags) error {
	bf, err := openBundle(a, bundlePath, ids)
	if err != nil {
		return err
	}
	defer bf.Close()
	var led *custody.Ledger
	if ledger != "" {
		if led, err = openLedgerFor(ctx, ledger); err != nil {
			return err
		}
		defer led.Close()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	stageName := fmt.Sprintf(".hozen-staging-%d", os.Getpid())
	if err := root.Mkdir(stageName, 0o700); err != nil {
		return fmt.Errorf("staging directory in %s: %w", dir, err)
	}
	defer root.RemoveAll(stageName)
	stage, err := root.OpenRoot(stageName)
	if err != nil {
		return err
	}
	defer stage.Close()
	x := &extractor{a: a, stage: stage, want: want}
	meta := func(name string, r io.Reader) error {
		if len(want) > 0 {
			return nil
		}
		f, err := createStaged(stage, name, 0o644)
		if err != nil {
			return err
		}
		return copyClose(f, r)
	}
	res, err := bf.verify(bundle.VerifyOptions{Handler: x, Meta: meta})
	if err != nil {
		return fmt.Errorf("%s: %w; nothing extracted", bundlePath, err)
	}
	if res.Outcome == bundle.Tampered {
		a.errorf("%s is tampered: %v", bundlePath, res.Err)
		a.hintf("nothing was extracted; run 'hozen verify %s' for the full report", bundlePath)
		return silentError{exitFailed}
	}
	moved, err := moveStaged(root, stageName)
	if err != nil {
		return fmt.Errorf("%w; nothing was moved into %s", err, dir)
	}
	if led != nil {
		e := ledgerEvent(custody.ActionExtracted, actor, res, bundlePath)
		abs, _ := filepath.Abs(dir)
		e.Location = abs
		e.Reason = fmt.Sprintf("hozen extract: %d files, %d links", x.files, x.links)
		if len(want) > 0 {
			e.Reason += " under " + strings.Join(want, ", ")
		}
		if err := led.Append(ctx, e); err != nil {
			return fmt.Errorf("extracted into %s, but the ledger %s could not record it: %w", dir, ledger, err)
		}
	}
	fmt.Fprintf(a.stderr, "hozen: extracted %d files and %d links (%d entries with metadata) into %s", x.files, x.links, moved, dir)
	if x.skipped > 0 {
		fmt.Fprintf(a.stderr, "; %d links not created", x.skipped)
	}
	fmt.Fprintln(a.stderr)
	return outcomeError(a, bundlePath, res)
}

// moveStaged moves everything staged into place. It first checks that no
// target exists, so it either moves all or nothing.
func moveStaged(root *os.Root, stageName string) (int, error) {
	var names []string
	err := fs.WalkDir(root.FS(), stageName, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, strings.TrimPrefix(p, stageName+"/"))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := root.Lstat(n); err == nil {
			return 0, fmt.Errorf("%s already exists; hozen never overwrites", filepath.FromSlash(n))
		}
		// reliability: every directory on the way must be a real one (or
		// missing): a link planted in DIR would make the moves fail half
		// way, after some files were moved.
		if err := checkParents(root, n); err != nil {
			return 0, err
		}
	}
	for _, n := range names {
		if err := root.MkdirAll(path.Dir(n), 0o755); err != nil {
			return 0, err
		}
		if err := root.Rename(stageName+"/"+n, n); err != nil {
			return 0, err
		}
	}
	return len(names), nil
}
