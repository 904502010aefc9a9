package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	mcreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// A real S3 server for the tests: versitygw with its posix backend on a
// temporary directory, versioning on (so buckets can have Object Lock),
// on 127.0.0.1. Install it with
//
//	CGO_ENABLED=0 go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// (make test-store; .ci/run does). $VERSITYGW names another binary.

const (
	gwKey    = "hozenroot"
	gwSecret = "hozen-test-secret-0123456789"
)

type gateway struct {
	endpoint string
	client   *minio.Client
}

func versitygw(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("VERSITYGW"); p != "" {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	p := filepath.Join(gopath, "bin", "versitygw")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("versitygw not installed (%s): run 'CGO_ENABLED=0 go install github.com/versity/versitygw/cmd/versitygw@v1.8.0' or set VERSITYGW; 'make test-store' does", p)
	}
	return p
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startGateway starts versitygw for the test and stops it at its end.
func startGateway(t testing.TB) *gateway {
	t.Helper()
	bin := versitygw(t)
	dir := t.TempDir()
	root, ver := filepath.Join(dir, "root"), filepath.Join(dir, "versions")
	for _, d := range []string{root, ver} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	addr := freePort(t)
	cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", "--versioning-dir", ver, root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+gwKey, "ROOT_SECRET_ACCESS_KEY="+gwSecret)
	log, err := os.Create(filepath.Join(dir, "gw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); log.Close() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 200 {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("versitygw did not listen on %s: %s", addr, b)
		}
		time.Sleep(25 * time.Millisecond)
	}
	cl, err := minio.New(addr, &minio.Options{Creds: mcreds.NewStaticV4(gwKey, gwSecret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return &gateway{endpoint: "http://" + addr, client: cl}
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
