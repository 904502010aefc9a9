package custody

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock returns a clock that ticks one second per call, from a fixed
// start, so that tests do not depend on the machine's time.
func fakeClock() func() time.Time {
	var n atomic.Int64
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Second) }
}

func openTest(t testing.TB, path string) *Ledger {
	t.Helper()
	l, err := Open(context.Background(), path, Options{Now: fakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// fill appends n note events and returns them.
func fill(t testing.TB, l *Ledger, n int) []Event {
	t.Helper()
	out := make([]Event, n)
	for i := range out {
		e := Event{Actor: "Alice Examiner", Action: ActionNote, CaseID: "CASE-1", Reason: fmt.Sprintf("note %d", i+1)}
		if err := l.Append(context.Background(), &e); err != nil {
			t.Fatal(err)
		}
		out[i] = e
	}
	return out
}

// tamper runs SQL on the ledger file through another connection after
// dropping the triggers, as someone with the sqlite3 CLI could, and then
// puts hozen's triggers back as they were, as a careful forger would: only
// the events can tell.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ref, err := referenceSchema()
	if err != nil {
		t.Fatal(err)
	}
	stmts = append([]string{
		"DROP TRIGGER IF EXISTS events_no_update", "DROP TRIGGER IF EXISTS events_no_delete",
	}, stmts...)
	stmts = append(stmts, ref["events_no_update"].SQL.String, ref["events_no_delete"].SQL.String)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func verifyFile(t *testing.T, path, head string) (*Report, error) {
	t.Helper()
	l, err := Open(context.Background(), path, Options{NoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Verify(context.Background(), head)
}

func TestAppendVerify(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "custody.db")
	l := openTest(t, path)
	rep, err := l.Verify(ctx, "")
	if err != nil {
		t.Fatalf("empty ledger: %v", err)
	}
	if rep.Checkpoint.Size != 0 || rep.Checkpoint.Root != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty checkpoint = %+v", rep.Checkpoint)
	}
	evs := fill(t, l, 5)
	for i, e := range evs {
		if e.Seq != int64(i+1) || e.Ledger != l.ID() || e.ID == "" || e.Hash == "" {
			t.Errorf("event %d filled as %+v", i+1, e)
		}
		if i == 0 && e.Prev != GenesisPrev || i > 0 && e.Prev != evs[i-1].Hash {
			t.Errorf("event %d prev %s", i+1, e.Prev)
		}
		if e.At.Location() != time.UTC {
			t.Errorf("event %d at %v is not UTC", i+1, e.At)
		}
		if hashHex(e.Record()) != e.Hash {
			t.Errorf("event %d: Record does not hash to Hash", i+1)
		}
	}
	rep, err = l.Verify(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checkpoint != cp || cp.Size != 5 {
		t.Errorf("verify checkpoint %+v, Checkpoint %+v", rep.Checkpoint, cp)
	}
	if _, err := l.Verify(ctx, cp.Text); err != nil {
		t.Errorf("verify against own head: %v", err)
	}
	// Every earlier head is contained in the later ledger.
	l2 := openTest(t, filepath.Join(t.TempDir(), "b.db"))
	var heads []Checkpoint
	for i := 0; i < 9; i++ {
		cp, _ := l2.Checkpoint(ctx)
		heads = append(heads, cp)
		fill(t, l2, 1)
	}
	for _, h := range heads {
		if _, err := l2.Verify(ctx, h.Text); err != nil {
			t.Errorf("head %s: %v", h.Text, err)
		}
	}
}

func TestAppendRejects(t *testing.T) {
	l := openTest(t, filepath.Join(t.TempDir(), "custody.db"))
	for _, e := range []Event{
		{Actor: "a", Action: "stolen"},
		{Action: ActionNote},
		{Actor: "a", Action: ActionTransferred},
		{Actor: "a", Action: ActionNote, Reason: "bad \xff utf-8"},
		{Actor: "a", Action: ActionNote, BundleSHA256: "ABC"},
	} {
		if err := l.Append(context.Background(), &e); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%+v: err = %v, want ErrInvalidEvent", e, err)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Open(ctx, filepath.Join(dir, "missing.db"), Options{NoCreate: true}); !errors.Is(err, ErrNoLedger) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Errorf("NoCreate created the file")
	}
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("not a database at all\n"), 0o644)
	if _, err := Open(ctx, txt, Options{}); !errors.Is(err, ErrNotLedger) {
		t.Errorf("text file: %v", err)
	}
	other := filepath.Join(dir, "other.db")
	db, _ := sql.Open("sqlite", other)
	db.Exec("CREATE TABLE t (x)")
	db.Close()
	if _, err := Open(ctx, other, Options{}); !errors.Is(err, ErrNotLedger) {
		t.Errorf("other database: %v", err)
	}
	// A ledger from a newer hozen.
	newer := filepath.Join(dir, "newer.db")
	openTest(t, newer).Close()
	db, _ = sql.Open("sqlite", newer)
	if _, err := db.Exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, newer, Options{}); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("newer schema: %v", err)
	}
}

func TestTriggersRefuse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custody.db")
	l := openTest(t, path)
	fill(t, l, 2)
	for _, s := range []string{
		"UPDATE events SET actor = 'Mallory' WHERE seq = 1",
		"DELETE FROM events WHERE seq = 2",
		"DELETE FROM meta",
		"UPDATE meta SET value = 'x' WHERE key = 'ledger_id'",
	} {
		if _, err := l.db.Exec(s); err == nil || !strings.Contains(err.Error(), "cannot") {
			t.Errorf("%s: err = %v, want refused", s, err)
		}
	}
	if _, err := l.Verify(context.Background(), ""); err != nil {
		t.Error(err)
	}
}
