package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/diff"
	"github.com/hozen-dfir/hozen/manifest"
)

// diffFlags are the flags of diff, and of report --diff.
type diffFlags struct {
	allowTampered  bool
	allowOtherHost bool
}

func (f *diffFlags) add(c *cobra.Command) {
	c.Flags().BoolVar(&f.allowTampered, "allow-tampered", false, "compare a bundle that is tampered or untrusted anyway; every line of output says so")
	c.Flags().BoolVar(&f.allowOtherHost, "allow-other-host", false, "compare bundles of two different hosts (machine-id, else hostname)")
}

func newDiffCmd(a *app) *cobra.Command {
	var f diffFlags
	var ids identityFlags
	var trust trustFlags
	var jsonOut bool
	c := &cobra.Command{
		Use:   "diff OLD NEW [--json] [--allow-tampered] [--allow-other-host]",
		Short: "compare two collections of one host: what started, stopped and changed",
		Long: `diff verifies two bundles of one host and prints what changed between them:
processes (matched by executable hash, command line and start time, never by
pid alone), listening sockets and connections, users and groups, logins,
files added, removed and changed (by SHA-256), kernel modules and findings.
Each section lists "+" new, "-" gone and "~" changed, with its counts.
--json prints the same as one JSON document (schema "hozen-diff/1").

A bundle that is tampered or untrusted is refused, unless --allow-tampered:
then every line of output starts with [TAMPERED INPUT] (with --json, every
entry carries "tampered_input": true). Two bundles of different hosts are
refused unless --allow-other-host. An incomplete bundle is compared as far
as it verified, and the output says so at its top.

Exit codes: 0 both intact (whatever changed); 1 a tampered or untrusted
input (refused, or compared with --allow-tampered) or two hosts refused;
2 usage or I/O error (a file that is not a bundle); 3 an input is
incomplete (compared as far as it verified).`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			t, err := trust.load(a, "diff")
			if err != nil {
				return err
			}
			r, code, err := readDiff(a, args[0], args[1], ids, t, f)
			if err != nil || r == nil {
				return err
			}
			if jsonOut {
				err = diff.WriteJSON(a.stdout, r)
			} else {
				err = diff.WriteText(a.stdout, r)
			}
			if err != nil {
				return withCode(exitUsage, err)
			}
			return silentErrorOf(code)
		},
	}
	c.Flags().BoolVar(&jsonOut, "json", false, "print the comparison as JSON (schema hozen-diff/1)")
	f.add(c)
	ids.add(c)
	trust.add(c, "the signer of each bundle")
	return c
}

// readDiff reads and compares two bundles, refusing (a nil result) what the
// flags do not allow; code is the exit code the comparison ends with.
func readDiff(a *app, oldPath, newPath string, ids identityFlags, trust manifest.Trust, f diffFlags) (*diff.Result, int, error) {
	var snaps [2]*diff.Snapshot
	for i, p := range []string{oldPath, newPath} {
		s, err := readSnapshot(a, p, ids, trust)
		if err != nil {
			return nil, 0, err
		}
		snaps[i] = s
	}
	return compareSnapshots(a, [2]string{oldPath, newPath}, snaps, f)
}

// readSnapshot opens and verifies the bundle at p for a comparison.
func readSnapshot(a *app, p string, ids identityFlags, trust manifest.Trust) (*diff.Snapshot, error) {
	bf, err := openBundle(a, p, ids)
	if err != nil {
		return nil, err
	}
	s, err := diff.Read(bf, diff.Options{Trust: trust})
	bf.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return s, nil
}

// compareSnapshots compares the snapshots of the bundles at paths (OLD,
// NEW) by the flags' rules, as readDiff says.
func compareSnapshots(a *app, paths [2]string, snaps [2]*diff.Snapshot, f diffFlags) (*diff.Result, int, error) {
	oldPath, newPath := paths[0], paths[1]
	code := exitOK
	for i, p := range paths {
		s := snaps[i]
		switch s.Status {
		case bundle.StatusTampered, bundle.StatusUntrusted:
			code = exitFailed
			if !f.allowTampered {
				a.errorf("%s is %s: %s", p, s.Status, s.Reason)
				a.hintf("run 'hozen verify %s'; --allow-tampered compares it anyway, with every line of output marked", p)
				return nil, 0, silentError{exitFailed}
			}
			a.errorf("%s is %s: %s; comparing it anyway (--allow-tampered), every line of output is marked", p, s.Status, s.Reason)
		case bundle.StatusIncomplete:
			if code == exitOK {
				code = exitIncomplete
			}
			a.warnf("%s is incomplete: %s; only its %d records that verified are compared", p, s.Reason, s.Records)
		}
	}
	r := diff.Compare(snaps[0], snaps[1])
	if r.OtherHost {
		if !f.allowOtherHost {
			a.errorf("%s and %s are not of one host: %s", oldPath, newPath, r.HostNote)
			a.hintf("--allow-other-host compares them anyway")
			return nil, 0, silentError{exitFailed}
		}
		a.warnf("%s and %s are not of one host: %s; comparing anyway (--allow-other-host)", oldPath, newPath, r.HostNote)
	}
	return r, code, nil
}
