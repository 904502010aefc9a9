package custody

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// wantEventError checks that err is an *EventError about event seq whose
// reason mentions each of words.
func wantEventError(t *testing.T, err error, seq int64, words ...string) {
	t.Helper()
	var ee *EventError
	if !errors.As(err, &ee) || !errors.Is(err, ErrTampered) {
		t.Fatalf("err = %v, want *EventError wrapping ErrTampered", err)
	}
	if ee.Seq != seq {
		t.Errorf("error names event %d, want %d: %v", ee.Seq, seq, err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func TestTamper(t *testing.T) {
	tests := []struct {
		name  string
		stmts []string
		seq   int64
		words []string
	}{
		{"edited field", []string{"UPDATE events SET actor = 'Mallory' WHERE seq = 3"}, 3, []string{"actor", "Mallory", "edited"}},
		{"edited record and column", []string{
			"UPDATE events SET reason = 'nothing', record = replace(record, '\"note 3\"', '\"nothing\"') WHERE seq = 3",
		}, 3, []string{"hash"}},
		{"deleted middle event", []string{"DELETE FROM events WHERE seq = 3"}, 4, []string{"event 3", "missing"}},
		{"two events swapped", []string{
			"UPDATE events SET seq = 1000 WHERE seq = 3",
			"UPDATE events SET seq = 3 WHERE seq = 4",
			"UPDATE events SET seq = 4 WHERE seq = 1000",
		}, 3, []string{"seq"}},
		{"swapped with seq rewritten", []string{
			// Swap contents but keep every row's own seq consistent with
			// its record: only the links can tell.
			"CREATE TEMP TABLE c AS SELECT * FROM events WHERE seq IN (3, 4)",
			"DELETE FROM events WHERE seq IN (3, 4)",
			"INSERT INTO events SELECT * FROM c",
			"UPDATE events SET prev = (SELECT prev FROM c WHERE seq = 3) WHERE seq = 4",
		}, 4, []string{"prev"}},
		{"re-hashed row", []string{
			"UPDATE events SET reason = 'nothing', record = replace(record, '\"note 3\"', '\"nothing\"') WHERE seq = 3",
			"UPDATE events SET hash = lower(hex(sha256(record))) WHERE seq = 3",
		}, 4, []string{"event 3", "broken link"}},
		{"first link", []string{"UPDATE events SET prev = hash WHERE seq = 1"}, 1, []string{"prev"}},
		{"seq not a number", []string{"UPDATE events SET seq = 'two' WHERE seq = 2"}, 3, []string{"event 2", "missing"}},
		{"ledger column", []string{"UPDATE events SET ledger = 'elsewhere' WHERE seq = 6"}, 6, []string{"elsewhere", "missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "custody.db")
			l := openTest(t, path)
			fill(t, l, 6)
			l.Close()
			if strings.Contains(strings.Join(tt.stmts, ";"), "sha256(") {
				// The pure-Go driver has no sha256() SQL function: re-hash in Go.
				rehash(t, path, tt.stmts)
			} else {
				tamper(t, path, tt.stmts...)
			}
			_, err := verifyFile(t, path, "")
			wantEventError(t, err, tt.seq, tt.words...)
		})
	}
}

// rehash runs stmts except the sha256() one, then sets the hash of event 3
// to the SHA-256 of its record, as a careful forger would.
func rehash(t *testing.T, path string, stmts []string) {
	t.Helper()
	var rest []string
	for _, s := range stmts {
		if !strings.Contains(s, "sha256(") {
			rest = append(rest, s)
		}
	}
	tamper(t, path, rest...)
	l, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var rec string
	if err := l.db.QueryRow("SELECT record FROM events WHERE seq = 3").Scan(&rec); err != nil {
		t.Fatal(err)
	}
	tamper(t, path, "UPDATE events SET hash = '"+hashHex([]byte(rec))+"' WHERE seq = 3")
}

func TestCutTail(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "custody.db")
	l := openTest(t, path)
	fill(t, l, 5)
	head, _ := l.Checkpoint(ctx)
	fill(t, l, 1)
	l.Close()
	tamper(t, path, "DELETE FROM events WHERE seq >= 5")
	// Alone, the shorter ledger is consistent with itself.
	if _, err := verifyFile(t, path, ""); err != nil {
		t.Fatalf("cut ledger without head: %v", err)
	}
	_, err := verifyFile(t, path, head.Text)
	var he *HeadError
	if !errors.As(err, &he) || !errors.Is(err, ErrTampered) || he.Size != 4 {
		t.Fatalf("err = %v, want *HeadError with size 4", err)
	}
	if !strings.Contains(err.Error(), "cut") {
		t.Errorf("error %q does not say the tail was cut", err)
	}
}

func TestOlderCopyRestored(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "custody.db")
	l := openTest(t, path)
	fill(t, l, 3)
	l.Close()
	copyFile(t, path, filepath.Join(dir, "old.db"))
	l = openTest(t, path)
	fill(t, l, 2)
	head, _ := l.Checkpoint(ctx)
	l.Close()
	copyFile(t, filepath.Join(dir, "old.db"), path)
	if _, err := verifyFile(t, path, head.Text); !errors.As(err, new(*HeadError)) {
		t.Fatalf("older copy against newer head: err = %v, want *HeadError", err)
	}
}

func TestRewrittenAgainstHead(t *testing.T) {
	// The last event rewritten and re-hashed: nothing links to it, only a
	// head taken before shows it.
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "custody.db")
	l := openTest(t, path)
	fill(t, l, 4)
	head, _ := l.Checkpoint(ctx)
	l.Close()
	tamper(t, path, "UPDATE events SET reason = 'nothing', record = replace(record, '\"note 4\"', '\"nothing\"') WHERE seq = 4")
	l2, _ := Open(ctx, path, Options{})
	var rec string
	l2.db.QueryRow("SELECT record FROM events WHERE seq = 4").Scan(&rec)
	l2.Close()
	tamper(t, path, "UPDATE events SET hash = '"+hashHex([]byte(rec))+"' WHERE seq = 4")
	if _, err := verifyFile(t, path, ""); err != nil {
		t.Fatalf("without head: %v", err)
	}
	_, err := verifyFile(t, path, head.Text)
	if !errors.As(err, new(*HeadError)) || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("err = %v, want *HeadError saying events changed", err)
	}
}

