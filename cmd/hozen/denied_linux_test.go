package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCollectDeniedAsNobody runs collect as user nobody over a tree holding
// a file and a directory only root may read: each gets a record with
// outcome "denied" and the error, the readable file is collected, and the
// bundle verifies. Needs root (to become nobody); skipped otherwise.
func TestCollectDeniedAsNobody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run collect as nobody")
	}
	if testing.Short() {
		t.Skip("builds the hozen binary")
	}
	base, err := os.MkdirTemp("", "hozen-denied-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(base, 0o755))
	bin := filepath.Join(base, "hozen")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tree := filepath.Join(base, "tree")
	must(os.MkdirAll(filepath.Join(tree, "private"), 0o755))
	must(os.WriteFile(filepath.Join(tree, "open.txt"), []byte("anyone\n"), 0o644))
	must(os.WriteFile(filepath.Join(tree, "secret.txt"), []byte("root only\n"), 0o600))
	must(os.WriteFile(filepath.Join(tree, "private", "inner.txt"), []byte("root only\n"), 0o600))
	must(os.Chmod(filepath.Join(tree, "private"), 0o700))
	out := filepath.Join(base, "out")
	must(os.Mkdir(out, 0o777))
	must(os.Chmod(out, 0o777))
	prof := filepath.Join(base, "files.yaml")
	must(os.WriteFile(prof, []byte("name: files\ndescription: files only\ncollectors: [system]\n"), 0o644))

	cmd := exec.Command(bin, "collect", "--profile", prof, "--out", out, "--include", tree+"/**")
	cmd.Env = []string{"HOME=" + base, "USER=nobody", "PATH=/usr/bin:/bin"}
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("collect as nobody: %v\n%s", err, stderr.String())
	}
	bundlePath := strings.TrimSpace(stdout.String())
	var vout, verr bytes.Buffer
	if code := run([]string{"verify", bundlePath}, nil, &vout, &verr); code != 0 {
		t.Fatalf("verify exit %d: %s%s", code, vout.String(), verr.String())
	}
	var lsOut bytes.Buffer
	if code := run([]string{"ls", "--json", bundlePath}, nil, &lsOut, &verr); code != 0 {
		t.Fatalf("ls exit %d: %s", code, verr.String())
	}
	recs := map[string]string{}
	for _, line := range strings.Split(lsOut.String(), "\n") {
		for _, n := range []string{"open.txt", "secret.txt", "private"} {
			if strings.Contains(line, `"source":"`+filepath.Join(tree, n)+`"`) {
				recs[n] = line
			}
		}
	}
	t.Logf("secret.txt: %s", recs["secret.txt"])
	t.Logf("private: %s", recs["private"])
	for n, want := range map[string]string{
		"open.txt":   `"outcome":"ok"`,
		"secret.txt": `"outcome":"denied","errors":["open ` + filepath.Join(tree, "secret.txt") + `: permission denied"]`,
		"private":    `"outcome":"denied","errors":["open ` + filepath.Join(tree, "private") + `: permission denied"]`,
	} {
		if !strings.Contains(recs[n], want) {
			t.Errorf("%s: record %q lacks %s", n, recs[n], want)
		}
	}
}
