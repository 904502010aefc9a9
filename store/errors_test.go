package store

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/store/s3test"
)

// Each way a push can fail before anything is stored says so, names the
// next step, and loses nothing: the bundle is untouched and no object is
// visible in the store.
func TestPushFailuresLoseNothing(t *testing.T) {
	g := startGateway(t)
	g.bucket(t, "locked", true)
	g.bucket(t, "plain", false)
	retain := PutOptions{Retention: Retention{Mode: Compliance, Until: time.Now().Add(time.Hour).Truncate(time.Second)}}
	closed := s3test.FreePort(t) // nothing listens there once freePort returns
	for _, tc := range []struct {
		name   string
		dest   string
		cfg    func(Config) Config
		po     PutOptions
		want   error
		inHint string
	}{
		{"wrong credentials", "s3://locked/p", func(c Config) Config {
			c.Getenv = func(k string) string {
				return map[string]string{"AWS_ACCESS_KEY_ID": gwKey, "AWS_SECRET_ACCESS_KEY": "wrong"}[k]
			}
			return c
		}, retain, ErrCredentials, "AWS_SECRET_ACCESS_KEY"},
		{"no credentials", "s3://locked/p", func(c Config) Config {
			c.Getenv = func(k string) string {
				if k == "AWS_SHARED_CREDENTIALS_FILE" {
					return "/nonexistent"
				}
				return ""
			}
			return c
		}, retain, ErrNoCredential, "never on the command line"},
		{"missing bucket", "s3://nosuchbucket/p", nil, retain, ErrNoBucket, "Object Lock"},
		{"bucket without object lock", "s3://plain/p", nil, retain, ErrNoLock, "Object Lock enabled"},
		{"legal hold without object lock", "s3://plain/p", nil, PutOptions{LegalHold: true}, ErrNoLock, "Object Lock enabled"},
		{"unreachable endpoint", "s3://locked/p", func(c Config) Config { c.Endpoint = "http://" + closed; return c }, retain, ErrUnreachable, "--endpoint"},
		{"clock skew", "s3://locked/p", func(c Config) Config {
			c.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
			return c
		}, retain, ErrClockSkew, "clock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := g.config(nil)
			if tc.cfg != nil {
				cfg = tc.cfg(cfg)
			}
			d, err := ParseDestination(tc.dest, cfg)
			if err != nil {
				t.Fatal(err)
			}
			path, sum := randomFile(t, t.TempDir(), "b.tar.zst", 6<<20)
			_, err = d.Preflight(context.Background(), tc.po)
			if err == nil {
				// As collect --push and push do: no upload after a failed preflight.
				t.Fatalf("preflight passed, want %v", tc.want)
			}
			var se *Error
			if !errors.Is(err, tc.want) || !errors.As(err, &se) || !strings.Contains(se.Hint, tc.inHint) {
				t.Fatalf("preflight: %v (hint %q), want %v with a hint naming %q", err, hintOf(err), tc.want, tc.inHint)
			}
			if fileSHA(t, path) != sum {
				t.Fatal("the bundle changed")
			}
			for _, b := range []string{"locked", "plain"} {
				for o := range g.client.ListObjects(context.Background(), b, listAll()) {
					t.Fatalf("object %s/%s visible after a failed push", b, o.Key)
				}
			}
		})
	}
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	for ep, ok := range map[string]bool{
		"http://127.0.0.1:9000": true, "http://localhost:9000": true, "http://[::1]:9000": true,
		"http://10.0.0.1:9000": false, "http://s3.example.org": false, "https://s3.example.org": true,
		"ftp://x": false, "https://s3.example.org/path": false,
	} {
		_, err := ParseDestination("s3://b/p", Config{Endpoint: ep})
		if (err == nil) != ok {
			t.Errorf("endpoint %s: err %v, want allowed %v", ep, err, ok)
		}
	}
}

func TestParseRetention(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		mode, until, dur string
		want             time.Time
		bad              bool
	}{
		{"compliance", "", "7y", now.Add(7 * 365 * 24 * time.Hour), false},
		{"governance", "2027-03-04", "", time.Date(2027, 3, 4, 0, 0, 0, 0, time.UTC), false},
		{"compliance", "2025-01-01", "", time.Time{}, true}, // past
		{"compliance", "", "", time.Time{}, true},
		{"", "", "30d", time.Time{}, true},
		{"strict", "", "30d", time.Time{}, true},
		{"compliance", "x", "30d", time.Time{}, true},
		{"compliance", "", "-1d", time.Time{}, true},
	} {
		r, err := ParseRetention(tc.mode, tc.until, tc.dur, now)
		if (err != nil) != tc.bad || (!tc.bad && !r.Until.Equal(tc.want)) {
			t.Errorf("%q %q %q: %v %v", tc.mode, tc.until, tc.dur, r, err)
		}
	}
}

func hintOf(err error) string {
	var se *Error
	if errors.As(err, &se) {
		return se.Hint
	}
	return ""
}

func TestCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/credentials"
	write := func(s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("[default]\naws_access_key_id = A\naws_secret_access_key = S\n[profile ir]\naws_access_key_id=B\naws_secret_access_key=T\naws_session_token=X\n")
	env := map[string]string{"AWS_PROFILE": "ir"}
	c, err := loadCredentials(Config{CredentialsFile: p, Getenv: func(k string) string { return env[k] }})
	if err != nil || c.id != "B" || c.secret != "T" || c.token != "X" {
		t.Fatalf("profile ir: %+v %v", c, err)
	}
	// A profile that would run a program of the host is refused.
	write("[default]\ncredential_process = /bin/sh -c 'touch " + dir + "/ran'\n")
	_, err = loadCredentials(Config{CredentialsFile: p, Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "credential_process") {
		t.Fatalf("credential_process: %v", err)
	}
	if _, err := os.Stat(dir + "/ran"); err == nil {
		t.Fatal("credential_process ran")
	}
}
