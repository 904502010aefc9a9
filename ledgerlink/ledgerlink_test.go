package ledgerlink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/manifest"
)

// The tests write real bundles with bundle's writer and keep their
// custody in real ledgers in a temporary directory, as hozen collect
// does: a "collected" event before the bundle is written, a "sealed"
// event naming its file, digest and chain head after.

const (
	bundleA = "0193aaaa-bbbb-7ccc-8ddd-000000000001"
	bundleB = "0193aaaa-bbbb-7ccc-8ddd-000000000002"
)

// writeBundle writes a sealed bundle of one file into dir.
func writeBundle(t *testing.T, dir, name, bundleID, data string) *bundle.Sealed {
	t.Helper()
	hdr := &manifest.Header{BundleID: bundleID, CaseID: "C-9", Examiner: "ana",
		StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	w, err := bundle.Create(dir, name, hdr, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &manifest.Record{Path: "files/etc/hosts", Entry: manifest.EntryFile, Source: "/etc/hosts", Collector: "files", Size: int64(len(data))}
	if err := w.Put(rec, strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	rec = &manifest.Record{Path: "volatile/system.json", Entry: manifest.EntryFile, Source: "system", Collector: "system", Size: 2}
	if err := w.Put(rec, strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	s, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verify is bundle.Verify of the file at path.
func verify(t *testing.T, path string) *bundle.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := bundle.Verify(f, bundle.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func openLedger(t *testing.T, path string) *custody.Ledger {
	t.Helper()
	l, err := custody.Open(context.Background(), path, custody.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func appendEvent(t *testing.T, l *custody.Ledger, e custody.Event) custody.Event {
	t.Helper()
	if err := l.Append(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// seal records a bundle's collection and sealing as hozen collect does,
// and returns the sealed event.
func seal(t *testing.T, l *custody.Ledger, s *bundle.Sealed) custody.Event {
	t.Helper()
	id := s.Manifest.BundleID
	if id == "" {
		t.Fatal("the sealed manifest names no bundle id")
	}
	appendEvent(t, l, custody.Event{Actor: "ana", Action: custody.ActionCollected, CaseID: "C-9", BundleID: id})
	return appendEvent(t, l, custody.Event{Actor: "ana", Action: custody.ActionSealed, CaseID: "C-9", BundleID: id,
		BundleFile: filepath.Base(s.Path), BundleSHA256: s.SHA256, BundleHead: s.Manifest.Head,
		BundleMerkleRoot: s.Manifest.MerkleRoot, Outcome: manifest.StatusSealed})
}

// copyFile writes data to a new file in dir and returns its path.
func copyFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKnownSealedFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "custody.db"))
	s := writeBundle(t, dir, "a.tar.zst", bundleA, "127.0.0.1 localhost\n")
	sealed := seal(t, l, s)
	res := verify(t, s.Path)
	if res.Outcome != bundle.Intact {
		t.Fatalf("the bundle written verifies %s: %v", res.Outcome, res.Err)
	}

	m, err := Check(ctx, l, res)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Known || m.Cut || m.Sealed != nil || m.Reason != "" {
		t.Fatalf("Check: %+v; want known, no reason", m)
	}
	if len(m.Trail) != 2 || m.Trail[0].Action != custody.ActionCollected || m.Trail[1].Seq != sealed.Seq {
		t.Errorf("trail %+v; want the collected and the sealed event", m.Trail)
	}

	v, err := RecordVerified(ctx, l, res, s.Path, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if v.Failed || v.Outcome != bundle.Intact || v.Reason != "" {
		t.Errorf("RecordVerified: failed %v, outcome %s, reason %q; want intact", v.Failed, v.Outcome, v.Reason)
	}
	e := v.Event
	if e.Seq != 3 || v.Match.Event != 3 || e.Action != custody.ActionVerified || e.Actor != "bob" || e.Outcome != "intact" ||
		e.Reason != "hozen verify" || e.BundleID != bundleA || e.CaseID != "C-9" || e.BundleFile != "a.tar.zst" ||
		e.BundleSHA256 != s.SHA256 || e.BundleHead != s.Manifest.Head || e.BundleMerkleRoot != s.Manifest.MerkleRoot {
		t.Errorf("verified event %+v", e)
	}
	// The event is in the ledger, and the ledger still verifies.
	evs, err := l.Events(ctx, custody.Filter{BundleSHA256: s.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Seq != 3 || last.Hash != e.Hash {
		t.Errorf("ledger's last event of the bundle: %+v", last)
	}
	if _, err := l.Verify(ctx, ""); err != nil {
		t.Error(err)
	}
}

func TestUnknownFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "custody.db"))
	appendEvent(t, l, custody.Event{Actor: "ana", Action: custody.ActionNote, Reason: "an unrelated note"})
	s := writeBundle(t, dir, "a.tar.zst", bundleA, "data")
	res := verify(t, s.Path)

	v, err := RecordVerified(ctx, l, res, s.Path, "bob")
	if err != nil {
		t.Fatal(err)
	}
	m := v.Match
	want := "no sealed event names a file with sha256 " + s.SHA256
	if m.Known || m.Cut || m.Sealed != nil || m.Reason != want || len(m.Trail) != 0 {
		t.Errorf("match %+v; want unknown: %q", m, want)
	}
	// Intact on its own, but the ledger never saw it sealed: a failed check.
	if !v.Failed || v.Outcome != bundle.Intact {
		t.Errorf("failed %v outcome %s; want a failed check of an intact bundle", v.Failed, v.Outcome)
	}
	if e := v.Event; e.Outcome != "intact" || e.Reason != "hozen verify; the ledger did not know this bundle: "+want {
		t.Errorf("verified event outcome %q reason %q", e.Outcome, e.Reason)
	}
}

func TestCutOfSealedBundle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "custody.db"))
	s := writeBundle(t, dir, "C-9_host.tar.zst", bundleA, strings.Repeat("log line\n", 5000))
	sealed := seal(t, l, s)
	data := readFile(t, s.Path)

	for _, cut := range []struct {
		name string
		size int
	}{{"seal cut", len(data) - 100}, {"half", len(data) / 2}} {
		t.Run(cut.name, func(t *testing.T) {
			p := copyFile(t, t.TempDir(), "cut.tar.zst", data[:cut.size])
			res := verify(t, p)
			if res.Outcome != bundle.Incomplete {
				t.Fatalf("the cut copy verifies %s (%v); want incomplete on its own", res.Outcome, res.Err)
			}
			v, err := RecordVerified(ctx, l, res, p, "bob")
			if err != nil {
				t.Fatal(err)
			}
			m := v.Match
			if !m.Cut || m.Known || m.Sealed == nil || m.Sealed.Seq != sealed.Seq {
				t.Fatalf("match %+v; want a cut of event %d", m, sealed.Seq)
			}
			if v.Outcome != bundle.Tampered || !v.Failed {
				t.Errorf("outcome %s failed %v; want tampered and failed", v.Outcome, v.Failed)
			}
			// The reason names the bundle as sealed: id, file, digest.
			names := fmt.Sprintf("cut after sealing: bundle %s was sealed whole by ledger event %d as C-9_host.tar.zst (sha256 %s); this copy ends before its seal (%s)",
				bundleA, sealed.Seq, s.SHA256, res.Err)
			if v.Reason != names {
				t.Errorf("reason\n%q\nwant\n%q", v.Reason, names)
			}
			if e := v.Event; e.Outcome != "tampered" || e.Reason != "hozen verify: "+names || e.BundleID != bundleA || e.BundleSHA256 != "" {
				t.Errorf("verified event outcome %q reason %q id %q sha %q", e.Outcome, e.Reason, e.BundleID, e.BundleSHA256)
			}
		})
	}
}

func TestTamperedCopyOfSealedFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "custody.db"))
	s := writeBundle(t, dir, "a.tar.zst", bundleA, strings.Repeat("secret\n", 3000))
	sealed := seal(t, l, s)
	data := readFile(t, s.Path)
	// Flip one byte in the middle of the file: inside the data's frame.
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 0x40
	p := copyFile(t, t.TempDir(), "a.tar.zst", bad)
	res := verify(t, p)
	if res.Outcome != bundle.Tampered {
		t.Fatalf("the altered copy verifies %s (%v); want tampered", res.Outcome, res.Err)
	}

	v, err := RecordVerified(ctx, l, res, p, "bob")
	if err != nil {
		t.Fatal(err)
	}
	m := v.Match
	if m.Known || m.Cut || m.Sealed == nil || m.Sealed.Seq != sealed.Seq {
		t.Fatalf("match %+v; want not known, the sealed event named, no cut", m)
	}
	if !strings.HasPrefix(m.Reason, fmt.Sprintf("bundle %s was sealed by ledger event %d as a.tar.zst (sha256 %s); ", bundleA, sealed.Seq, s.SHA256)) {
		t.Errorf("reason %q does not name the bundle as sealed", m.Reason)
	}
	// Tampered on its own already: the ledger neither softens nor adds.
	if v.Outcome != bundle.Tampered || v.Failed || v.Reason != res.Err.Error() {
		t.Errorf("outcome %s failed %v reason %q", v.Outcome, v.Failed, v.Reason)
	}
	if e := v.Event; e.Outcome != "tampered" || !strings.Contains(e.Reason, "the ledger did not know this bundle: bundle "+bundleA) {
		t.Errorf("verified event outcome %q reason %q", e.Outcome, e.Reason)
	}
}

// A forger builds a new bundle that verifies intact under the id of a
// sealed one: the ledger names the file it sealed instead.
func TestIntactFileUnderSealedID(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "custody.db"))
	s := writeBundle(t, dir, "a.tar.zst", bundleA, "the real hosts file")
	sealed := seal(t, l, s)
	forged := writeBundle(t, t.TempDir(), "a.tar.zst", bundleA, "a forged hosts file")
	res := verify(t, forged.Path)
	if res.Outcome != bundle.Intact {
		t.Fatalf("the forgery verifies %s", res.Outcome)
	}
	v, err := RecordVerified(ctx, l, res, forged.Path, "bob")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("bundle %s was sealed by ledger event %d as a.tar.zst (sha256 %s); this file's sha256 is %s: not the file sealed",
		bundleA, sealed.Seq, s.SHA256, forged.SHA256)
	if m := v.Match; m.Known || m.Cut || m.Sealed == nil || m.Reason != want {
		t.Errorf("match %+v; want reason %q", m, want)
	}
	if !v.Failed || v.Outcome != bundle.Intact {
		t.Errorf("failed %v outcome %s; want a failed check", v.Failed, v.Outcome)
	}
}

