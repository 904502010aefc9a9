// Package acquire runs one collection session: what joins a bundle to its
// chain of custody. It sits above [collect], [bundle] and [custody], which
// know nothing of each other, and below the command line, which only
// gathers the [Options] and prints the [Result].
//
// # A session
//
// [Run] refuses to start on a destination with too little room or a
// ledger that does not open, then builds the bundle's header (host, clock,
// tool, footprint, the case's previous bundle), records a collected event,
// runs the [Plan]'s collectors into the bundle writer through a redactor
// that keeps hozen's own secrets out, seals the bundle with the ledger's
// checkpoint, and records a sealed event. An interrupted session is still
// sealed, with status interrupted; a failed one leaves its .partial file
// and a note in the ledger.
//
// # Errors
//
// Errors name the file and the next step. [ErrNoSpace] is wrapped when the
// destination is full, a [*LedgerError] when the ledger refused a read or
// a write, and an [*UnrecordedError] when the bundle was sealed but the
// ledger could not record it.
//
// Nothing here prints: warnings and progress go to a [Reporter].
package acquire

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/manifest"
	"github.com/hozen-dfir/hozen/store"
)

// Options are everything a session needs, as values.
type Options struct {
	// Plan is what to collect (see [NewPlan]).
	Plan *Plan
	// Out is the directory the bundle is written to (created if missing).
	Out string
	// Ledger is the custody ledger; "" is custody.db in Out.
	Ledger string
	// CaseID and Examiner go into the header and the ledger's events.
	CaseID, Examiner string
	// Signer signs the bundle and the ledger's events; nil for unsigned.
	Signer ssh.Signer
	// Recipients, when set, encrypt the bundle with age as it is written;
	// RecipientNames describe them for people and the ledger.
	Recipients     []age.Recipient
	RecipientNames []string
	// MD5 and SHA1 add those digests to every record.
	MD5, SHA1 bool
	// Level is the zstd level, 1 to 22; 0 is the fastest.
	Level int
	// ReferenceTime is the responder's trusted time, to record clock skew.
	ReferenceTime *time.Time
	// Root stands for the host's "/"; "" is "/".
	Root string
	// DeadBox: Root is a mounted image or a container's root file system,
	// not the running host: collectors of live state are skipped with a
	// record saying so, and the host identity comes from Root's /etc.
	DeadBox bool
	// Secrets are the values hozen holds (passphrases) that must not reach
	// the bundle; KeyFile and PassphraseFile, when set, are hozen's own
	// files, collected as metadata only (and an unencrypted key's bytes
	// are masked wherever they occur).
	Secrets                 []collect.Secret
	KeyFile, PassphraseFile string
	// Args is hozen's command line, recorded (redacted) in the footprint.
	Args []string
	// Tool names the running binary; called once, when the header is
	// built, so that hashing the binary can overlap the preflight. Nil
	// names "hozen" alone.
	Tool func() manifest.Tool
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Reporter hears progress and warnings; nil for nobody.
	Reporter Reporter
	// TSA lists RFC 3161 time-stamping authorities (URLs) to timestamp
	// the sealed bundle file with, when the host can reach them: each
	// token is stored beside the bundle and recorded as a timestamped
	// event. A TSA that fails is a warning, not a failed collection.
	TSA []string
	// Push, when set, is checked before collecting and receives the
	// bundle once sealed; a failure to store it is a *PushError returned
	// with the Result.
	Push *Push
}

// Reporter hears a session as it goes.
type Reporter interface {
	// Collector and Artifact report progress (collect.Progress).
	collect.Progress
	// Stopped says collection is over and sealing comes next: a live
	// display clears itself.
	Stopped()
	// Warning is something the responder must know now: lower case,
	// without a "warning:" prefix.
	Warning(msg string)
}

