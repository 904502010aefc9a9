package custody

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"
)

// Report is what [Ledger.Verify] found in a ledger that verified.
type Report struct {
	Ledger     string     // the ledger's id (its own chain)
	Checkpoint Checkpoint // of its own chain, now
	Events     int64      // events held, own and imported
	Imported   []Chain    // chains folded in from other ledgers
	Signed     int64      // events whose signature verified
	Signers    []string   // SHA256 fingerprints of the keys that signed events
	Head       *Checkpoint
	// Warnings are oddities that are not tampering, such as an event dated
	// before the one it follows (a host clock set back).
	Warnings []string
}

// Chain describes an imported chain.
type Chain struct {
	Ledger string
	Size   int64
	Root   string
}

// chainState is one chain as Verify walks it.
type chainState struct {
	id      string
	next    int64
	prev    string
	lastAt  string
	tree    tree
	anchors []anchor
}

// anchor is an imported event: it says that chain ledger held size events
// with the given root when it was imported.
type anchor struct {
	from   *chainState
	seq    int64
	ledger string
	size   int64
	root   string
}

// Verify checks every event of the ledger: that its record is the
// canonical form of its columns, that its hash is the SHA-256 of its record,
// that it links to the event before by prev with no gap, that its
// signature (if any) holds; that every imported chain is anchored by an
// "imported" event and matches the checkpoint that event recorded; and,
// when head is not "", that the ledger still contains that earlier
// checkpoint (an RFC 6962 consistency proof), which catches a cut tail or an
// older copy of the file restored.
//
// Before the events it compares the ledger's schema objects (tables,
// columns, indexes, triggers, views: each one's type, name, table and SQL),
// PRAGMA user_version and every meta value with what hozen creates: an
// object or value changed, added or removed with another tool is a
// [*SchemaError] naming each difference. Statistics tables made by ANALYZE
// are only named in a warning.
//
// It returns a report if all holds. Otherwise the error wraps ErrTampered
// and is (or joins) an [*EventError], [*ChainError], [*HeadError] or
// [*SchemaError] naming what failed; a malformed head is ErrBadHead.
func (l *Ledger) Verify(ctx context.Context, head string) (*Report, error) {
	var want *Checkpoint
	if head != "" {
		c, err := ParseHead(head)
		if err != nil {
			return nil, err
		}
		want = &c
	}
	diffs, warnings, err := l.schemaCheck(ctx, l.db)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	rep, err := l.verifyEvents(ctx, want)
	switch {
	case len(diffs) > 0 && err != nil:
		// Both: the event's failure first (it names what changed), then
		// every schema difference.
		return nil, bothErrors{err, &SchemaError{Diffs: diffs}}
	case len(diffs) > 0:
		return nil, &SchemaError{Diffs: diffs}
	case err != nil:
		return nil, err
	}
	rep.Warnings = append(warnings, rep.Warnings...)
	return rep, nil
}

// bothErrors is an event's failure and the schema's, on one line (a
// message prints as one "hozen: error:" line); errors.Is and errors.As
// see both.
type bothErrors [2]error

func (e bothErrors) Error() string   { return e[0].Error() + "; and " + e[1].Error() }
func (e bothErrors) Unwrap() []error { return e[:] }

