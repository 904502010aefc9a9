// Package tsa asks RFC 3161 time-stamping authorities for tokens and checks
// them.
//
// A token says that a TSA saw a SHA-256 digest at a time (genTime) and
// signed that statement. hozen timestamps the SHA-256 of a bundle file as
// stored and of a custody ledger's head line (docs/format.md,
// "Timestamps"). [Request] sends a digest to a TSA over HTTP(S) and returns
// its reply, checked against the request; [Check] verifies a stored reply:
// the digest it covers, its CMS signature, and the TSA certificate's chain
// to roots the examiner trusts, with the timeStamping key usage RFC 3161
// requires.
//
// The ASN.1 and CMS work is github.com/digitorus/timestamp's (and its
// pkcs7); that library checks a token's signature against the certificate
// the token carries, but not that certificate's chain or key usage: [Check]
// does those itself with crypto/x509.
package tsa

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// ErrInvalid is a token that does not verify; [*Error] wraps it.
var ErrInvalid = errors.New("timestamp token does not verify")

// Error says why a token failed a check.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "timestamp token: " + e.Reason }

func (e *Error) Unwrap() error { return ErrInvalid }

func fail(format string, args ...any) error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// Token is a parsed time-stamp token whose CMS signature holds under the
// TSA certificate it carries. Its chain is not yet checked: see [Check].
type Token struct {
	// Time is the TSA's genTime; Accuracy its stated accuracy (0: none).
	Time     time.Time
	Accuracy time.Duration
	// Digest is the SHA-256 the token covers (the message imprint).
	Digest []byte
	// Serial and Policy are the TSA's serial number and policy OID.
	Serial string
	Policy string
	// Signer is the TSA certificate that signed the token; Certs every
	// certificate the token carries (the signer among them).
	Signer *x509.Certificate
	Certs  []*x509.Certificate
	// Nonce is the request's nonce, echoed; nil when none.
	nonce []byte
}

// idCTTSTInfo is the content type of a time-stamp token's signed content.
var idCTTSTInfo = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}

// Parse reads a DER TimeStampResp (as a TSA answers and as hozen stores
// it) or a bare TimeStampToken, and checks the token's CMS signature with
// the TSA certificate it carries. A token without that certificate, with
// other than one signer, without the signed content-type attribute
// id-ct-TSTInfo, or over another hash than SHA-256 is refused.
func Parse(der []byte) (*Token, error) {
	isResp, err := isResponse(der)
	if err != nil {
		return nil, err
	}
	var ts *timestamp.Timestamp
	if isResp {
		ts, err = timestamp.ParseResponse(der)
	} else {
		ts, err = timestamp.Parse(der)
	}
	if err != nil {
		return nil, fail("%v", err)
	}
	// timestamp.Parse checks the signature only when the token carries
	// certificates: hozen asks for them (certReq) and insists.
	if len(ts.Certificates) == 0 {
		return nil, fail("carries no TSA certificate, so its signature cannot be checked")
	}
	p7, err := pkcs7.Parse(ts.RawToken)
	if err != nil {
		return nil, fail("%v", err)
	}
	if len(p7.Signers) != 1 {
		return nil, fail("has %d signers, want 1", len(p7.Signers))
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return nil, fail("the signer's certificate is not in the token")
	}
	var ct asn1.ObjectIdentifier
	if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeContentType, &ct); err != nil {
		return nil, fail("no signed content-type attribute: %v", err)
	}
	if !ct.Equal(idCTTSTInfo) {
		return nil, fail("signed content type is %v, not id-ct-TSTInfo", ct)
	}
	if ts.HashAlgorithm != crypto.SHA256 || len(ts.HashedMessage) != sha256.Size {
		return nil, fail("covers a %v digest; hozen asks for and accepts SHA-256 only", ts.HashAlgorithm)
	}
	t := &Token{Time: ts.Time.UTC(), Accuracy: ts.Accuracy, Digest: ts.HashedMessage, Policy: ts.Policy.String(),
		Signer: signer, Certs: ts.Certificates}
	if ts.SerialNumber != nil {
		t.Serial = ts.SerialNumber.Text(16)
	}
	if ts.Nonce != nil {
		t.nonce = ts.Nonce.Bytes()
	}
	return t, nil
}

// isResponse tells a TimeStampResp (SEQUENCE { PKIStatusInfo SEQUENCE, ...})
// from a bare token (ContentInfo: SEQUENCE { OID, ... }).
func isResponse(der []byte) (bool, error) {
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(der, &outer); err != nil || outer.Tag != asn1.TagSequence {
		return false, fail("not DER: neither a TimeStampResp nor a TimeStampToken")
	}
	var first asn1.RawValue
	if _, err := asn1.Unmarshal(outer.Bytes, &first); err != nil {
		return false, fail("not DER: neither a TimeStampResp nor a TimeStampToken")
	}
	return first.Tag == asn1.TagSequence, nil
}

// Verified is a token that passed [Check].
type Verified struct {
	*Token
	// Trusted: the TSA certificate chains to a root given to Check; Chain
	// is that chain, the signer first and the root last.
	Trusted bool
	Chain   []*x509.Certificate
}

// Subject is the TSA certificate's subject, as openssl prints it.
func (t *Token) Subject() string { return t.Signer.Subject.String() }

// Root is the subject of the trusted root the chain ends at, or "".
func (v *Verified) Root() string {
	if len(v.Chain) == 0 {
		return ""
	}
	return v.Chain[len(v.Chain)-1].Subject.String()
}

// oidExtKeyUsage is the extended key usage extension.
var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

// Check verifies the DER reply or token der: it must cover digest (a
// SHA-256), its signature must hold, and the TSA certificate must have
// the one extended key usage timeStamping in a critical extension (RFC
// 3161, 2.3). With roots, the certificate must chain to one of them at the
// token's time, through the certificates the token carries; with nil
// roots the chain is not checked and the result is not Trusted.
// Revocation is not checked.
func Check(der, digest []byte, roots *x509.CertPool) (*Verified, error) {
	t, err := Parse(der)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(t.Digest, digest) {
		return nil, fail("covers sha256 %x, not %x", t.Digest, digest)
	}
	if err := checkTSACert(t.Signer); err != nil {
		return nil, err
	}
	v := &Verified{Token: t}
	if roots == nil {
		return v, nil
	}
	inter := x509.NewCertPool()
	for _, c := range t.Certs {
		if c != t.Signer {
			inter.AddCert(c)
		}
	}
	chains, err := t.Signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: t.Time,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	if err != nil {
		return nil, fail("the TSA certificate %q does not chain to a trusted root at %s: %v", t.Subject(), t.Time.Format(time.RFC3339), err)
	}
	v.Trusted, v.Chain = true, chains[0]
	return v, nil
}

// checkTSACert holds c to RFC 3161's rule for a TSA certificate: one
// extended key usage, timeStamping, in a critical extension.
func checkTSACert(c *x509.Certificate) error {
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidExtKeyUsage) {
			continue
		}
		if !ext.Critical {
			return fail("the TSA certificate %q has its extended key usage extension not critical (RFC 3161 requires it critical)", c.Subject)
		}
		if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(c.UnknownExtKeyUsage) != 0 {
			return fail("the TSA certificate %q may be used for more than time stamping (RFC 3161 requires timeStamping alone)", c.Subject)
		}
		return nil
	}
	return fail("the TSA certificate %q has no extended key usage timeStamping", c.Subject)
}

// SHA256Hex is the lower-case hex SHA-256 of b: how hozen names a stored
// reply (the ledger's token_sha256).
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
