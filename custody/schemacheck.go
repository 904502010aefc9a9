package custody

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// schemaObject is one row of sqlite_schema: a table, index, view or
// trigger. SQL is what SQLite runs to build the object when it opens the
// file, so two objects with the same SQL behave the same.
type schemaObject struct {
	Type, Name, TblName string
	SQL                 sql.NullString
}

// referenceSchema returns the objects hozen's schema scripts create, by
// running them on an empty in-memory database: every object, as SQLite
// itself stores it. Opening a ledger applies the same scripts in the same
// order to an older one, so a ledger of every schema version hozen has
// written ends with exactly these objects.
var referenceSchema = sync.OnceValues(func() (map[string]schemaObject, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	for i, s := range migrations() {
		if _, err := db.Exec(s); err != nil {
			return nil, fmt.Errorf("schema %d: %w", i+1, err)
		}
	}
	objs, err := readSchema(context.Background(), db)
	if err != nil {
		return nil, err
	}
	out := map[string]schemaObject{}
	for _, o := range objs {
		out[o.Name] = o
	}
	return out, nil
})

type rowsQueryer interface {
	queryer
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readSchema returns every row of the main database's sqlite_schema.
func readSchema(ctx context.Context, q rowsQueryer) ([]schemaObject, error) {
	rows, err := q.QueryContext(ctx, `SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY name, type`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schemaObject
	for rows.Next() {
		var o schemaObject
		var typ, name, tbl sql.NullString
		if err := rows.Scan(&typ, &name, &tbl, &o.SQL); err != nil {
			return nil, err
		}
		o.Type, o.Name, o.TblName = typ.String, name.String, tbl.String
		out = append(out, o)
	}
	return out, rows.Err()
}

// statTables are the tables ANALYZE creates. They only steer SQLite's choice
// of index, never what a query returns, so they are named in a warning.
var statTables = map[string]bool{"sqlite_stat1": true, "sqlite_stat2": true, "sqlite_stat3": true, "sqlite_stat4": true}

// schemaCheck compares the ledger's schema objects, its meta table and its
// user_version with what hozen creates. It returns one line per difference
// (tampering) and warnings (harmless objects another tool added).
func (l *Ledger) schemaCheck(ctx context.Context, q rowsQueryer) (diffs, warnings []string, err error) {
	ref, err := referenceSchema()
	if err != nil {
		return nil, nil, fmt.Errorf("hozen's own schema: %w", err)
	}
	objs, err := readSchema(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]int{}
	for _, o := range objs {
		seen[o.Name]++
		want, ok := ref[o.Name]
		switch {
		case statTables[o.Name] && o.Type == "table" && o.Name == o.TblName:
			warnings = append(warnings, fmt.Sprintf("table %s (statistics made by ANALYZE with another tool; it steers index choice only)", o.Name))
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s %s is not hozen's (added with another tool): %s", o.Type, o.Name, describeSQL(o)))
		case seen[o.Name] > 1:
			diffs = append(diffs, fmt.Sprintf("%s %s appears more than once in sqlite_schema (schema edited by hand)", o.Type, o.Name))
		case o.Type != want.Type || o.TblName != want.TblName:
			diffs = append(diffs, fmt.Sprintf("%s %s (on %s) should be hozen's %s %s on %s: %s", o.Type, o.Name, o.TblName, want.Type, want.Name, want.TblName, describeSQL(o)))
		case o.SQL != want.SQL && (o.SQL.Valid != want.SQL.Valid || normalizeSQL(o.SQL.String) != normalizeSQL(want.SQL.String)):
			diffs = append(diffs, fmt.Sprintf("%s %s is not hozen's definition (changed with another tool): %s", o.Type, o.Name, describeSQL(o)))
		}
	}
	names := make([]string, 0, len(ref))
	for n := range ref {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if seen[n] == 0 {
			diffs = append(diffs, fmt.Sprintf("%s %s is missing (dropped with another tool)", ref[n].Type, n))
		}
	}
	var uv int64
	if err := q.QueryRowContext(ctx, `PRAGMA main.user_version`).Scan(&uv); err != nil {
		return nil, nil, err
	}
	if uv != int64(SchemaVersion()) {
		diffs = append(diffs, fmt.Sprintf("PRAGMA user_version is %d, hozen writes %d", uv, SchemaVersion()))
	}
	md, err := l.metaCheck(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	return append(diffs, md...), warnings, nil
}

// describeSQL quotes an object's SQL for a message, on one line.
func describeSQL(o schemaObject) string {
	if !o.SQL.Valid {
		return "no SQL"
	}
	s := strings.Join(strings.Fields(o.SQL.String), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return strconv.Quote(s)
}

// metaCheck compares every row of meta with what hozen writes. Format,
// schema_version, description and hash_rule are constants. ledger_id and
// created_at are per ledger: ledger_id must be the id this ledger was opened
// with (it is also in every own event's record, so changing it leaves the
// own chain unanchored), and created_at must be the time the ledger id
// carries (a UUIDv7 holds its creation time to the millisecond).
func (l *Ledger) metaCheck(ctx context.Context, q rowsQueryer) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM main.meta ORDER BY key`)
	if err != nil {
		return []string{fmt.Sprintf("meta cannot be read: %v", err)}, nil
	}
	defer rows.Close()
	want := map[string]string{
		"format":         Format,
		"schema_version": strconv.Itoa(SchemaVersion()),
		"description":    description,
		"hash_rule":      hashRule,
	}
	got := map[string]string{}
	var diffs []string
	for rows.Next() {
		var k, v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if _, dup := got[k.String]; dup {
			diffs = append(diffs, fmt.Sprintf("meta %s appears more than once", k.String))
		}
		got[k.String] = v.String
		if !k.Valid || !v.Valid {
			diffs = append(diffs, fmt.Sprintf("meta %q holds NULL", k.String))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := got[k]
		if w, ok := want[k]; ok {
			if v != w {
				diffs = append(diffs, fmt.Sprintf("meta %s is %s, hozen writes %s", k, quoteShort(v), quoteShort(w)))
			}
			continue
		}
		switch k {
		case "ledger_id":
			if v != l.id {
				diffs = append(diffs, fmt.Sprintf("meta ledger_id changed while hozen had the ledger open: %s, then %s", l.id, v))
			}
		case "created_at":
			if msg := createdAtDiff(v, got["ledger_id"]); msg != "" {
				diffs = append(diffs, "meta created_at "+msg)
			}
		default:
			diffs = append(diffs, fmt.Sprintf("meta %s = %s is not hozen's (added with another tool)", k, quoteShort(v)))
		}
	}
	for _, k := range []string{"format", "schema_version", "ledger_id", "created_at", "description", "hash_rule"} {
		if _, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("meta %s is missing (deleted with another tool)", k))
		}
	}
	return diffs, nil
}

// quoteShort quotes s for a message, cut after 100 bytes.
func quoteShort(s string) string {
	if len(s) > 100 {
		return strconv.Quote(s[:100]) + "..."
	}
	return strconv.Quote(s)
}

// createdAtSlack is how far created_at may lie after the time in the
// ledger id: hozen before this check took the two from two clock readings,
// microseconds apart.
const createdAtSlack = time.Second

// createdAtDiff says why created_at does not match the time the ledger id
// carries, or "" if it does.
func createdAtDiff(createdAt, ledgerID string) string {
	t, err := time.Parse(timeFormat, createdAt)
	if err != nil {
		return fmt.Sprintf("%s is not a time in the ledger's form %s", strconv.Quote(createdAt), timeFormat)
	}
	u, err := uuid.Parse(ledgerID)
	if err != nil || u.Version() != 7 || u.String() != ledgerID {
		return fmt.Sprintf("cannot be checked: ledger_id %s is not a UUIDv7", strconv.Quote(ledgerID))
	}
	idTime := uuidV7Time(u)
	if d := t.Sub(idTime); d < 0 || d >= createdAtSlack {
		return fmt.Sprintf("is %s, but ledger_id %s was made at %s (changed with another tool)",
			createdAt, ledgerID, idTime.Format("2006-01-02T15:04:05.000Z"))
	}
	return ""
}

// uuidV7Time is the millisecond a UUIDv7 carries in its first 48 bits.
func uuidV7Time(u uuid.UUID) time.Time {
	var b [8]byte
	copy(b[2:], u[:6])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:]))).UTC()
}

// newLedgerID makes the UUIDv7 of a new ledger from the same clock reading
// as its created_at, so that the id binds the creation time.
func newLedgerID(t time.Time) (string, error) {
	ms := t.UnixMilli()
	if ms < 0 || ms >= 1<<48 {
		return "", fmt.Errorf("clock reads %s: outside the range a UUIDv7 can hold", t)
	}
	u, err := uuid.NewRandom()
	if err != nil {
		return "", err
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ms))
	copy(u[:6], b[2:])
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // RFC 9562 variant
	return u.String(), nil
}

// normalizeSQL makes SQL text comparable across line endings and runs of
// white space, without changing what it means: white space outside quotes
// and comments becomes one space, a line comment keeps the line break that
// ends it (joining the next line into the comment would change the
// statement), and quoted text and comments stay as they are.
func normalizeSQL(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	space := false
	flush := func() {
		if out := b.String(); space && out != "" && out[len(out)-1] != '\n' {
			b.WriteByte(' ')
		}
		space = false
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			space = true
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			flush()
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteString(strings.TrimRight(s[i:i+j], " \t\r"))
			b.WriteByte('\n')
			i += j + 1
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			flush()
			j := strings.Index(s[i+2:], "*/")
			end := len(s)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(s[i:end])
			i = end
		case c == '\'' || c == '"' || c == '`' || c == '[':
			flush()
			closer := c
			if c == '[' {
				closer = ']'
			}
			j := i + 1
			for j < len(s) {
				if s[j] == closer {
					if closer != ']' && j+1 < len(s) && s[j+1] == closer {
						j += 2 // a doubled quote inside the quotes
						continue
					}
					j++
					break
				}
				j++
			}
			b.WriteString(s[i:j])
			i = j
		default:
			flush()
			b.WriteByte(c)
			i++
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
