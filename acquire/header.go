package acquire

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/manifest"
)

// newRedactor keeps secrets (the passphrases hozen holds, the private
// key's bytes) and hozen's own key and passphrase files out of the bundle.
func newRedactor(keyFile, passFile string, secrets []collect.Secret) (*collect.Redactor, error) {
	secrets = slices.Clone(secrets)
	var files []collect.ProtectedFile
	protect := func(path, why string) error {
		if path == "" {
			return nil
		}
		f, err := collect.ProtectFile(path, why)
		if err != nil {
			return fmt.Errorf("%s %s: %w", why, path, err)
		}
		files = append(files, f)
		return nil
	}
	if err := protect(keyFile, "hozen's signing key (--key)"); err != nil {
		return nil, err
	}
	if err := protect(passFile, "hozen's passphrase file (--passphrase-file)"); err != nil {
		return nil, err
	}
	if keyFile != "" {
		// A copy of an unencrypted private key elsewhere is masked whole.
		if b, err := os.ReadFile(keyFile); err == nil && bytes.Contains(b, []byte("PRIVATE KEY")) {
			secrets = append(secrets, collect.Secret{Name: "the --key file's contents", Value: b})
		}
	}
	return collect.NewRedactor(secrets, files), nil
}

// footprint is what hozen itself does to the host: its process, its
// command line (hozen's secrets masked: a passphrase never belongs there,
// but a careless command line may hold one) and the files it writes.
func footprint(red *collect.Redactor, args []string, output, ledger string) *manifest.Footprint {
	outAbs, _ := filepath.Abs(output)
	ledgerAbs, _ := filepath.Abs(ledger)
	bs := make([]manifest.BString, len(args))
	for i, s := range args {
		r, _ := red.String(s)
		bs[i] = manifest.BString(r)
	}
	return &manifest.Footprint{PID: os.Getpid(), Args: bs, Output: manifest.BString(outAbs), Ledger: manifest.BString(ledgerAbs)}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// bundleName is <case>_<host>_<UTC yyyymmddThhmmssZ>_<id8>.tar.zst.
func bundleName(caseID, host string, t time.Time, id string) string {
	clean := func(s, def string) string {
		s = strings.Trim(unsafeName.ReplaceAllString(s, "-"), "-.")
		if s == "" {
			return def
		}
		return s
	}
	id8 := strings.ReplaceAll(id, "-", "")
	if len(id8) > 8 {
		id8 = id8[len(id8)-8:]
	}
	return fmt.Sprintf("%s_%s_%s_%s.tar.zst", clean(caseID, "case"), clean(host, "host"), t.UTC().Format("20060102T150405Z"), id8)
}

// hostClock records the host's clock and zone, and the skew against the
// responder's reference time when given.
func hostClock(now time.Time, ref *time.Time) manifest.Clock {
	zone, off := now.Zone()
	c := manifest.Clock{
		Local:            now.Format(time.RFC3339Nano),
		TimeZone:         zone,
		UTCOffsetSeconds: off,
	}
	if tz := now.Location().String(); tz != "Local" && tz != "" {
		c.TimeZone = tz + " (" + zone + ")"
	}
	if ref != nil {
		c.ReferenceTime = ref
		skew := now.Sub(*ref).Seconds()
		c.SkewSeconds = &skew
	}
	return c
}

// Examiner is the responder's name: flag when given, else the login that
// ran sudo, else the current user.
func Examiner(flag string) string {
	if flag != "" {
		return flag
	}
	for _, v := range []string{"SUDO_USER", "USER", "USERNAME"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	// Not os/user: it reads /etc/passwd without O_NOATIME.
	if name := collect.UserName("/etc/passwd", os.Getuid()); name != "" {
		return name
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}