// A forged ledger event that seals the file with another chain head, or
// as another bundle, does not make the file known.
func TestSealedEventDisagrees(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := writeBundle(t, dir, "a.tar.zst", bundleA, "data")
	res := verify(t, s.Path)
	otherHead := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name string
		edit func(*custody.Event)
		want string
	}{
		{"head", func(e *custody.Event) { e.BundleHead = otherHead }, "event 1 seals this file with head " + otherHead + ", the bundle's chain ends at " + s.Manifest.Head},
		{"id", func(e *custody.Event) { e.BundleID = bundleB }, "event 1 seals this file as bundle " + bundleB + ", the bundle says " + bundleA},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := openLedger(t, filepath.Join(t.TempDir(), "custody.db"))
			e := custody.Event{Actor: "ana", Action: custody.ActionSealed, BundleID: bundleA, BundleFile: "a.tar.zst",
				BundleSHA256: s.SHA256, BundleHead: s.Manifest.Head}
			c.edit(&e)
			appendEvent(t, l, e)
			m, err := Check(ctx, l, res)
			if err != nil {
				t.Fatal(err)
			}
			if m.Known || m.Reason != c.want {
				t.Errorf("known %v reason %q; want %q", m.Known, m.Reason, c.want)
			}
		})
	}
}

