package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// SignatureNamespace is the SSHSIG namespace of bundle manifests, as
// `ssh-keygen -Y verify -n hozen-bundle` expects.
const SignatureNamespace = "hozen-bundle"

// signatureHash is the SSHSIG message digest; ssh-keygen's default.
const signatureHash = sshsig.HashSHA512

// Sign returns the armored SSHSIG signature of the bytes read from msg by
// signer. SSHSIG signs a digest of the message, so msg is read once, as a
// stream: a manifest is never held whole to be signed.
func Sign(msg io.Reader, signer ssh.Signer) ([]byte, error) {
	sig, err := sshsig.Sign(msg, signer, signatureHash, SignatureNamespace)
	if err != nil {
		return nil, fmt.Errorf("sign manifest: %w", err)
	}
	return sshsig.Armor(sig), nil
}

// Fingerprint returns the key's fingerprint as ssh-keygen -l prints it.
func Fingerprint(pub ssh.PublicKey) string { return ssh.FingerprintSHA256(pub) }

// SignerOf describes pub for a bundle header.
func SignerOf(pub ssh.PublicKey) *Signer {
	return &Signer{
		Fingerprint: Fingerprint(pub),
		PublicKey:   strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))),
	}
}

// SignatureKey returns the public key inside an armored signature.
func SignatureKey(armored []byte) (ssh.PublicKey, error) {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return nil, &ManifestError{Field: "signature", Reason: err.Error()}
	}
	return sig.PublicKey, nil
}

// VerifySignature checks that armored is a good signature of the bytes read
// from msg in the bundle namespace by pub.
func VerifySignature(msg io.Reader, armored []byte, pub ssh.PublicKey) error {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return &ManifestError{Field: "signature", Reason: err.Error()}
	}
	if sig.Namespace != SignatureNamespace {
		return &ManifestError{Field: "signature", Reason: fmt.Sprintf("namespace %q, want %q", sig.Namespace, SignatureNamespace)}
	}
	if err := sshsig.Verify(msg, sig, pub, sig.HashAlgorithm, SignatureNamespace); err != nil {
		return &ManifestError{Field: "signature", Reason: fmt.Sprintf("does not verify with %s: %v", Fingerprint(pub), err)}
	}
	return nil
}

// TrustedKey is a public key the investigator trusts, with the principals
// an allowed_signers line gives it.
type TrustedKey struct {
	Key        ssh.PublicKey
	Principals []string
	// Namespaces limits the key to these namespaces; empty means any.
	Namespaces []string
}

// Trust is a set of trusted keys.
type Trust []TrustedKey

// Lookup returns the trusted entry for pub in namespace, if any.
func (t Trust) Lookup(pub ssh.PublicKey, namespace string) (*TrustedKey, bool) {
	want := pub.Marshal()
	for i := range t {
		if !bytes.Equal(t[i].Key.Marshal(), want) {
			continue
		}
		if len(t[i].Namespaces) > 0 && !matchAny(t[i].Namespaces, namespace) {
			continue
		}
		return &t[i], true
	}
	return nil, false
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if p == s || p == "*" {
			return true
		}
	}
	return false
}

// ParseAuthorizedKeys parses one or more public keys in authorized_keys
// form (a .pub file), trusting each for any namespace.
func ParseAuthorizedKeys(b []byte) (Trust, error) {
	var t Trust
	rest := b
	for len(bytes.TrimSpace(rest)) > 0 {
		pub, comment, _, r, err := ssh.ParseAuthorizedKey(rest)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		tk := TrustedKey{Key: pub}
		if comment != "" {
			tk.Principals = []string{comment}
		}
		t = append(t, tk)
		rest = r
	}
	if len(t) == 0 {
		return nil, errors.New("public key: no key found")
	}
	return t, nil
}

// ParseAllowedSigners parses an OpenSSH allowed_signers file (see
// ssh-keygen(1)): "principals [options] keytype base64 [comment]" per line.
// The namespaces="..." option is honoured; certificate authorities are not
// supported and are reported as an error rather than silently trusted.
func ParseAllowedSigners(b []byte) (Trust, error) {
	var t Trust
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		principals, rest, ok := cutField(line)
		if !ok {
			return nil, fmt.Errorf("allowed signers line %d: no key", n)
		}
		tk := TrustedKey{Principals: strings.Split(principals, ",")}
		// The rest is authorized_keys syntax: [options] keytype base64 [comment].
		pub, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(rest))
		if err != nil {
			return nil, fmt.Errorf("allowed signers line %d: %w", n, err)
		}
		for _, o := range opts {
			name, val, _ := strings.Cut(o, "=")
			switch strings.ToLower(name) {
			case "namespaces":
				for ns := range strings.SplitSeq(strings.Trim(val, `"`), ",") {
					tk.Namespaces = append(tk.Namespaces, strings.TrimSpace(ns))
				}
			case "cert-authority":
				return nil, fmt.Errorf("allowed signers line %d: cert-authority keys are not supported; list the signer's own key", n)
			case "valid-after", "valid-before":
				// Times of key validity; hozen checks the key itself.
			default:
				return nil, fmt.Errorf("allowed signers line %d: unknown option %q", n, name)
			}
		}
		tk.Key = pub
		t = append(t, tk)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("allowed signers: %w", err)
	}
	if len(t) == 0 {
		return nil, errors.New("allowed signers: no key found")
	}
	return t, nil
}

func cutField(s string) (field, rest string, ok bool) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, "", false
	}
	return s[:i], strings.TrimSpace(s[i:]), true
}
