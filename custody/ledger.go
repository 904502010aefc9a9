package custody

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"
	"modernc.org/sqlite" // registers the "sqlite" driver; pure Go, CGO_ENABLED=0
)

// Format names the ledger format in meta and in head values.
const Format = "hozen-custody/1"

// BusyTimeout is how long an append waits for another process holding the
// ledger's write lock before it gives up.
const BusyTimeout = 2 * time.Minute

//go:embed schema/*.sql
var schemaFS embed.FS

// migrations returns the schema scripts in order; script i brings the
// schema from version i to version i+1.
func migrations() []string {
	names, err := fs.Glob(schemaFS, "schema/*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		b, err := schemaFS.ReadFile(n)
		if err != nil {
			panic(err)
		}
		out[i] = string(b)
	}
	return out
}

// SchemaVersion is the schema version this package writes.
func SchemaVersion() int { return len(migrations()) }

const description = "hozen chain-of-custody ledger: who held which evidence bundle, when and why. " +
	"Table events is append-only (triggers refuse UPDATE and DELETE); each row's hash is the SHA-256 " +
	"of its record column, and prev is the hash of the row before in the same ledger chain. " +
	"Read it with: SELECT * FROM trail; check it with: hozen custody verify. Spec: docs/custody.md."

const hashRule = "hash = sha256(record); record = canonical JSON of the row " +
	"(keys v, ledger, seq, id, at, actor, action, case_id, bundle_id, bundle_file, bundle_sha256, bundle_head, " +
	"bundle_merkle_root, host, location, recipient, reason, outcome, source_ledger, source_size, source_root, prev, signature; " +
	"in this order, no spaces); prev of seq 1 = 64 zeros; Merkle leaf i = sha256(0x00 || bytes of hash i), RFC 6962"

// Options configure a [Ledger].
type Options struct {
	// Now is the clock; nil means time.Now. Times are stored in UTC.
	Now func() time.Time
	// Signer, when set, signs every event this ledger appends (SSHSIG,
	// namespace [EventNamespace]): the acting person's key.
	Signer ssh.Signer
	// NoCreate makes Open fail with ErrNoLedger if the file does not exist,
	// for commands that only read or check a ledger.
	NoCreate bool
}

// Ledger is an open custody ledger. Its methods are safe for concurrent use,
// and several processes may append to the same file at once.
type Ledger struct {
	db     *sql.DB
	path   string
	id     string
	now    func() time.Time
	signer ssh.Signer
}

// Open opens the ledger at path, creating the file and its schema if it is
// missing (unless opts.NoCreate), and bringing an older schema up to date.
func Open(ctx context.Context, path string, opts Options) (*Ledger, error) {
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("ledger %s: a file name with '?' is not supported", path)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if opts.NoCreate {
			return nil, fmt.Errorf("%w at %s", ErrNoLedger, path)
		}
	case err != nil:
		return nil, err
	case fi.IsDir():
		return nil, fmt.Errorf("ledger %s: is a directory", path)
	case fi.Size() > 0:
		if err := checkMagic(path); err != nil {
			return nil, err
		}
	}
	// Processes that open a new ledger at once race to switch it to WAL
	// and create the schema; SQLite answers some of those steps with
	// SQLITE_BUSY at once instead of waiting out busy_timeout (changing the
	// journal mode needs the file to itself). Opening is retried until
	// BusyTimeout, so no process gives up and loses its event.
	deadline := time.Now().Add(BusyTimeout)
	for {
		l, err := open(ctx, path, opts)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}

func open(ctx context.Context, path string, opts Options) (*Ledger, error) {
	dsn := path + "?_pragma=busy_timeout(" + strconv.FormatInt(BusyTimeout.Milliseconds(), 10) + ")" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=trusted_schema(0)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	db.SetMaxIdleConns(2)
	l := &Ledger{db: db, path: path, now: opts.Now, signer: opts.Signer}
	if l.now == nil {
		l.now = time.Now
	}
	if err := l.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	return l, nil
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 5
}

// checkMagic refuses a file that is not an SQLite database, before SQLite
// could write to it.
func checkMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, 16)
	if _, err := io.ReadFull(f, b); err != nil || !bytes.Equal(b, []byte("SQLite format 3\x00")) {
		return fmt.Errorf("%s: %w (not an SQLite database)", path, ErrNotLedger)
	}
	return nil
}

