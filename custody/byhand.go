package custody

import (
	"context"
	"fmt"
	"strings"
)

// ByHandActions are the actions a person records by hand; hozen records
// the others itself (collected and sealed when it collects, imported when
// it imports a ledger).
var ByHandActions = []Action{
	ActionTransferred, ActionReceived, ActionAccessed, ActionExtracted,
	ActionExported, ActionVerified, ActionNote,
}

// ByHandError says why an event cannot be recorded by hand. It wraps
// [ErrInvalidEvent].
type ByHandError struct {
	// Field is the field at fault: "action", "actor", "reason" or
	// "recipient", or another field [Ledger.Append] checks.
	Field  string
	Reason string
}

func (e *ByHandError) Error() string { return e.Field + " " + e.Reason }

func (e *ByHandError) Unwrap() error { return ErrInvalidEvent }

// CheckByHand checks an event a person records (a transfer, a receipt, a
// note), before any ledger is opened or created: an action a person may
// record, who acts and why, a recipient for a transfer, and every field
// [Ledger.Append] would refuse.
func CheckByHand(e *Event) error {
	switch e.Action {
	case ActionCollected, ActionSealed:
		return &ByHandError{"action", string(e.Action) + " is recorded by hozen collect, not by hand"}
	case ActionImported:
		return &ByHandError{"action", "imported is recorded by hozen custody import"}
	case ActionTimestamped:
		return &ByHandError{"action", "timestamped is recorded by hozen timestamp and collect --tsa"}
	case ActionStored:
		return &ByHandError{"action", "stored is recorded by hozen push"}
	}
	if !e.Action.Valid() {
		want := make([]string, len(ByHandActions))
		for i, a := range ByHandActions {
			want[i] = string(a)
		}
		list := strings.Join(want[:len(want)-1], ", ") + " or " + want[len(want)-1]
		return &ByHandError{"action", fmt.Sprintf("%q: want %s", string(e.Action), list)}
	}
	if strings.TrimSpace(e.Actor) == "" {
		return &ByHandError{"actor", "is required: say who acts"}
	}
	if strings.TrimSpace(e.Reason) == "" {
		return &ByHandError{"reason", "is required: say why"}
	}
	if e.Action == ActionTransferred && strings.TrimSpace(e.Recipient) == "" {
		return &ByHandError{"recipient", "is required: a transfer says who receives custody"}
	}
	if err := e.check(); err != nil {
		return &ByHandError{"event", strings.TrimPrefix(err.Error(), ErrInvalidEvent.Error()+": ")}
	}
	return nil
}

// FillBundle completes an event that names a bundle file only by its
// SHA-256 (e.BundleSHA256): it takes the bundle id, and the case id if e
// has none, from the ledger's earlier events of the same file. It returns
// warnings for people: when the ledger knows no earlier event of the
// file, or recorded it under another case than e says.
func (l *Ledger) FillBundle(ctx context.Context, e *Event) (warnings []string, err error) {
	evs, err := l.Events(ctx, Filter{BundleSHA256: e.BundleSHA256})
	if err != nil {
		return nil, err
	}
	return FillBundleFrom(e, evs), nil
}

// FillBundleFrom is [Ledger.FillBundle] from the events of the file
// already read (Filter{BundleSHA256: e.BundleSHA256}).
func FillBundleFrom(e *Event, evs []Event) (warnings []string) {
	for _, p := range evs {
		if e.BundleID == "" && p.BundleID != "" {
			e.BundleID = p.BundleID
		}
		if p.CaseID == "" {
			continue
		}
		if e.CaseID == "" {
			e.CaseID = p.CaseID
		} else if e.CaseID != p.CaseID {
			warnings = append(warnings, fmt.Sprintf("bundle %s was recorded under case %q, this event says %q", e.BundleFile, p.CaseID, e.CaseID))
			break
		}
	}
	if len(evs) == 0 {
		warnings = append(warnings, fmt.Sprintf("the ledger has no earlier event of bundle %s (sha256 %s)", e.BundleFile, e.BundleSHA256))
	}
	return warnings
}