func TestParseHead(t *testing.T) {
	good := FormatHead(12, strings.Repeat("ab", 32))
	c, err := ParseHead("  " + good + "\n")
	if err != nil || c.Size != 12 || c.Text != good {
		t.Errorf("ParseHead(%q) = %+v, %v", good, c, err)
	}
	for _, s := range []string{
		"", "hozen-custody/1:12", "hozen-custody/1:-1:" + strings.Repeat("ab", 32),
		"hozen-custody/1:012:" + strings.Repeat("ab", 32), "hozen-custody/1:12:" + strings.Repeat("AB", 32),
		"other:12:" + strings.Repeat("ab", 32), "hozen-custody/1:12:" + strings.Repeat("ab", 31),
	} {
		if _, err := ParseHead(s); !errors.Is(err, ErrBadHead) {
			t.Errorf("ParseHead(%q): err = %v, want ErrBadHead", s, err)
		}
	}
}

func FuzzParseHead(f *testing.F) {
	f.Add(FormatHead(3, strings.Repeat("0f", 32)))
	f.Add("hozen-custody/1::")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseHead(s)
		if err != nil {
			return
		}
		if FormatHead(c.Size, c.Root) != strings.TrimSpace(s) {
			t.Errorf("ParseHead(%q) does not round-trip: %+v", s, c)
		}
	})
}

