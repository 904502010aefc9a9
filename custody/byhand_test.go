package custody

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckByHand(t *testing.T) {
	ok := func() Event {
		return Event{Action: ActionTransferred, Actor: "Alice", Reason: "to the lab", Recipient: "Bob"}
	}
	cases := []struct {
		name  string
		edit  func(*Event)
		field string // "" for no error
		want  string // in the error
	}{
		{"transfer", func(*Event) {}, "", ""},
		{"note without recipient", func(e *Event) { e.Action, e.Recipient = ActionNote, "" }, "", ""},
		{"collected", func(e *Event) { e.Action = ActionCollected }, "action", "collected is recorded by hozen collect"},
		{"sealed", func(e *Event) { e.Action = ActionSealed }, "action", "sealed is recorded by hozen collect"},
		{"imported", func(e *Event) { e.Action = ActionImported }, "action", "recorded by hozen custody import"},
		{"unknown", func(e *Event) { e.Action = "stolen" }, "action", `"stolen": want transferred, received, accessed, extracted, exported, verified or note`},
		{"empty action", func(e *Event) { e.Action = "" }, "action", `"": want transferred`},
		{"no actor", func(e *Event) { e.Actor = " \t" }, "actor", "say who acts"},
		{"no reason", func(e *Event) { e.Reason = "" }, "reason", "say why"},
		{"transfer to nobody", func(e *Event) { e.Recipient = " " }, "recipient", "who receives custody"},
		{"NUL in location", func(e *Event) { e.Location = "room\x002" }, "event", "location holds a NUL byte"},
		{"bad UTF-8 actor", func(e *Event) { e.Actor = "Al\xffice" }, "event", "actor is not valid UTF-8"},
		{"short sha256", func(e *Event) { e.BundleSHA256 = "abc" }, "event", "bundle sha256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := ok()
			c.edit(&e)
			err := CheckByHand(&e)
			if c.field == "" {
				if err != nil {
					t.Fatalf("CheckByHand: %v", err)
				}
				return
			}
			var he *ByHandError
			if !errors.As(err, &he) {
				t.Fatalf("CheckByHand: %v (%T), want a *ByHandError", err, err)
			}
			if he.Field != c.field || !strings.Contains(err.Error(), c.want) {
				t.Errorf("CheckByHand: field %q, %q; want field %q and %q", he.Field, err, c.field, c.want)
			}
			if !errors.Is(err, ErrInvalidEvent) {
				t.Errorf("%v does not wrap ErrInvalidEvent", err)
			}
		})
	}
}

// Every event CheckByHand passes, Append takes; every action it refuses
// is one hozen records by itself.
func TestCheckByHandAgreesWithAppend(t *testing.T) {
	l := openTest(t, filepath.Join(t.TempDir(), "custody.db"))
	for _, a := range Actions {
		e := Event{Action: a, Actor: "Alice", Reason: "r", Recipient: "Bob"}
		err := CheckByHand(&e)
		byHand := false
		for _, b := range ByHandActions {
			byHand = byHand || a == b
		}
		if byHand != (err == nil) {
			t.Errorf("action %s: CheckByHand says %v, ByHandActions lists it: %v", a, err, byHand)
		}
		if err == nil {
			if err := l.Append(context.Background(), &e); err != nil {
				t.Errorf("action %s passed CheckByHand, Append refuses it: %v", a, err)
			}
		}
	}
}

func TestFillBundle(t *testing.T) {
	ctx := context.Background()
	l := openTest(t, filepath.Join(t.TempDir(), "custody.db"))
	const sum = "de4d439288c629d5239a17be8a12cb9d916d68a7f110aec506c01db5860d0973"
	const other = "1111111111111111111111111111111111111111111111111111111111111111"
	// The collected event names the bundle id only; the sealed one adds
	// the file's digest.
	for _, e := range []Event{
		{Action: ActionCollected, Actor: "ana", CaseID: "C-1", BundleID: "B-1"},
		{Action: ActionSealed, Actor: "ana", CaseID: "C-1", BundleID: "B-1", BundleFile: "b.tar.zst", BundleSHA256: sum},
		{Action: ActionSealed, Actor: "ana", CaseID: "C-2", BundleID: "B-2", BundleFile: "o.tar.zst", BundleSHA256: other},
	} {
		if err := l.Append(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}

	e := Event{Action: ActionReceived, Actor: "bob", Reason: "r", BundleFile: "b.tar.zst", BundleSHA256: sum}
	warns, err := l.FillBundle(ctx, &e)
	if err != nil {
		t.Fatal(err)
	}
	if e.BundleID != "B-1" || e.CaseID != "C-1" || len(warns) != 0 {
		t.Errorf("filled bundle %q case %q, warnings %q; want B-1, C-1, none", e.BundleID, e.CaseID, warns)
	}

	// A case id given that the ledger recorded otherwise stays, with a warning.
	e = Event{Action: ActionReceived, Actor: "bob", Reason: "r", CaseID: "C-9", BundleFile: "b.tar.zst", BundleSHA256: sum}
	if warns, err = l.FillBundle(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if e.CaseID != "C-9" || e.BundleID != "B-1" || len(warns) != 1 || !strings.Contains(warns[0], `recorded under case "C-1", this event says "C-9"`) {
		t.Errorf("case %q bundle %q warnings %q", e.CaseID, e.BundleID, warns)
	}

	// A file the ledger never saw: nothing filled, a warning.
	unknown := strings.Repeat("2", 64)
	e = Event{Action: ActionReceived, Actor: "bob", Reason: "r", BundleFile: "x.tar.zst", BundleSHA256: unknown}
	if warns, err = l.FillBundle(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if e.CaseID != "" || e.BundleID != "" || len(warns) != 1 || !strings.Contains(warns[0], "no earlier event of bundle x.tar.zst (sha256 "+unknown+")") {
		t.Errorf("case %q bundle %q warnings %q", e.CaseID, e.BundleID, warns)
	}
}
