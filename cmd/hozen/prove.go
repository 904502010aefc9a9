package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
)

func newProveCmd(a *app) *cobra.Command {
	var out string
	var seq int64
	var ids identityFlags
	var trust trustFlags
	c := &cobra.Command{
		Use:   "prove BUNDLE PATH -o FILE",
		Short: "disclose one artifact with a proof that it belongs to the signed bundle",
		Long: `prove writes to FILE one artifact of a bundle without the rest: its bytes,
its record, bundle.json, the signed manifest and its signature, and the
RFC 6962 inclusion proof of the record under the manifest's Merkle root.
'hozen verify-proof FILE' (or 'hozen verify FILE') checks it offline;
docs/format.md ("Proofs") shows how to check it with standard tools.

The bundle is verified whole first: a bundle that is not intact (or, with
--pubkey or --allowed-signers, not sealed by a trusted key) is not proven
(exit 1; 3 if incomplete). PATH is an artifact path as 'hozen ls' shows it;
when several records have it, --seq picks one. A proof of an encrypted
bundle's artifact is plaintext.`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usageError{cmd: "prove", err: errors.New("give the proof's file with -o FILE")}
			}
			t, err := trust.load(a, "prove")
			if err != nil {
				return err
			}
			return runProve(a, args[0], bundle.ProveOptions{Path: args[1], Seq: seq, Trust: t}, out, ids)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "write the proof to `FILE`")
	c.Flags().Int64Var(&seq, "seq", 0, "prove record `N` (when several records have PATH)")
	ids.add(c)
	trust.add(c, "the signer")
	return c
}

func runProve(a *app, path string, opts bundle.ProveOptions, out string, ids identityFlags) error {
	bf, err := openBundle(a, path, ids)
	if err != nil {
		return err
	}
	defer bf.Close()
	var proved *bundle.Proved
	err = writeFileAtomic(out, func(w io.Writer) error {
		proved, err = bundle.Prove(bf, w, opts)
		return err
	})
	var ni *bundle.NotIntactError
	var nf *bundle.PathNotFoundError
	var amb *bundle.AmbiguousPathError
	switch {
	case errors.As(err, &ni):
		a.errorf("%s is %s: %v; only an intact bundle is proven", path, ni.Res.Status(), ni.Res.Err)
		a.hintf("run 'hozen verify %s' for the full report", path)
		return silentErrorOf(exitFor(ni.Res.Status()))
	case errors.As(err, &nf):
		a.errorf("%s: %v", path, nf)
		a.hintf("'hozen ls %s' lists its artifact paths", path)
		return silentError{exitUsage}
	case errors.As(err, &amb):
		a.errorf("%s: %v", path, amb)
		a.hintf("add --seq %d or --seq %d", amb.Seqs[0], amb.Seqs[1])
		return silentError{exitUsage}
	case err != nil:
		return withCode(exitUsage, err)
	}
	if bf.Encrypted {
		a.warnf("%s is a plaintext proof: it discloses %s, which %s keeps encrypted", out, displayPath(opts.Path), path)
	}
	p := proved.Proof
	fmt.Fprintf(a.stdout, "%s: proof of %s, record %d of bundle %s (%d records, Merkle root %s)\n", out, displayPath(string(p.Path)), p.Seq, p.BundleID, p.TreeSize, p.MerkleRoot)
	return nil
}
