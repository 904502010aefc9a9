package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/manifest"
)

type collectOptions struct {
	profile       string
	include       []string
	exclude       []string
	out           string
	caseID        string
	examiner      string
	key           string
	passFile      string
	hashes        []string
	referenceTime string
	level         int
	jsonOut       bool
	noEnviron     bool
	ledger        string
	recipients    []string
	recipFiles    []string
	root          string // dead-box: collect from a mounted image instead of "/"
}

func newCollectCmd(a *app) *cobra.Command {
	o := &collectOptions{}
	c := &cobra.Command{
		Use:   "collect [flags]",
		Short: "collect evidence from this host into a sealed, signed bundle",
		Long: `collect snapshots this host (volatile state first, then files) into one
bundle, <case>_<host>_<UTC time>_<id>.tar.zst in --out. The bundle is written
as NAME.tar.zst.partial and renamed only once sealed. The last line of
stdout is the bundle's path (with --json, one JSON object).

With --recipient or --recipients-file the bundle is encrypted with age as it
is written, NAME.tar.zst.age: no plaintext touches the disk, and only the
holder of a recipient's private key can read it ('hozen verify --identity',
or 'age -d -i KEY' back to the plain .tar.zst).

With --root DIR, collect reads a dead box: a mounted disk image or a
container's root file system at DIR. File collectors and the file groups
read under DIR (symlinks resolved inside it); collectors of live state
(network, processes, system) are skipped with a record saying so; the host
identity comes from DIR's /etc/hostname and /etc/machine-id; the bundle
header says dead_box.root = DIR. Mount the image read-only (ro,noexec).

Run as root: without it other users' processes, /etc/shadow, other
homes and socket owners are out of reach. collect says so at the start and
in the summary, and records the privileges in the bundle header.

hozen never runs a program of this host, never follows a symlink, and
writes nothing outside --out.`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			return runCollect(c.Context(), a, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.profile, "profile", "", "collection profile: a built-in name or a YAML `FILE` (see 'hozen profiles')")
	f.StringArrayVar(&o.include, "include", nil, "also collect files matching `GLOB` (absolute; ** spans directories); repeatable")
	f.StringArrayVar(&o.exclude, "exclude", nil, "skip files matching `GLOB`; repeatable")
	f.StringVar(&o.out, "out", ".", "write the bundle into `DIR` (created if missing)")
	f.StringVar(&o.caseID, "case", "case", "case `ID` recorded in the bundle and its name")
	f.StringVar(&o.examiner, "examiner", "", "`NAME` of the responder (default: the login name)")
	f.StringVar(&o.key, "key", "", "sign with this OpenSSH private key `FILE` (or a .pub whose key an ssh-agent holds)")
	f.StringVar(&o.passFile, "passphrase-file", "", "read the key's passphrase from `FILE` (else HOZEN_PASSPHRASE, else a prompt)")
	f.StringSliceVar(&o.hashes, "hash", nil, "extra digests per artifact besides sha256: md5, sha1")
	f.StringVar(&o.referenceTime, "reference-time", "", "the responder's trusted time now (RFC 3339), to record clock skew")
	f.IntVar(&o.level, "level", 1, "zstd level 1 to 22, as zstd's, in four steps: 1-2 fastest, 3-5 default, 6-9 better, 10-22 best compression")
	f.BoolVar(&o.jsonOut, "json", false, "print a JSON summary instead of the path")
	f.BoolVar(&o.noEnviron, "no-environ", false, "do not record processes' environment variables")
	f.StringVar(&o.ledger, "ledger", "", "custody ledger `FILE` (default: custody.db in --out)")
	f.StringArrayVar(&o.recipients, "recipient", nil, "encrypt the bundle with age to this public `KEY` (age1... or an ssh-ed25519 public key line); repeatable")
	f.StringArrayVar(&o.recipFiles, "recipients-file", nil, "encrypt to every public key in `FILE` (one per line, # comments); repeatable")
	f.StringVar(&o.root, "root", "/", "dead-box collection: collect from a mounted image or root file system at `DIR` as if it were /, skipping live state")
	return c
}

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
}

// collectorSummary is one collector's part of the summary.
type collectorSummary struct {
	Collector string  `json:"collector"`
	Records   int64   `json:"records"`
	Bytes     int64   `json:"bytes"`
	Errors    int64   `json:"errors"` // records whose outcome is not ok
	Duration  float64 `json:"duration_seconds"`
}

