package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"time"

	"github.com/digitorus/timestamp"
)

// MaxReply bounds what a TSA may answer: a reply is a few kilobytes.
const MaxReply = 1 << 20

// DefaultTimeout bounds one request when the context has no deadline.
const DefaultTimeout = 30 * time.Second

// Reply is a TSA's answer to [Request]: the DER TimeStampResp as it came,
// which is what hozen stores, and the token in it.
type Reply struct {
	URL string
	DER []byte
	*Token
}

// Request asks the TSA at rawURL (http or https) for a token over digest,
// a SHA-256, with a fresh nonce and the TSA's certificate asked for. The
// reply must be granted, echo the nonce, cover digest and carry a
// signature that holds under the certificate it carries; its chain is not
// checked here (see [Check]). client nil is an http.Client with
// [DefaultTimeout] that verifies TLS certificates as net/http does.
func Request(ctx context.Context, client *http.Client, rawURL string, digest []byte) (*Reply, error) {
	if len(digest) != sha256.Size {
		return nil, fmt.Errorf("tsa %s: digest is %d bytes, want a SHA-256", rawURL, len(digest))
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tsa %q: want an http:// or https:// URL", rawURL)
	}
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, err
	}
	nonce.Add(nonce, big.NewInt(1)) // never 0, which a reply without a nonce would match
	req := timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest, Certificates: true, Nonce: nonce}
	body, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("tsa %s: %w", rawURL, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("tsa %s: %w", rawURL, err)
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	hr.Header.Set("Accept", "application/timestamp-reply")
	resp, err := client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("tsa %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	der, err := io.ReadAll(io.LimitReader(resp.Body, MaxReply+1))
	if err != nil {
		return nil, fmt.Errorf("tsa %s: reading the reply: %w", rawURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("tsa %s: http status %s", rawURL, resp.Status)
	}
	if len(der) > MaxReply {
		return nil, fmt.Errorf("tsa %s: reply larger than %d bytes", rawURL, MaxReply)
	}
	t, err := Parse(der)
	if err != nil {
		return nil, fmt.Errorf("tsa %s: %w", rawURL, err)
	}
	if !bytes.Equal(t.Digest, digest) {
		return nil, fmt.Errorf("tsa %s: the token covers sha256 %x, not the %x asked for", rawURL, t.Digest, digest)
	}
	if !bytes.Equal(t.nonce, nonce.Bytes()) {
		return nil, fmt.Errorf("tsa %s: the reply does not echo the request's nonce (a replayed or foreign reply)", rawURL)
	}
	return &Reply{URL: rawURL, DER: der, Token: t}, nil
}
