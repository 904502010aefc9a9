package sqlitemem

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// makeDB writes a database of one table, t(x), with the rows given, and
// returns its path and an open connection to it (closed with the test).
func makeDB(t *testing.T, rows ...string) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE t(x TEXT)"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, err := db.Exec("INSERT INTO t VALUES (?)", r); err != nil {
			t.Fatal(err)
		}
	}
	return path, db
}

// readRows opens data with Open and returns t's rows in order.
func readRows(t *testing.T, data []byte) []string {
	t.Helper()
	db, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT x FROM t ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpen(t *testing.T) {
	path, db := makeDB(t, "a", "b")
	db.Close()
	data := readFile(t, path)
	if got := readRows(t, data); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("rows %q", got)
	}
	// Read-only: a write is refused.
	m, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Exec("INSERT INTO t VALUES ('c')"); err == nil {
		t.Error("a write to the in-memory copy succeeded")
	}
}

// TestOpenMalformed: bytes that are not a database, or a database cut
// short, give errors, never a panic.
func TestOpenMalformed(t *testing.T) {
	if _, err := Open([]byte("not a database, but long enough to have the 100 bytes of a database header in it, surely........")); !errors.Is(err, ErrNotSQLite) {
		t.Errorf("garbage: %v, want ErrNotSQLite", err)
	}
	if _, err := Open(nil); !errors.Is(err, ErrNotSQLite) {
		t.Errorf("empty: %v, want ErrNotSQLite", err)
	}
	path, db := makeDB(t)
	// 2,000 rows of 100 bytes: a database of many pages.
	if _, err := db.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000) INSERT INTO t SELECT printf('x%099d', i) FROM n"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	data := readFile(t, path)
	m, err := Open(data[:len(data)/2])
	if err != nil {
		t.Fatal(err) // the header is whole: Open itself succeeds
	}
	defer m.Close()
	var n int
	if err := m.QueryRow("SELECT count(*) FROM t WHERE x LIKE 'x%'").Scan(&n); err == nil {
		t.Errorf("a database cut in half read without error (%d rows)", n)
	}
}

// TestMergeWAL: a change committed to the -wal but not checkpointed is
// seen once MergeWAL applied it, and not before; a WAL-mode database is
// opened without its -wal, and the caller's bytes are not changed.
func TestMergeWAL(t *testing.T) {
	path, db := makeDB(t, "a", "b")
	for _, q := range []string{"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0", "DELETE FROM t WHERE x='b'", "INSERT INTO t VALUES ('c')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	// Read while the connection is open: the WAL is not yet checkpointed.
	main, wal := readFile(t, path), readFile(t, path+"-wal")
	if main[18] != 2 {
		t.Fatalf("the main file is not marked WAL (byte 18 is %d)", main[18])
	}
	before := slices.Clone(main)
	if got := readRows(t, main); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("main file alone: %q, want a b (the changes are only in the WAL)", got)
	}
	if !bytes.Equal(main, before) {
		t.Fatal("Open changed the caller's bytes")
	}
	merged, res, err := MergeWAL(main, wal, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames == 0 || res.Pages == 0 {
		t.Fatalf("nothing merged: %+v", res)
	}
	if got := readRows(t, merged); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("merged: %q, want a c", got)
	}
	// A torn last frame (its checksum broken) is ignored, as SQLite does.
	torn := slices.Clone(wal)
	torn[len(torn)-1] ^= 0xff
	_, res2, err := MergeWAL(main, torn, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Frames >= res.Frames {
		t.Errorf("torn WAL: %d frames merged, want fewer than %d", res2.Frames, res.Frames)
	}
	if _, _, err := MergeWAL(main, wal, 512); err == nil {
		t.Error("a merge over the bound did not fail")
	}
	bad := slices.Clone(wal)
	bad[0] ^= 0xff
	if _, _, err := MergeWAL(main, bad, 1<<30); !errors.Is(err, ErrWAL) {
		t.Errorf("bad magic: %v, want ErrWAL", err)
	}
	if got, _, err := MergeWAL(main, nil, 1<<30); err != nil || !bytes.Equal(got, main) {
		t.Errorf("no WAL: %v, or the bytes changed", err)
	}
}