// Result is what a session did: everything the command line prints.
type Result struct {
	// Path is the sealed bundle; SHA256 and Size are of the file as
	// stored (the ciphertext, when encrypted).
	Path     string
	SHA256   string
	Size     int64
	BundleID string
	// Status is manifest.StatusSealed, or manifest.StatusInterrupted when
	// ctx was cancelled during collection; Reason says why.
	Status, Reason string
	Head           string
	MerkleRoot     string
	Counts         manifest.Counts
	// Signer is the signing key's fingerprint, "" when unsigned.
	Signer string
	// Encrypted: to RecipientNames; StreamSHA256 is of the decrypted .tar.zst.
	Encrypted      bool
	RecipientNames []string
	StreamSHA256   string
	// Ledger is the ledger's path, LedgerHead its checkpoint after the
	// sealed event.
	Ledger, LedgerHead string
	Duration           time.Duration
	Collectors         []collect.Stats
	// Redacted says what was kept out of the evidence.
	Redacted collect.RedactStats
	// Warnings are for the responder, after the fact.
	Warnings []string
	// Privileges and DeadBox are as recorded in the bundle header.
	Privileges *manifest.Privileges
	DeadBox    *manifest.DeadBox
	// Timestamps are the RFC 3161 replies stored beside the bundle
	// (Options.TSA), one file each.
	Timestamps []string
	// Stored is where Options.Push stored the bundle.
	Stored *store.Stored
}

// Interrupted reports whether the session was cut short and sealed as such.
func (r *Result) Interrupted() bool { return r.Status != manifest.StatusSealed }

// LedgerError is a custody ledger that refused a read or a write; Then
// says what became of the session.
type LedgerError struct {
	Path string
	Err  error
	Then string
}

func (e *LedgerError) Error() string {
	s := fmt.Sprintf("custody ledger %s: %v", e.Path, e.Err)
	if e.Then != "" {
		s += "; " + e.Then
	}
	return s
}

func (e *LedgerError) Unwrap() error { return e.Err }

// UnrecordedError is a bundle sealed at Path that the ledger could not
// record.
type UnrecordedError struct {
	Path, Ledger string
	Err          error
}

func (e *UnrecordedError) Error() string {
	return fmt.Sprintf("the bundle %s is sealed, but the ledger %s could not record it: %v; record it with 'hozen custody record --action note --bundle %s ...'", e.Path, e.Ledger, e.Err, e.Path)
}

func (e *UnrecordedError) Unwrap() error { return e.Err }

