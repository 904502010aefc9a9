package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/custody"
)

func newCustodyHeadCmd(a *app, ledger *string) *cobra.Command {
	var hs headSigning
	var ts headTimestamp
	c := &cobra.Command{
		Use:   "head",
		Short: "print the ledger's current checkpoint; the last line is the head value",
		Long: `head verifies the ledger and prints its checkpoint: the number of events and
their Merkle root. The last line is one value that 'hozen custody verify
--head' accepts as is: write it on the custody form, or send it on.

To sign it (namespace hozen-custody-head): --key KEY --signature FILE, or
  printf %s "$(hozen custody head | tail -n 1)" | ssh-keygen -Y sign -f KEY -n hozen-custody-head
To timestamp it: --tsa URL asks that RFC 3161 time-stamping authority for a
token over the SHA-256 of the head line's bytes (the last line, without its
newline) and stores the reply as --tsa-out FILE, or beside the ledger as
LEDGER.head-N.tsr (N events). openssl checks it alone (docs/format.md,
"Timestamps").

'custody verify --head VALUE --head-signature FILE' checks it.`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			l, err := openLedger(ctx, *ledger)
			if err != nil {
				return err
			}
			defer l.Close()
			rep, err := verifyForRead(ctx, a, l)
			if err != nil {
				return err
			}
			cp := rep.Checkpoint
			fmt.Fprintf(a.stdout, "ledger %s\nid     %s\nevents %d\nroot   %s\n", *ledger, l.ID(), cp.Size, cp.Root)
			if cp.Size > 0 {
				evs, err := l.Events(ctx, custody.Filter{})
				if err != nil {
					return custodyError(err)
				}
				for i := len(evs) - 1; i >= 0; i-- {
					if e := evs[i]; e.Ledger == l.ID() && e.Seq == cp.Size {
						fmt.Fprintf(a.stdout, "last   event %d, %s, %s by %s\n", e.Seq, custody.FormatTime(e.At), e.Action, e.Actor)
						break
					}
				}
			}
			if err := hs.write(a, cp); err != nil {
				return err
			}
			if err := ts.write(ctx, a, *ledger, cp); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, cp.Text)
			return nil
		},
	}
	hs.sign.add(c, "the head")
	c.Flags().StringArrayVar(&ts.urls, "tsa", nil, "have the RFC 3161 time-stamping authority at `URL` timestamp the head line (repeatable)")
	c.Flags().StringVar(&ts.out, "tsa-out", "", "store the timestamp reply in `FILE` (default: LEDGER.head-N.tsr beside the ledger)")
	c.Flags().StringVar(&hs.out, "signature", "", "write the head's SSHSIG signature (namespace hozen-custody-head) to `FILE`")
	return c
}
