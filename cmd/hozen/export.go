package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/export"
	"github.com/hozen-dfir/hozen/ledgerlink"
)

// bundleExportFormats are the words of export --format.
var bundleExportFormats = []string{"hashdeep", "dfxml", "case"}

type exportFlags struct {
	format, out, ledger, prefix string
	allowIncomplete             bool
	ids                         identityFlags
	trust                       trustFlags
}

func newExportCmd(a *app) *cobra.Command {
	var f exportFlags
	c := &cobra.Command{
		Use:   "export BUNDLE --format hashdeep|dfxml|case [-o FILE]",
		Short: "write a verified bundle for other tools: a hashdeep list, DFXML, or CASE/UCO JSON-LD",
		Long: `export verifies a bundle and writes it for other tools (docs/exports.md):

  hashdeep  a file list for hashdeep's audit of the extracted bundle:
            'hashdeep -a -k LIST -r DIR' with --prefix DIR, or
            'cd DIR && hashdeep -l -a -k LIST -r *' without
  dfxml     DFXML 1.2.0 file objects: names, sizes, times, hashes
  case      CASE/UCO JSON-LD: the bundle's provenance record, its artifacts
            as File objects with their hashes, and with --ledger its
            custody trail as investigative actions

Only a verified bundle is exported: a tampered or untrusted one writes
nothing (exit 1); an incomplete one writes nothing (exit 3) unless
--allow-incomplete, which exports the records that verified before the cut
and says so in the output. The output goes to stdout, or to -o FILE,
written whole or not at all.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if !slices.Contains(bundleExportFormats, f.format) {
				return usageOf(c, fmt.Errorf("--format %q: want hashdeep, dfxml or case", f.format))
			}
			if f.prefix != "" && f.format != "hashdeep" {
				return usageOf(c, errors.New("--prefix is for --format hashdeep"))
			}
			if f.ledger != "" && f.format != "case" {
				return usageOf(c, errors.New("--ledger is for --format case"))
			}
			return runExport(c, a, args[0], &f)
		},
	}
	c.Flags().StringVar(&f.format, "format", "", "hashdeep, dfxml or case (required)")
	c.Flags().StringVarP(&f.out, "output", "o", "", "write to `FILE` instead of stdout")
	c.Flags().StringVar(&f.prefix, "prefix", "", "hashdeep: name files under `DIR`, the directory the bundle is extracted into, as 'hashdeep -r DIR' names them")
	c.Flags().StringVar(&f.ledger, "ledger", "", "case: add the bundle's custody trail from this ledger `FILE`")
	c.Flags().BoolVar(&f.allowIncomplete, "allow-incomplete", false, "export what verified from a bundle cut short, saying so in the output")
	f.ids.add(c)
	f.trust.add(c, "the signer")
	return c
}

func runExport(c *cobra.Command, a *app, path string, f *exportFlags) error {
	trust, err := f.trust.load(a, "export")
	if err != nil {
		return err
	}
	prefix, err := hashdeepPrefix(f.prefix)
	if err != nil {
		return withCode(exitUsage, err)
	}
	bf, err := openBundle(a, path, f.ids)
	if err != nil {
		return err
	}
	defer bf.Close()
	b, err := export.Read(export.ReadOptions{Name: filepath.Base(path), AllowIncomplete: f.allowIncomplete,
		Verify: func(o bundle.VerifyOptions) (*bundle.Result, error) { o.Trust = trust; return bf.Verify(o) }})
	var nv *export.NotVerifiedError
	switch {
	case errors.As(err, &nv) && nv.Status == bundle.StatusIncomplete:
		a.errorf("%s is incomplete: %v; nothing exported", path, nv.Result.Err)
		a.hintf("--allow-incomplete exports the %d records that verified before the cut, and says so in the output", nv.Result.Records)
		return silentErrorOf(exitFor(nv.Status))
	case errors.As(err, &nv):
		a.errorf("%s is %s: %v; nothing exported", path, nv.Status, nv.Result.Err)
		a.hintf("run 'hozen verify %s' for the full report", path)
		return silentErrorOf(exitFor(nv.Status))
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	}
	b.Tool = readBuildInfo().Version
	if f.ledger != "" {
		if err := exportTrail(c, b, bf, f.ledger); err != nil {
			return err
		}
	}
	var hd *export.HashdeepResult
	write := func(w io.Writer) error {
		switch f.format {
		case "hashdeep":
			hd, err = export.WriteHashdeep(w, b, export.HashdeepOptions{Prefix: prefix})
			return err
		case "dfxml":
			return export.WriteDFXML(w, b)
		}
		return export.WriteCASE(w, b)
	}
	if f.out == "" {
		err = write(a.stdout)
	} else {
		err = writeFileAtomic(f.out, write)
	}
	var tm *export.TooManyEntriesError
	if errors.As(err, &tm) {
		return withCode(exitFailed, fmt.Errorf("%s: %w; nothing exported", path, err))
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	if f.out != "" {
		fmt.Fprintln(a.stdout, f.out)
	}
	if hd != nil && len(hd.Unlistable) > 0 {
		a.warnf("%d %s of %s cannot be named in a hashdeep list (a line break in the name): hashdeep's audit will not pass; the list names them in comments", len(hd.Unlistable), plural(len(hd.Unlistable), "file", "files"), path)
	}
	if c := b.Custody; c != nil && c.VerifyErr != nil {
		a.errorf("%s does not verify, its events in the output may be false: %v", c.Ledger, c.VerifyErr)
		return silentError{exitFailed}
	}
	if b.Incomplete {
		a.warnf("%s is incomplete: %v; the output holds the %d records that verified, and says so", path, b.Result.Err, b.Result.Records)
		return silentErrorOf(exitIncomplete)
	}
	return nil
}

// hashdeepPrefix is --prefix as hashdeep prints the directory: an absolute
// path as given (cleaned), a relative one after the working directory
// with its links resolved (getcwd's).
func hashdeepPrefix(p string) (string, error) {
	if p == "" || filepath.IsAbs(p) {
		if p != "" {
			p = filepath.Clean(p)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	if wd, err = filepath.EvalSymlinks(wd); err != nil {
		return "", err
	}
	return filepath.Join(wd, p), nil
}

// exportTrail adds the bundle's custody trail from the ledger to b.
func exportTrail(c *cobra.Command, b *export.Bundle, bf *bundle.File, ledger string) error {
	ctx := c.Context()
	fileSHA, err := bf.StoredSHA256()
	if err != nil {
		return fmt.Errorf("%s: %w", bf.Path, err)
	}
	l, err := openLedger(ctx, ledger)
	if err != nil {
		return err
	}
	defer l.Close()
	t, err := ledgerlink.TrailOf(ctx, l, fileSHA, b.Header.BundleID)
	if err != nil {
		return custodyError(err)
	}
	b.Custody = &export.Custody{Ledger: ledger, Head: t.Head, Events: t.Events, VerifyErr: t.VerifyErr}
	return nil
}
