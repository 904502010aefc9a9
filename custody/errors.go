package custody

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. The typed errors below wrap one of them, so callers test
// the kind with errors.Is and read the evidence with errors.As.
var (
	// ErrTampered means an event's hash, its link to the event before, the
	// Merkle tree or a checkpoint does not hold.
	ErrTampered = errors.New("tampered")
	// ErrNotLedger means the file is not a hozen custody ledger.
	ErrNotLedger = errors.New("not a hozen custody ledger")
	// ErrNoLedger means the ledger file does not exist and Options.NoCreate was set.
	ErrNoLedger = errors.New("no custody ledger")
	// ErrNewerSchema means the ledger was written by a newer hozen.
	ErrNewerSchema = errors.New("ledger schema is newer than this hozen")
	// ErrInvalidEvent means an event given to Append lacks a required field
	// or holds a value that cannot be recorded exactly.
	ErrInvalidEvent = errors.New("invalid event")
	// ErrBadHead means a head value does not parse.
	ErrBadHead = errors.New("malformed custody head")
	// ErrDiverged means an imported ledger disagrees with the events of the
	// same chain already held: one of the two was rewritten, or forked.
	ErrDiverged = errors.New("ledgers diverge")
)

// EventError says which event failed a check, and why. It wraps ErrTampered.
type EventError struct {
	Ledger string // id of the chain the event belongs to
	Local  bool   // the chain is this ledger's own (not imported)
	Seq    int64
	ID     string // the event's id as stored; may itself be altered
	Reason string
}

func (e *EventError) Error() string { return e.where() + ": " + e.Reason }

// where names the event: "event 5 (id)", or "imported event LEDGER/5 (id)".
func (e *EventError) where() string {
	w := fmt.Sprintf("event %d", e.Seq)
	if !e.Local && e.Ledger != "" {
		w = fmt.Sprintf("imported event %s/%d", e.Ledger, e.Seq)
	}
	if e.ID != "" {
		w += " (" + e.ID + ")"
	}
	return w
}

// Unwrap lets errors.Is(err, ErrTampered) hold.
func (e *EventError) Unwrap() error { return ErrTampered }

// HeadError says that the ledger does not contain a checkpoint taken
// earlier: events were cut from its tail, changed, or an older copy of the
// file was restored. It wraps ErrTampered.
type HeadError struct {
	Head   Checkpoint // the checkpoint that was given
	Size   int64      // events the ledger holds now
	Reason string
}

func (e *HeadError) Error() string {
	return fmt.Sprintf("head %s: %s", e.Head.Text, e.Reason)
}

// Unwrap lets errors.Is(err, ErrTampered) hold.
func (e *HeadError) Unwrap() error { return ErrTampered }

// ChainError says that a chain of imported events is not anchored in this
// ledger, or disagrees with the checkpoint its import recorded. It wraps
// ErrTampered.
type ChainError struct {
	Ledger string // id of the imported chain
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("imported ledger %s: %s", e.Ledger, e.Reason)
}

// Unwrap lets errors.Is(err, ErrTampered) hold.
func (e *ChainError) Unwrap() error { return ErrTampered }

// SchemaError says that the ledger's schema objects (tables, columns,
// indexes, triggers, views) or its meta values are not those hozen
// creates: the file was changed with another tool. Each difference is one
// line of Diffs. It wraps ErrTampered.
type SchemaError struct {
	Diffs []string
}

func (e *SchemaError) Error() string {
	return "schema is not hozen's: " + strings.Join(e.Diffs, "; ")
}

// Unwrap lets errors.Is(err, ErrTampered) hold.
func (e *SchemaError) Unwrap() error { return ErrTampered }

// WriteError says that an append did not leave the ledger holding exactly
// the row hozen wrote: a row was dropped, changed or added under it (by a
// trigger, or anything else in the file). Nothing was recorded. It wraps
// ErrTampered.
type WriteError struct {
	Seq    int64 // the event that was being written
	Reason string
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("event %d was not recorded: %s", e.Seq, e.Reason)
}

// Unwrap lets errors.Is(err, ErrTampered) hold.
func (e *WriteError) Unwrap() error { return ErrTampered }
