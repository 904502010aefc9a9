// Package store sends sealed bundles past this host, into an evidence
// store that keeps them unaltered, and reads them back from there.
//
// # Destinations
//
// A [Destination] is one place bundles go: an S3-compatible bucket with
// Object Lock ([ParseDestination] of "s3://BUCKET/PREFIX"), and later
// others (SFTP). Every kind answers the same four questions:
//
//   - [Destination.Preflight]: can bundles be written there now (reachable,
//     credentials accepted, the bucket exists and can lock objects, the
//     clock agrees)? Run before a long collection.
//   - [Destination.Put]: store one bundle under a name that never collides
//     and never overwrites, resumably (a cut upload goes on from where it
//     stopped, after checking what the server holds), and check the stored
//     object's SHA-256 against the bundle's.
//   - [Destination.Stat]: what the store says of a stored bundle: size,
//     version, retention, legal hold.
//   - [Destination.Open]: a stored bundle as a reader, to verify it in
//     place without a temporary copy.
//
// Nothing here prints: warnings go to [Config.Warn]. Errors are [*Error]s
// that name the destination and the next step (Hint).
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Destination is one place sealed bundles are stored.
type Destination interface {
	// String is the destination as the user wrote it, without secrets.
	String() string
	// Kind is "s3" (later "sftp").
	Kind() string
	// Preflight checks that bundles can be stored now, with the
	// retention asked (a zero Retention asks none).
	Preflight(ctx context.Context, p PutOptions) (*PreflightResult, error)
	// Put stores the local bundle at path under its file name. It resumes
	// an upload that was cut (see [PutOptions.StateFile]).
	Put(ctx context.Context, path string, p PutOptions) (*Stored, error)
	// Stat describes a stored bundle, by name below the destination.
	Stat(ctx context.Context, name string) (*Stored, error)
	// Open reads a stored bundle, by name below the destination.
	Open(ctx context.Context, name string) (Object, error)
}

// Object is a stored bundle opened for reading.
type Object interface {
	io.Reader
	io.ReaderAt
	io.Closer
	// Info is what the store said of the object when it was opened.
	Info() *Stored
}

// Retention is an Object Lock retention: mode COMPLIANCE (nobody can
// delete or overwrite the object before Until, not even the root
// account) or GOVERNANCE (only with a special permission and an explicit
// bypass). A zero Retention is none.
type Retention struct {
	Mode  string    `json:"mode,omitempty"`
	Until time.Time `json:"retain_until,omitzero"`
}

// Retention modes.
const (
	Compliance = "COMPLIANCE"
	Governance = "GOVERNANCE"
)

// IsZero reports whether no retention is set.
func (r Retention) IsZero() bool { return r.Mode == "" }

func (r Retention) String() string {
	if r.IsZero() {
		return "none"
	}
	return fmt.Sprintf("%s until %s", r.Mode, r.Until.UTC().Format(time.RFC3339))
}

// PutOptions say how a bundle is stored.
type PutOptions struct {
	// Retention and LegalHold are set on the object as it is created, and
	// read back after upload.
	Retention Retention
	LegalHold bool
	// PartSize is the size of an upload part; 0 is 16 MiB (more for a
	// bundle over 160 GiB, where 10,000 parts would not do).
	PartSize int64
	// StateFile keeps an upload's progress, so that a cut upload resumes;
	// "" is the bundle's path + ".push-state.json".
	StateFile string
	// Progress hears the bytes done so far (sent or found already stored)
	// out of the total; nil for nobody.
	Progress func(done, total int64)
}

// PreflightResult is what a preflight found.
type PreflightResult struct {
	Endpoint, Bucket string
	// ObjectLock: the bucket can lock objects; DefaultRetention is its
	// default rule, "" when none.
	ObjectLock       bool
	DefaultRetention string
	// Versioning is the bucket's versioning status ("Enabled", ...).
	Versioning string
	// ServerTime is the store's clock (its Date header) and Skew the
	// store's clock minus ours.
	ServerTime time.Time
	Skew       time.Duration
}

// Stored is a bundle in a store: what the ledger's stored event records.
type Stored struct {
	Store     string    `json:"store"` // "s3"
	Endpoint  string    `json:"endpoint"`
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	VersionID string    `json:"version_id,omitempty"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256,omitempty"` // of the object, read back
	Retention Retention `json:"retention"`
	LegalHold bool      `json:"legal_hold"`
	// Resumed: the upload went on from an earlier, cut one, reusing
	// PartsReused parts the server held (each checked against the bundle).
	Resumed     bool `json:"resumed,omitempty"`
	PartsReused int  `json:"parts_reused,omitempty"`
	Parts       int  `json:"parts,omitempty"`
	// HostKey is the SHA256 fingerprint of the SFTP server's host key.
	HostKey string `json:"host_key,omitempty"`
}

// URL is the stored object as s3://BUCKET/KEY.
func (s *Stored) URL() string { return s.Store + "://" + s.Bucket + "/" + s.Key }

// Config is how to reach a destination: everything but the destination
// itself. Credentials never come from here as values: only from the
// environment or a file.
type Config struct {
	// Endpoint is the store's URL (https://HOST[:PORT]); "" is AWS S3.
	Endpoint string
	// Region; "" is AWS_REGION, else what the store says.
	Region string
	// CAFile is a PEM file of the CA (or CAs) that alone are trusted to
	// sign the store's TLS certificate; "" is the system's roots.
	CAFile string
	// CredentialsFile is an AWS-style credentials file; "" is the
	// environment, else ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE).
	CredentialsFile string
	// Getenv reads the environment; nil is os.Getenv.
	Getenv func(string) string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Warn hears what the user should know; nil for nobody.
	Warn func(string)
	// SFTP is how to trust and log in to an SFTP server.
	SFTP SFTPConfig
}

