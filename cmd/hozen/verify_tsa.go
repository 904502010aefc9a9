package main

import (
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/tsa"
)

// tsaVerifyFlags are verify's timestamp flags.
type tsaVerifyFlags struct {
	ca, tsr []string
}

func (f *tsaVerifyFlags) add(c *cobra.Command) {
	c.Flags().StringArrayVar(&f.ca, "tsa-ca", nil, "trust RFC 3161 timestamps whose TSA certificate chains to the PEM roots in `FILE` (repeatable); a bundle without a timestamp then fails")
	c.Flags().StringArrayVar(&f.tsr, "tsr", nil, "check the timestamp reply in `FILE` (repeatable; default: BUNDLE.tsr, BUNDLE.2.tsr, ... beside the bundle)")
}

// timestampReport is one token in verify's report.
type timestampReport struct {
	File    string `json:"file"`
	OK      bool   `json:"ok"`
	Trusted bool   `json:"trusted"`
	Time    string `json:"time,omitempty"`
	Subject string `json:"tsa_subject,omitempty"`
	Root    string `json:"root,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// checkTimestamps checks the bundle's stored timestamps against the SHA-256
// of the file as stored and fills rep; a token that fails, or none when
// roots were given, fails the bundle (exit 1).
func checkTimestamps(rep *verifyReport, f *tsaVerifyFlags, roots *x509.CertPool) {
	files := f.tsr
	if len(files) == 0 {
		var err error
		if files, err = tsa.Sidecars(rep.Bundle); err != nil {
			rep.Timestamps = append(rep.Timestamps, timestampReport{File: rep.Bundle + ".tsr", Reason: err.Error()})
			rep.Code = worseExit(rep.Code, exitUsage)
			return
		}
	}
	if len(files) == 0 {
		if roots != nil {
			rep.Timestamps = append(rep.Timestamps, timestampReport{File: tsa.SidecarName(rep.Bundle, 1),
				Reason: "no timestamp: --tsa-ca was given but no " + tsa.SidecarName(rep.Bundle, 1) + " (or --tsr FILE) was found"})
			rep.Code = worseExit(rep.Code, exitFailed)
		}
		return
	}
	sum := rep.SHA256
	if sum == "" { // not read to its end: hash the file as it is
		d, err := tsa.FileSHA256(rep.Bundle)
		if err != nil {
			rep.Timestamps = append(rep.Timestamps, timestampReport{File: files[0], Reason: err.Error()})
			rep.Code = worseExit(rep.Code, exitUsage)
			return
		}
		sum = hex.EncodeToString(d)
	}
	digest, _ := hex.DecodeString(sum)
	for _, r := range tsa.CheckFiles(files, digest, roots) {
		t := timestampReport{File: r.File}
		if r.Err != nil {
			t.Reason = r.Err.Error()
			rep.Code = worseExit(rep.Code, exitFailed)
		} else {
			t.OK, t.Trusted, t.Time, t.Subject, t.Root = true, r.Trusted, r.Time.UTC().Format(time.RFC3339Nano), r.Subject(), r.Root()
		}
		rep.Timestamps = append(rep.Timestamps, t)
	}
}

// printTimestamps prints one line per token.
func printTimestamps(a *app, r *verifyReport) {
	for _, t := range r.Timestamps {
		switch {
		case !t.OK:
			a.errorf("%s: timestamp %s: %s", r.Bundle, t.File, t.Reason)
		case t.Trusted:
			fmt.Fprintf(a.stdout, "  timestamped at %s by %s, chain to %s (%s)\n", t.Time, t.Subject, t.Root, t.File)
		default:
			fmt.Fprintf(a.stdout, "  timestamped at %s by %s: untrusted (no --tsa-ca) (%s)\n", t.Time, t.Subject, t.File)
		}
	}
}

// roots loads --tsa-ca; nil without it.
func (f *tsaVerifyFlags) roots(nBundles int) (*x509.CertPool, error) {
	if len(f.tsr) > 0 && nBundles != 1 {
		return nil, usageError{cmd: "verify", err: fmt.Errorf("--tsr names the timestamp of one bundle; give one BUNDLE")}
	}
	if len(f.ca) == 0 {
		return nil, nil
	}
	p, err := tsa.LoadRoots(f.ca...)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("--tsa-ca: %w", err))
	}
	return p, nil
}
