package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/ledgerlink"
	"github.com/hozen-dfir/hozen/store"
)

type pushOptions struct {
	sf             storeFlags
	rf             retentionFlags
	check, jsonOut bool
	ledger, actor  string
	partSize       int64
}

// retentionFlags are the Object Lock flags of push and collect --push.
type retentionFlags struct {
	mode, until, forDur string
	legalHold           bool
}

func (r *retentionFlags) add(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&r.mode, "retention", "", "Object Lock retention `MODE`: compliance or governance")
	f.StringVar(&r.until, "retain-until", "", "keep the objects until `DATE` (RFC 3339 or YYYY-MM-DD)")
	f.StringVar(&r.forDur, "retain-for", "", "keep the objects for `DURATION` from now (30d, 7y, 720h)")
	f.BoolVar(&r.legalHold, "legal-hold", false, "set an Object Lock legal hold on the objects")
}

// setup parses DEST and the retention flags.
func (r *retentionFlags) setup(a *app, sf storeFlags, dest string, partSize int64) (store.Destination, store.PutOptions, error) {
	var po store.PutOptions
	ret, err := store.ParseRetention(r.mode, r.until, r.forDur, time.Now())
	if err != nil {
		return nil, po, err
	}
	po = store.PutOptions{Retention: ret, LegalHold: r.legalHold, PartSize: partSize}
	d, err := store.ParseDestination(dest, sf.config(a))
	return d, po, err
}

func newPushCmd(a *app) *cobra.Command {
	o := &pushOptions{}
	c := &cobra.Command{
		Use:   "push BUNDLE... DEST | push --check DEST  (DEST: s3://BUCKET/PREFIX or sftp://USER@HOST[:PORT]/PATH)",
		Short: "store sealed bundles in an S3-compatible evidence store with Object Lock, or on an SFTP server",
		Long: `push stores each bundle as PREFIX/<bundle file name> in the bucket: a name
that already exists (or ever existed, as a version) is an error, never an
overwrite. The upload is multipart and resumable: it keeps its progress in
BUNDLE.push-state.json, and 'hozen push' run again after a cut goes on from
the parts the store holds (each checked against the bundle). The stored
object is read back and its SHA-256 compared with the bundle's; its Object
Lock (--retention, --legal-hold) is read back too, and a "stored" event is
recorded in the ledger (--ledger, else custody.db beside the bundle).

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
(AWS_SESSION_TOKEN), --credentials FILE, or ~/.aws/credentials with
AWS_PROFILE; never from the command line. TLS is always verified (--ca for a
private CA); plain http only to 127.0.0.1 or localhost.

--check runs the preflight alone: the store answers, the credentials and
the bucket are good, the bucket can lock objects when a retention is asked,
and the clocks agree within 5 minutes.

To an SFTP server (sftp://USER@HOST[:PORT]/PATH; PATH is absolute, ~/PATH
below the login directory) each bundle is written as PATH/NAME.partial,
read back whole and its SHA-256 compared with the bundle's, and only then
named PATH/NAME, by a hard link that fails if NAME exists (or SFTP's
rename, which must): a name that exists is an error, never an overwrite.
A cut upload resumes from the .partial, after its bytes are read back and
found equal to the bundle's first bytes; else it starts again. The host
key is always checked: against --known-hosts FILE (default
~/.ssh/known_hosts) or the one --host-key pins; an unknown or changed key
is refused, and there is no insecure mode. The login is --ssh-identity FILE
(passphrase from --ssh-passphrase-file or HOZEN_PASSPHRASE, else a prompt)
or the keys of the ssh-agent at SSH_AUTH_SOCK; never a password. An SFTP
server keeps no Object Lock: --retention and --legal-hold are refused.

Exit codes: 0 stored and checked; 1 the stored object does not match; 2 an
error (nothing stored, or the upload can be resumed).`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runPush(c.Context(), a, o, args)
		},
	}
	o.sf.add(c)
	f := c.Flags()
	o.rf.add(c)
	f.BoolVar(&o.check, "check", false, "run the preflight alone: DEST is the only argument")
	f.StringVar(&o.ledger, "ledger", "", "record the stored events in this custody ledger `FILE` (default: custody.db beside the bundle, if there is one)")
	f.StringVar(&o.actor, "actor", "", "who pushes, for the ledger (default: the login name)")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object per stored bundle")
	f.Int64Var(&o.partSize, "part-size", 0, "upload part size in bytes (default 16 MiB; at least 5 MiB)")
	f.MarkHidden("part-size")
	return c
}

