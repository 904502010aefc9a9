package custody

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sqlite3 runs the real sqlite3 CLI on the ledger file with script on its
// standard input, as someone holding the file could, and returns its
// output. The test is skipped where the CLI is not installed.
func sqlite3(t *testing.T, path, script string) string {
	t.Helper()
	exe, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("needs the sqlite3 CLI")
	}
	cmd := exec.Command(exe, "-bail", path)
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %s: %v\n%s\nscript:\n%s", path, err, out, script)
	}
	return string(out)
}

// newLedgerFile makes a ledger of n events and closes it, so that the
// sqlite3 CLI sees the whole file.
func newLedgerFile(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "custody.db")
	l, err := Open(context.Background(), path, Options{Now: fakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, n)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func rowCount(t *testing.T, path, table string) string {
	t.Helper()
	return strings.TrimSpace(sqlite3(t, path, "SELECT count(*) FROM "+table+";\n"))
}

// allColumns lists NEW's columns of events, in table order, for a trigger
// that copies the row; actor is replaced by forged.
func allColumns(forged string) string {
	cols := strings.Fields(strings.NewReplacer(",", " ").Replace(eventColumns + ", record"))
	for i, c := range cols {
		if c == "actor" {
			cols[i] = forged
		} else {
			cols[i] = "NEW." + c
		}
	}
	return strings.Join(cols, ", ")
}

// TestForeignTriggerAppend: a trigger added with the sqlite3 CLI drops,
// adds or rewrites rows as hozen appends. Append must fail, name the
// ledger, not report the event as recorded, and leave the events as they
// were.
func TestForeignTriggerAppend(t *testing.T) {
	tests := []struct {
		name   string
		script string
		table  string // what to count before and after (events, or the real table behind a view)
		words  []string
	}{
		{"before insert raise ignore", `CREATE TRIGGER hide_events BEFORE INSERT ON events BEGIN SELECT RAISE(IGNORE); END;`,
			"events", []string{"hide_events"}},
		{"after insert adds a meta row", `CREATE TRIGGER add_meta AFTER INSERT ON events BEGIN INSERT INTO meta VALUES ('seen-' || NEW.seq, 'x'); END;`,
			"events", []string{"add_meta"}},
		{"after insert adds an event", `CREATE TRIGGER twin AFTER INSERT ON events WHEN NEW.ledger != 'x' BEGIN
			INSERT INTO events SELECT 'x', NEW.seq, NEW.id || 'x', NEW.at, NEW.actor, NEW.action, NEW.case_id, NEW.bundle_id, NEW.bundle_file,
			NEW.bundle_sha256, NEW.bundle_head, NEW.bundle_merkle_root, NEW.host, NEW.location, NEW.recipient, NEW.reason, NEW.outcome,
			NEW.source_ledger, NEW.source_size, NEW.source_root, NEW.signature, NEW.prev, NEW.hash || 'x', NEW.record; END;`,
			"events", []string{"twin"}},
		{"after insert rewrites the row", `DROP TRIGGER events_no_update;
			CREATE TRIGGER rewrite AFTER INSERT ON events BEGIN UPDATE events SET actor = 'Mallory' WHERE rowid = NEW.rowid; END;`,
			"events", []string{"rewrite", "events_no_update"}},
		{"table replaced by a view with instead of", `ALTER TABLE events RENAME TO events_real;
			CREATE VIEW events AS SELECT * FROM events_real;
			CREATE TRIGGER forward INSTEAD OF INSERT ON events BEGIN INSERT INTO events_real VALUES (` + allColumns("'Mallory'") + `); END;`,
			"events_real", []string{"events_real", "forward"}},
		{"trigger on meta", `CREATE TRIGGER keep_meta BEFORE INSERT ON meta BEGIN SELECT RAISE(IGNORE); END;`,
			"events", []string{"keep_meta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := newLedgerFile(t, 2)
			sqlite3(t, path, tt.script+"\n")
			before := rowCount(t, path, tt.table)
			l, err := Open(context.Background(), path, Options{NoCreate: true})
			if err != nil {
				t.Fatal(err)
			}
			e := Event{Actor: "Alice Examiner", Action: ActionNote, Reason: "after the trigger"}
			err = l.Append(context.Background(), &e)
			l.Close()
			if err == nil {
				t.Fatalf("Append reported event %d as recorded; the ledger now holds %s rows (%s before)", e.Seq, rowCount(t, path, tt.table), before)
			}
			if !errors.Is(err, ErrTampered) {
				t.Errorf("err = %v, want ErrTampered", err)
			}
			t.Log(err)
			for _, w := range append([]string{path}, tt.words...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if e.Seq != 0 || e.Hash != "" {
				t.Errorf("a failed Append filled the event: seq %d hash %q", e.Seq, e.Hash)
			}
			if after := rowCount(t, path, tt.table); after != before {
				t.Errorf("%s holds %s rows after a refused append, %s before", tt.table, after, before)
			}
			_, verr := verifyFile(t, path, "")
			if !errors.Is(verr, ErrTampered) {
				t.Errorf("Verify = %v, want tampered", verr)
			}
		})
	}
}

// TestAppendReadsBack: a trigger that the schema check cannot see (a
// temporary trigger on hozen's own connection stands in for any way a row
// could be dropped or other rows written under it) is caught by the read
// back after the insert.
func TestAppendReadsBack(t *testing.T) {
	for _, tt := range []struct{ name, trigger, words string }{
		{"row dropped", `CREATE TEMP TRIGGER drop_it BEFORE INSERT ON main.events BEGIN SELECT RAISE(IGNORE); END`, "0 rows"},
		{"other row written", `CREATE TEMP TRIGGER extra AFTER INSERT ON main.events BEGIN INSERT INTO main.meta VALUES ('seen', NEW.seq); END`, "changed 2 rows"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "custody.db")
			l := openTest(t, path)
			fill(t, l, 2)
			l.db.SetMaxOpenConns(1) // the temp trigger lives on this one connection
			if _, err := l.db.Exec(tt.trigger); err != nil {
				t.Fatal(err)
			}
			e := Event{Actor: "Alice Examiner", Action: ActionNote, Reason: "under a hidden trigger"}
			err := l.Append(context.Background(), &e)
			if err == nil || !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.words) {
				t.Fatalf("Append = %v (seq %d), want an error naming %s and %q", err, e.Seq, path, tt.words)
			}
			var n int
			if err := l.db.QueryRow("SELECT count(*) FROM main.events").Scan(&n); err != nil || n != 2 {
				t.Errorf("events = %d (%v), want 2", n, err)
			}
		})
	}
}

