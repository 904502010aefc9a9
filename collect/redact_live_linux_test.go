package collect_test

// An external test package: collect itself never imports the bundle
// writer; this test writes a real bundle from a real collection.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/manifest"
)

// TestRedactLiveBundle: a wrapper shell runs with HOZEN_PASSPHRASE in its
// environment and the passphrase on its command line, its child with it
// in the environment, and a history file holds it; hozen collects the
// process table, every /proc/*/environ and /proc/*/cmdline as files, and
// the history file, into a real bundle. Decompressed whole, the bundle
// holds the value nowhere, and the records say what was redacted where.
func TestRedactLiveBundle(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc")
	}
	secret := "pass-Kw8-live-" + strconv.Itoa(os.Getpid())
	sh := exec.Command("sh", "-c", "HOZEN_PASSPHRASE="+secret+" sleep 300; true")
	sh.Env = append(os.Environ(), "HOZEN_PASSPHRASE="+secret)
	// A group of its own, killed whole: killing the shell alone left its
	// sleep running for five minutes with the passphrase in its
	// environment, for every later collection on the machine to find.
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { syscall.Kill(-sh.Process.Pid, syscall.SIGKILL); sh.Wait() }()
	t.Cleanup(func() { // after the kill: no process of the test outlives it
		for range 100 {
			left := processesWith(secret)
			if len(left) == 0 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Errorf("processes still running with the test's passphrase: %v", processesWith(secret))
	})
	// Wait until the wrapper has started its child.
	var child int
	for i := 0; i < 200 && child == 0; i++ {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(sh.Process.Pid) + "/task/" + strconv.Itoa(sh.Process.Pid) + "/children")
		if f := strings.Fields(string(b)); len(f) > 0 {
			child, _ = strconv.Atoi(f[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if child == 0 {
		t.Fatal("the wrapper started no child")
	}
	home := t.TempDir()
	history := filepath.Join(home, ".bash_history")
	if err := os.WriteFile(history, []byte("ls\nexport HOZEN_PASSPHRASE="+secret+"\nhozen collect\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	red := collect.NewRedactor([]collect.Secret{{Name: "HOZEN_PASSPHRASE", Value: []byte(secret)}}, nil)
	env := &collect.Env{Root: "/", Now: time.Now, Redactor: red}
	hdr := &manifest.Header{BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", CaseID: "case", Examiner: "tester", StartedAt: time.Now().UTC()}
	w, err := bundle.Create(out, "live.tar.zst", hdr, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	collectors := []collect.Collector{
		&collect.Processes{NoExeHash: true},
		&collect.Files{Include: []string{"/proc/*/environ", "/proc/*/cmdline", filepath.ToSlash(history)}},
	}
	if _, err := collect.Run(context.Background(), env, collectors, w); err != nil {
		t.Fatal(err)
	}
	sealed, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(sealed.Path)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := dec.DecodeAll(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(plain, []byte(secret)); i >= 0 {
		t.Errorf("the passphrase is in the decompressed bundle at %d: %q", i, plain[max(0, i-200):min(len(plain), i+100)])
	}

	// The records: which process, which file, how many.
	recs := map[string]*manifest.Record{}
	var procs artifact.ProcessTable
	tr := tar.NewReader(bytes.NewReader(plain))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		switch {
		case strings.HasPrefix(h.Name, "hozen/records/"):
			var r manifest.Record
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			recs[string(r.Path)] = &r
		case h.Name == "volatile/processes/processes.json":
			if err := json.Unmarshal(b, &procs); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantRedacted := func(path string, want ...string) {
		t.Helper()
		r := recs[path]
		if r == nil {
			t.Errorf("no record for %s", path)
			return
		}
		all := strings.Join(r.Warnings, "\n")
		if r.Outcome != manifest.OutcomeRedacted {
			t.Errorf("%s: outcome %q, want redacted; warnings %q", path, r.Outcome, r.Warnings)
		}
		for _, s := range want {
			if !strings.Contains(all, s) {
				t.Errorf("%s: no warning %q in %q", path, s, r.Warnings)
			}
		}
	}
	pid, cpid := strconv.Itoa(sh.Process.Pid), strconv.Itoa(child)
	wantRedacted("files/proc/"+pid+"/environ", "1 occurrence(s) of a secret of hozen's (HOZEN_PASSPHRASE", "not what sha256sum gives")
	wantRedacted("files/proc/"+cpid+"/environ", "1 occurrence(s) of a secret of hozen's (HOZEN_PASSPHRASE")
	wantRedacted("files/proc/"+pid+"/cmdline", "1 occurrence(s) of a secret of hozen's (HOZEN_PASSPHRASE")
	wantRedacted("files"+filepath.ToSlash(history), "1 occurrence(s)")
	wantRedacted("volatile/processes/processes.json",
		"process "+pid+" (sh): environ: the value of HOZEN_PASSPHRASE",
		"argv[2]: 1 occurrence(s) of a secret of hozen's (HOZEN_PASSPHRASE)",
		"process "+cpid+" (sleep): environ: the value of HOZEN_PASSPHRASE")
	for _, p := range procs.Processes {
		if p.PID == sh.Process.Pid || p.PID == child {
			if len(p.Redacted) == 0 || !strings.Contains(strings.Join(bstr(p.Environ), "\n"), "HOZEN_PASSPHRASE="+collect.RedactedValue) {
				t.Errorf("process %d: redacted %q, environ without the redacted variable", p.PID, p.Redacted)
			}
		}
	}
	if st := red.Stats(); st.Artifacts < 5 || st.Occurrences < 6 {
		t.Errorf("stats %+v", st)
	}
}

func bstr(b []manifest.BString) []string {
	out := make([]string, len(b))
	for i, s := range b {
		out[i] = string(s)
	}
	return out
}

// processesWith lists the pids whose environment holds s.
func processesWith(s string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if b, err := os.ReadFile("/proc/" + e.Name() + "/environ"); err == nil && strings.Contains(string(b), s) {
			out = append(out, e.Name())
		}
	}
	return out
}
