package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/hozen-dfir/hozen/store/s3test"
)

// startVersitygw starts a real S3 server with Object Lock on 127.0.0.1
// (store/s3test) and makes the bucket "evidence" with Object Lock.
func startVersitygw(t *testing.T) string {
	t.Helper()
	g := s3test.Start(t, "cmdroot", "cmd-secret-0123456789")
	if err := g.Client.MakeBucket(context.Background(), "evidence", minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "cmdroot")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "cmd-secret-0123456789")
	t.Setenv("AWS_REGION", "us-east-1")
	return g.Endpoint
}

// collect --push stores the sealed bundle, the ledger records it, verify
// reads it in place with its retention, and a second push of it is
// refused.
func TestCollectPushVerifyStored(t *testing.T) {
	ep := startVersitygw(t)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "note.txt"), []byte("evidence\n"), 0o600)
	out := t.TempDir()
	var stdout, stderr strings.Builder
	code := run([]string{"collect", "--profile", "volatile", "--include", filepath.Join(src, "**"), "--out", out, "--case", "c19",
		"--push", "s3://evidence/c19", "--endpoint", ep, "--retention", "compliance", "--retain-for", "1d", "--legal-hold", "--json"},
		strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("collect --push: exit %d: %s", code, stderr.String())
	}
	var sum collectSummary
	if err := json.Unmarshal([]byte(stdout.String()), &sum); err != nil {
		t.Fatal(err)
	}
	st := sum.Stored
	if st == nil || st.SHA256 != sum.SHA256 || st.Retention.Mode != "COMPLIANCE" || !st.LegalHold || st.VersionID == "" {
		t.Fatalf("stored: %+v; bundle sha256 %s", st, sum.SHA256)
	}
	if strings.Contains(stderr.String(), "cmd-secret") {
		t.Fatal("the secret reached the output")
	}
	// The ledger's stored event.
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"custody", "log", "--ledger", sum.Ledger, "--json"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("custody log: %d %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"action": "stored"`) || !strings.Contains(stdout.String(), "s3://evidence/c19/"+filepath.Base(sum.Bundle)+"?versionId=") ||
		strings.Contains(stdout.String(), "cmd-secret") {
		t.Fatalf("ledger: %s", stdout.String())
	}
	// verify in place.
	url := "s3://evidence/" + st.Key
	stdout.Reset()
	stderr.Reset()
	code = run([]string{"verify", "--endpoint", ep, url}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), url+": intact") || !strings.Contains(stdout.String(), "retention COMPLIANCE until") || !strings.Contains(stdout.String(), "legal hold on") {
		t.Fatalf("verify %s: exit %d\n%s%s", url, code, stdout.String(), stderr.String())
	}
	// A second push of the same bundle is refused, naming it.
	stdout.Reset()
	stderr.Reset()
	code = run([]string{"push", "--endpoint", ep, sum.Bundle, "s3://evidence/c19"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "already exists") || !strings.Contains(stderr.String(), "hint:") {
		t.Fatalf("second push: exit %d: %s", code, stderr.String())
	}
	// push --check on a missing bucket.
	stderr.Reset()
	code = run([]string{"push", "--check", "--endpoint", ep, "s3://missing-bucket/x"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "no such bucket") {
		t.Fatalf("push --check of a missing bucket: exit %d: %s", code, stderr.String())
	}
}

// collect --push to a store that cannot take the bundle collects nothing.
func TestCollectPushPreflightFirst(t *testing.T) {
	ep := startVersitygw(t)
	out := t.TempDir()
	var stdout, stderr strings.Builder
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	code := run([]string{"collect", "--profile", "volatile", "--out", out, "--push", "s3://evidence/x", "--endpoint", ep},
		strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "credentials refused") || !strings.Contains(stderr.String(), "nothing collected") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if ents, _ := os.ReadDir(out); len(ents) > 1 { // custody.db at most
		t.Fatalf("collect wrote %v after a failed preflight", ents)
	}
}
