package custody

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkAppend measures appends, each its own durable transaction
// (synchronous=FULL, WAL), as collect and custody record make them.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	l := openTest(b, filepath.Join(b.TempDir(), "custody.db"))
	sha := strings.Repeat("ab", 32)
	b.ReportAllocs()
	for b.Loop() {
		e := Event{Actor: "Alice Examiner", Action: ActionTransferred, CaseID: "CASE-2026-001",
			BundleFile: "CASE-2026-001_web01_20260301T090000Z_0190abcd.tar.zst", BundleSHA256: sha,
			Recipient: "Bob Courier", Location: "evidence room 2", Reason: "to the lab for analysis"}
		if err := l.Append(ctx, &e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// bulkFill appends n events in one transaction: a fast way to build a big
// ledger for benchmarks (the events are the same as Append's).
func bulkFill(tb testing.TB, l *Ledger, n int) {
	tb.Helper()
	ctx := context.Background()
	sha := strings.Repeat("cd", 32)
	err := l.withTx(ctx, func(conn *sql.Conn) error {
		for i := 0; i < n; i++ {
			e := Event{Actor: "Alice Examiner", Action: ActionAccessed, CaseID: "CASE-2026-001",
				BundleFile: "CASE-2026-001_web01_20260301T090000Z_0190abcd.tar.zst", BundleSHA256: sha,
				Location: "lab bench 3", Host: "forensic-ws-07", Reason: fmt.Sprintf("examination step %d", i)}
			if _, err := l.appendConn(ctx, conn, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkVerify100k measures Verify over a ledger of 100,000 events
// (target: under 2 s per op), against a head taken at half.
func BenchmarkVerify100k(b *testing.B) {
	ctx := context.Background()
	l := openTest(b, filepath.Join(b.TempDir(), "custody.db"))
	bulkFill(b, l, 50_000)
	head, err := l.Checkpoint(ctx)
	if err != nil {
		b.Fatal(err)
	}
	bulkFill(b, l, 50_000)
	b.ResetTimer()
	for b.Loop() {
		rep, err := l.Verify(ctx, head.Text)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Events != 100_000 {
			b.Fatalf("%d events", rep.Events)
		}
	}
}

// BenchmarkCheckpoint100k measures the checkpoint collect takes when it
// seals a bundle, on a ledger of 100,000 events.
func BenchmarkCheckpoint100k(b *testing.B) {
	ctx := context.Background()
	l := openTest(b, filepath.Join(b.TempDir(), "custody.db"))
	bulkFill(b, l, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := l.Checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
