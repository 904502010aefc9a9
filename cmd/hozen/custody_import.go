package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/custody"
)

func newCustodyImportCmd(a *app, ledger *string) *cobra.Command {
	var e custody.Event
	var sign signingFlags
	c := &cobra.Command{
		Use:   "import OTHER.db --actor NAME [--reason TEXT]",
		Short: "fold the events of another ledger (a responder's stick) into this one",
		Long: `import checks OTHER.db and copies its events into the ledger, where they keep
their own chain and stay verifiable against it, and records an 'imported'
event that holds OTHER.db's id, size and Merkle root. Importing the same
ledger again later adds only its new events. OTHER.db is only read.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			if strings.TrimSpace(e.Actor) == "" {
				return usageOf(c, errors.New("--actor is required: say who imports"))
			}
			if e.Reason == "" {
				e.Reason = "imported " + filepath.Base(args[0])
			}
			other, err := openLedger(ctx, args[0])
			if err != nil {
				return err
			}
			defer other.Close()
			// Check the other ledger before creating or locking this one, so
			// that a refused import leaves nothing behind.
			if _, err := other.Verify(ctx, ""); err != nil {
				if errors.Is(err, custody.ErrTampered) {
					return withCode(exitFailed, fmt.Errorf("%s: tampered, nothing imported: %w", args[0], err))
				}
				return custodyError(err)
			}
			l, _, err := sign.openForRecording(ctx, a, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := l.Import(ctx, other, e)
			if err != nil {
				return custodyError(err)
			}
			cp, err := l.Checkpoint(ctx)
			if err != nil {
				return custodyError(err)
			}
			fmt.Fprintf(a.stdout, "imported %d new events from %s (ledger %s, %d events, root %s)\nrecorded event %d: imported by %s\n%s\n",
				res.New, args[0], res.Event.SourceLedger, res.Event.SourceSize, res.Event.SourceRoot, res.Event.Seq, res.Event.Actor, cp.Text)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&e.Actor, "actor", "", "who imports (`NAME`)")
	f.StringVar(&e.Reason, "reason", "", "why (`TEXT`; default: imported OTHER.db)")
	f.StringVar(&e.Location, "location", "", "where (`WHERE`)")
	host, _ := os.Hostname()
	f.StringVar(&e.Host, "host", host, "the machine where it happens")
	sign.add(c, "the event")
	return c
}
