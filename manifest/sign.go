package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

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
	// Namespaces limits the key to the namespaces these patterns allow
	// (OpenSSH pattern lists: * and ?, ! negates); nil means any.
	Namespaces []string
	// ValidAfter and ValidBefore bound the time the key is trusted at;
	// zero means no bound. ParseAllowedSigners judges them.
	ValidAfter, ValidBefore time.Time
	// CertAuthority marks a cert-authority line, which hozen never
	// trusts: it checks signer keys, not certificates.
	CertAuthority bool
	// Source names the file and line the key came from, if any.
	Source string

	// refusal says why the TrustPolicy the key was read under refuses it
	// (principal, validity, cert-authority); "" when it does not.
	refusal string
}

// Trust is a set of trusted keys.
type Trust []TrustedKey

// Check returns the first entry that trusts pub in namespace, as
// ssh-keygen -Y verify takes the first line that allows the signer. Else
// its error wraps ErrUntrustedSigner and says why each entry listing the
// key refuses it.
func (t Trust) Check(pub ssh.PublicKey, namespace string) (*TrustedKey, error) {
	want := pub.Marshal()
	var why []string
	for i := range t {
		tk := &t[i]
		if !bytes.Equal(tk.Key.Marshal(), want) {
			continue
		}
		reason := tk.refusal
		if reason == "" && tk.Namespaces != nil && matchPatternList(namespace, strings.Join(tk.Namespaces, ",")) != 1 {
			reason = fmt.Sprintf("namespaces %q do not allow %q", strings.Join(tk.Namespaces, ","), namespace)
		}
		if reason == "" {
			return tk, nil
		}
		if tk.Source != "" {
			reason = tk.Source + ": " + reason
		}
		why = append(why, reason)
	}
	if len(why) == 0 {
		return nil, fmt.Errorf("%w: %s is not among the trusted keys", ErrUntrustedSigner, Fingerprint(pub))
	}
	return nil, fmt.Errorf("%w: %s is listed, but refused: %s", ErrUntrustedSigner, Fingerprint(pub), strings.Join(why, "; "))
}

// ErrPrivateKey means a file given as a public key holds a private key.
var ErrPrivateKey = errors.New("a private key, not a public key")

// ParseAuthorizedKeys parses one or more public keys in authorized_keys
// form (a .pub file), trusting each for any namespace.
// A private key file is refused with ErrPrivateKey.
func ParseAuthorizedKeys(b []byte) (Trust, error) {
	if IsPrivateKey(b) {
		return nil, ErrPrivateKey
	}
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