// A bundle sealed in another ledger is unknown to this one: its cut stays
// incomplete (this ledger cannot say it was sealed whole), and the intact
// file fails the check.
func TestSealedInAnotherLedger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mine := openLedger(t, filepath.Join(dir, "custody.db"))
	theirs := openLedger(t, filepath.Join(dir, "other.db"))
	seal(t, mine, writeBundle(t, t.TempDir(), "a.tar.zst", bundleA, "my bundle"))
	s := writeBundle(t, t.TempDir(), "b.tar.zst", bundleB, strings.Repeat("their bundle\n", 3000))
	seal(t, theirs, s)
	data := readFile(t, s.Path)

	cutPath := copyFile(t, t.TempDir(), "b-cut.tar.zst", data[:len(data)-100])
	res := verify(t, cutPath)
	if res.Outcome != bundle.Incomplete {
		t.Fatalf("cut verifies %s", res.Outcome)
	}
	v, err := RecordVerified(ctx, mine, res, cutPath, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if m := v.Match; m.Cut || m.Known || m.Sealed != nil || m.Reason != "the bundle is not sealed, so no sealed event can name it" {
		t.Errorf("match %+v", m)
	}
	if v.Outcome != bundle.Incomplete || v.Failed {
		t.Errorf("outcome %s failed %v; want incomplete, not failed by the ledger", v.Outcome, v.Failed)
	}

	// The same ledger, once it imports the other, knows the bundle: the
	// cut is then a cut of a sealed bundle.
	if _, err := mine.Import(ctx, theirs, custody.Event{Actor: "bob", Reason: "the responder's stick"}); err != nil {
		t.Fatal(err)
	}
	m, err := Check(ctx, mine, res)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Cut || m.Sealed == nil || m.Sealed.Ledger != theirs.ID() {
		t.Errorf("after import: match %+v; want a cut of the sealed event of ledger %s", m, theirs.ID())
	}
	whole := verify(t, s.Path)
	if m, err = Check(ctx, mine, whole); err != nil {
		t.Fatal(err)
	}
	if !m.Known {
		t.Errorf("after import, the whole file: %+v; want known", m)
	}
}

