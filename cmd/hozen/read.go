package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/manifest"
	"github.com/hozen-dfir/hozen/report"
)

// readFlags are the flags of the commands that read a bundle for people:
// report, timeline and show.
type readFlags struct {
	trust  trustFlags
	ledger string
	ids    identityFlags
	// logs: read the bundle's syslog and journal files (timeline).
	logs bool
}

func (f *readFlags) add(c *cobra.Command, withLedger bool) {
	f.ids.add(c)
	f.trust.add(c, "the signer")
	if withLedger {
		c.Flags().StringVar(&f.ledger, "ledger", "", "add the bundle's custody trail from this ledger `FILE`")
	}
}

// readBundle is a report of a bundle and its state, as read.
type readBundle struct {
	*report.Report
	status bundle.Status
}

// buildReport verifies the bundle at path while reading what the views
// need, and adds the custody trail when a ledger is named. The error is
// one that exitCode sorts: nothing was read.
func buildReport(ctx context.Context, a *app, path string, f *readFlags) (*readBundle, error) {
	trust, err := f.trust.load(a, "report")
	if err != nil {
		return nil, err
	}
	return readReport(ctx, a, path, f, trust, nil, nil)
}

// readReport is buildReport with the trust loaded. also, if set, sees the
// bundle's content in the same verification as the report; then checked,
// if set, is given its result before the custody trail is read, and an
// error it returns is readReport's.
func readReport(ctx context.Context, a *app, path string, f *readFlags, trust manifest.Trust, also bundle.Handler, checked func(*bundle.Result) error) (*readBundle, error) {
	bf, err := openBundle(a, path, f.ids)
	if err != nil {
		return nil, err
	}
	defer bf.Close()
	var res *bundle.Result
	r, err := report.Build(nil, report.Options{Trust: trust, Name: filepath.Base(path), Logs: f.logs, Verify: func(o bundle.VerifyOptions) (*bundle.Result, error) {
		if also != nil {
			o.Handler = teeHandler{also, o.Handler}
		}
		res, err = bf.Verify(o)
		return res, err
	}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if checked != nil {
		if err := checked(res); err != nil {
			return nil, err
		}
	}
	if f.ledger != "" {
		// The file's own SHA-256 (as stored: the ciphertext of an encrypted
		// bundle) finds its custody events, also when it is not intact.
		fileSHA, err := bf.StoredSHA256()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := addCustody(ctx, r, f.ledger, fileSHA); err != nil {
			return nil, err
		}
	}
	return &readBundle{r, res.Status()}, nil
}

// teeHandler hands one verification's content to two handlers: first,
// which reads little of a data entry's body (what it reads is held, for
// that entry only), then second, which reads the same bytes and the rest.
type teeHandler struct{ first, second bundle.Handler }

func (t teeHandler) Header(h *manifest.Header) error {
	if err := t.first.Header(h); err != nil {
		return err
	}
	return t.second.Header(h)
}

func (t teeHandler) Data(h *tar.Header, body io.Reader) error {
	var read bytes.Buffer
	if err := t.first.Data(h, io.TeeReader(body, &read)); err != nil {
		return err
	}
	return t.second.Data(h, io.MultiReader(&read, body))
}

func (t teeHandler) Record(rec *manifest.Record) error {
	if err := t.first.Record(rec); err != nil {
		return err
	}
	return t.second.Record(rec)
}

// verdict turns the state of a bundle read for people into a message and
// its exit code (exitFor), once the output is written. The output holds
// only what verified before the failure.
func verdict(a *app, path string, r *readBundle) error {
	v := r.Verification
	if c := r.Custody; c != nil && !c.Verified {
		a.errorf("%s does not verify, its events in the output may be false: %s", c.Ledger, c.Error)
	}
	switch r.status {
	case bundle.StatusIntact:
		if !v.TrustChecked {
			a.warnf("%s is only consistent with itself; give --pubkey or --allowed-signers to check who sealed it", path)
		}
		if c := r.Custody; c != nil && !c.Verified {
			return silentError{exitFailed}
		}
	case bundle.StatusIncomplete:
		a.warnf("%s is incomplete: %s; the output holds the %d records that verified", path, v.Reason, v.Records)
	default:
		a.errorf("%s is %s: %s", path, r.status, v.Reason)
		a.hintf("the output holds what was read before the failure, and none of it is vouched for; run 'hozen verify %s'", path)
	}
	return silentErrorOf(exitFor(r.status))
}
