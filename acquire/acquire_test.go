package acquire

import (
	"archive/tar"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/manifest"
)

// fixtureRoot is a Linux host's tree: /proc, /etc, /var/log, home
// directories (testdata/linuxroot at the module's root).
const fixtureRoot = "../testdata/linuxroot"

// recorder is a Reporter that keeps what it heard.
type recorder struct {
	mu         sync.Mutex
	collectors []string
	artifacts  int
	stopped    int
	warnings   []string
}

func (r *recorder) Collector(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, name)
}

func (r *recorder) Artifact(string, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.artifacts++
}

func (r *recorder) Stopped() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped++
}

func (r *recorder) Warning(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, msg)
}

func testSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fixedClock is 2026-03-04 05:06:07 UTC, moving one millisecond a call.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

// testOptions collects the triage profile from the fixture root into a
// fresh directory, signed, with its own ledger.
func testOptions(t *testing.T, rep Reporter) Options {
	t.Helper()
	plan, err := NewPlan(PlanOptions{Profile: "triage"})
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Plan: plan, Out: filepath.Join(t.TempDir(), "out"), CaseID: "C-7", Examiner: "ana",
		Signer: testSigner(t), Root: fixtureRoot, Args: []string{"hozen", "collect"},
		Tool: func() manifest.Tool { return manifest.Tool{Name: "hozen", Version: "test"} },
		Now:  fixedClock(), Reporter: rep,
	}
}

// verifyFile verifies the bundle at path, which must be intact or
// incomplete as want says.
func verifyFile(t *testing.T, path string, want bundle.Outcome) *bundle.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := bundle.Verify(f, bundle.VerifyOptions{})
	if err != nil {
		t.Fatalf("verify %s: %v", path, err)
	}
	if res.Outcome != want {
		t.Fatalf("verify %s: outcome %s (%v), want %s", path, res.Outcome, res.Err, want)
	}
	return res
}

