package custody

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWriteHTML: the custody form groups events by case and bundle, shows
// the head to copy onto paper, escapes what people typed, fetches nothing,
// and says so loudly when the ledger does not verify.
func TestWriteHTML(t *testing.T) {
	ctx := context.Background()
	l := openTest(t, filepath.Join(t.TempDir(), "custody.db"))
	sum := strings.Repeat("ab", 32)
	for _, e := range []Event{
		{Actor: "Ana", Action: ActionCollected, CaseID: "CASE-7", BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", Host: "web-01", Reason: "triage"},
		{Actor: "Ana", Action: ActionSealed, CaseID: "CASE-7", BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", BundleFile: "b.tar.zst", BundleSHA256: sum, Host: "web-01", Reason: "sealed"},
		{Actor: "Ana", Action: ActionTransferred, CaseID: "CASE-7", BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", BundleSHA256: sum, Recipient: "Bob <Courier>", Location: "bag #12", Reason: `sealed bag, "tamper tape" <script>x</script>`},
		{Actor: "Eve", Action: ActionNote, CaseID: "CASE-8", Reason: "another case"},
	} {
		if err := l.Append(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := l.Verify(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := l.Events(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	now := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	if err := WriteHTML(&buf, HTMLForm{Ledger: l.ID(), Path: "custody.db", Checkpoint: rep.Checkpoint, Now: now}, evs); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	for _, want := range []string{
		"Chain of custody record", rep.Checkpoint.Text, "the ledger's hash chain verified",
		"<h2>Case CASE-7</h2>", "<h2>Case CASE-8</h2>", "Bundle b.tar.zst", sum,
		"Bob &lt;Courier&gt;", "&lt;script&gt;x&lt;/script&gt;", "Received by (name, signature, date)",
		"default-src &#39;none&#39;", "2026-04-01 12:00:00Z", evs[2].Hash,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	if strings.Contains(h, "<script") {
		t.Error("a script element in the form")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).FindString(h); m != "" {
		t.Errorf("a reference outside the file: %s", m)
	}
	// Events of one bundle stay together, in order.
	if i, j := strings.Index(h, "<b>collected</b>"), strings.Index(h, "<b>transferred</b>"); i < 0 || j < i {
		t.Error("bundle events out of order")
	}

	buf.Reset()
	if err := WriteHTML(&buf, HTMLForm{Ledger: l.ID(), Path: "custody.db", VerifyError: errors.New("event 2: hash differs"), Now: now}, evs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "THE LEDGER DOES NOT VERIFY: event 2: hash differs") {
		t.Error("a ledger that does not verify is not flagged")
	}
}
