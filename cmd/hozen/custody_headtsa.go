package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"time"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/tsa"
)

// headTimestamp is custody head's --tsa and --tsa-out.
type headTimestamp struct {
	urls []string
	out  string
}

// write timestamps the head line's bytes at each TSA and stores the
// replies: --tsa-out (numbered .2, .3 ... for more than one TSA), or
// LEDGER.head-N.tsr beside the ledger.
func (h *headTimestamp) write(ctx context.Context, a *app, ledger string, cp custody.Checkpoint) error {
	if len(h.urls) == 0 {
		if h.out != "" {
			return usageError{cmd: "custody head", err: fmt.Errorf("--tsa-out needs --tsa URL")}
		}
		return nil
	}
	digest := sha256.Sum256([]byte(cp.Text))
	for i, u := range h.urls {
		r, err := tsa.Request(ctx, nil, u, digest[:])
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("head not timestamped: %w", err))
		}
		var p string
		if h.out != "" {
			p = h.out
			if i > 0 {
				p = h.out + "." + strconv.Itoa(i+1)
			}
			err = tsa.WriteNew(p, r.DER)
		} else {
			p, err = tsa.WriteSidecar(ledger+".head-"+strconv.FormatInt(cp.Size, 10), r.DER)
		}
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("storing the head's timestamp: %w", err))
		}
		fmt.Fprintf(a.stdout, "timestamped at %s by %s: %s\n", r.Time.UTC().Format(time.RFC3339Nano), r.Subject(), p)
	}
	return nil
}