func ledgerEvents(t *testing.T, path string) []custody.Event {
	t.Helper()
	led, err := custody.Open(context.Background(), path, custody.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	if _, err := led.Verify(context.Background(), ""); err != nil {
		t.Fatalf("ledger %s does not verify: %v", path, err)
	}
	evs, err := led.Events(context.Background(), custody.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestRunSealsAndRecords collects a fixture host: the bundle verifies
// intact and signed, the Result says what the bundle and the ledger hold,
// and the ledger holds the collected and sealed events of that bundle.
func TestRunSealsAndRecords(t *testing.T) {
	rep := &recorder{}
	o := testOptions(t, rep)
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Interrupted() || res.Status != manifest.StatusSealed {
		t.Errorf("status %q", res.Status)
	}
	if filepath.Dir(res.Path) != o.Out || !strings.HasPrefix(filepath.Base(res.Path), "C-7_") || !strings.HasSuffix(res.Path, ".tar.zst") {
		t.Errorf("bundle path %s", res.Path)
	}
	if !strings.Contains(res.Path, "_20260304T050607Z_") {
		t.Errorf("bundle path %s: not named by the clock passed in", res.Path)
	}
	v := verifyFile(t, res.Path, bundle.Intact)
	if !v.Signed || v.Signer != res.Signer || res.Signer != manifest.Fingerprint(o.Signer.PublicKey()) {
		t.Errorf("signed %v by %q, result says %q", v.Signed, v.Signer, res.Signer)
	}
	if v.FileSHA256 != res.SHA256 || v.FileSize != res.Size || v.Head != res.Head || v.Counts != res.Counts {
		t.Errorf("verify found sha256 %s size %d head %s counts %+v; Run said %s %d %s %+v",
			v.FileSHA256, v.FileSize, v.Head, v.Counts, res.SHA256, res.Size, res.Head, res.Counts)
	}
	h := v.Header
	if h.BundleID != res.BundleID || h.CaseID != "C-7" || h.Examiner != "ana" || h.Tool.Version != "test" || h.Profile.Name != "triage" {
		t.Errorf("header %+v", h)
	}
	if !h.StartedAt.Equal(time.Date(2026, 3, 4, 5, 6, 7, 2e6, time.UTC)) {
		t.Errorf("started at %v: not the clock passed in", h.StartedAt)
	}
	if h.Previous != nil {
		t.Errorf("first bundle of the case names a previous one: %+v", h.Previous)
	}
	if h.Footprint == nil || string(h.Footprint.Output) != res.Path || !strings.HasSuffix(string(h.Footprint.Ledger), filepath.Join("out", "custody.db")) {
		t.Errorf("footprint %+v", h.Footprint)
	}
	if v.Counts.Artifacts == 0 {
		t.Error("nothing collected from the fixture")
	}

	var names []string
	for _, s := range res.Collectors {
		names = append(names, s.Collector)
	}
	for _, want := range []string{"network", "processes", "users", "system", "accounts", "findings"} {
		if !slices.Contains(names, want) {
			t.Errorf("collectors %v: no %s", names, want)
		}
	}
	if rep.stopped != 1 || rep.artifacts == 0 || len(rep.collectors) == 0 || len(rep.warnings) != 0 {
		t.Errorf("reporter heard %d collectors, %d artifacts, stopped %d times, warnings %q", len(rep.collectors), rep.artifacts, rep.stopped, rep.warnings)
	}

	if res.Ledger != filepath.Join(o.Out, "custody.db") {
		t.Errorf("ledger %s", res.Ledger)
	}
	evs := ledgerEvents(t, res.Ledger)
	if len(evs) != 2 || evs[0].Action != custody.ActionCollected || evs[1].Action != custody.ActionSealed {
		t.Fatalf("ledger events %+v, want collected and sealed", evs)
	}
	for _, e := range evs {
		if e.BundleID != res.BundleID || e.CaseID != "C-7" || e.Actor != "ana" || e.BundleFile != filepath.Base(res.Path) {
			t.Errorf("event %d: %+v", e.Seq, e)
		}
	}
	s := evs[1]
	if s.BundleSHA256 != res.SHA256 || s.BundleHead != res.Head || s.BundleMerkleRoot != res.MerkleRoot || s.Outcome != manifest.StatusSealed {
		t.Errorf("sealed event %+v does not name the bundle %+v", s, res)
	}
	// The manifest holds the checkpoint taken before the sealed event.
	if v.Manifest.Ledger == nil || v.Manifest.Ledger.Size != 1 {
		t.Errorf("manifest's ledger checkpoint %+v, want size 1", v.Manifest.Ledger)
	}
	if !strings.HasPrefix(res.LedgerHead, "hozen-custody/1:2:") {
		t.Errorf("ledger head %q, want the checkpoint after 2 events", res.LedgerHead)
	}
}

// TestRunNamesPrevious: a second bundle of the case names the first in its
// header, from the ledger's last sealed event.
func TestRunNamesPrevious(t *testing.T) {
	o := testOptions(t, nil)
	first, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	o.Ledger = first.Ledger
	o.Out = filepath.Join(t.TempDir(), "second")
	second, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	v := verifyFile(t, second.Path, bundle.Intact)
	if p := v.Header.Previous; p == nil || p.BundleID != first.BundleID || p.Head != first.Head {
		t.Errorf("previous %+v, want %s %s", p, first.BundleID, first.Head)
	}
	if evs := ledgerEvents(t, first.Ledger); len(evs) != 4 {
		t.Errorf("%d events, want 4", len(evs))
	}
}

// TestRunRedacts: a secret hozen holds that a collected file contains is
// masked; the Result and the sealed event say so.
func TestRunRedacts(t *testing.T) {
	root := t.TempDir()
	secret := "correct horse battery staple 42"
	if err := os.WriteFile(filepath.Join(root, "notes.txt"), []byte("the passphrase is "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(PlanOptions{Profile: "../testdata/profiles/good.yaml", Include: []string{"/notes.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(t, nil)
	o.Plan, o.Root = plan, root
	o.Secrets = []collect.Secret{{Name: "HOZEN_PASSPHRASE", Value: []byte(secret)}}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Redacted.Artifacts == 0 || res.Redacted.Occurrences == 0 {
		t.Fatalf("redacted %+v", res.Redacted)
	}
	f, err := os.Open(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var leaked bool
	vr, err := bundle.Verify(f, bundle.VerifyOptions{Handler: dataFunc(func(r io.Reader) error {
		b, err := io.ReadAll(r)
		leaked = leaked || strings.Contains(string(b), secret)
		return err
	})})
	if err != nil || vr.Outcome != bundle.Intact {
		t.Fatalf("verify: %v %v", err, vr.Err)
	}
	if leaked {
		t.Error("the secret reached the bundle")
	}
	evs := ledgerEvents(t, res.Ledger)
	if got := evs[len(evs)-1].Reason; got != RedactionNote(res.Redacted) {
		t.Errorf("sealed event's reason %q", got)
	}
}

// TestRunInterrupted: a session whose context is cancelled is sealed as
// interrupted, verifies as incomplete, and the ledger says so.
func TestRunInterrupted(t *testing.T) {
	rep := &recorder{}
	o := testOptions(t, rep)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted() || res.Status != manifest.StatusInterrupted {
		t.Errorf("status %q", res.Status)
	}
	if len(rep.warnings) != 1 || rep.warnings[0] != `interrupted: sealing what was collected as "interrupted"` {
		t.Errorf("warnings %q", rep.warnings)
	}
	verifyFile(t, res.Path, bundle.Incomplete)
	evs := ledgerEvents(t, res.Ledger)
	if len(evs) != 2 || evs[1].Outcome != manifest.StatusInterrupted || evs[1].Reason != "interrupted by a signal" {
		t.Errorf("events %+v", evs)
	}
}

// TestRunLedgerRefused: a ledger that does not open stops the session
// before anything is written: a *LedgerError, and no bundle.
func TestRunLedgerRefused(t *testing.T) {
	o := testOptions(t, nil)
	o.Ledger = filepath.Join(t.TempDir(), "custody.db")
	if err := os.WriteFile(o.Ledger, []byte("not a ledger, not even sqlite\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), o)
	var le *LedgerError
	if !errors.As(err, &le) || le.Path != o.Ledger || !strings.HasSuffix(err.Error(), "; give another with --ledger") {
		t.Fatalf("Run: %v, %v; want a LedgerError", res, err)
	}
	entries, _ := os.ReadDir(o.Out)
	if len(entries) != 0 {
		t.Errorf("%s holds %v; want nothing", o.Out, entries)
	}
}

// dataFunc is a bundle.Handler that reads every data entry.
type dataFunc func(r io.Reader) error

func (h dataFunc) Header(*manifest.Header) error         { return nil }
func (h dataFunc) Data(_ *tar.Header, r io.Reader) error { return h(r) }
func (h dataFunc) Record(*manifest.Record) error         { return nil }

// TestRunRedactsEncrypted: when the bundle is encrypted, the sealed event
// still says what was redacted, besides to whom it is encrypted.
func TestRunRedactsEncrypted(t *testing.T) {
	root := t.TempDir()
	secret := "correct horse battery staple 42"
	if err := os.WriteFile(filepath.Join(root, "notes.txt"), []byte("the passphrase is "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(PlanOptions{Profile: "../testdata/profiles/good.yaml", Include: []string{"/notes.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(t, nil)
	o.Plan, o.Root = plan, root
	o.Secrets = []collect.Secret{{Name: "HOZEN_PASSPHRASE", Value: []byte(secret)}}
	o.Recipients, o.RecipientNames = []age.Recipient{id.Recipient()}, []string{id.Recipient().String()}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Encrypted || !strings.HasSuffix(res.Path, bundle.AgeSuffix) || res.Redacted.Artifacts == 0 {
		t.Fatalf("result %+v", res)
	}
	evs := ledgerEvents(t, res.Ledger)
	reason := evs[len(evs)-1].Reason
	if !strings.Contains(reason, RedactionNote(res.Redacted)) || !strings.Contains(reason, "encrypted with age to "+id.Recipient().String()) {
		t.Errorf("sealed event's reason %q: want the redaction and the encryption", reason)
	}
}
