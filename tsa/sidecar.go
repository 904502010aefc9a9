package tsa

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
)

// A file's timestamps are stored beside it, never in it: FILE.tsr, then
// FILE.2.tsr, FILE.3.tsr, ... one DER TimeStampResp each, as the TSA sent
// it ('openssl ts -verify -in FILE.tsr' reads it as is). A new token takes
// the next free name; an existing one is never overwritten.

// maxSidecars bounds the numbered sidecars looked for.
const maxSidecars = 100

// SidecarName is the n-th sidecar of file (n from 1).
func SidecarName(file string, n int) string {
	if n <= 1 {
		return file + ".tsr"
	}
	return file + "." + strconv.Itoa(n) + ".tsr"
}

// Sidecars lists the sidecars of file that exist, in order: FILE.tsr, then
// FILE.2.tsr and on while they exist.
func Sidecars(file string) ([]string, error) {
	var out []string
	for n := 1; n <= maxSidecars; n++ {
		p := SidecarName(file, n)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			if n == 1 {
				continue // FILE.2.tsr may stand without FILE.tsr if it was moved away
			}
			break
		} else if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// WriteSidecar stores der as the next free sidecar of file and returns its
// path. It never replaces a file.
func WriteSidecar(file string, der []byte) (string, error) {
	for n := 1; n <= maxSidecars; n++ {
		p := SidecarName(file, n)
		err := WriteNew(p, der)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return p, nil
	}
	return "", fmt.Errorf("%s: %d timestamp files already", file, maxSidecars)
}

// WriteNew writes der to a new file p, synced; an existing p is
// fs.ErrExist and left alone.
func WriteNew(p string, der []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err = f.Write(der); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
	}
	return err
}

// FileSHA256 is the SHA-256 of a file's bytes: what a bundle's timestamp
// covers ('sha256sum FILE').
func FileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h.Sum(nil), nil
}

// Stamped is a token asked for and stored.
type Stamped struct {
	*Reply
	// Sidecar is the file the reply was stored in; SidecarSHA256 the
	// SHA-256 of its bytes (the ledger's token_sha256).
	Sidecar, SidecarSHA256 string
}

// Stamp asks the TSA at url for a token over digest and stores the reply
// as the next sidecar of file.
func Stamp(ctx context.Context, client *http.Client, url, file string, digest []byte) (*Stamped, error) {
	r, err := Request(ctx, client, url, digest)
	if err != nil {
		return nil, err
	}
	p, err := WriteSidecar(file, r.DER)
	if err != nil {
		return nil, fmt.Errorf("storing the token from %s: %w", url, err)
	}
	return &Stamped{Reply: r, Sidecar: p, SidecarSHA256: SHA256Hex(r.DER)}, nil
}