func TestEventsFilter(t *testing.T) {
	ctx := context.Background()
	l := openTest(t, filepath.Join(t.TempDir(), "custody.db"))
	sha := strings.Repeat("5a", 32)
	for _, e := range []Event{
		{Actor: "a", Action: ActionCollected, CaseID: "C1", BundleID: "B1"},
		{Actor: "a", Action: ActionSealed, CaseID: "C1", BundleID: "B1", BundleSHA256: sha},
		{Actor: "a", Action: ActionCollected, CaseID: "C2", BundleID: "B2"},
		{Actor: "a", Action: ActionTransferred, Recipient: "b", BundleSHA256: sha},
		{Actor: "a", Action: ActionSealed, CaseID: "C1", BundleID: "B3"},
	} {
		if err := l.Append(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	count := func(f Filter) int {
		evs, err := l.Events(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	if n := count(Filter{}); n != 5 {
		t.Errorf("all: %d", n)
	}
	if n := count(Filter{CaseID: "C1"}); n != 3 {
		t.Errorf("case C1: %d", n)
	}
	if n := count(Filter{BundleSHA256: sha}); n != 3 {
		t.Errorf("by file hash (with the collected event of its bundle id): %d", n)
	}
	last, err := l.LastSealed(ctx, "C1")
	if err != nil || last == nil || last.BundleID != "B3" {
		t.Errorf("LastSealed(C1) = %+v, %v", last, err)
	}
	if last, err := l.LastSealed(ctx, "none"); last != nil || err != nil {
		t.Errorf("LastSealed(none) = %+v, %v", last, err)
	}
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lab := openTest(t, filepath.Join(dir, "lab.db"))
	stick := openTest(t, filepath.Join(dir, "stick.db"))
	fill(t, lab, 2)
	fill(t, stick, 3)
	res, err := lab.Import(ctx, stick, Event{Actor: "Lab Clerk", Reason: "stick from field"})
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 3 || res.Event.Action != ActionImported || res.Event.SourceSize != 3 || res.Event.Seq != 3 {
		t.Errorf("import result %+v", res)
	}
	rep, err := lab.Verify(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 6 || len(rep.Imported) != 1 || rep.Imported[0].Size != 3 || rep.Checkpoint.Size != 3 {
		t.Errorf("report %+v", rep)
	}
	// Imported events keep their original hashes: the stick's head still
	// holds for its chain.
	sc, _ := stick.Checkpoint(ctx)
	if rep.Imported[0].Root != sc.Root {
		t.Errorf("imported chain root %s, stick's %s", rep.Imported[0].Root, sc.Root)
	}
	// Again after the stick recorded more: only the new ones come.
	fill(t, stick, 2)
	res, err = lab.Import(ctx, stick, Event{Actor: "Lab Clerk"})
	if err != nil || res.New != 2 {
		t.Fatalf("second import: %+v, %v", res, err)
	}
	if _, err := lab.Verify(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// A ledger cannot import a copy of itself.
	if _, err := lab.Import(ctx, lab, Event{Actor: "x"}); err == nil {
		t.Error("imported itself")
	}
}

func TestImportTampered(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	labPath, stickPath := filepath.Join(dir, "lab.db"), filepath.Join(dir, "stick.db")
	lab := openTest(t, labPath)
	stick := openTest(t, stickPath)
	fill(t, stick, 3)
	if _, err := lab.Import(ctx, stick, Event{Actor: "Clerk"}); err != nil {
		t.Fatal(err)
	}
	id := stick.ID()
	lab.Close()
	// An imported event edited in the lab's ledger.
	tamper(t, labPath, "UPDATE events SET actor = 'Mallory' WHERE ledger = '"+id+"' AND seq = 2")
	_, err := verifyFile(t, labPath, "")
	var ee *EventError
	if !errors.As(err, &ee) || ee.Ledger != id || ee.Seq != 2 || ee.Local {
		t.Fatalf("err = %v, want *EventError on imported event 2", err)
	}
	// An imported chain's tail deleted: the import event's checkpoint shows it.
	path2 := filepath.Join(dir, "lab2.db")
	lab2 := openTest(t, path2)
	if _, err := lab2.Import(ctx, stick, Event{Actor: "Clerk"}); err != nil {
		t.Fatal(err)
	}
	lab2.Close()
	tamper(t, path2, "DELETE FROM events WHERE ledger = '"+id+"' AND seq = 3")
	if _, err := verifyFile(t, path2, ""); !errors.As(err, new(*ChainError)) {
		t.Fatalf("cut imported chain: err = %v, want *ChainError", err)
	}
	// A tampered stick is refused.
	stick.Close()
	tamper(t, stickPath, "UPDATE events SET reason = 'x' WHERE seq = 1")
	s2, _ := Open(ctx, stickPath, Options{})
	defer s2.Close()
	lab3 := openTest(t, filepath.Join(dir, "lab3.db"))
	if _, err := lab3.Import(ctx, s2, Event{Actor: "Clerk"}); !errors.Is(err, ErrTampered) {
		t.Fatalf("tampered stick imported: %v", err)
	}
	if evs, _ := lab3.Events(ctx, Filter{}); len(evs) != 0 {
		t.Errorf("refused import left %d events", len(evs))
	}
}

func TestImportDiverged(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	stickPath := filepath.Join(dir, "stick.db")
	lab := openTest(t, filepath.Join(dir, "lab.db"))
	stick := openTest(t, stickPath)
	fill(t, stick, 2)
	stick.Close()
	copyFile(t, stickPath, filepath.Join(dir, "fork.db"))
	a := openTest(t, stickPath)
	b := openTest(t, filepath.Join(dir, "fork.db"))
	fill(t, a, 1)
	fill(t, b, 1)
	if _, err := lab.Import(ctx, a, Event{Actor: "Clerk"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lab.Import(ctx, b, Event{Actor: "Clerk"}); !errors.Is(err, ErrDiverged) {
		t.Fatalf("forked stick: err = %v, want ErrDiverged", err)
	}
}

func TestSignedEvents(t *testing.T) {
	ctx := context.Background()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "custody.db")
	l, err := Open(ctx, path, Options{Now: fakeClock(), Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	evs := fill(t, l, 2)
	if !strings.Contains(evs[0].Signature, "BEGIN SSH SIGNATURE") {
		t.Fatalf("event not signed: %q", evs[0].Signature)
	}
	pub, err := VerifyEventSignature(&evs[0])
	if err != nil || ssh.FingerprintSHA256(pub) != ssh.FingerprintSHA256(signer.PublicKey()) {
		t.Fatalf("signature: %v", err)
	}
	rep, err := l.Verify(ctx, "")
	if err != nil || rep.Signed != 2 || len(rep.Signers) != 1 {
		t.Fatalf("verify signed: %+v, %v", rep, err)
	}
	cp, _ := l.Checkpoint(ctx)
	sig, err := SignCheckpoint(cp, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyCheckpointSignature(cp, []byte(sig)); err != nil {
		t.Errorf("checkpoint signature: %v", err)
	}
	cp.Text = FormatHead(cp.Size+1, cp.Root)
	if _, err := VerifyCheckpointSignature(cp, []byte(sig)); err == nil {
		t.Errorf("checkpoint signature holds for another head")
	}
	l.Close()
	// The signed event's record and hash rewritten consistently still fail:
	// the signature covers the fields.
	tamper(t, path, "UPDATE events SET reason = 'x', record = replace(record, '\"note 2\"', '\"x\"') WHERE seq = 2")
	l2, _ := Open(ctx, path, Options{})
	var rec string
	l2.db.QueryRow("SELECT record FROM events WHERE seq = 2").Scan(&rec)
	l2.Close()
	tamper(t, path, "UPDATE events SET hash = '"+hashHex([]byte(rec))+"' WHERE seq = 2")
	_, err = verifyFile(t, path, "")
	wantEventError(t, err, 2, "signature")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	for _, sfx := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(from + sfx); err == nil {
			t.Fatalf("%s%s exists: ledger not closed", from, sfx)
		}
	}
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