func collectorSummaries(stats []collect.Stats) []collectorSummary {
	out := make([]collectorSummary, 0, len(stats))
	for _, s := range stats {
		out = append(out, collectorSummary{Collector: s.Collector, Records: s.Records, Bytes: s.Bytes,
			Errors: s.Errors, Duration: s.Duration.Seconds()})
	}
	return out
}

// newCollectRedactor keeps secrets (the passphrases hozen holds, the
// private key's bytes) and hozen's own key and passphrase files out of the
// bundle.
func newCollectRedactor(o *collectOptions, secrets []collect.Secret) (*collect.Redactor, error) {
	var files []collect.ProtectedFile
	protect := func(path, why string) error {
		if path == "" {
			return nil
		}
		f, err := collect.ProtectFile(path, why)
		if err != nil {
			return fmt.Errorf("%s %s: %w", why, path, err)
		}
		files = append(files, f)
		return nil
	}
	if err := protect(o.key, "hozen's signing key (--key)"); err != nil {
		return nil, err
	}
	if err := protect(o.passFile, "hozen's passphrase file (--passphrase-file)"); err != nil {
		return nil, err
	}
	if o.key != "" {
		// A copy of an unencrypted private key elsewhere is masked whole.
		if b, err := os.ReadFile(o.key); err == nil && bytes.Contains(b, []byte("PRIVATE KEY")) {
			secrets = append(secrets, collect.Secret{Name: "the --key file's contents", Value: b})
		}
	}
	return collect.NewRedactor(secrets, files), nil
}

// redactArgs masks hozen's secrets in its own argv for the footprint
// (a passphrase never belongs there, but a careless command line may hold one).
func redactArgs(r *collect.Redactor, args []string) []string {
	out := make([]string, len(args))
	for i, s := range args {
		out[i], _ = r.String(s)
	}
	return out
}

// redactionNote is what the sealed event and the summary say of redaction.
func redactionNote(s collect.RedactStats) string {
	var parts []string
	if s.Artifacts > 0 {
		parts = append(parts, fmt.Sprintf("%d occurrence(s) of hozen's own secrets redacted in %d artifact(s) (outcome redacted: not byte-for-byte copies; see their records)", s.Occurrences, s.Artifacts))
	}
	if s.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d of hozen's own key or passphrase files not collected (outcome skipped)", s.Skipped))
	}
	return strings.Join(parts, "; ")
}