// TestSchemaTampered: schema objects and meta values changed with the
// sqlite3 CLI, with every event left intact. Verify must fail, naming each
// difference; import must refuse the ledger.
func TestSchemaTampered(t *testing.T) {
	forgedTrail := `DROP VIEW trail;
CREATE VIEW trail AS
SELECT
    CASE WHEN e.ledger = (SELECT value FROM meta WHERE key = 'ledger_id') THEN 'here' ELSE e.ledger END AS origin,
    e.seq, e.at, e.action, 'Mallory' AS actor, e.case_id, e.bundle_file, e.bundle_sha256,
    e.recipient, e.location, e.host, e.outcome, e.reason, e.id
FROM events AS e
ORDER BY e.at, e.ledger, e.seq;`
	tests := []struct {
		name   string
		script string
		words  []string
	}{
		{"trail view forged", forgedTrail, []string{"view trail", "Mallory"}},
		{"extra table", `CREATE TABLE notes (x);`, []string{"table notes", "not hozen's"}},
		{"extra trigger", `CREATE TRIGGER quiet BEFORE INSERT ON events BEGIN SELECT RAISE(IGNORE); END;`, []string{"trigger quiet", "RAISE(IGNORE)"}},
		{"extra index", `CREATE INDEX by_actor ON events (actor);`, []string{"index by_actor"}},
		{"trigger dropped", `DROP TRIGGER events_no_update;`, []string{"trigger events_no_update", "missing"}},
		{"trigger weakened", `DROP TRIGGER events_no_delete;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events WHEN 0
BEGIN
    SELECT RAISE(ABORT, 'custody ledger is append-only: an event cannot be deleted; record a new event instead');
END;`, []string{"trigger events_no_delete", "WHEN 0"}},
		{"events replaced by a view", `ALTER TABLE events RENAME TO events_real; CREATE VIEW events AS SELECT * FROM events_real;`,
			[]string{"view events", "table events", "events_real"}},
		{"meta description replaced", `INSERT OR REPLACE INTO meta VALUES ('description', 'an ordinary notes file');`,
			[]string{"meta description", "an ordinary notes file"}},
		{"meta hash_rule replaced", `INSERT OR REPLACE INTO meta VALUES ('hash_rule', 'hash = md5(actor)');`, []string{"meta hash_rule"}},
		{"meta created_at replaced", `INSERT OR REPLACE INTO meta VALUES ('created_at', '2020-01-01T00:00:00.000000000Z');`,
			[]string{"meta created_at", "2020-01-01T00:00:00.000000000Z"}},
		{"meta key added", `INSERT INTO meta VALUES ('examiner', 'Mallory');`, []string{"meta examiner"}},
		{"user_version changed", `PRAGMA user_version = 7;`, []string{"user_version", "7"}},
		{"two differences", `CREATE TABLE notes (x); INSERT OR REPLACE INTO meta VALUES ('description', 'forged');`,
			[]string{"table notes", "meta description"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := newLedgerFile(t, 3)
			sqlite3(t, path, tt.script+"\n")
			_, err := verifyFile(t, path, "")
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("Verify = %v, want tampered", err)
			}
			t.Log(err)
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	t.Run("import refuses", func(t *testing.T) {
		stick := newLedgerFile(t, 2)
		sqlite3(t, stick, forgedTrail+"\n")
		lab := newLedgerFile(t, 1)
		l, err := Open(context.Background(), lab, Options{NoCreate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		other, err := Open(context.Background(), stick, Options{NoCreate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		_, err = l.Import(context.Background(), other, Event{Actor: "Lab Clerk", Reason: "stick"})
		if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "view trail") {
			t.Fatalf("Import = %v, want refused naming view trail", err)
		}
		if n := rowCount(t, lab, "events"); n != "1" {
			t.Errorf("lab ledger holds %s events after a refused import, want 1", n)
		}
	})
}

// TestLedgerIDAndCreatedAtBound: ledger_id and created_at are per ledger,
// so no constant holds them. The ledger id is in every event's record; the
// creation time is the time in the ledger id (a UUIDv7). Changing either
// is seen, even in a ledger without events.
func TestLedgerIDAndCreatedAtBound(t *testing.T) {
	for _, tt := range []struct {
		name   string
		events int
		script string
		words  []string
	}{
		{"created_at of an empty ledger", 0, `INSERT OR REPLACE INTO meta VALUES ('created_at', '2030-06-01T12:00:00.000000000Z');`, []string{"created_at"}},
		{"created_at moved by a second", 0, `INSERT OR REPLACE INTO meta VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%S', (SELECT value FROM meta WHERE key = 'created_at'), '-1 seconds') || '.000000000Z');`, []string{"created_at"}},
		{"ledger_id of an empty ledger", 0, `INSERT OR REPLACE INTO meta VALUES ('ledger_id', '01890a5d-ac96-774b-bcce-b302099a8057');`, []string{"ledger_id", "created_at"}},
		{"ledger_id of a ledger with events", 2, `INSERT OR REPLACE INTO meta VALUES ('ledger_id', '01890a5d-ac96-774b-bcce-b302099a8057');`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := newLedgerFile(t, tt.events)
			sqlite3(t, path, tt.script+"\n")
			_, err := verifyFile(t, path, "")
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("Verify = %v, want tampered", err)
			}
			t.Log(err)
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// TestAnalyzeWarns: sqlite_stat1, made by ANALYZE, only steers SQLite's
// choice of index; it cannot change what a query returns. Verify names it
// in a warning and stays intact.
func TestAnalyzeWarns(t *testing.T) {
	path := newLedgerFile(t, 3)
	sqlite3(t, path, "ANALYZE;\n")
	rep, err := verifyFile(t, path, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "sqlite_stat1") {
		t.Errorf("warnings %q do not name sqlite_stat1", rep.Warnings)
	}
}

// TestNormalizeSQL: white space and line endings do not matter; what a
// comment holds, and where it ends, does.
func TestNormalizeSQL(t *testing.T) {
	ref, err := referenceSchema()
	if err != nil {
		t.Fatal(err)
	}
	events := ref["events"].SQL.String
	same := []string{
		strings.ReplaceAll(events, "\n", "\r\n"),
		strings.ReplaceAll(events, "    ", "\t") + "  ",
	}
	for _, s := range same {
		if normalizeSQL(s) != normalizeSQL(events) {
			t.Errorf("%q and hozen's differ only in white space, but compare unequal", s)
		}
	}
	differ := []string{
		// Joining a line into the comment before it drops a column.
		strings.Replace(events, "-- who acted (examiner, courier, custodian)\n", "-- who acted (examiner, courier, custodian) ", 1),
		strings.Replace(events, "-- who acted", "-- who forged", 1),
		strings.Replace(events, "DEFAULT 0", "DEFAULT 1", 1),
		strings.Replace(events, "DEFAULT ''", "DEFAULT ' '", 1),
	}
	for i, s := range differ {
		if s == events {
			t.Fatalf("case %d changes nothing", i)
		}
		if normalizeSQL(s) == normalizeSQL(events) {
			t.Errorf("case %d: a change that matters compares equal: %q", i, s)
		}
	}
}
