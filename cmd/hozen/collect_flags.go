package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/acquire"
)

type collectOptions struct {
	profile       string
	include       []string
	exclude       []string
	out           string
	caseID        string
	examiner      string
	key           string
	passFile      string
	hashes        []string
	referenceTime string
	level         int
	jsonOut       bool
	noEnviron     bool
	ledger        string
	recipients    []string
	recipFiles    []string
	tsa           []string
	root          string // dead-box: collect from a mounted image instead of "/"
	push          string
	sf            storeFlags
	rf            retentionFlags
}

func newCollectCmd(a *app) *cobra.Command {
	o := &collectOptions{}
	c := &cobra.Command{
		Use:   "collect [flags]",
		Short: "collect evidence from this host into a sealed, signed bundle",
		Long: `collect snapshots this host (volatile state first, then files) into one
bundle, <case>_<host>_<UTC time>_<id>.tar.zst in --out. The bundle is written
as NAME.tar.zst.partial and renamed only once sealed. The last line of
stdout is the bundle's path (with --json, one JSON object).

With --recipient or --recipients-file the bundle is encrypted with age as it
is written, NAME.tar.zst.age: no plaintext touches the disk, and only the
holder of a recipient's private key can read it ('hozen verify --identity',
or 'age -d -i KEY' back to the plain .tar.zst).

With --root DIR, collect reads a dead box: a mounted disk image or a
container's root file system at DIR. File collectors and the file groups
read under DIR (symlinks resolved inside it); collectors of live state
(network, processes, system) are skipped with a record saying so; the host
identity comes from DIR's /etc/hostname and /etc/machine-id; the bundle
header says dead_box.root = DIR. Mount the image read-only (ro,noexec).

Run as root: without it other users' processes, /etc/shadow, other
homes and socket owners are out of reach. collect says so at the start and
in the summary, and records the privileges in the bundle header.

With --tsa URL, once the bundle is sealed, the RFC 3161 time-stamping
authority at URL is asked for a token over the bundle file's SHA-256; the
token is stored beside the bundle as NAME.tar.zst.tsr and a ledger event
records it. The host then makes an HTTP request: use it only where that is
acceptable. A TSA that cannot be reached is a warning; 'hozen timestamp'
does it later, in the lab.

With --push s3://BUCKET/PREFIX the store is checked before collecting (see
'hozen push --check') and the bundle is stored there once sealed, with the
Object Lock flags of 'hozen push'; if storing fails, the sealed bundle stays
in --out and 'hozen push' stores it later.

hozen never runs a program of this host, never follows a symlink, and
writes nothing outside --out.`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			return runCollect(c.Context(), a, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.profile, "profile", "", "collection profile: a built-in name or a YAML `FILE` (see 'hozen profiles')")
	f.StringArrayVar(&o.include, "include", nil, "also collect files matching `GLOB` (absolute; ** spans directories); repeatable")
	f.StringArrayVar(&o.exclude, "exclude", nil, "skip files matching `GLOB`; repeatable")
	f.StringVar(&o.out, "out", ".", "write the bundle into `DIR` (created if missing)")
	f.StringVar(&o.caseID, "case", "case", "case `ID` recorded in the bundle and its name")
	f.StringVar(&o.examiner, "examiner", "", "`NAME` of the responder (default: the login name)")
	f.StringVar(&o.key, "key", "", "sign with this OpenSSH private key `FILE` (or a .pub whose key an ssh-agent holds)")
	f.StringVar(&o.passFile, "passphrase-file", "", "read the key's passphrase from `FILE` (else HOZEN_PASSPHRASE, else a prompt)")
	f.StringSliceVar(&o.hashes, "hash", nil, "extra digests per artifact besides sha256: md5, sha1")
	f.StringVar(&o.referenceTime, "reference-time", "", "the responder's trusted time now (RFC 3339), to record clock skew")
	f.IntVar(&o.level, "level", 1, "zstd level 1 to 22, as zstd's, in four steps: 1-2 fastest, 3-5 default, 6-9 better, 10-22 best compression")
	f.BoolVar(&o.jsonOut, "json", false, "print a JSON summary instead of the path")
	f.BoolVar(&o.noEnviron, "no-environ", false, "do not record processes' environment variables")
	f.StringVar(&o.ledger, "ledger", "", "custody ledger `FILE` (default: custody.db in --out)")
	f.StringArrayVar(&o.recipients, "recipient", nil, "encrypt the bundle with age to this public `KEY` (age1... or an ssh-ed25519 public key line); repeatable")
	f.StringArrayVar(&o.recipFiles, "recipients-file", nil, "encrypt to every public key in `FILE` (one per line, # comments); repeatable")
	f.StringArrayVar(&o.tsa, "tsa", nil, "after sealing, have the RFC 3161 time-stamping authority at `URL` timestamp the bundle file (BUNDLE.tsr beside it; repeatable); a TSA that cannot be reached is a warning")
	f.StringVar(&o.root, "root", "/", "dead-box collection: collect from a mounted image or root file system at `DIR` as if it were /, skipping live state")
	f.StringVar(&o.push, "push", "", "check this store `DEST` (s3://BUCKET/PREFIX) first, and store the bundle there once sealed")
	o.sf.add(c)
	o.rf.add(c)
	return c
}

// parseCollectFlags reads the flags that need more than a type into ao:
// the digests, the reference time, the level, the plan and the
// recipients. Every error is the command line's: exit 2 before anything
// is written.
func parseCollectFlags(a *app, o *collectOptions, ao *acquire.Options) error {
	for _, h := range o.hashes {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "md5":
			ao.MD5 = true
		case "sha1":
			ao.SHA1 = true
		case "sha256", "":
		default:
			return fmt.Errorf("--hash %q: only md5 and sha1 can be added", h)
		}
	}
	if o.referenceTime != "" {
		t, err := time.Parse(time.RFC3339Nano, o.referenceTime)
		if err != nil {
			return fmt.Errorf("--reference-time %q: want RFC 3339, e.g. 2026-11-22T10:00:00Z", o.referenceTime)
		}
		t = t.UTC()
		ao.ReferenceTime = &t
	}
	if o.level < 1 || o.level > 22 {
		return fmt.Errorf("--level %d: want 1 to 22", o.level)
	}
	var err error
	ao.Plan, err = acquire.NewPlan(acquire.PlanOptions{Profile: o.profile, Include: o.include, Exclude: o.exclude,
		NoEnviron: o.noEnviron, ReferenceTime: ao.ReferenceTime})
	if err != nil {
		return err
	}
	for _, u := range o.tsa {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return fmt.Errorf("--tsa %q: want an http:// or https:// URL", u)
		}
	}
	ao.TSA = o.tsa
	ao.Recipients, ao.RecipientNames, err = loadRecipients(o.recipients, o.recipFiles)
	if err != nil {
		return err
	}
	return parsePushFlags(a, o, ao)
}

// parsePushFlags reads --push and the store flags.
func parsePushFlags(a *app, o *collectOptions, ao *acquire.Options) error {
	if o.push == "" {
		if o.sf != (storeFlags{}) || o.rf != (retentionFlags{}) {
			return fmt.Errorf("--endpoint, --retention and the other store flags need --push DEST")
		}
		return nil
	}
	d, po, err := o.rf.setup(a, o.sf, o.push, 0)
	if err != nil {
		return err
	}
	ao.Push = &acquire.Push{Dest: d, Put: po}
	return nil
}
