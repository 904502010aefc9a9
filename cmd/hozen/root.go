package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "hozen",
		Short: "preserve evidence from a suspect host in a sealed, signed bundle",
		Long: `hozen snapshots a host's volatile state and files into one compressed,
hash-chained, signed bundle, and records who collected what in a
chain-of-custody ledger. Investigators verify and read the bundle later.

Exit codes: 0 ok/intact, 1 tampered or failed check, 2 usage or I/O error,
3 incomplete, 130 interrupted.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{cmd: c.Name(), err: err}
	})
	root.AddCommand(
		newVersionCmd(a),
	)
	addCommands(a, root)
	return root
}

// exactArgs is cobra.ExactArgs whose error is a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(c, args); err != nil {
			return usageError{cmd: c.Name(), err: err}
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs whose error is a usage error.
func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.MinimumNArgs(n)(c, args); err != nil {
			return usageError{cmd: c.Name(), err: err}
		}
		return nil
	}
}
