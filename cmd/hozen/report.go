package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/diff"
	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/report"
)

// addCustody reads the bundle's events from the ledger: those naming the
// file's SHA-256 and those of its bundle id.
func addCustody(ctx context.Context, r *report.Report, path, fileSHA256 string) error {
	l, err := openLedger(ctx, path)
	if err != nil {
		return err
	}
	defer l.Close()
	t, err := ledgerlink.TrailOf(ctx, l, fileSHA256, r.Summary.BundleID)
	if err != nil {
		return custodyError(err)
	}
	r.SetCustody(path, t.Head, t.Events, t.VerifyErr)
	return nil
}

func newReportCmd(a *app) *cobra.Command {
	var f readFlags
	var out, diffOld string
	var df diffFlags
	c := &cobra.Command{
		Use:   "report BUNDLE [-o FILE.html] [--ledger FILE] [--pubkey FILE | --allowed-signers FILE] [--diff OLD]",
		Short: "write one self-contained HTML report of a bundle, for a browser or a case file",
		Long: `report verifies a bundle and writes one HTML file an investigator reads in
any browser, offline: the verification outcome first, then the case, host and
clocks, findings, the process tree, network connections joined to their
processes, logins, persistence items, a timeline chart, every artifact
(searchable), and with --ledger the bundle's custody trail. The file loads
nothing from anywhere (its Content-Security-Policy forbids it) and prints.

Without -o the report is written beside nothing: to BUNDLE's name with .html
in the current directory. The last line of stdout is the report's path.

Exit codes are verify's: 0 intact, 1 tampered or untrusted (or a ledger that
does not verify), 2 usage or I/O error, 3 incomplete. A report is written in
every case but 2, and says at its top what failed.

--diff OLD adds a section of what changed since an earlier collection OLD of
the host, as 'hozen diff OLD BUNDLE' prints it. Its rules are diff's: a
tampered or untrusted OLD or BUNDLE, or two hosts, are refused (exit 1,
nothing written) unless --allow-tampered or --allow-other-host.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var r *readBundle
			var dr *diffResult
			var err error
			if diffOld != "" {
				r, dr, err = reportDiff(c.Context(), a, diffOld, args[0], &f, df)
			} else {
				r, err = buildReport(c.Context(), a, args[0], &f)
			}
			if err != nil {
				return err
			}
			if dr != nil {
				r.Diff = dr.Result
			}
			if out == "" {
				name := filepath.Base(args[0])
				name = strings.TrimSuffix(name, bundle.PartialSuffix)
				name = strings.TrimSuffix(name, ".tar.zst")
				out = name + ".html"
			}
			if err := writeFileAtomic(out, func(w io.Writer) error { return report.WriteHTML(w, r.Report) }); err != nil {
				return withCode(exitUsage, err)
			}
			fmt.Fprintln(a.stdout, out)
			if err := verdict(a, args[0], r); err != nil || dr == nil {
				return err
			}
			return silentErrorOf(dr.code)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "write the report to `FILE.html`")
	c.Flags().StringVar(&diffOld, "diff", "", "add what changed since an earlier collection, the bundle `OLD`")
	df.add(c)
	f.add(c, true)
	return c
}

// diffResult is report --diff's comparison and the exit code it ends with.
type diffResult struct {
	*diff.Result
	code int
}

// reportDiff reads OLD, then reads the reported bundle at newPath once for
// its report and the comparison both (one verification feeds both), and
// compares them by diff's rules, refusing before the custody trail is read.
func reportDiff(ctx context.Context, a *app, oldPath, newPath string, f *readFlags, df diffFlags) (*readBundle, *diffResult, error) {
	trust, err := f.trust.load(a, "report")
	if err != nil {
		return nil, nil, err
	}
	old, err := readSnapshot(a, oldPath, f.ids, trust)
	if err != nil {
		return nil, nil, err
	}
	nr := diff.NewReader(diff.Options{Name: filepath.Base(newPath)})
	var dr *diffResult
	r, err := readReport(ctx, a, newPath, f, trust, nr, func(res *bundle.Result) error {
		d, code, err := compareSnapshots(a, [2]string{oldPath, newPath}, [2]*diff.Snapshot{old, nr.Snapshot(res)}, df)
		dr = &diffResult{d, code}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return r, dr, nil
}

// writeFileAtomic writes path through a temporary file in its directory,
// renamed into place only once complete: no half-written output is left.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
