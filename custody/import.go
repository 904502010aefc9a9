package custody

import (
	"context"
	"database/sql"
	"fmt"
)

// ImportResult says what [Ledger.Import] folded in.
type ImportResult struct {
	Event  Event // the "imported" event recorded in this ledger
	Chains int   // chains the other ledger held (its own and those it had imported)
	New    int64 // events new to this ledger
}

// Import folds the events of other (such as the ledger on a responder's
// USB stick) into l, and records an "imported" event with the actor,
// reason and other fields of e.
//
// Imported events keep their own chain (their ledger id, seq, prev and
// hash), so they stay verifiable against the ledger that recorded them, and
// the "imported" event anchors that chain in l's own: it holds the other
// ledger's id, size and Merkle root. Importing the same ledger again later
// adds only the events recorded since, after checking that the ones held
// already are a prefix of it.
//
// other must verify ([ErrTampered] otherwise), and it must agree with what l
// already holds of the same chains ([ErrDiverged] otherwise).
func (l *Ledger) Import(ctx context.Context, other *Ledger, e Event) (*ImportResult, error) {
	if other.id == l.id {
		return nil, fmt.Errorf("%s is a copy of ledger %s (same ledger id %s): nothing to import", other.path, l.path, l.id)
	}
	rep, err := other.Verify(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", other.path, err)
	}
	theirs, err := other.chains(ctx)
	if err != nil {
		return nil, err
	}
	e.Action = ActionImported
	e.SourceLedger = other.id
	e.SourceSize = rep.Checkpoint.Size
	e.SourceRoot = rep.Checkpoint.Root
	if err := e.check(); err != nil {
		return nil, err
	}
	res := &ImportResult{Chains: len(theirs)}
	err = l.writeTx(ctx, func(conn *sql.Conn) error {
		for _, ch := range theirs {
			ours, err := chainHashes(ctx, conn, ch.id)
			if err != nil {
				return err
			}
			for i := 0; i < len(ours) && i < len(ch.events); i++ {
				if ours[i] != ch.events[i].Hash {
					return fmt.Errorf("%w: event %d of chain %s is %s in %s but %s in %s",
						ErrDiverged, i+1, ch.id, ch.events[i].Hash, other.path, ours[i], l.path)
				}
			}
			if ch.id == l.id {
				if len(ch.events) > len(ours) {
					return fmt.Errorf("%w: %s continues this ledger's own chain past event %d: it is a copy of %s that was appended to",
						ErrDiverged, other.path, len(ours), l.path)
				}
				continue
			}
			for i := len(ours); i < len(ch.events); i++ {
				ev := ch.events[i]
				want := ev.Hash
				if err := insert(ctx, conn, &ev); err != nil {
					return err
				}
				if ev.Hash != want {
					return fmt.Errorf("event %d of chain %s re-encodes to hash %s, not %s", ev.Seq, ch.id, ev.Hash, want)
				}
				res.New++
			}
		}
		var err error
		res.Event, err = l.appendConn(ctx, conn, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger %s: import %s: %w", l.path, other.path, err)
	}
	return res, nil
}

type heldChain struct {
	id     string
	events []Event
}

// chains returns every event the ledger holds, chain by chain, in seq order.
func (l *Ledger) chains(ctx context.Context) ([]heldChain, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM events ORDER BY ledger, seq`)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	defer rows.Close()
	var out []heldChain
	for rows.Next() {
		var e Event
		if _, err := scanEvent(rows, &e); err != nil {
			return nil, fmt.Errorf("ledger %s: %w", l.path, err)
		}
		if len(out) == 0 || out[len(out)-1].id != e.Ledger {
			out = append(out, heldChain{id: e.Ledger})
		}
		c := &out[len(out)-1]
		c.events = append(c.events, e)
	}
	return out, rows.Err()
}

func chainHashes(ctx context.Context, conn *sql.Conn, id string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT hash FROM events WHERE ledger = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