// migrate creates or upgrades the schema under the write lock, so that two
// processes opening a new file at once create it once.
func (l *Ledger) migrate(ctx context.Context) error {
	steps := migrations()
	version, id, err := l.readMeta(ctx)
	if err == nil && version == len(steps) {
		l.id = id
		return nil
	}
	if err != nil && !errors.Is(err, errNoMeta) {
		return err
	}
	if version > len(steps) {
		return fmt.Errorf("%w: schema %d, this hozen knows %d; use a newer hozen", ErrNewerSchema, version, len(steps))
	}
	err = l.withTx(ctx, func(conn *sql.Conn) error {
		version, id, err := readMeta(ctx, conn)
		if errors.Is(err, errNoMeta) {
			var n int
			if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%w: the database holds other tables", ErrNotLedger)
			}
		} else if err != nil {
			return err
		}
		if version > len(steps) {
			return fmt.Errorf("%w: schema %d, this hozen knows %d; use a newer hozen", ErrNewerSchema, version, len(steps))
		}
		for i := version; i < len(steps); i++ {
			if _, err := conn.ExecContext(ctx, steps[i]); err != nil {
				return fmt.Errorf("schema %d: %w", i+1, err)
			}
			if i == 0 {
				// The ledger id is a UUIDv7 of the creation time, so that
				// created_at, which no event's hash covers, is bound to the
				// id, which every event's hash covers.
				created := l.now()
				id, err = newLedgerID(created)
				if err != nil {
					return err
				}
				_, err = conn.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES
					('format', ?), ('schema_version', '0'), ('ledger_id', ?), ('created_at', ?),
					('description', ?), ('hash_rule', ?)`,
					Format, id, FormatTime(created), description, hashRule)
				if err != nil {
					return err
				}
			}
			if _, err := conn.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'schema_version'`, strconv.Itoa(i+1)); err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
				return err
			}
		}
		l.id = id
		return nil
	})
	return err
}

var errNoMeta = errors.New("no meta table")

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (l *Ledger) readMeta(ctx context.Context) (int, string, error) { return readMeta(ctx, l.db) }

