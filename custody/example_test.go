package custody_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hozen-dfir/hozen/custody"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "custody")
	defer os.RemoveAll(dir)
	clock := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }

	l, err := custody.Open(ctx, filepath.Join(dir, "custody.db"), custody.Options{Now: clock})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	e := &custody.Event{
		Actor: "Alice Examiner", Action: custody.ActionTransferred, Recipient: "Bob Courier",
		CaseID: "CASE-7", Reason: "to the lab",
	}
	if err := l.Append(ctx, e); err != nil {
		panic(err)
	}
	head, _ := l.Checkpoint(ctx) // write head.Text on the custody form

	rep, err := l.Verify(ctx, head.Text)
	fmt.Println(e.Seq, e.At, err, rep.Checkpoint.Size)
	// Output: 1 2026-03-01 09:00:00 +0000 UTC <nil> 1
}