// verifyEvents is Verify's walk over the events, the tree and the head.
func (l *Ledger) verifyEvents(ctx context.Context, want *Checkpoint) (*Report, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+eventColumns+`, record FROM main.events ORDER BY ledger, seq`)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	defer rows.Close()
	rep := &Report{Ledger: l.id}
	chains := map[string]*chainState{}
	var order []*chainState
	var cur *chainState
	enc := newEncoder()
	signers := map[string]bool{}
	var e Event
	var rec []byte
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e = Event{}
		at, err := scanEvent(rows, &e, &rec)
		if err != nil {
			// A column changed to NULL or to a value of another type.
			return nil, &EventError{Ledger: e.Ledger, Local: e.Ledger == l.id, Seq: rep.Events + 1, ID: e.ID,
				Reason: fmt.Sprintf("row %d of table events cannot be read as an event (a column holds a value of the wrong type): %v", rep.Events+1, err)}
		}
		if cur == nil || cur.id != e.Ledger {
			cur = &chainState{id: e.Ledger, next: 1, prev: GenesisPrev}
			chains[e.Ledger] = cur
			order = append(order, cur)
		}
		fail := func(format string, args ...any) error {
			return &EventError{Ledger: e.Ledger, Local: e.Ledger == l.id, Seq: e.Seq, ID: e.ID, Reason: fmt.Sprintf(format, args...)}
		}
		switch {
		case e.Seq > cur.next && cur.next == e.Seq-1:
			return nil, fail("event %d before it is missing (deleted)", cur.next)
		case e.Seq > cur.next:
			return nil, fail("events %d to %d before it are missing (deleted)", cur.next, e.Seq-1)
		case e.Seq < cur.next:
			return nil, fail("seq out of order") // cannot happen with the primary key; be safe
		}
		want := enc.encode(e.toRecord(at))
		if !bytes.Equal(want, rec) {
			return nil, fail("%s", recordDiff(rec, want))
		}
		if h := hashHex(rec); h != e.Hash {
			return nil, fail("hash column is %s, its record hashes to %s (record or hash edited)", e.Hash, h)
		}
		if e.Prev != cur.prev {
			if e.Seq == 1 {
				return nil, fail("prev is %s, the first event's must be %s", e.Prev, GenesisPrev)
			}
			return nil, fail("broken link: prev is %s, but event %d before it hashes to %s (event %d was changed and re-hashed, or events were removed or reordered)",
				e.Prev, e.Seq-1, cur.prev, e.Seq-1)
		}
		if _, err := time.Parse(timeFormat, at); err != nil {
			return nil, fail("time %q is not in the ledger's form %s", at, timeFormat)
		}
		if u, err := uuid.Parse(e.ID); err != nil || u.Version() != 7 || u.String() != e.ID {
			return nil, fail("id %q is not a UUIDv7", e.ID)
		}
		if !e.Action.Valid() {
			return nil, fail("unknown action %q", e.Action)
		}
		if at < cur.lastAt {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s is dated %s, before the event it follows (%s): a clock was set back or is wrong",
				(&EventError{Ledger: e.Ledger, Local: e.Ledger == l.id, Seq: e.Seq, ID: e.ID}).where(), at, cur.lastAt))
		}
		if e.Signature != "" {
			pub, err := VerifyEventSignature(&e)
			if err != nil {
				return nil, fail("%v", err)
			}
			rep.Signed++
			signers[ssh.FingerprintSHA256(pub)] = true
		}
		if e.Action == ActionImported {
			cur.anchors = append(cur.anchors, anchor{from: cur, seq: e.Seq, ledger: e.SourceLedger, size: e.SourceSize, root: e.SourceRoot})
		}
		h, _ := decodeHash(e.Hash)
		if err := cur.tree.add(h); err != nil {
			return nil, err
		}
		cur.prev, cur.lastAt, cur.next = e.Hash, at, e.Seq+1
		rep.Events++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	own := chains[l.id]
	if own == nil {
		own = &chainState{id: l.id}
		chains[l.id] = own
	}
	if err := checkAnchors(own, chains, order); err != nil {
		return nil, err
	}
	rep.Checkpoint = own.tree.checkpoint(own.tree.size())
	for _, c := range order {
		if c != own {
			cp := c.tree.checkpoint(c.tree.size())
			rep.Imported = append(rep.Imported, Chain{Ledger: c.id, Size: cp.Size, Root: cp.Root})
		}
	}
	for s := range signers {
		rep.Signers = append(rep.Signers, s)
	}
	sort.Strings(rep.Signers)
	if want != nil {
		if err := own.tree.consistent(*want); err != nil {
			reason := "the ledger does not contain this checkpoint: events recorded before it were changed (" + err.Error() + ")"
			if want.Size > own.tree.size() {
				reason = fmt.Sprintf("the head counts %d events but the ledger holds %d: events were cut from its end, or an older copy of the file was restored",
					want.Size, own.tree.size())
			}
			return nil, &HeadError{Head: *want, Size: own.tree.size(), Reason: reason}
		}
		rep.Head = want
	}
	return rep, nil
}

// checkAnchors checks that every imported chain is reachable from the
// ledger's own chain through "imported" events, that each such event's
// checkpoint is a prefix of the chain held, and that the chain holds no
// more than the largest import accounts for.
func checkAnchors(own *chainState, chains map[string]*chainState, order []*chainState) error {
	reached := map[string]bool{own.id: true}
	most := map[string]int64{}
	queue := []*chainState{own}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, a := range c.anchors {
			by := fmt.Sprintf("imported event %d of ledger %s", a.seq, a.from.id)
			t := chains[a.ledger]
			if t == nil {
				if a.size == 0 {
					continue
				}
				return &ChainError{Ledger: a.ledger, Reason: fmt.Sprintf("%s says it held %d events; none are here (deleted)", by, a.size)}
			}
			if err := t.tree.consistent(Checkpoint{Size: a.size, Root: a.root}); err != nil {
				return &ChainError{Ledger: a.ledger, Reason: fmt.Sprintf("does not match %s (%d events, root %s): %v", by, a.size, a.root, err)}
			}
			if a.size > most[a.ledger] {
				most[a.ledger] = a.size
			}
			if !reached[a.ledger] {
				reached[a.ledger] = true
				queue = append(queue, t)
			}
		}
	}
	for _, c := range order {
		if c == own {
			continue
		}
		if !reached[c.id] {
			return &ChainError{Ledger: c.id, Reason: fmt.Sprintf("%d events that no imported event of this ledger accounts for (inserted by hand?)", c.tree.size())}
		}
		if c.tree.size() > most[c.id] {
			return &ChainError{Ledger: c.id, Reason: fmt.Sprintf("holds %d events, its imports account for %d (events added by hand?)", c.tree.size(), most[c.id])}
		}
	}
	return nil
}

// recordDiff says how a stored record differs from the canonical form of
// its columns: which field, if the record parses.
func recordDiff(stored, want []byte) string {
	var s, w record
	if err := json.Unmarshal(stored, &s); err != nil {
		return "record column is not the event's canonical JSON: " + err.Error()
	}
	if err := json.Unmarshal(want, &w); err != nil {
		return "columns do not encode: " + err.Error()
	}
	sv, wv := reflect.ValueOf(s), reflect.ValueOf(w)
	for i := 0; i < sv.NumField(); i++ {
		if !reflect.DeepEqual(sv.Field(i).Interface(), wv.Field(i).Interface()) {
			name := sv.Type().Field(i).Tag.Get("json")
			return fmt.Sprintf("column %s is %q, the hashed record says %q (edited)", name, fmt.Sprint(wv.Field(i).Interface()), fmt.Sprint(sv.Field(i).Interface()))
		}
	}
	return "record column is not in canonical form (edited)"
}
