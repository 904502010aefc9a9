package main

import (
	"strings"

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
		return usageOf(c, err)
	})
	root.AddCommand(
		newVersionCmd(a),
	)
	addCommands(a, root)
	addCompletions(root)
	return root
}

// exactArgs is cobra.ExactArgs whose error is a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(c, args); err != nil {
			return usageOf(c, err)
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs whose error is a usage error.
func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.MinimumNArgs(n)(c, args); err != nil {
			return usageOf(c, err)
		}
		return nil
	}
}

// usageOf is a usage error of command c, named by its whole path: the
// hint for 'hozen custody record' is not 'hozen record --help'.
func usageOf(c *cobra.Command, err error) usageError {
	path := c.CommandPath()
	if c.HasParent() {
		path = strings.TrimPrefix(path, c.Root().Name()+" ")
	} else {
		path = ""
	}
	return usageError{cmd: path, err: err}
}
