// Package tsatest is a time-stamping authority for tests: a root CA, a TSA
// certificate it issues, and an http.Handler that answers RFC 3161
// requests with github.com/digitorus/timestamp's response creation. Only
// tests import it.
package tsatest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"
)

// Options shape the TSA certificate, for negative tests.
type Options struct {
	// NoEKU leaves the extended key usage out; EKUNotCritical puts
	// timeStamping in a non-critical extension.
	NoEKU, EKUNotCritical bool
	// Name is the TSA's common name; "" is "hozen test TSA".
	Name string
}

// PKI is a root and the TSA certificate it issued.
type PKI struct {
	Root, TSA       *x509.Certificate
	RootKey, TSAKey crypto.Signer
	// Now is the TSA's clock; nil is time.Now.
	Now func() time.Time
}

var (
	oidExtKeyUsage   = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidTimeStamping  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	testPolicy       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
	notBefore, after = time.Now().Add(-time.Hour), time.Now().Add(24 * time.Hour)
)

// New makes a root CA and a TSA certificate.
func New(o Options) (*PKI, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	rootT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hozen test root"},
		NotBefore: notBefore, NotAfter: after, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootT, rootT, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, err
	}
	tsaKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	name := o.Name
	if name == "" {
		name = "hozen test TSA"
	}
	tsaT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		NotBefore: notBefore, NotAfter: after, KeyUsage: x509.KeyUsageDigitalSignature}
	if !o.NoEKU {
		v, err := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
		if err != nil {
			return nil, err
		}
		tsaT.ExtraExtensions = []pkix.Extension{{Id: oidExtKeyUsage, Critical: !o.EKUNotCritical, Value: v}}
	}
	tsaDER, err := x509.CreateCertificate(rand.Reader, tsaT, root, tsaKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	tsa, err := x509.ParseCertificate(tsaDER)
	if err != nil {
		return nil, err
	}
	return &PKI{Root: root, TSA: tsa, RootKey: rootKey, TSAKey: tsaKey}, nil
}

// Respond answers the DER request query with a DER TimeStampResp.
func (p *PKI) Respond(query []byte) ([]byte, error) {
	req, err := timestamp.ParseRequest(query)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage,
		Time: now().UTC().Truncate(time.Second), Nonce: req.Nonce, Policy: testPolicy,
		AddTSACertificate: req.Certificates, Accuracy: time.Second}
	return ts.CreateResponseWithOpts(p.TSA, p.TSAKey, crypto.SHA256)
}

// ServeHTTP answers an RFC 3161 POST.
func (p *PKI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a timestamp query", http.StatusMethodNotAllowed)
		return
	}
	q, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := p.Respond(q)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}

// PEM encodes a certificate.
func PEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