// readMeta returns the schema version and ledger id.
func readMeta(ctx context.Context, q queryer) (int, string, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).Scan(&n); err != nil {
		if strings.Contains(err.Error(), "not a database") {
			return 0, "", fmt.Errorf("%w: %v", ErrNotLedger, err)
		}
		return 0, "", err
	}
	if n == 0 {
		return 0, "", errNoMeta
	}
	var format, version, id sql.NullString
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT value FROM meta WHERE key = 'format'),
		(SELECT value FROM meta WHERE key = 'schema_version'),
		(SELECT value FROM meta WHERE key = 'ledger_id')`).Scan(&format, &version, &id)
	if err != nil {
		return 0, "", err
	}
	if format.String != Format {
		return 0, "", fmt.Errorf("%w: meta format is %q, want %q", ErrNotLedger, format.String, Format)
	}
	v, err := strconv.Atoi(version.String)
	if err != nil || v < 1 || id.String == "" {
		return 0, "", fmt.Errorf("%w: meta schema_version %q, ledger_id %q", ErrNotLedger, version.String, id.String)
	}
	return v, id.String, nil
}

// withTx runs fn in an immediate (write-locked) transaction on one
// connection, and commits if fn returns nil.
func (l *Ledger) withTx(ctx context.Context, fn func(*sql.Conn) error) error {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if err := fn(conn); err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	return nil
}

// writeTx is withTx for the writes to a ledger that exists: it first
// checks, under the write lock, that the schema and meta are exactly
// hozen's, and writes nothing if they are not. A trigger, view or other
// object another tool added could drop, change or add rows under hozen's
// inserts; hozen refuses to write through it.
func (l *Ledger) writeTx(ctx context.Context, fn func(*sql.Conn) error) error {
	return l.withTx(ctx, func(conn *sql.Conn) error {
		diffs, _, err := l.schemaCheck(ctx, conn)
		if err != nil {
			return err
		}
		if len(diffs) > 0 {
			return fmt.Errorf("nothing written: %w", &SchemaError{Diffs: diffs})
		}
		return fn(conn)
	})
}

// Close closes the ledger. The last process to close a ledger folds its
// write-ahead log back into the file.
func (l *Ledger) Close() error { return l.db.Close() }

// ID is the ledger's id: the chain of the events it records itself.
func (l *Ledger) ID() string { return l.id }

// Path is the file the ledger was opened from.
func (l *Ledger) Path() string { return l.path }

// Append records e at the end of the ledger's chain. It fills e's Ledger,
// Seq, ID (UUIDv7), At (UTC, from Options.Now), Signature (with
// Options.Signer), Prev and Hash, in one transaction under the ledger's
// write lock, so that processes appending at once keep one chain. e is
// changed only if Append succeeds.
func (l *Ledger) Append(ctx context.Context, e *Event) error {
	if err := e.check(); err != nil {
		return err
	}
	var done Event
	err := l.writeTx(ctx, func(conn *sql.Conn) error {
		var err error
		done, err = l.appendConn(ctx, conn, *e)
		return err
	})
	if err != nil {
		return fmt.Errorf("ledger %s: append %s event: %w", l.path, e.Action, err)
	}
	*e = done
	return nil
}

// appendConn appends e inside the caller's transaction and returns it
// filled in.
func (l *Ledger) appendConn(ctx context.Context, conn *sql.Conn, e Event) (Event, error) {
	var last int64
	prev := GenesisPrev
	err := conn.QueryRowContext(ctx, `SELECT seq, hash FROM events WHERE ledger = ? ORDER BY seq DESC LIMIT 1`, l.id).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return e, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return e, err
	}
	e.Ledger, e.Seq, e.ID, e.Prev = l.id, last+1, id.String(), prev
	e.At = l.now().UTC().Truncate(time.Nanosecond)
	e.Signature = ""
	if l.signer != nil {
		sig, err := SignEvent(&e, l.signer)
		if err != nil {
			return e, err
		}
		e.Signature = sig
	}
	return e, insert(ctx, conn, &e)
}

// insert writes e with its record and hash; e.Hash is filled in. It then
// checks, in the same transaction, that the statement changed exactly one
// row and nothing else, and that the row stored under e's ledger and seq,
// and under e's id, is exactly e: a trigger or anything else in the file
// that dropped, rewrote or added rows makes it fail with a [*WriteError].
func insert(ctx context.Context, conn *sql.Conn, e *Event) error {
	at := FormatTime(e.At)
	rec := newEncoder().encode(e.toRecord(at))
	e.Hash = hashHex(rec)
	var before, after int64
	if err := conn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
		return err
	}
	res, err := conn.ExecContext(ctx, `INSERT INTO main.events (`+eventColumns+`, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Ledger, e.Seq, e.ID, at, e.Actor, string(e.Action), e.CaseID,
		e.BundleID, e.BundleFile, e.BundleSHA256, e.BundleHead, e.BundleMerkleRoot,
		e.Host, e.Location, e.Recipient, e.Reason, e.Outcome,
		e.SourceLedger, e.SourceSize, e.SourceRoot, e.Signature, e.Prev, e.Hash, string(rec))
	if err != nil {
		return err
	}
	fail := func(format string, args ...any) error {
		return &WriteError{Seq: e.Seq, Reason: fmt.Sprintf(format, args...)}
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fail("the insert added %d rows, not 1 (a trigger in the file drops or redirects events)", n)
	}
	if err := conn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
		return err
	}
	if after-before != 1 {
		return fail("the insert changed %d rows, not 1 (a trigger in the file writes other rows)", after-before)
	}
	var got Event
	var gotRec string
	gotAt, err := scanEvent(conn.QueryRowContext(ctx, `SELECT `+eventColumns+`, record FROM main.events WHERE ledger = ? AND seq = ?`, e.Ledger, e.Seq), &got, &gotRec)
	if errors.Is(err, sql.ErrNoRows) {
		return fail("no row holds it after the insert")
	}
	if err != nil {
		return fail("the row read back cannot be read as an event: %v", err)
	}
	want := *e
	want.At, got.At = time.Time{}, time.Time{}
	if gotAt != at || gotRec != string(rec) || got != want {
		return fail("the row read back differs from the row written (a trigger in the file rewrote it)")
	}
	var rows int
	var ledger string
	var seq int64
	if err := conn.QueryRowContext(ctx, `SELECT count(*), min(ledger), min(seq) FROM main.events WHERE id = ?`, e.ID).Scan(&rows, &ledger, &seq); err != nil {
		return err
	}
	if rows != 1 || ledger != e.Ledger || seq != e.Seq {
		return fail("%d rows hold its id %s", rows, e.ID)
	}
	return nil
}