func runCollect(ctx context.Context, a *app, o *collectOptions) error {
	start := time.Now()
	// The header names this binary by its SHA-256: hash it (some 20 MiB)
	// while the options, keys and ledger are seen to.
	tool := make(chan manifest.Tool, 1)
	go func() { tool <- toolInfo() }()
	var md5, sha1 bool
	for _, h := range o.hashes {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "md5":
			md5 = true
		case "sha1":
			sha1 = true
		case "sha256", "":
		default:
			return usageError{cmd: "collect", err: fmt.Errorf("--hash %q: only md5 and sha1 can be added", h)}
		}
	}
	var refTime *time.Time
	if o.referenceTime != "" {
		t, err := time.Parse(time.RFC3339Nano, o.referenceTime)
		if err != nil {
			return usageError{cmd: "collect", err: fmt.Errorf("--reference-time %q: want RFC 3339, e.g. 2026-11-22T10:00:00Z", o.referenceTime)}
		}
		t = t.UTC()
		refTime = &t
	}
	level := zstd.EncoderLevelFromZstd(o.level)
	if o.level < 1 || o.level > 22 {
		return usageError{cmd: "collect", err: fmt.Errorf("--level %d: want 1 to 22", o.level)}
	}
	plan, err := planCollection(o, refTime)
	if err != nil {
		return err
	}
	deadBox, priv := o.root != "/" && o.root != "", collect.Privileges()
	if fi, err := os.Stat(o.root); deadBox && (err != nil || !fi.IsDir()) {
		return usageError{cmd: "collect", err: fmt.Errorf("--root %s: not a directory; give the mount point of the image", o.root)}
	}
	if !priv.Root {
		a.warnf("not running as root (uid %d): this collection cannot read %s; run it with sudo", priv.EUID, strings.Join(priv.Missing, "; "))
	}
	recipients, recipDesc, err := loadRecipients(o.recipients, o.recipFiles)
	if err != nil {
		return usageError{cmd: "collect", err: err}
	}
	// Every secret hozen holds, and its own secret files, stay out of
	// what it writes (collect.Redactor).
	var secrets []collect.Secret
	if v := os.Getenv(passphraseEnv); v != "" {
		secrets = append(secrets, collect.Secret{Name: passphraseEnv, Value: []byte(v)})
	}
	seen := func(name string, v []byte) { secrets = append(secrets, collect.Secret{Name: name, Value: v}) }
	var signer ssh.Signer
	if o.key != "" {
		if signer, err = loadSigner(a, o.key, passphraseSource{file: o.passFile, seen: seen}); err != nil {
			return err
		}
	} else {
		a.warnf("no --key: the bundle will be unsigned; anyone could rebuild a consistent one")
	}
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	// reliability: refuse to start on a destination with too little room.
	if err := checkFreeSpace(o.out, 0); err != nil {
		return err
	}
	// The ledger travels with the bundles; it must work before anything is
	// collected, so that no event is ever lost. Once collection started,
	// ledger writes use lctx: an interrupt must not stop them.
	lctx := context.WithoutCancel(ctx)
	ledgerPath := o.ledger
	if ledgerPath == "" {
		ledgerPath = filepath.Join(o.out, "custody.db")
	}
	led, err := custody.Open(lctx, ledgerPath, custody.Options{Signer: signer})
	if err != nil {
		return fmt.Errorf("custody ledger %s: %w; give another with --ledger", ledgerPath, err)
	}
	defer led.Close()
	red, err := newCollectRedactor(o, secrets)
	if err != nil {
		return err
	}
	env := &collect.Env{Root: o.root, DeadBox: deadBox, Now: time.Now, Budget: collect.NewBudget(plan.maxTotal), Redactor: red}
	prog := newProgress(a.stderr)
	if prog != nil {
		env.Progress = prog
	}
	examiner := defaultExaminer(o.examiner)
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	now := time.Now()
	hdr := &manifest.Header{
		BundleID:  id.String(),
		CaseID:    o.caseID,
		Examiner:  examiner,
		StartedAt: now.UTC(),
		Host:      collect.HostIdentity(ctx, env),
		Clock:     hostClock(now, refTime),
		Tool:      <-tool,
		Profile:   plan.profile,
	}
	hdr.Privileges = priv
	if deadBox {
		abs, _ := filepath.Abs(o.root)
		hdr.Host = collect.HostIdentityDeadBox(ctx, env)
		hdr.DeadBox = &manifest.DeadBox{Root: manifest.BString(abs), Skipped: collect.SkippedLive(plan.collectors)}
		a.warnf("dead-box collection of %s: live state not collected (%s skipped); host identity from its /etc", abs, strings.Join(hdr.DeadBox.Skipped, ", "))
	}
	name := bundleName(o.caseID, hdr.Host.Hostname, now, id.String())
	if len(recipients) > 0 {
		name += bundle.AgeSuffix
	}
	outAbs, _ := filepath.Abs(filepath.Join(o.out, name))
	ledgerAbs, _ := filepath.Abs(ledgerPath)
	hdr.Footprint = &manifest.Footprint{PID: os.Getpid(), Args: bstrings(redactArgs(red, os.Args)), Output: manifest.BString(outAbs), Ledger: manifest.BString(ledgerAbs)}
	prev, err := led.LastSealed(lctx, o.caseID)
	if err != nil {
		return fmt.Errorf("custody ledger %s: %w", ledgerPath, err)
	}
	if prev != nil {
		hdr.Previous = &manifest.Previous{BundleID: prev.BundleID, Head: prev.BundleHead}
	}
	w, err := bundle.Create(o.out, name, hdr, bundle.Options{Level: level, Signer: signer, MD5: md5, SHA1: sha1, Recipients: recipients})
	if err != nil {
		return fmt.Errorf("create bundle in %s: %w", o.out, err)
	}
	event := func(action custody.Action) *custody.Event {
		return &custody.Event{Actor: examiner, Action: action, CaseID: o.caseID, BundleID: hdr.BundleID,
			BundleFile: name, Host: hdr.Host.Hostname}
	}
	started := event(custody.ActionCollected)
	started.Reason = fmt.Sprintf("hozen collect started, profile %s", plan.profile.Name)
	if err := led.Append(lctx, started); err != nil {
		partial := w.Abort()
		return fmt.Errorf("custody ledger %s: %w; nothing collected (%s left unsealed)", ledgerPath, err, partial)
	}
	stats, runErr := collect.Run(ctx, env, plan.collectors, w)
	if prog != nil {
		prog.finish()
	}
	status, reason := manifest.StatusSealed, ""
	if runErr != nil {
		if !errors.Is(runErr, context.Canceled) {
			partial := w.Abort()
			note := event(custody.ActionNote)
			note.Reason = fmt.Sprintf("collection failed: %v; unsealed bundle left at %s", runErr, partial)
			lerr := led.Append(lctx, note)
			err := fmt.Errorf("collection failed: %w; the bundle so far is %s (not sealed; 'hozen verify' checks what it holds)", runErr, partial)
			if full, ok := diskFullError(runErr, partial); ok { // reliability: name DEST and the bytes written
				err = fmt.Errorf("collection failed: %w", full)
			}
			if lerr != nil {
				err = fmt.Errorf("%w; the ledger %s could not record it either: %v", err, ledgerPath, lerr)
			}
			return err
		}
		status, reason = manifest.StatusInterrupted, "interrupted by a signal"
		a.warnf("interrupted: sealing what was collected as %q", status)
	}
	cp, err := led.Checkpoint(lctx)
	if err != nil {
		partial := w.Abort()
		return fmt.Errorf("custody ledger %s: %w; the bundle so far is %s (not sealed)", ledgerPath, err, partial)
	}
	sealed, err := w.Seal(status, reason, checkpointOf(cp))
	if err != nil {
		note := event(custody.ActionNote)
		note.Reason = fmt.Sprintf("sealing failed: %v; unsealed bundle left at %s", err, w.PartialPath())
		led.Append(lctx, note)
		if full, ok := diskFullError(err, w.PartialPath()); ok { // reliability: name DEST and the bytes written
			return fmt.Errorf("seal: %w", full)
		}
		return fmt.Errorf("%w; the bundle so far is %s (not sealed)", err, w.PartialPath())
	}
	sev := event(custody.ActionSealed)
	sev.BundleSHA256, sev.BundleHead, sev.BundleMerkleRoot = sealed.SHA256, sealed.Manifest.Head, sealed.Manifest.MerkleRoot
	sev.Outcome = status
	sev.Reason = reason
	rst := red.Stats()
	if rst.Artifacts > 0 || rst.Skipped > 0 {
		sev.Reason = strings.TrimPrefix(reason+"; "+redactionNote(rst), "; ")
	}
	if sealed.Encrypted {
		enc := fmt.Sprintf("encrypted with age to %s; the decrypted .tar.zst has sha256 %s", strings.Join(recipDesc, ", "), sealed.StreamSHA256)
		sev.Reason = strings.TrimPrefix(reason+"; "+enc, "; ")
	}
	if err := led.Append(lctx, sev); err != nil {
		return fmt.Errorf("the bundle %s is sealed, but the ledger %s could not record it: %w; record it with 'hozen custody record --action note --bundle %s ...'", sealed.Path, ledgerPath, err, sealed.Path)
	}
	head, err := led.Checkpoint(lctx)
	if err != nil {
		return fmt.Errorf("custody ledger %s: %w", ledgerPath, err)
	}
	m := sealed.Manifest
	sum := collectSummary{
		Schema: collectSummarySchema, Bundle: sealed.Path, SHA256: sealed.SHA256, Size: sealed.Size, BundleID: hdr.BundleID,
		Status: m.Status, Head: m.Head, MerkleRoot: m.MerkleRoot,
		Records: m.Counts.Records, Artifacts: m.Counts.Artifacts, Errors: m.Counts.Errors, Bytes: m.Counts.Bytes,
		Duration: time.Since(start).Seconds(), Collectors: collectorSummaries(stats),
		Privileges: hdr.Privileges, DeadBox: hdr.DeadBox,
	}
	if hdr.Signer != nil {
		sum.Signer = hdr.Signer.Fingerprint
	}
	if sealed.Encrypted {
		sum.Encrypted, sum.Recipients, sum.StreamSHA256 = true, recipDesc, sealed.StreamSHA256
	}
	if rst.Artifacts > 0 || rst.Skipped > 0 || len(rst.Short) > 0 {
		sum.Redacted = &rst
	}
	for _, name := range rst.Short {
		a.warnf("the secret from %s is shorter than %d bytes: it was masked wherever it occurs in the evidence, so unrelated bytes that happen to match it were masked too (see the records' warnings); use a longer passphrase", name, collect.ShortSecret)
	}
	sum.Ledger, sum.LedgerHead = ledgerPath, head.Text
	printCollectSummary(a, &sum)
	if o.jsonOut {
		if err := writeJSON(a.stdout, sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.stdout, sealed.Path)
	}
	if status != manifest.StatusSealed {
		return silentError{exitInterrupted}
	}
	return nil
}

