package tsa_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/tsa"
	"github.com/hozen-dfir/hozen/tsa/tsatest"
)

func newTSA(t *testing.T, o tsatest.Options) (*tsatest.PKI, string) {
	t.Helper()
	p, err := tsatest.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func pool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

func TestRequestAndCheck(t *testing.T) {
	p, url := newTSA(t, tsatest.Options{})
	digest := sha256.Sum256([]byte("a bundle"))
	before := time.Now().Add(-2 * time.Second)
	r, err := tsa.Request(context.Background(), nil, url, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	v, err := tsa.Check(r.DER, digest[:], pool(p.Root))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Trusted || v.Root() != "CN=hozen test root" || v.Subject() != "CN=hozen test TSA" {
		t.Errorf("trusted %v root %q subject %q", v.Trusted, v.Root(), v.Subject())
	}
	if v.Time.Before(before) || v.Time.After(time.Now().Add(time.Second)) {
		t.Errorf("genTime %s is not now", v.Time)
	}
	// Without roots: the signature and imprint hold, the chain is unknown.
	u, err := tsa.Check(r.DER, digest[:], nil)
	if err != nil || u.Trusted {
		t.Errorf("no roots: %v, trusted %v", err, u != nil && u.Trusted)
	}
}

func TestCheckRefuses(t *testing.T) {
	p, url := newTSA(t, tsatest.Options{})
	other, _ := newTSA(t, tsatest.Options{})
	digest := sha256.Sum256([]byte("a bundle"))
	r, err := tsa.Request(context.Background(), nil, url, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	noEKU, noEKUURL := newTSA(t, tsatest.Options{NoEKU: true})
	r2, err := tsa.Request(context.Background(), nil, noEKUURL, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	soft, softURL := newTSA(t, tsatest.Options{EKUNotCritical: true})
	r3, err := tsa.Request(context.Background(), nil, softURL, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	otherDigest := sha256.Sum256([]byte("another bundle"))
	for _, tc := range []struct {
		name   string
		der    []byte
		digest []byte
		roots  *x509.CertPool
		want   string
	}{
		{"other digest", r.DER, otherDigest[:], pool(p.Root), "covers sha256 " + hex.EncodeToString(digest[:])},
		{"other root", r.DER, digest[:], pool(other.Root), "does not chain to a trusted root"},
		{"no eku", r2.DER, digest[:], pool(noEKU.Root), "has no extended key usage timeStamping"},
		{"eku not critical", r3.DER, digest[:], pool(soft.Root), "not critical"},
		{"empty", nil, digest[:], pool(p.Root), "not DER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tsa.Check(tc.der, tc.digest, tc.roots)
			if !errors.Is(err, tsa.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	// No flipped bit changes what a token that still passes says: the
	// time, the digest and the signer are signed.
	passed := 0
	for i := range r.DER {
		b := append([]byte(nil), r.DER...)
		b[i] ^= 0x01
		v, err := tsa.Check(b, digest[:], pool(p.Root))
		if err != nil {
			continue
		}
		passed++
		if !v.Time.Equal(r.Time) || v.Subject() != r.Subject() {
			t.Errorf("byte %d flipped: passes, saying %s by %s", i, v.Time, v.Subject())
		}
	}
	if passed > len(r.DER)/4 {
		t.Errorf("%d of %d single-bit flips pass", passed, len(r.DER))
	}
}

// TestFlippedSignedByte flips a byte in the signed TSTInfo (the genTime):
// the signature no longer holds.
func TestFlippedSignedByte(t *testing.T) {
	p, url := newTSA(t, tsatest.Options{})
	digest := sha256.Sum256([]byte("a bundle"))
	r, err := tsa.Request(context.Background(), nil, url, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	gt := []byte(r.Time.Format("20060102150405"))
	i := strings.Index(string(r.DER), string(gt))
	if i < 0 {
		t.Fatalf("genTime %s not found in the reply", gt)
	}
	b := append([]byte(nil), r.DER...)
	b[i+3] ^= 0x01 // the year's last digit: still a valid time
	if _, err := tsa.Check(b, digest[:], pool(p.Root)); !errors.Is(err, tsa.ErrInvalid) {
		t.Fatalf("a changed genTime passed: %v", err)
	}
}

func TestRequestRefuses(t *testing.T) {
	if _, err := tsa.Request(context.Background(), nil, "file:///etc/passwd", make([]byte, 32)); err == nil {
		t.Error("a file: URL was accepted")
	}
	if _, err := tsa.Request(context.Background(), nil, "http://127.0.0.1:1/", make([]byte, 32)); err == nil {
		t.Error("nothing listening, no error")
	}
	// A server that answers something else than a reply.
	srv := httptest.NewServer(nil)
	defer srv.Close()
	if _, err := tsa.Request(context.Background(), nil, srv.URL, make([]byte, 32)); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a 404 gave %v", err)
	}
}

// TestOpensslVerifies: what Request returns is what 'openssl ts -verify'
// accepts as is.
func TestOpensslVerifies(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("needs openssl")
	}
	p, url := newTSA(t, tsatest.Options{})
	data := []byte("a bundle's bytes")
	digest := sha256.Sum256(data)
	r, err := tsa.Request(context.Background(), nil, url, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ca, tsr, file := write("ca.pem", tsatest.PEM(p.Root)), write("x.tsr", r.DER), write("data", data)
	out, err := exec.Command("openssl", "ts", "-verify", "-data", file, "-in", tsr, "-CAfile", ca).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v\n%s", err, out)
	}
	other, _ := newTSA(t, tsatest.Options{})
	out, err = exec.Command("openssl", "ts", "-verify", "-data", file, "-in", tsr, "-CAfile", write("other.pem", tsatest.PEM(other.Root))).CombinedOutput()
	if err == nil {
		t.Fatalf("openssl accepted a token against another root:\n%s", out)
	}
}