// MaxSkew is how far the store's clock may be from ours. S3 refuses a
// request signed more than 15 minutes off; hozen refuses at 5, before a
// long collection, rather than fail at its end.
const MaxSkew = 5 * time.Minute

// Sentinel errors, wrapped by [*Error].
var (
	ErrExists       = errors.New("the object already exists")
	ErrCredentials  = errors.New("credentials refused")
	ErrNoCredential = errors.New("no credentials")
	ErrNoBucket     = errors.New("no such bucket")
	ErrNoLock       = errors.New("the bucket has no Object Lock")
	ErrUnreachable  = errors.New("the store cannot be reached")
	ErrClockSkew    = errors.New("the clocks disagree")
	ErrTLS          = errors.New("the store's TLS certificate is not trusted")
	ErrMismatch     = errors.New("the stored object does not match the bundle")
	ErrState        = errors.New("the push state file does not match")
	ErrNotFound     = errors.New("no such object")
)

// Error is a store operation that failed: Op on Dest, why, and the next
// step.
type Error struct {
	Op   string // "preflight", "push", "stat", "open"
	Dest string
	Err  error
	Hint string
}

func (e *Error) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Dest, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ParseDestination reads "s3://BUCKET[/PREFIX]".
func ParseDestination(dest string, cfg Config) (Destination, error) {
	switch {
	case strings.HasPrefix(dest, "s3://"):
		return newS3(dest, cfg)
	case strings.HasPrefix(dest, "sftp://"):
		return newSFTP(dest, cfg)
	case strings.Contains(dest, "://"):
		return nil, fmt.Errorf("destination %q: unknown kind (want s3://BUCKET/PREFIX or sftp://USER@HOST[:PORT]/PATH)", dest)
	}
	return nil, fmt.Errorf("destination %q: not a URL (want s3://BUCKET/PREFIX or sftp://USER@HOST[:PORT]/PATH)", dest)
}

// IsURL reports whether arg names a stored object rather than a local
// file: it starts with a destination kind, "s3://".
func IsURL(arg string) bool {
	return strings.HasPrefix(arg, "s3://") || strings.HasPrefix(arg, "sftp://")
}

// ParseObject splits "s3://BUCKET/KEY" into the destination holding it
// and its name there.
func ParseObject(url string, cfg Config) (Destination, string, error) {
	i := strings.LastIndexByte(url, '/')
	if !IsURL(url) || i < strings.Index(url, "://")+3 || i == len(url)-1 {
		return nil, "", fmt.Errorf("%q: want s3://BUCKET/KEY or sftp://USER@HOST[:PORT]/PATH", url)
	}
	d, err := ParseDestination(url[:i], cfg)
	if err != nil {
		return nil, "", err
	}
	return d, url[i+1:], nil
}

// ParseRetention reads --retention MODE with --retain-until DATE
// (RFC 3339 or YYYY-MM-DD, UTC) or --retain-for DURATION (Go's 720h, or
// 30d, 7y with 365-day years), from now.
func ParseRetention(mode, until, forDur string, now time.Time) (Retention, error) {
	if mode == "" {
		if until != "" || forDur != "" {
			return Retention{}, errors.New("--retain-until and --retain-for need --retention compliance|governance")
		}
		return Retention{}, nil
	}
	var r Retention
	switch strings.ToLower(mode) {
	case "compliance":
		r.Mode = Compliance
	case "governance":
		r.Mode = Governance
	default:
		return r, fmt.Errorf("--retention %q: want compliance or governance", mode)
	}
	switch {
	case until != "" && forDur != "":
		return r, errors.New("give --retain-until or --retain-for, not both")
	case until != "":
		t, err := time.Parse(time.RFC3339, until)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, until); err != nil {
				return r, fmt.Errorf("--retain-until %q: want RFC 3339 or YYYY-MM-DD", until)
			}
		}
		r.Until = t.UTC()
	case forDur != "":
		d, err := parseLongDuration(forDur)
		if err != nil || d <= 0 {
			return r, fmt.Errorf("--retain-for %q: want a duration such as 30d, 7y or 720h", forDur)
		}
		r.Until = now.Add(d).UTC()
	default:
		return r, errors.New("--retention needs --retain-until DATE or --retain-for DURATION")
	}
	r.Until = r.Until.Truncate(time.Second)
	if !r.Until.After(now) {
		return r, fmt.Errorf("retain until %s: that is not in the future", r.Until.Format(time.RFC3339))
	}
	return r, nil
}

func parseLongDuration(s string) (time.Duration, error) {
	if n := len(s); n > 1 && (s[n-1] == 'd' || s[n-1] == 'y') {
		var k int64
		if _, err := fmt.Sscanf(s[:n-1], "%d", &k); err != nil || fmt.Sprint(k) != s[:n-1] || k <= 0 || k > 100*366 {
			return 0, errors.New("bad number")
		}
		day := 24 * time.Hour
		if s[n-1] == 'y' {
			return time.Duration(k) * 365 * day, nil
		}
		return time.Duration(k) * day, nil
	}
	return time.ParseDuration(s)
}
