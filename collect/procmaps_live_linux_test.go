package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
)

// TestProcMapsLive stages, under /tmp, what an intruder leaves running: a
// copy of sleep run and then deleted (holding a deleted file open), a copy
// run from a memfd, a process with LD_PRELOAD of a library in /tmp, and a
// script beside them; it collects with the processes, procmaps and
// tmpplaces collectors and checks the preserved bytes and the findings.
func TestProcMapsLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (reads other processes' exe and fd links)")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	sleepBytes, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(sleepBytes)
	sleepSHA := hex.EncodeToString(sum[:])

	dir, err := os.MkdirTemp("/tmp", "hozen-live-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	start := func(cmd *exec.Cmd) *exec.Cmd {
		t.Helper()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	waitExe := func(pid int, want string) {
		t.Helper()
		for range 200 {
			if l, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && strings.HasPrefix(l, want) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("pid %d never ran %s", pid, want)
	}

	// 1. A deleted program from /tmp, holding a deleted file open.
	prog := filepath.Join(dir, ".x")
	if err := os.WriteFile(prog, sleepBytes, 0o755); err != nil {
		t.Fatal(err)
	}
	held := filepath.Join(dir, "held.dat")
	heldData := []byte("the only copy of this is open in a process\n")
	if err := os.WriteFile(held, heldData, 0o600); err != nil {
		t.Fatal(err)
	}
	hf, err := os.Open(held)
	if err != nil {
		t.Fatal(err)
	}
	del := exec.Command(prog, "300")
	del.ExtraFiles = []*os.File{hf}
	start(del)
	hf.Close()
	waitExe(del.Process.Pid, prog)
	if err := os.Remove(prog); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(held); err != nil {
		t.Fatal(err)
	}

	// 2. A program that exists only in memory.
	mfd, err := unix.MemfdCreate("payload", 0)
	if err != nil {
		t.Fatalf("memfd_create: %v", err)
	}
	mf := os.NewFile(uintptr(mfd), "memfd")
	defer mf.Close()
	if _, err := mf.Write(sleepBytes); err != nil {
		t.Fatal(err)
	}
	mem := start(exec.Command(fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), mfd), "300"))
	waitExe(mem.Process.Pid, "/memfd:payload")

	// 3. LD_PRELOAD of a library dropped in /tmp (a copy of libm: real
	// code that does nothing to sleep).
	var preloadPID int
	if libm, err := os.ReadFile("/lib/x86_64-linux-gnu/libm.so.6"); err == nil {
		lib := filepath.Join(dir, "libhook.so")
		if err := os.WriteFile(lib, libm, 0o644); err != nil {
			t.Fatal(err)
		}
		pre := exec.Command(sleep, "300")
		pre.Env = append(os.Environ(), "LD_PRELOAD="+lib)
		start(pre)
		preloadPID = pre.Process.Pid
		waitExe(preloadPID, sleep)
		for range 200 { // the loader maps the library just after exec
			if m, _ := os.ReadFile(fmt.Sprintf("/proc/%d/maps", preloadPID)); strings.Contains(string(m), lib) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	} else {
		t.Logf("no libm to preload (%v): LD_PRELOAD case skipped", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!/bin/sh\ncurl x | sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	env := &Env{Root: "/"}
	sink := &recSink{}
	cs := []Collector{&Processes{}, &ProcMaps{}, &TmpPlacesCollector{Places: []string{dir}}}
	if _, err := Run(context.Background(), env, cs, sink); err != nil {
		t.Fatal(err)
	}

	var pres artifact.Preserved
	sink.decode(t, artifact.PathPreserved, &pres)
	exePath := artifact.DirPreservedExe + sleepSHA
	got := sink.data[exePath]
	if g := sha256.Sum256(got); hex.EncodeToString(g[:]) != sleepSHA {
		t.Fatalf("%s: %d bytes hashing to %x, want the %d bytes of %s (%s)", exePath, len(got), g, len(sleepBytes), sleep, sleepSHA)
	}
	holders := map[int]bool{}
	var heldFound bool
	for _, f := range pres.Files {
		if f.SHA256 == sleepSHA && f.Kind == "exe" {
			for _, h := range f.Holders {
				holders[h.PID] = true
			}
		}
		if f.Kind == "fd" && len(f.Holders) > 0 && f.Holders[0].PID == del.Process.Pid {
			heldFound = true
			if string(sink.data[f.Path]) != string(heldData) || string(f.Holders[0].Original) != held {
				t.Errorf("held file preserved as %+v: %q", f, sink.data[f.Path])
			}
		}
	}
	if !holders[del.Process.Pid] || !holders[mem.Process.Pid] {
		t.Errorf("preserved exe holders %v, want pids %d (deleted) and %d (memfd); files %+v", holders, del.Process.Pid, mem.Process.Pid, pres.Files)
	}
	if !heldFound {
		t.Errorf("the deleted file held open by pid %d was not preserved: %+v", del.Process.Pid, pres.Files)
	}
	if n := strings.Count(strings.Join(sink.order, "\n"), artifact.DirPreservedExe+sleepSHA); n != 1 {
		t.Errorf("the exe stored %d times, want once", n)
	}

	var fd artifact.Findings
	sink.decode(t, artifact.PathFindings, &fd)
	has := func(rule string, pid int, path string) {
		t.Helper()
		for _, f := range fd.Findings {
			if f.Rule == rule && (pid == 0 || f.PID == pid) && (path == "" || string(f.Path) == path) {
				if len(f.Evidence) == 0 || f.Severity == "" || f.Reason == "" {
					t.Errorf("finding %+v lacks evidence, severity or reason", f)
				}
				return
			}
		}
		var rules []string
		for _, f := range fd.Findings {
			rules = append(rules, fmt.Sprintf("%s/%d/%s", f.Rule, f.PID, f.Path))
		}
		t.Errorf("no %s finding for pid %d %s; have %v", rule, pid, path, rules)
	}
	has(RuleDeletedExe, del.Process.Pid, prog)
	has(RuleExeInTmp, del.Process.Pid, prog)
	has(RuleMemfdExe, mem.Process.Pid, "/memfd:payload")
	has(RuleExecInTmp, 0, filepath.Join(dir, "run.sh"))
	if preloadPID != 0 {
		lib := filepath.Join(dir, "libhook.so")
		has(RuleLDPreloadEnv, preloadPID, lib)
		has(RuleLibInTmp, preloadPID, lib)
		has(RuleExecInTmp, 0, lib)
	}
	for _, r := range []string{RuleMemfdExe, RuleDeletedExe, RuleAnonExec, RuleDeletedMapping, RuleExecInTmp} {
		if !slices.Contains(fd.Rules, r) {
			t.Errorf("rule %s not recorded as run: %v", r, fd.Rules)
		}
	}
	var maps artifact.ProcMaps
	sink.decode(t, artifact.PathProcMaps, &maps)
	for _, pm := range maps.Processes {
		if pm.PID == del.Process.Pid {
			if !pm.ExeDeleted || pm.ExeSHA256 != sleepSHA || pm.Raw == "" || len(sink.data[pm.Raw]) == 0 {
				t.Errorf("maps of pid %d: %+v", pm.PID, pm)
			}
		}
	}
}