// Run collects o.Plan into a new bundle in o.Out and records it in the
// ledger. When ctx is cancelled during collection, what was collected is
// sealed as interrupted and the Result says so (its error is nil).
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Plan == nil {
		return nil, errors.New("acquire: no plan")
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	rep := o.Reporter
	if err := os.MkdirAll(o.Out, 0o700); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	// reliability: refuse to start on a destination with too little room.
	if err := checkFreeSpace(o.Out, 0); err != nil {
		return nil, err
	}
	// reliability: a store that cannot take the bundle is said before a
	// long collection, not after.
	if err := o.Push.preflight(ctx); err != nil {
		return nil, err
	}
	// The ledger travels with the bundles; it must work before anything is
	// collected, so that no event is ever lost. Once collection started,
	// ledger writes use lctx: an interrupt must not stop them.
	lctx := context.WithoutCancel(ctx)
	ledgerPath := o.Ledger
	if ledgerPath == "" {
		ledgerPath = filepath.Join(o.Out, "custody.db")
	}
	led, err := custody.Open(lctx, ledgerPath, custody.Options{Signer: o.Signer})
	if err != nil {
		return nil, &LedgerError{Path: ledgerPath, Err: err, Then: "give another with --ledger"}
	}
	defer led.Close()
	red, err := newRedactor(o.KeyFile, o.PassphraseFile, o.Secrets)
	if err != nil {
		return nil, err
	}
	env := &collect.Env{Root: o.Root, DeadBox: o.DeadBox, Now: now, Budget: collect.NewBudget(o.Plan.MaxTotal), Redactor: red}
	if env.Root == "" {
		env.Root = "/"
	}
	if rep != nil {
		env.Progress = rep
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	t := now()
	tool := manifest.Tool{Name: "hozen"}
	if o.Tool != nil {
		tool = o.Tool()
	}
	hdr := &manifest.Header{
		BundleID:  id.String(),
		CaseID:    o.CaseID,
		Examiner:  o.Examiner,
		StartedAt: t.UTC(),
		Host:      collect.HostIdentity(ctx, env),
		Clock:     hostClock(t, o.ReferenceTime),
		Tool:      tool,
		Profile:   o.Plan.Profile,
	}
	hdr.Privileges = collect.Privileges()
	if o.DeadBox {
		abs, _ := filepath.Abs(env.Root)
		hdr.Host = collect.HostIdentityDeadBox(ctx, env)
		hdr.DeadBox = &manifest.DeadBox{Root: manifest.BString(abs), Skipped: collect.SkippedLive(o.Plan.Collectors)}
		if rep != nil {
			rep.Warning(fmt.Sprintf("dead-box collection of %s: live state not collected (%s skipped); host identity from its /etc", abs, strings.Join(hdr.DeadBox.Skipped, ", ")))
		}
	}
	name := bundleName(o.CaseID, hdr.Host.Hostname, t, id.String())
	if len(o.Recipients) > 0 {
		name += bundle.AgeSuffix
	}
	hdr.Footprint = footprint(red, o.Args, filepath.Join(o.Out, name), ledgerPath)
	prev, err := led.LastSealed(lctx, o.CaseID)
	if err != nil {
		return nil, &LedgerError{Path: ledgerPath, Err: err}
	}
	if prev != nil {
		hdr.Previous = &manifest.Previous{BundleID: prev.BundleID, Head: prev.BundleHead}
	}
	level := zstd.SpeedFastest
	if o.Level != 0 {
		level = zstd.EncoderLevelFromZstd(o.Level)
	}
	w, err := bundle.Create(o.Out, name, hdr, bundle.Options{Level: level, Signer: o.Signer, MD5: o.MD5, SHA1: o.SHA1,
		Recipients: o.Recipients, Now: now})
	if err != nil {
		return nil, fmt.Errorf("create bundle in %s: %w", o.Out, err)
	}
	event := func(action custody.Action) *custody.Event {
		return &custody.Event{Actor: o.Examiner, Action: action, CaseID: o.CaseID, BundleID: hdr.BundleID,
			BundleFile: name, Host: hdr.Host.Hostname}
	}
	started := event(custody.ActionCollected)
	started.Reason = fmt.Sprintf("hozen collect started, profile %s", o.Plan.Profile.Name)
	if err := led.Append(lctx, started); err != nil {
		partial := w.Abort()
		return nil, &LedgerError{Path: ledgerPath, Err: err, Then: fmt.Sprintf("nothing collected (%s left unsealed)", partial)}
	}
	stats, runErr := collect.Run(ctx, env, o.Plan.Collectors, w)
	if rep != nil {
		rep.Stopped()
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
			return nil, err
		}
		status, reason = manifest.StatusInterrupted, "interrupted by a signal"
		if rep != nil {
			rep.Warning(fmt.Sprintf("interrupted: sealing what was collected as %q", status))
		}
	}
	cp, err := led.Checkpoint(lctx)
	if err != nil {
		partial := w.Abort()
		return nil, &LedgerError{Path: ledgerPath, Err: err, Then: fmt.Sprintf("the bundle so far is %s (not sealed)", partial)}
	}
	mcp := manifest.Checkpoint(cp)
	sealed, err := w.Seal(status, reason, &mcp)
	if err != nil {
		note := event(custody.ActionNote)
		note.Reason = fmt.Sprintf("sealing failed: %v; unsealed bundle left at %s", err, w.PartialPath())
		led.Append(lctx, note)
		if full, ok := diskFullError(err, w.PartialPath()); ok { // reliability: name DEST and the bytes written
			return nil, fmt.Errorf("seal: %w", full)
		}
		return nil, fmt.Errorf("%w; the bundle so far is %s (not sealed)", err, w.PartialPath())
	}
	rst := red.Stats()
	sev := event(custody.ActionSealed)
	sev.BundleSHA256, sev.BundleHead, sev.BundleMerkleRoot = sealed.SHA256, sealed.Manifest.Head, sealed.Manifest.MerkleRoot
	sev.Outcome = status
	sev.Reason = sealedReason(reason, rst, sealed, o.RecipientNames)
	if err := led.Append(lctx, sev); err != nil {
		return nil, &UnrecordedError{Path: sealed.Path, Ledger: ledgerPath, Err: err}
	}
	var tsaWarnings, sidecars []string
	if len(o.TSA) > 0 {
		stamps, warns := timestampSealed(ctx, o.TSA, sealed.Path, sealed.SHA256)
		tsaWarnings = warns
		for _, st := range stamps {
			sidecars = append(sidecars, st.Sidecar)
			tev := event(custody.ActionTimestamped)
			tev.BundleSHA256, tev.BundleHead, tev.BundleMerkleRoot = sealed.SHA256, sealed.Manifest.Head, sealed.Manifest.MerkleRoot
			tev.Reason = ledgerlink.TimestampNote(st).String()
			if err := led.Append(lctx, tev); err != nil {
				return nil, &UnrecordedError{Path: sealed.Path, Ledger: ledgerPath, Err: fmt.Errorf("the timestamp %s: %w", st.Sidecar, err)}
			}
		}
	}
	head, err := led.Checkpoint(lctx)
	if err != nil {
		return nil, &LedgerError{Path: ledgerPath, Err: err}
	}
	m := sealed.Manifest
	res := &Result{
		Path: sealed.Path, SHA256: sealed.SHA256, Size: sealed.Size, BundleID: hdr.BundleID,
		Status: m.Status, Reason: reason, Head: m.Head, MerkleRoot: m.MerkleRoot, Counts: m.Counts,
		Ledger: ledgerPath, LedgerHead: head.Text,
		Duration: now().Sub(start), Collectors: stats, Redacted: rst,
		Privileges: hdr.Privileges, DeadBox: hdr.DeadBox,
	}
	if hdr.Signer != nil {
		res.Signer = hdr.Signer.Fingerprint
	}
	if sealed.Encrypted {
		res.Encrypted, res.RecipientNames, res.StreamSHA256 = true, o.RecipientNames, sealed.StreamSHA256
	}
	res.Warnings, res.Timestamps = append(res.Warnings, tsaWarnings...), sidecars
	for _, name := range rst.Short {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the secret from %s is shorter than %d bytes: it was masked wherever it occurs in the evidence, so unrelated bytes that happen to match it were masked too (see the records' warnings); use a longer passphrase", name, collect.ShortSecret))
	}
	if o.Push != nil {
		if res.Interrupted() {
			res.Warnings = append(res.Warnings, fmt.Sprintf("the bundle was not pushed to %s, being interrupted; 'hozen push %s %s' stores it", o.Push.Dest, res.Path, o.Push.Dest))
		} else if err := o.Push.store(lctx, led, res, o.Examiner); err != nil {
			return res, err
		}
	}
	return res, nil
}

// sealedReason is what the sealed event says beyond its outcome: why the
// session stopped, what was redacted, and to whom the bundle is encrypted.
func sealedReason(reason string, rst collect.RedactStats, sealed *bundle.Sealed, recipients []string) string {
	var parts []string
	if reason != "" {
		parts = append(parts, reason)
	}
	if rst.Artifacts > 0 || rst.Skipped > 0 {
		parts = append(parts, RedactionNote(rst))
	}
	if sealed.Encrypted {
		parts = append(parts, fmt.Sprintf("encrypted with age to %s; the decrypted .tar.zst has sha256 %s", strings.Join(recipients, ", "), sealed.StreamSHA256))
	}
	return strings.Join(parts, "; ")
}

// RedactionNote is what the sealed event and the summary say of redaction.
func RedactionNote(s collect.RedactStats) string {
	var parts []string
	if s.Artifacts > 0 {
		parts = append(parts, fmt.Sprintf("%d occurrence(s) of hozen's own secrets redacted in %d artifact(s) (outcome redacted: not byte-for-byte copies; see their records)", s.Occurrences, s.Artifacts))
	}
	if s.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d of hozen's own key or passphrase files not collected (outcome skipped)", s.Skipped))
	}
	return strings.Join(parts, "; ")
}
