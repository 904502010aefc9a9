package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/acquire"
	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/manifest"
	"github.com/hozen-dfir/hozen/store"
)

// collectSummarySchema names the form of collect --json's object
// (docs/scripting.md). A new field may appear without a new name; a field
// that is removed or changes meaning takes the next number.
const collectSummarySchema = "hozen-collect-summary/1"

// collectSummary is what collect --json prints: snake_case keys, sizes in
// bytes, durations in seconds.
type collectSummary struct {
	Schema     string   `json:"schema"`
	Bundle     string   `json:"bundle"`
	SHA256     string   `json:"sha256"`
	Size       int64    `json:"size"`
	BundleID   string   `json:"bundle_id"`
	Status     string   `json:"status"`
	Head       string   `json:"head"`
	MerkleRoot string   `json:"merkle_root"`
	Records    int64    `json:"records"`
	Artifacts  int64    `json:"artifacts"`
	Errors     int64    `json:"errors"`
	Bytes      int64    `json:"bytes"`
	Signer     string   `json:"signer,omitempty"`
	Encrypted  bool     `json:"encrypted,omitempty"`
	Recipients []string `json:"recipients,omitempty"`
	// StreamSHA256 is of the decrypted .tar.zst, when encrypted.
	StreamSHA256 string             `json:"decrypted_sha256,omitempty"`
	Ledger       string             `json:"ledger"`
	LedgerHead   string             `json:"ledger_head"`
	Duration     float64            `json:"duration_seconds"`
	Collectors   []collectorSummary `json:"collectors"`
	// Redacted says what was kept out of the evidence: hozen's secrets
	// masked, its own key and passphrase files skipped.
	Redacted *collect.RedactStats `json:"redacted,omitempty"`
	// Privileges and DeadBox are as in the bundle header.
	Privileges *manifest.Privileges `json:"privileges,omitempty"`
	DeadBox    *manifest.DeadBox    `json:"dead_box,omitempty"`
	// Timestamps are the RFC 3161 replies stored beside the bundle.
	Timestamps []string `json:"timestamps,omitempty"`
	// Stored is where --push stored the bundle.
	Stored *store.Stored `json:"stored,omitempty"`
}

// collectorSummary is one collector's part of the summary.
type collectorSummary struct {
	Collector string  `json:"collector"`
	Records   int64   `json:"records"`
	Bytes     int64   `json:"bytes"`
	Errors    int64   `json:"errors"` // records whose outcome is not ok
	Duration  float64 `json:"duration_seconds"`
}

func runCollect(ctx context.Context, a *app, o *collectOptions) error {
	// The header names this binary by its SHA-256: hash it (some 20 MiB)
	// while the options, keys and ledger are seen to.
	tool := make(chan manifest.Tool, 1)
	go func() { tool <- toolInfo() }()
	ao := acquire.Options{Out: o.out, Ledger: o.ledger, CaseID: o.caseID, Examiner: defaultExaminer(o.examiner),
		Level: o.level, Root: o.root, KeyFile: o.key, PassphraseFile: o.passFile, Args: os.Args,
		Tool: func() manifest.Tool { return <-tool }, Now: time.Now}
	if err := parseCollectFlags(a, o, &ao); err != nil {
		return usageError{cmd: "collect", err: err}
	}
	if ao.DeadBox = o.root != "/" && o.root != ""; ao.DeadBox {
		if fi, err := os.Stat(o.root); err != nil || !fi.IsDir() {
			return usageError{cmd: "collect", err: fmt.Errorf("--root %s: not a directory; give the mount point of the image", o.root)}
		}
	}
	if priv := collect.Privileges(); !priv.Root {
		a.warnf("not running as root (uid %d): this collection cannot read %s; run it with sudo", priv.EUID, strings.Join(priv.Missing, "; "))
	}
	// Every secret hozen holds, and its own secret files, stay out of
	// what it writes (collect.Redactor).
	if v := os.Getenv(passphraseEnv); v != "" {
		ao.Secrets = append(ao.Secrets, collect.Secret{Name: passphraseEnv, Value: []byte(v)})
	}
	seen := func(name string, v []byte) { ao.Secrets = append(ao.Secrets, collect.Secret{Name: name, Value: v}) }
	if o.key != "" {
		var err error
		if ao.Signer, err = loadSigner(a, o.key, passphraseSource{file: o.passFile, seen: seen}); err != nil {
			return err
		}
	} else {
		a.warnf("no --key: the bundle will be unsigned; anyone could rebuild a consistent one")
	}
	rep := collectReporter{a: a, p: newProgress(a.stderr)}
	ao.Reporter = rep
	res, err := acquire.Run(ctx, ao)
	var pe *acquire.PushError
	if errors.As(err, &pe) && res != nil {
		// The bundle is sealed and whole: say so, then why it is not stored.
		sum := summaryOf(res)
		printCollectSummary(a, &sum)
		fmt.Fprintln(a.stdout, res.Path)
		a.errorf("%v", err)
		a.hintf("run 'hozen push %s %s' (with the same --endpoint and flags) to store it; a cut upload resumes", res.Path, ao.Push.Dest)
		return silentError{exitUsage}
	}
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		a.warnf("%s", w)
	}
	sum := summaryOf(res)
	printCollectSummary(a, &sum)
	if st := res.Stored; st != nil {
		fmt.Fprintf(a.stderr, "  stored as %s version %s, sha256 %s (read back), retention %s, legal hold %s\n", st.URL(), orNone(st.VersionID), st.SHA256, st.Retention, onOff(st.LegalHold))
	}
	if o.jsonOut {
		if err := writeJSON(a.stdout, sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.stdout, res.Path)
	}
	if res.Interrupted() {
		return silentError{exitInterrupted}
	}
	return nil
}

// defaultExaminer is --examiner, else the login that ran sudo, else the
// current user.
func defaultExaminer(flag string) string { return acquire.Examiner(flag) }
