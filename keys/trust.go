package keys

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/manifest"
)

// TrustSource names whom to trust: the keys of a .pub file (Pubkey), or
// an OpenSSH allowed_signers file (Allowed) judged for Principal (any, if
// empty) at At (now, if zero), as ssh-keygen -Y verify judges it.
type TrustSource struct {
	Pubkey, Allowed string
	Principal       string
	At              time.Time
}

// LoadTrust reads the trusted keys; nothing named, none. warn hears each
// allowed_signers line that is skipped.
func LoadTrust(src TrustSource, warn func(skipped error)) (manifest.Trust, error) {
	switch {
	case src.Pubkey != "":
		return readPubkeys(src.Pubkey)
	case src.Allowed != "":
		return readAllowed(src, warn)
	}
	return nil, nil
}

func readPubkeys(file string) (manifest.Trust, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	t, err := manifest.ParseAuthorizedKeys(b)
	if errors.Is(err, manifest.ErrPrivateKey) {
		return nil, fmt.Errorf("%s is a private key; give the .pub file (such as %s.pub)", file, file)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

func readAllowed(src TrustSource, warn func(error)) (manifest.Trust, error) {
	at := src.At
	if at.IsZero() {
		at = time.Now()
	}
	b, err := os.ReadFile(src.Allowed)
	if err != nil {
		return nil, err
	}
	if manifest.IsPrivateKey(b) {
		return nil, fmt.Errorf("%s is a private key, not an allowed_signers file", src.Allowed)
	}
	t, bad, err := manifest.ParseAllowedSigners(src.Allowed, b, manifest.TrustPolicy{Principal: src.Principal, At: at})
	for _, le := range bad {
		if warn != nil {
			warn(le)
		}
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ParseVerifyTime reads a time to judge allowed_signers lines at:
// ssh-keygen's -Overify-time forms, or RFC 3339.
func ParseVerifyTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return manifest.ParseAbsoluteTime(s, nil)
}

// Vouch decides whether the key pub, whose signature in namespace already
// verified, is trusted, and says so in a line for people. With no trusted
// keys it is not checked, and the line says that.
func Vouch(pub ssh.PublicKey, trust manifest.Trust, namespace string) (string, error) {
	fp := manifest.Fingerprint(pub)
	if len(trust) == 0 {
		return fmt.Sprintf("signed by %s (key not checked against a trusted one)", fp), nil
	}
	tk, err := trust.Check(pub, namespace)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("signed by %s, trusted (principal %s)", fp, strings.Join(tk.Principals, ",")), nil
}
