// Package s3test runs a real S3 server for the tests of store and of the
// hozen command: versitygw with its posix backend on a temporary
// directory, versioning on (so buckets can have Object Lock), on
// 127.0.0.1. Install it with
//
//	CGO_ENABLED=0 go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// (make test-store; .ci/run does). $VERSITYGW names another binary. A test
// is skipped when there is none. It is imported by tests only.
package s3test

import (
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

// Gateway is a running versitygw.
type Gateway struct {
	Endpoint string        // http://127.0.0.1:PORT
	Client   *minio.Client // logged in with the root credentials
}

// Binary returns the versitygw to run: $VERSITYGW, else
// $(go env GOPATH)/bin/versitygw; it skips the test when there is none.
func Binary(tb testing.TB) string {
	tb.Helper()
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
		tb.Skipf("versitygw not installed (%s): run 'CGO_ENABLED=0 go install github.com/versity/versitygw/cmd/versitygw@v1.8.0' or set VERSITYGW; 'make test-store' does", p)
	}
	return p
}

// FreePort returns an address on 127.0.0.1 that nothing listens on (once
// it returns).
func FreePort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start starts versitygw for the test, with the root credentials key and
// secret, and stops it at the test's end.
func Start(tb testing.TB, key, secret string) *Gateway {
	tb.Helper()
	bin := Binary(tb)
	dir := tb.TempDir()
	root, ver := filepath.Join(dir, "root"), filepath.Join(dir, "versions")
	for _, d := range []string{root, ver} {
		if err := os.Mkdir(d, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	addr := FreePort(tb)
	cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", "--versioning-dir", ver, root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+key, "ROOT_SECRET_ACCESS_KEY="+secret)
	log, err := os.Create(filepath.Join(dir, "gw.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); log.Close() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 200 {
			b, _ := os.ReadFile(log.Name())
			tb.Fatalf("versitygw did not listen on %s: %s", addr, b)
		}
		time.Sleep(25 * time.Millisecond)
	}
	cl, err := minio.New(addr, &minio.Options{Creds: mcreds.NewStaticV4(key, secret, ""), Region: "us-east-1"})
	if err != nil {
		tb.Fatal(err)
	}
	return &Gateway{Endpoint: "http://" + addr, Client: cl}
}