func runPush(ctx context.Context, a *app, o *pushOptions, args []string) error {
	dest := args[len(args)-1]
	bundles := args[:len(args)-1]
	switch {
	case o.check && len(bundles) > 0:
		return usageError{cmd: "push", err: errors.New("--check takes the destination alone")}
	case !o.check && len(bundles) == 0:
		return usageError{cmd: "push", err: errors.New("give the bundles, then the destination s3://BUCKET/PREFIX or sftp://USER@HOST[:PORT]/PATH")}
	}
	d, po, err := o.rf.setup(a, o.sf, dest, o.partSize)
	if err != nil {
		return usageError{cmd: "push", err: err}
	}
	pre, err := d.Preflight(ctx, po)
	if err != nil {
		return storeError(a, err)
	}
	printPreflight(a, d, pre)
	if o.check {
		fmt.Fprintf(a.stdout, "%s: ready\n", d)
		return nil
	}
	for _, path := range bundles {
		if err := checkIsBundle(path); err != nil {
			return err
		}
	}
	led := ledgers{}
	defer led.close()
	for _, path := range bundles {
		st, err := pushOne(ctx, a, d, po, path, o.ledger, o.actor, led)
		if err != nil {
			return err
		}
		if o.jsonOut {
			if err := writeJSON(a.stdout, st); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(a.stdout, st.URL())
		}
	}
	return nil
}

// pushOne stores one bundle, prints what the store says, and records the
// stored event in its ledger, opened through led. A bundle already stored
// but not recorded says how to record it.
func pushOne(ctx context.Context, a *app, d store.Destination, po store.PutOptions, path, ledger, actor string, led ledgers) (*store.Stored, error) {
	st, err := d.Put(ctx, path, po)
	if err != nil {
		return nil, storeError(a, err)
	}
	if st.Store == "sftp" {
		fmt.Fprintf(a.stderr, "hozen: stored %s as %s\n  %d bytes, sha256 %s (read back), host key %s\n", path, st.URL(), st.Size, st.SHA256, st.HostKey)
		if st.Resumed {
			fmt.Fprintf(a.stderr, "  resumed: the bytes already on the server were read back and matched the bundle's\n")
		}
	} else {
		fmt.Fprintf(a.stderr, "hozen: stored %s as %s\n  version %s, %d bytes, sha256 %s (read back)\n  retention %s, legal hold %s\n",
			path, st.URL(), orNone(st.VersionID), st.Size, st.SHA256, st.Retention, onOff(st.LegalHold))
		if st.Resumed {
			fmt.Fprintf(a.stderr, "  resumed: %d of %d parts were already stored (checked against the bundle)\n", st.PartsReused, st.Parts)
		}
	}
	if ledger == "" {
		if cand := filepath.Join(filepath.Dir(path), "custody.db"); fileExists(cand) {
			ledger = cand
		}
	}
	if ledger == "" {
		a.warnf("no ledger: the stored event of %s is not recorded; give --ledger FILE", path)
		return st, nil
	}
	l, err := led.open(ctx, ledger)
	if err != nil {
		return nil, err
	}
	if _, err := ledgerlink.RecordStored(context.WithoutCancel(ctx), l, st, path, defaultExaminer(actor)); err != nil {
		return nil, fmt.Errorf("%s is stored as %s, but the ledger %s could not record it: %w; record it with 'hozen custody record --action note ...'", path, st.URL(), ledger, err)
	}
	return st, nil
}