// eventColumns are the columns scanEvent reads, in its order.
const eventColumns = `ledger, seq, id, at, actor, action, case_id,
	bundle_id, bundle_file, bundle_sha256, bundle_head, bundle_merkle_root,
	host, location, recipient, reason, outcome,
	source_ledger, source_size, source_root, signature, prev, hash`

type scanner interface{ Scan(dest ...any) error }

// scanEvent reads eventColumns (and extra destinations) into e; it returns
// the at column as stored.
func scanEvent(s scanner, e *Event, extra ...any) (string, error) {
	var at, action string
	dest := []any{&e.Ledger, &e.Seq, &e.ID, &at, &e.Actor, &action, &e.CaseID,
		&e.BundleID, &e.BundleFile, &e.BundleSHA256, &e.BundleHead, &e.BundleMerkleRoot,
		&e.Host, &e.Location, &e.Recipient, &e.Reason, &e.Outcome,
		&e.SourceLedger, &e.SourceSize, &e.SourceRoot, &e.Signature, &e.Prev, &e.Hash}
	if err := s.Scan(append(dest, extra...)...); err != nil {
		return "", err
	}
	e.Action = Action(action)
	t, err := time.Parse(timeFormat, at)
	if err != nil {
		e.At = time.Time{}
	} else {
		e.At = t
	}
	return at, nil
}

// Filter selects events. Empty fields match anything; set fields must all
// match.
type Filter struct {
	CaseID   string
	BundleID string
	// BundleSHA256 selects the events naming this bundle file, and every
	// event of the bundle ids those events name (such as "collected",
	// recorded before the file's hash was known).
	BundleSHA256 string
}

// Events returns the events that match f, of every chain the ledger holds
// (its own and imported ones), oldest first. It does not verify them; see
// [Ledger.Verify].
func (l *Ledger) Events(ctx context.Context, f Filter) ([]Event, error) {
	var where []string
	var args []any
	if f.CaseID != "" {
		where = append(where, "case_id = ?")
		args = append(args, f.CaseID)
	}
	if f.BundleID != "" {
		where = append(where, "bundle_id = ?")
		args = append(args, f.BundleID)
	}
	if f.BundleSHA256 != "" {
		where = append(where, `(bundle_sha256 = ? OR bundle_id IN
			(SELECT bundle_id FROM events WHERE bundle_sha256 = ? AND bundle_id != ''))`)
		args = append(args, f.BundleSHA256, f.BundleSHA256)
	}
	q := `SELECT ` + eventColumns + ` FROM events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY at, ledger, seq"
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if _, err := scanEvent(rows, &e); err != nil {
			return nil, fmt.Errorf("ledger %s: %w", l.path, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return out, nil
}

// LastSealed returns the newest "sealed" event of the case, or nil if the
// ledger knows none: the previous bundle of the case, for a new bundle's
// header.
func (l *Ledger) LastSealed(ctx context.Context, caseID string) (*Event, error) {
	row := l.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events
		WHERE action = 'sealed' AND case_id = ? ORDER BY at DESC, seq DESC LIMIT 1`, caseID)
	var e Event
	if _, err := scanEvent(row, &e); errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return &e, nil
}

// Checkpoint returns the ledger's current checkpoint: the number of events
// of its own chain and their Merkle root, with the one-line text form that
// `hozen custody head` prints and [Ledger.Verify] accepts. It does not
// verify the events; a bundle's manifest carries it at sealing time.
func (l *Ledger) Checkpoint(ctx context.Context) (Checkpoint, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT hash FROM events WHERE ledger = ? ORDER BY seq`, l.id)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	defer rows.Close()
	t := new(tree)
	var h string
	for rows.Next() {
		if err := rows.Scan(&h); err != nil {
			return Checkpoint{}, fmt.Errorf("ledger %s: %w", l.path, err)
		}
		b, ok := decodeHash(h)
		if !ok {
			return Checkpoint{}, fmt.Errorf("ledger %s: %w", l.path, &EventError{Ledger: l.id, Local: true, Seq: t.size() + 1, Reason: fmt.Sprintf("hash %q is not 64 hex digits", h)})
		}
		if err := t.add(b); err != nil {
			return Checkpoint{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return Checkpoint{}, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return t.checkpoint(t.size()), nil
}
