package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/manifest"
	"github.com/hozen-dfir/hozen/store"
)

type verifyOptions struct {
	trust         trustFlags
	ledger, actor string
	jsonOut       bool
	ids           identityFlags
	tsa           tsaVerifyFlags
	sf            storeFlags
}

func newVerifyCmd(a *app) *cobra.Command {
	o := &verifyOptions{}
	c := &cobra.Command{
		Use:   "verify BUNDLE|s3://BUCKET/KEY|sftp://USER@HOST[:PORT]/PATH...",
		Short: "check that bundles are intact: every hash, link, the seal and the signature",
		Long: `verify reads each bundle to its end and checks every frame, tar header,
artifact digest, record link, the manifest, the Merkle root, SHA256SUMS and
the signature. A proof that 'hozen prove' wrote is checked as 'hozen verify-proof' checks
it. It goes on past a fault wherever the stream still parses
and lists every faulty artifact (up to 100) with the kind of fault, and
says whether the signature holds, or why it was not checked.
A file that is not a hozen bundle at all is an error (exit 2).

Without --pubkey or --allowed-signers it can only show that a bundle is
consistent with itself: anyone could build a consistent bundle. With a
trusted key, an unsigned bundle or another signer fails.

An allowed_signers file is judged as 'ssh-keygen -Y verify -n hozen-bundle'
judges it: the line must list the key, allow the namespace (namespaces=) and
the time (valid-after=, valid-before=; now, or --verify-time), and with
--principal NAME (ssh-keygen's -I) list NAME; without --principal any such
line will do. A line that cannot be read is skipped with a warning.

Exit codes: 0 intact, 1 tampered or untrusted, 2 usage or I/O error or
not a bundle, 3 incomplete (not sealed, cut short, or interrupted). With several bundles
the worst wins: 1 over 2 over 3 over 0.

An encrypted bundle (.tar.zst.age) is read with --identity; without one,
verify says to whom it is encrypted (exit 2). Its file sha256 is of the
file as stored, the one the ledger records.

RFC 3161 timestamps ('hozen timestamp', 'collect --tsa') are read from
BUNDLE.tsr, BUNDLE.2.tsr, ... beside the bundle, or from --tsr FILE. Each
must cover the SHA-256 of the bundle file as stored and carry a good
signature; with --tsa-ca its TSA certificate must chain to those roots
and have the timeStamping key usage, and a bundle with no timestamp
fails. A token that fails is exit 1.

A bundle in an S3 store (s3://BUCKET/KEY, with --endpoint as for push) is
verified in place, streaming, without a temporary copy; its version,
retention and legal hold are shown as the store reports them. So is a
bundle on an SFTP server (sftp://USER@HOST[:PORT]/PATH, with --known-hosts
or --host-key and --ssh-identity or an ssh-agent, as for push).`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runVerify(c.Context(), a, o, args)
		},
	}
	o.trust.add(c, "the signer")
	c.Flags().BoolVar(&o.jsonOut, "json", false, "print one JSON object per bundle")
	c.Flags().StringVar(&o.ledger, "ledger", "", "check that this custody ledger `FILE` knows each bundle, show its trail, and record the verification")
	o.ids.add(c)
	o.tsa.add(c)
	o.sf.add(c)
	c.Flags().StringVar(&o.actor, "actor", "", "who verifies, for the ledger (default: the login name)")
	return c
}

func runVerify(ctx context.Context, a *app, o *verifyOptions, paths []string) error {
	trust, err := o.trust.load(a, "verify")
	if err != nil {
		return err
	}
	roots, err := o.tsa.roots(len(paths))
	if err != nil {
		return err
	}
	var led *custody.Ledger
	if o.ledger != "" {
		if led, err = openLedgerFor(ctx, o.ledger); err != nil {
			return err
		}
		defer led.Close()
	}
	worst := exitOK
	for _, p := range paths {
		if bundle.LooksLikeProof(p) {
			// A proof (hozen prove) is checked as verify-proof checks it.
			if led != nil {
				a.warnf("%s is a proof, not a bundle: the ledger is not consulted for it", p)
			}
			worst = worseExit(worst, verifyProofFile(a, p, trust, o.jsonOut))
			continue
		}
		rep, res := verifyOne(ctx, a, p, trust, o)
		if led != nil && res != nil {
			if err := ledgerVerify(ctx, led, rep, res, defaultExaminer(o.actor)); err != nil {
				return err
			}
		}
		if rep.Outcome != "error" && rep.Outcome != "not-a-bundle" {
			checkTimestamps(rep, &o.tsa, roots)
		}
		if o.jsonOut {
			b, _ := json.Marshal(rep)
			fmt.Fprintln(a.stdout, string(b))
		} else {
			printVerify(a, rep, len(trust) > 0)
			printTimestamps(a, rep)
		}
		worst = worseExit(worst, rep.Code)
	}
	if worst != exitOK {
		return silentError{worst}
	}
	return nil
}

// worseExit orders verify's exit codes: tampered over error over
// incomplete over intact.
func worseExit(a, b int) int {
	rank := map[int]int{exitOK: 0, exitIncomplete: 1, exitUsage: 2, exitFailed: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func verifyOne(ctx context.Context, a *app, path string, trust manifest.Trust, o *verifyOptions) (*verifyReport, *bundle.Result) {
	rep := &verifyReport{Bundle: path}
	var bf *bundle.File
	var err error
	if store.IsURL(path) {
		bf, rep.Stored, err = openStored(ctx, a, path, o.sf, o.ids)
		var se *store.Error
		if errors.As(err, &se) {
			rep.Hint = se.Hint
		}
	} else {
		bf, err = openBundle(a, path, o.ids)
	}
	if err != nil {
		failedReport(rep, nil, err)
		return rep, nil
	}
	defer bf.Close()
	res, err := bf.Verify(bundle.VerifyOptions{Trust: trust})
	if err != nil {
		failedReport(rep, res, err)
		return rep, nil
	}
	fillReport(rep, res)
	if bf.Encrypted {
		rep.Encrypted, rep.StreamSHA256 = true, bf.StreamSHA256
		for _, s := range bf.Recipients {
			rep.Recipients = append(rep.Recipients, s.String())
		}
	}
	return rep, res
}

// ledgerVerify checks the bundle against the ledger and records the
// verification there. A ledger that does not know an otherwise intact
// bundle is a failed check (exit 1), and so is a cut of a bundle it saw
// sealed whole (tampered).
func ledgerVerify(ctx context.Context, led *custody.Ledger, rep *verifyReport, res *bundle.Result, actor string) error {
	v, err := ledgerlink.RecordVerified(ctx, led, res, rep.Bundle, actor)
	if err != nil {
		return fmt.Errorf("ledger %s: %w", led.Path(), err)
	}
	rep.Outcome, rep.Reason, rep.Ledger = string(v.Outcome), v.Reason, v.Match
	if v.Failed {
		rep.Code = exitFailed
	}
	return nil
}
