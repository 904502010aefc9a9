package custody

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzColumns are the event columns FuzzLedgerVerify may overwrite.
var fuzzColumns = []string{"ledger", "seq", "id", "at", "actor", "action", "case_id",
	"bundle_id", "bundle_file", "bundle_sha256", "bundle_head", "bundle_merkle_root",
	"host", "location", "recipient", "reason", "outcome",
	"source_ledger", "source_size", "source_root", "signature", "prev", "hash", "record"}

// FuzzLedgerVerify: one cell of a good ledger is overwritten with any
// value, as a tool that ignores the triggers could. Verify never panics,
// fails only with ErrTampered (or ErrBadHead for the head), and never
// passes a ledger whose cell changed.
func FuzzLedgerVerify(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.db")
	l, err := Open(context.Background(), good, Options{Now: fakeClock()})
	if err != nil {
		f.Fatal(err)
	}
	evs := fill(f, l, 3)
	cp, err := l.Checkpoint(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	l.Close()
	// Fold the WAL into the file, so one file holds the whole ledger.
	db, err := sql.Open("sqlite", good)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA journal_mode=DELETE"); err != nil {
		f.Fatal(err)
	}
	db.Close()
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	head := FormatHead(cp.Size, cp.Root)
	f.Add(uint8(4), uint8(2), "Mallory", false, head)
	f.Add(uint8(1), uint8(1), "2", true, "")
	f.Add(uint8(23), uint8(3), `{"v":1}`, false, head)
	f.Add(uint8(22), uint8(2), evs[0].Hash, false, "")
	f.Add(uint8(18), uint8(1), "-9223372036854775808", true, "hozen-custody/1:99:"+cp.Root)
	f.Fuzz(func(t *testing.T, col, seq uint8, value string, asInt bool, head string) {
		path := filepath.Join(dir, "fuzz.db")
		for _, s := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(path + s)
		}
		if err := os.WriteFile(path, goodBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		name := fuzzColumns[int(col)%len(fuzzColumns)]
		row := int64(seq%4) + 1 // 4: no such row, nothing changes
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		var before sql.NullString
		db.QueryRow("SELECT CAST("+name+" AS TEXT) FROM events WHERE seq = ?", row).Scan(&before)
		var v any = value
		if asInt {
			v = int64(len(value)) - 1<<62
		}
		changed := false
		if _, err := db.Exec("DROP TRIGGER events_no_update"); err != nil {
			t.Fatal(err)
		}
		if res, err := db.Exec("UPDATE events SET "+name+" = ? WHERE seq = ?", v, row); err == nil {
			n, _ := res.RowsAffected()
			changed = n > 0
		}
		// Put the trigger back as it was, so that only the changed cell
		// can make Verify fail.
		ref, err := referenceSchema()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ref["events_no_update"].SQL.String); err != nil {
			t.Fatal(err)
		}
		var after sql.NullString
		db.QueryRow("SELECT CAST("+name+" AS TEXT) FROM events WHERE rowid = (SELECT rowid FROM events ORDER BY rowid LIMIT 1 OFFSET ?)", row-1).Scan(&after)
		db.Close()
		changed = changed && before != after

		l, err := Open(context.Background(), path, Options{NoCreate: true})
		if err != nil {
			return // not a ledger any more: refused, fine
		}
		defer l.Close()
		_, err = l.Verify(context.Background(), head)
		switch {
		case err == nil && changed:
			t.Fatalf("ledger with %s of event %d changed from %q to %q verified", name, row, before.String, after.String)
		case err != nil && !errors.Is(err, ErrTampered) && !errors.Is(err, ErrBadHead):
			t.Fatalf("Verify: %v (neither ErrTampered nor ErrBadHead)", err)
		}
	})
}
