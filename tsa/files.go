package tsa

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
)

// LoadRoots reads the PEM certificates in the files as the roots a TSA
// certificate must chain to.
func LoadRoots(files ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		n := 0
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				break
			}
			if blk.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			pool.AddCert(c)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no PEM certificate in it", f)
		}
	}
	return pool, nil
}

// FileResult is one stored token checked against a digest.
type FileResult struct {
	File string
	// Verified is set when the token passed; Err says why it did not.
	*Verified
	Err error
}

// CheckFiles checks each stored reply (sidecar) against digest and roots
// (nil: the chain is not checked).
func CheckFiles(files []string, digest []byte, roots *x509.CertPool) []FileResult {
	out := make([]FileResult, 0, len(files))
	for _, f := range files {
		b, err := readBounded(f)
		if err != nil {
			out = append(out, FileResult{File: f, Err: err})
			continue
		}
		v, err := Check(b, digest, roots)
		out = append(out, FileResult{File: f, Verified: v, Err: err})
	}
	return out
}

// readBounded reads a stored reply, refusing one larger than [MaxReply].
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxReply+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxReply {
		return nil, fail("%s is larger than %d bytes: not a timestamp reply", path, MaxReply)
	}
	return b, nil
}