// defaultExaminer is --examiner, else the login that ran sudo, else the
// current user.
func defaultExaminer(flag string) string {
	if flag != "" {
		return flag
	}
	for _, v := range []string{"SUDO_USER", "USER", "USERNAME"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	// Not os/user: it reads /etc/passwd without O_NOATIME.
	if name := collect.UserName("/etc/passwd", os.Getuid()); name != "" {
		return name
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

// printCollectSummary writes the one-screen summary to stderr.
func printCollectSummary(a *app, s *collectSummary) {
	w := a.stderr
	fmt.Fprintf(w, "hozen: %s %s in %.1fs\n", s.Status, s.Bundle, s.Duration)
	for _, c := range s.Collectors {
		fmt.Fprintf(w, "  %-12s %6d records %10s %5d not ok  %.2fs\n", c.Collector, c.Records, humanBytes(c.Bytes), c.Errors, c.Duration)
	}
	fmt.Fprintf(w, "  total        %6d records %10s %5d not ok\n", s.Records, humanBytes(s.Bytes), s.Errors)
	fmt.Fprintf(w, "  sha256 %s\n  head   %s\n", s.SHA256, s.Head)
	if s.Signer != "" {
		fmt.Fprintf(w, "  signed by %s\n", s.Signer)
	}
	if s.Encrypted {
		fmt.Fprintf(w, "  encrypted (age) to %s\n", strings.Join(s.Recipients, ", "))
	}
	if s.Redacted != nil && (s.Redacted.Artifacts > 0 || s.Redacted.Skipped > 0) {
		fmt.Fprintf(w, "  redacted: %s\n", redactionNote(*s.Redacted))
	}
	fmt.Fprintf(w, "  ledger %s, head (write it down or send it on):\n  %s\n", s.Ledger, s.LedgerHead)
	if p := s.Privileges; p != nil && !p.Root {
		fmt.Fprintf(w, "hozen: warning: collected without root (uid %d): not collected: %s\n", p.EUID, strings.Join(p.Missing, "; "))
	}
	if d := s.DeadBox; d != nil {
		fmt.Fprintf(w, "  dead-box collection of %s; not collected: %s\n", d.Root, strings.Join(d.Skipped, ", "))
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// bundleName is <case>_<host>_<UTC yyyymmddThhmmssZ>_<id8>.tar.zst.
func bundleName(caseID, host string, t time.Time, id string) string {
	clean := func(s, def string) string {
		s = strings.Trim(unsafeName.ReplaceAllString(s, "-"), "-.")
		if s == "" {
			return def
		}
		return s
	}
	id8 := strings.ReplaceAll(id, "-", "")
	if len(id8) > 8 {
		id8 = id8[len(id8)-8:]
	}
	return fmt.Sprintf("%s_%s_%s_%s.tar.zst", clean(caseID, "case"), clean(host, "host"), t.UTC().Format("20060102T150405Z"), id8)
}

// hostClock records the host's clock and zone, and the skew against the
// responder's reference time when given.
func hostClock(now time.Time, ref *time.Time) manifest.Clock {
	zone, off := now.Zone()
	c := manifest.Clock{
		Local:            now.Format(time.RFC3339Nano),
		TimeZone:         zone,
		UTCOffsetSeconds: off,
	}
	if tz := now.Location().String(); tz != "Local" && tz != "" {
		c.TimeZone = tz + " (" + zone + ")"
	}
	if ref != nil {
		c.ReferenceTime = ref
		skew := now.Sub(*ref).Seconds()
		c.SkewSeconds = &skew
	}
	return c
}

func toolInfo() manifest.Tool {
	bi := readBuildInfo()
	return manifest.Tool{Name: "hozen", Version: bi.Version, Commit: bi.Commit, GoVersion: bi.GoVersion, SHA256: bi.SHA256}
}

func bstrings(ss []string) []manifest.BString {
	out := make([]manifest.BString, len(ss))
	for i, s := range ss {
		out[i] = manifest.BString(s)
	}
	return out
}
