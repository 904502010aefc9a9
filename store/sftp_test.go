package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/hozen-dfir/hozen/store/sftptest"
)

// sftpEnv is a running SFTP server, a directory it serves, and the
// client's known_hosts and key.
type sftpEnv struct {
	srv                  *sftptest.Server
	dir                  string // the store directory on the "server"
	knownHosts, identity string
	home                 string
}

func startSFTP(t *testing.T) *sftpEnv {
	t.Helper()
	srv, err := sftptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &sftpEnv{srv: srv, dir: filepath.Join(t.TempDir(), "store"), home: t.TempDir()}
	if err := os.Mkdir(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keysDir := t.TempDir()
	if e.knownHosts, e.identity, err = srv.WriteFiles(keysDir); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *sftpEnv) url() string { return "sftp://" + e.srv.User + "@" + e.srv.Addr + e.dir }

// dest is a destination trusting known_hosts unless sc says otherwise;
// HOME is a directory without .ssh and there is no ssh-agent.
func (e *sftpEnv) dest(t *testing.T, sc SFTPConfig, warn *[]string) *sftpDest {
	t.Helper()
	if sc.Identity == "" {
		sc.Identity = e.identity
	}
	cfg := Config{SFTP: sc, Getenv: func(k string) string {
		if k == "HOME" {
			return e.home
		}
		return ""
	}}
	if warn != nil {
		cfg.Warn = func(m string) { *warn = append(*warn, m) }
	}
	d, err := ParseDestination(e.url(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.(*sftpDest).Close() })
	return d.(*sftpDest)
}

func sha(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestSFTPPushByteIdentical(t *testing.T) {
	e := startSFTP(t)
	d := e.dest(t, SFTPConfig{KnownHosts: e.knownHosts}, nil)
	if _, err := d.Preflight(context.Background(), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(e.dir); len(left) != 0 {
		t.Fatalf("the preflight left %v on the server", left)
	}
	name := "case-1_host_20260101T000000Z_x.tar.zst"
	path, sum := randomFile(t, t.TempDir(), name, 3<<20+17)
	st, err := d.Put(context.Background(), path, PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := filepath.Join(e.dir, name)
	if got := sha(t, stored); got != sum || st.SHA256 != sum || st.Size != 3<<20+17 {
		t.Fatalf("server holds sha256 %s, Put said %+v; the bundle's is %s", got, st, sum)
	}
	if _, err := os.Stat(stored + PartialSuffix); !os.IsNotExist(err) {
		t.Fatalf("the .partial outlived the push: %v", err)
	}
	if want := "sftp://hozen@" + e.srv.Addr + stored; st.URL() != want {
		t.Fatalf("URL %s, want %s", st.URL(), want)
	}
	if st.HostKey != ssh.FingerprintSHA256(e.srv.HostKey) {
		t.Fatalf("host key recorded %q, want %s", st.HostKey, ssh.FingerprintSHA256(e.srv.HostKey))
	}
	// ParseObject of that URL opens the same bytes.
	od, oname, err := ParseObject(st.URL(), Config{SFTP: SFTPConfig{KnownHosts: e.knownHosts, Identity: e.identity}})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := od.Open(context.Background(), oname)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	buf := make([]byte, 1<<16)
	for {
		n, err := obj.Read(buf)
		h.Write(buf[:n])
		if err != nil {
			break
		}
	}
	obj.Close()
	od.(*sftpDest).Close()
	if got := hex.EncodeToString(h.Sum(nil)); got != sum || obj.Info().Size != st.Size {
		t.Fatalf("Open read sha256 %s (%d bytes), want %s", got, obj.Info().Size, sum)
	}
}

func TestSFTPHostKeyRefused(t *testing.T) {
	e := startSFTP(t)
	path, _ := randomFile(t, t.TempDir(), "b.tar.zst", 1000)
	other, err := sftptest.Start() // another server: another host key
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	wrongKH := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(wrongKH, []byte(knownhosts.Line([]string{e.srv.Addr}, other.HostKey)+"\n"), 0o600)
	for _, tc := range []struct {
		name string
		sc   SFTPConfig
		want string
	}{
		{"changed key in known_hosts", SFTPConfig{KnownHosts: wrongKH}, "holds another key for it"},
		{"host not in known_hosts", SFTPConfig{KnownHosts: writeTemp(t, "[127.0.0.1]:1 "+strings.TrimSpace(e.srv.AuthorizedKey()))}, "is not in known_hosts"},
		{"pinned key differs", SFTPConfig{HostKey: strings.TrimSpace(other.AuthorizedKey())}, "--host-key pins"},
		{"pinned fingerprint differs", SFTPConfig{HostKey: ssh.FingerprintSHA256(other.HostKey)}, "--host-key pins"},
		{"no known_hosts, no pin", SFTPConfig{}, "no known_hosts file"},
		{"no such known_hosts", SFTPConfig{KnownHosts: filepath.Join(t.TempDir(), "nope")}, "no known_hosts file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.dest(t, tc.sc, nil)
			_, err := d.Put(context.Background(), path, PutOptions{})
			var se *Error
			if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &se) ||
				!strings.Contains(se.Hint, "known_hosts") || !strings.Contains(se.Hint, "--host-key") {
				t.Fatalf("err %v (hint %q), want ErrHostKey saying %q", err, hintOf(err), tc.want)
			}
			if left, _ := os.ReadDir(e.dir); len(left) != 0 {
				t.Fatalf("refused, yet the server holds %v", left)
			}
		})
	}
	// The right pins are accepted.
	for _, pin := range []string{strings.TrimSpace(e.srv.AuthorizedKey()), ssh.FingerprintSHA256(e.srv.HostKey)} {
		d := e.dest(t, SFTPConfig{HostKey: pin}, nil)
		if _, err := d.Preflight(context.Background(), PutOptions{}); err != nil {
			t.Fatalf("pin %s: %v", pin, err)
		}
	}
	// ~/.ssh/known_hosts is the default.
	os.MkdirAll(filepath.Join(e.home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(e.home, ".ssh", "known_hosts"), []byte(e.srv.KnownHostsLine()+"\n"), 0o600)
	if _, err := e.dest(t, SFTPConfig{}, nil).Preflight(context.Background(), PutOptions{}); err != nil {
		t.Fatalf("~/.ssh/known_hosts: %v", err)
	}
}

func writeTemp(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSFTPResumeAfterCut(t *testing.T) {
	e := startSFTP(t)
	name := "cut.tar.zst"
	size := 8 << 20
	path, sum := randomFile(t, t.TempDir(), name, size)
	e.srv.CutAfter.Store(int64(size / 2))
	_, err := e.dest(t, SFTPConfig{KnownHosts: e.knownHosts}, nil).Put(context.Background(), path, PutOptions{})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(hintOf(err), "resumes") {
		t.Fatalf("cut upload: %v (hint %q), want ErrUnreachable saying it resumes", err, hintOf(err))
	}
	fi, err := os.Stat(filepath.Join(e.dir, name+PartialSuffix))
	if err != nil || fi.Size() == 0 || fi.Size() >= int64(size) {
		t.Fatalf("after the cut the .partial is %v, %v: want part of the bundle", fi, err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, name)); !os.IsNotExist(err) {
		t.Fatalf("a cut upload has its final name: %v", err)
	}
	var sent int64
	st, err := e.dest(t, SFTPConfig{KnownHosts: e.knownHosts}, nil).Put(context.Background(), path, PutOptions{
		Progress: func(done, total int64) {
			if sent == 0 {
				sent = done
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Resumed || sent != fi.Size() {
		t.Fatalf("resumed %v from %d, want from the %d bytes on the server", st.Resumed, sent, fi.Size())
	}
	if got := sha(t, filepath.Join(e.dir, name)); got != sum || st.SHA256 != sum {
		t.Fatalf("resumed upload: server sha256 %s, want %s", got, sum)
	}
}

func TestSFTPCorruptPartialRestarts(t *testing.T) {
	e := startSFTP(t)
	name := "corrupt.tar.zst"
	path, sum := randomFile(t, t.TempDir(), name, 2<<20)
	b, _ := os.ReadFile(path)
	prefix := append([]byte(nil), b[:1<<20]...)
	prefix[1000] ^= 0x40 // one byte changed on the server
	partial := filepath.Join(e.dir, name+PartialSuffix)
	os.WriteFile(partial, prefix, 0o644)
	var warn []string
	var first int64 = -1
	st, err := e.dest(t, SFTPConfig{KnownHosts: e.knownHosts}, &warn).Put(context.Background(), path, PutOptions{
		Progress: func(done, total int64) {
			if first < 0 {
				first = done
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Resumed || first != 0 || len(warn) != 1 || !strings.Contains(warn[0], "differs") {
		t.Fatalf("resumed %v from %d, warnings %q: want a restart from 0 with a warning", st.Resumed, first, warn)
	}
	if got := sha(t, filepath.Join(e.dir, name)); got != sum {
		t.Fatalf("server sha256 %s, want %s", got, sum)
	}
}

func TestSFTPNeverOverwrites(t *testing.T) {
	e := startSFTP(t)
	name := "exists.tar.zst"
	path, _ := randomFile(t, t.TempDir(), name, 1<<20)
	target := filepath.Join(e.dir, name)
	os.WriteFile(target, []byte("the earlier bundle\n"), 0o644)
	_, err := e.dest(t, SFTPConfig{KnownHosts: e.knownHosts}, nil).Put(context.Background(), path, PutOptions{})
	if !errors.Is(err, ErrExists) || !strings.Contains(hintOf(err), "never overwritten") {
		t.Fatalf("push over an existing name: %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "the earlier bundle\n" {
		t.Fatalf("the existing file was changed: %q", b)
	}
	if _, err := os.Stat(target + PartialSuffix); !os.IsNotExist(err) {
		t.Fatalf("a refused push wrote a .partial: %v", err)
	}

	// The name appears while the upload runs: the final step refuses it.
	name2 := "race.tar.zst"
	path2, _ := randomFile(t, t.TempDir(), name2, 2<<20)
	target2 := filepath.Join(e.dir, name2)
	_, err = e.dest(t, SFTPConfig{KnownHosts: e.knownHosts}, nil).Put(context.Background(), path2, PutOptions{
		Progress: func(done, total int64) {
			if done > 0 && done < total {
				os.WriteFile(target2, []byte("someone else's\n"), 0o644)
			}
		}})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "appeared") {
		t.Fatalf("a name that appeared during the upload: %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(target2); string(b) != "someone else's\n" {
		t.Fatalf("the file that appeared was overwritten: %q", b[:min(len(b), 40)])
	}
}

func TestSFTPRefusesRetention(t *testing.T) {
	e := startSFTP(t)
	d := e.dest(t, SFTPConfig{KnownHosts: e.knownHosts}, nil)
	_, err := d.Preflight(context.Background(), PutOptions{LegalHold: true})
	if !errors.Is(err, ErrNoLock) {
		t.Fatalf("legal hold on sftp: %v, want ErrNoLock", err)
	}
}

func TestParseSFTPDestination(t *testing.T) {
	for in, want := range map[string]string{
		"sftp://u@h/srv/evidence":      "u@h:22 /srv/evidence",
		"sftp://u@h:2222/srv/e/":       "u@h:2222 /srv/e",
		"sftp://u@h/~/evidence":        "u@h:22 evidence",
		"sftp://u@h":                   "u@h:22 /",
		"sftp://u@[::1]:2222/x":        "u@[::1]:2222 /x",
		"sftp://h/x":                   "error",
		"sftp://u:pw@h/x":              "error",
		"sftp://u@h:99999/x":           "error",
		"sftp://u@h/../etc":            "error",
		"sftp://u@h/srv/../../../root": "error",
	} {
		d, err := ParseDestination(in, Config{})
		got := "error"
		if err == nil {
			s := d.(*sftpDest)
			got = s.user + "@" + s.addr + " " + s.dir
		}
		if got != want {
			t.Errorf("%s: %s (%v), want %s", in, got, err, want)
		}
	}
}
