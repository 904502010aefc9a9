//go:build !linux

package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// Collect implements [Collector] through gopsutil. Calls that gopsutil
// answers by running a program (ps on macOS: Status, Foreground) are not
// made.
func (p *Processes) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(p.Name())
	}
	now := envNow(env)
	table := artifact.ProcessTable{CollectedAt: now, Source: "gopsutil", Processes: []artifact.Process{}}
	hidden := artifact.HiddenPIDs{CollectedAt: now, Hidden: []artifact.HiddenPID{}, Method: []string{},
		Errors: []string{"the pid probe reads /proc: not available on " + runtime.GOOS}}
	if !isLiveRoot(env) {
		table.Errors = append(table.Errors, "gopsutil reads the running system only; root "+env.Root+" not read")
	} else {
		procs, err := process.ProcessesWithContext(ctx)
		if err != nil {
			table.Errors = append(table.Errors, "listing: "+err.Error())
		}
		hashes := &pathHashes{m: map[string]*artifact.ExeHash{}, max: p.maxExeBytes(), skip: p.NoExeHash}
		table.Processes = runBounded(ctx, len(procs), p.workers(), p.timeout(),
			func(ctx context.Context, i int) artifact.Process { return p.gopsProcess(ctx, procs[i], hashes) },
			func(i int) artifact.Process {
				return artifact.Process{PID: int(procs[i].Pid), Outcome: manifest.OutcomeTimeout, Argv: []manifest.BString{}}
			})
		for _, pr := range table.Processes {
			if pr.Outcome == manifest.OutcomeVanished {
				table.Vanished++
			}
		}
	}
	table.Count = len(table.Processes)
	hidden.Listed = table.Count
	redacted := redactTable(env, &table)
	if err := putJSONRedacted(sink, artifact.PathProcesses, p.Name(), &table, redacted); err != nil {
		return err
	}
	return PutJSON(sink, artifact.PathHiddenPIDs, p.Name(), &hidden)
}

func (p *Processes) gopsProcess(ctx context.Context, gp *process.Process, hashes *pathHashes) artifact.Process {
	pr := artifact.Process{PID: int(gp.Pid), Outcome: manifest.OutcomeOK, Argv: []manifest.BString{}}
	fail := func(what string, err error) {
		if err != nil {
			pr.Errors = append(pr.Errors, fmt.Sprintf("%s: %v", what, err))
		}
	}
	if ok, _ := process.PidExistsWithContext(ctx, gp.Pid); !ok {
		pr.Outcome = manifest.OutcomeVanished
		return pr
	}
	ppid, err := gp.PpidWithContext(ctx)
	fail("ppid", err)
	pr.PPID = int(ppid)
	name, err := gp.NameWithContext(ctx)
	fail("name", err)
	pr.Name = manifest.BString(name)
	if u, err := gp.UidsWithContext(ctx); err == nil && len(u) >= 2 {
		pr.UID, pr.EUID = ptr(u[0]), ptr(u[1])
	}
	if g, err := gp.GidsWithContext(ctx); err == nil && len(g) >= 2 {
		pr.GID, pr.EGID = ptr(g[0]), ptr(g[1])
	}
	user, err := gp.UsernameWithContext(ctx)
	fail("user", err)
	pr.User = user
	if ms, err := gp.CreateTimeWithContext(ctx); err == nil {
		t := time.UnixMilli(ms).UTC()
		pr.StartTime = &t
	} else {
		fail("start time", err)
	}
	args, err := gp.CmdlineSliceWithContext(ctx)
	fail("cmdline", err)
	for _, a := range args {
		pr.Argv = append(pr.Argv, manifest.BString(a))
	}
	exe, err := gp.ExeWithContext(ctx)
	fail("exe", err)
	pr.Exe = manifest.BString(exe)
	if exe != "" && !p.NoExeHash {
		pr.ExeHash = hashes.get(exe)
		if _, err := os.Stat(exe); os.IsNotExist(err) {
			pr.ExeDeleted = true
		}
	}
	cwd, err := gp.CwdWithContext(ctx)
	fail("cwd", err)
	pr.Cwd = manifest.BString(cwd)
	if p.NoEnviron {
		pr.EnvironSkipped = true
	} else if env, err := gp.EnvironWithContext(ctx); err == nil {
		for _, e := range env {
			pr.Environ = append(pr.Environ, manifest.BString(e))
		}
	} else {
		fail("environ", err)
	}
	if n, err := gp.NumThreadsWithContext(ctx); err == nil {
		pr.Threads = int(n)
	}
	if m, err := gp.MemoryInfoWithContext(ctx); err == nil && m != nil {
		pr.RSSBytes, pr.VSizeBytes, pr.SwapBytes = m.RSS, m.VMS, m.Swap
	}
	if n, err := gp.NumFDsWithContext(ctx); err == nil {
		pr.FDCount = int(n)
	}
	if runtime.GOOS == "windows" {
		if files, err := gp.OpenFilesWithContext(ctx); err == nil {
			for _, f := range files {
				pr.FDs = append(pr.FDs, artifact.FD{FD: int(f.Fd), Target: manifest.BString(f.Path)})
			}
		}
	}
	if len(pr.Errors) > 0 {
		pr.Outcome = manifest.OutcomePartial
	}
	return pr
}

// pathHashes hashes each executable path once.
type pathHashes struct {
	mu   sync.Mutex
	m    map[string]*artifact.ExeHash
	max  int64
	skip bool
}

func (c *pathHashes) get(path string) *artifact.ExeHash {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.m[path]; ok {
		return h
	}
	h := &artifact.ExeHash{}
	c.m[path] = h
	f, err := os.Open(path)
	if err != nil {
		h.Error = err.Error()
		return h
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		h.Size = fi.Size()
	}
	sum := sha256.New()
	n, err := io.Copy(sum, io.LimitReader(f, c.max))
	h.Hashed = n
	switch {
	case err != nil:
		h.Error = err.Error()
	default:
		h.SHA256 = hex.EncodeToString(sum.Sum(nil))
		h.Truncated = n < h.Size
	}
	return h
}
