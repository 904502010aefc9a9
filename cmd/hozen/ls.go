package main

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/diff"
	"github.com/hozen-dfir/hozen/manifest"
)

func newLsCmd(a *app) *cobra.Command {
	var jsonOut bool
	var ids identityFlags
	var trust trustFlags
	c := &cobra.Command{
		Use:   "ls BUNDLE",
		Short: "list a bundle's artifacts: sizes, hashes, outcomes and errors",
		Long: `ls lists every record of a bundle, verifying as it reads. If the bundle
turns out tampered or incomplete, what was listed before the failure
verified and nothing after it is listed. With --pubkey or --allowed-signers,
a bundle not sealed by a trusted key fails as it fails verify. The exit code
is verify's.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			t, err := trust.load(a, "ls")
			if err != nil {
				return err
			}
			return runLs(a, args[0], jsonOut, ids, t)
		},
	}
	c.Flags().BoolVar(&jsonOut, "json", false, "print the records as JSON lines")
	ids.add(c)
	trust.add(c, "the signer")
	return c
}

// recordLister prints each record as soon as it verified.
type recordLister struct {
	a    *app
	json bool
	tw   *tabwriter.Writer
}

func (l *recordLister) Header(h *manifest.Header) error {
	if !l.json {
		fmt.Fprintf(l.a.stdout, "# bundle %s  case %q  host %q  started %s\n", h.BundleID, h.CaseID, h.Host.Hostname, h.StartedAt.Format("2006-01-02T15:04:05.999999999Z07:00"))
		fmt.Fprintln(l.tw, "SEQ\tOUTCOME\tSIZE\tSHA256\tPATH")
	}
	return nil
}

func (l *recordLister) Data(*tar.Header, io.Reader) error { return nil }

func (l *recordLister) Record(r *manifest.Record) error {
	if l.json {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(l.a.stdout, string(b))
		return err
	}
	sum := r.SHA256
	if len(sum) > 16 {
		sum = sum[:16]
	}
	if sum == "" {
		sum = "-"
	}
	size := strconv.FormatInt(r.Size, 10)
	path := displayPath(string(r.Path))
	switch r.Entry {
	case manifest.EntrySymlink:
		size = "link"
		if r.File != nil && r.File.LinkTarget != nil {
			path += " -> " + displayPath(string(*r.File.LinkTarget))
		}
	case manifest.EntryNone:
		size = "-"
	}
	fmt.Fprintf(l.tw, "%d\t%s\t%s\t%s\t%s\n", r.Seq, r.Outcome, size, sum, path)
	for _, e := range r.Errors {
		fmt.Fprintf(l.tw, "\t\t\t\t  error: %s\n", displayPath(e))
	}
	for _, e := range r.Warnings {
		fmt.Fprintf(l.tw, "\t\t\t\t  warning: %s\n", displayPath(e))
	}
	return nil
}

// displayPath quotes a name that holds bytes a terminal should not get
// raw (control characters, invalid UTF-8), so listings are unambiguous:
// as diff.Display does, and also a name holding U+FFFD itself, which
// could otherwise pass for a replaced invalid byte.
func displayPath(s string) string {
	if strings.ContainsRune(s, unicode.ReplacementChar) {
		return strconv.Quote(s)
	}
	return diff.Display(s)
}

func runLs(a *app, path string, jsonOut bool, ids identityFlags, trust manifest.Trust) error {
	bf, err := openBundle(a, path, ids)
	if err != nil {
		return err
	}
	defer bf.Close()
	l := &recordLister{a: a, json: jsonOut, tw: tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)}
	res, err := bf.Verify(bundle.VerifyOptions{Handler: l, Trust: trust})
	l.tw.Flush()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return outcomeError(a, path, res)
}

// outcomeError turns a verification result that is not intact into a
// message and its exit code (exitFor).
func outcomeError(a *app, path string, res *bundle.Result) error {
	st := res.Status()
	switch st {
	case bundle.StatusIntact:
	case bundle.StatusIncomplete:
		a.warnf("%s is incomplete: %v", path, res.Err)
	default:
		a.errorf("%s is %s: %v", path, st, res.Err)
		a.hintf("only what was listed before this point verified; run 'hozen verify %s' for the full report", path)
	}
	return silentErrorOf(exitFor(st))
}