func TestRecordExtracted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "custody.db"))
	s := writeBundle(t, dir, "a.tar.zst", bundleA, "127.0.0.1 localhost\n")
	seal(t, l, s)
	out := filepath.Join(dir, "x")
	x, err := bundle.Extract(bundle.ExtractOptions{Dir: out, Paths: []string{"files/"}, Verify: func(o bundle.VerifyOptions) (*bundle.Result, error) {
		f, err := os.Open(s.Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return bundle.Verify(f, o)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if x.Files != 1 {
		t.Fatalf("extracted %d files, want 1", x.Files)
	}
	e, err := RecordExtracted(ctx, l, x, s.Path, out, "carol", []string{"files/"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Action != custody.ActionExtracted || e.Actor != "carol" || e.Location != out || e.Outcome != "intact" ||
		e.Reason != "hozen extract: 1 files, 0 links under files/" || e.BundleID != bundleA || e.BundleSHA256 != s.SHA256 || e.Seq != 3 {
		t.Errorf("extracted event %+v", e)
	}
}

func TestTrailOf(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "custody.db")
	l := openLedger(t, path)
	s := writeBundle(t, dir, "a.tar.zst", bundleA, "data")
	seal(t, l, s)                                                                                                           // 1 collected (id only), 2 sealed
	appendEvent(t, l, custody.Event{Actor: "ana", Action: custody.ActionNote, BundleID: bundleB, Reason: "another bundle"}) // 3
	appendEvent(t, l, custody.Event{Actor: "bob", Action: custody.ActionReceived, BundleSHA256: s.SHA256, Reason: "r"})     // 4: digest only
	appendEvent(t, l, custody.Event{Actor: "bob", Action: custody.ActionNote, BundleID: bundleA, Reason: "id only"})        // 5

	tr, err := TrailOf(ctx, l, s.SHA256, bundleA)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, e := range tr.Events {
		seqs = append(seqs, e.Seq)
	}
	if fmt.Sprint(seqs) != "[1 2 4 5]" || tr.VerifyErr != nil || !strings.HasPrefix(tr.Head, "hozen-custody/1:5:") {
		t.Errorf("trail %v, head %q, verify error %v; want [1 2 4 5], the head of 5 events", seqs, tr.Head, tr.VerifyErr)
	}
	// An encrypted bundle's trail without the id: the digest's events and
	// those of the ids they name.
	if tr, err = TrailOf(ctx, l, s.SHA256, ""); err != nil {
		t.Fatal(err)
	}
	if len(tr.Events) != 4 {
		t.Errorf("trail by digest only: %d events, want 4", len(tr.Events))
	}
	// A copy the ledger has no digest of (cut, altered): the events of
	// the bundle id its header names.
	if tr, err = TrailOf(ctx, l, strings.Repeat("0", 64), bundleA); err != nil {
		t.Fatal(err)
	}
	seqs = seqs[:0]
	for _, e := range tr.Events {
		seqs = append(seqs, e.Seq)
	}
	if fmt.Sprint(seqs) != "[1 2 5]" {
		t.Errorf("trail by id only: %v, want [1 2 5]", seqs)
	}
}

// A ledger altered by another tool still gives the trail, with the error
// that says its events may be false.
func TestTrailOfTamperedLedger(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Skip("needs the sqlite3 CLI")
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "custody.db")
	l := openLedger(t, path)
	s := writeBundle(t, dir, "a.tar.zst", bundleA, "data")
	seal(t, l, s)
	l.Close()
	trig, err := exec.Command("sqlite3", path, "SELECT sql FROM sqlite_master WHERE name = 'events_no_update'").Output()
	if err != nil || !strings.Contains(string(trig), "CREATE TRIGGER") {
		t.Fatalf("reading the trigger: %v %q", err, trig)
	}
	script := "DROP TRIGGER events_no_update; UPDATE events SET actor = 'mallory' WHERE seq = 2; " + strings.TrimSpace(string(trig)) + ";"
	if out, err := exec.Command("sqlite3", path, script).CombinedOutput(); err != nil {
		t.Fatalf("sqlite3: %v: %s", err, out)
	}

	l2 := openLedger(t, path)
	tr, err := TrailOf(ctx, l2, s.SHA256, bundleA)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(tr.VerifyErr, custody.ErrTampered) || tr.Head != "" || len(tr.Events) != 2 || tr.Events[1].Actor != "mallory" {
		t.Errorf("verify error %v, head %q, %d events; want tampered, no head, the 2 events as they are", tr.VerifyErr, tr.Head, len(tr.Events))
	}
}
