package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/hozen-dfir/hozen/store/s3test"
)

// A real S3 server for the tests: store/s3test (versitygw on 127.0.0.1).

const (
	gwKey    = "hozenroot"
	gwSecret = "hozen-test-secret-0123456789"
)

type gateway struct {
	endpoint string
	client   *minio.Client
}

// startGateway starts versitygw for the test and stops it at its end.
func startGateway(t testing.TB) *gateway {
	t.Helper()
	g := s3test.Start(t, gwKey, gwSecret)
	return &gateway{endpoint: g.Endpoint, client: g.Client}
}

// bucket makes a bucket, with Object Lock or without.
func (g *gateway) bucket(t testing.TB, name string, lock bool) {
	t.Helper()
	if err := g.client.MakeBucket(context.Background(), name, minio.MakeBucketOptions{ObjectLocking: lock}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
}

func (g *gateway) config(env map[string]string) Config {
	if env == nil {
		env = map[string]string{"AWS_ACCESS_KEY_ID": gwKey, "AWS_SECRET_ACCESS_KEY": gwSecret}
	}
	return Config{Endpoint: g.endpoint, Region: "us-east-1", Getenv: func(k string) string { return env[k] }}
}

func (g *gateway) dest(t testing.TB, url string, env map[string]string) Destination {
	t.Helper()
	d, err := ParseDestination(url, g.config(env))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// randomFile writes size random bytes to dir/name and returns its path and
// SHA-256.
func randomFile(t testing.TB, dir, name string, size int) (string, string) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return p, hex.EncodeToString(s[:])
}

func fileSHA(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func objectSHA(t testing.TB, cl *minio.Client, bucket, key, version string) string {
	t.Helper()
	o, err := cl.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{VersionID: version})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	h := sha256.New()
	if _, err := fmt.Fprint(h); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for {
		n, err := o.Read(buf)
		h.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }

func fileStat(p string) (os.FileInfo, error) { return os.Stat(p) }

func listAll() minio.ListObjectsOptions {
	return minio.ListObjectsOptions{Recursive: true, WithVersions: true}
}
