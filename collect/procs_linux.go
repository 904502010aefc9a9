package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/etc"
	"github.com/hozen-dfir/hozen/collect/procfs"
	"github.com/hozen-dfir/hozen/manifest"
)

var errESRCH = syscall.ESRCH

// pfKthread is PF_KTHREAD in /proc/PID/stat's flags.
const pfKthread = 0x00200000

// Collect implements [Collector].
func (p *Processes) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(p.Name())
	}
	table := artifact.ProcessTable{Source: "/proc", ClockTicks: procfs.ClockTicks}

	statRaw, err := PutPseudo(ctx, env, sink, "/proc/stat", p.Name())
	if err != nil {
		return err
	}
	var boot time.Time
	if bt, err := procfs.BootTime(statRaw); err == nil {
		boot = bt
		table.BootTime = &boot
	} else {
		table.Errors = append(table.Errors, "/proc/stat: no btime: start times unknown")
	}
	ids := readIDNames(ctx, env, &table.Errors)

	list := p.list
	if list == nil {
		list = listProcPIDs
	}
	table.CollectedAt = envNow(env)
	pids, err := list(env)
	if err != nil {
		table.Errors = append(table.Errors, fmt.Sprintf("/proc: listing: %v", err))
	}
	hidden, extra := probeHidden(ctx, env, pids, list, p.ProbeMax)
	hidden.CollectedAt = table.CollectedAt
	hiddenFindings(env, &hidden)

	r := &procReader{p: p, env: env, ids: ids, boot: boot, exeCache: map[devIno]*exeEntry{}}
	all := append(slices.Clone(pids), extra...)
	procs := runBounded(ctx, len(all), p.workers(), p.timeout(),
		func(ctx context.Context, i int) artifact.Process { return r.read(ctx, all[i]) },
		func(i int) artifact.Process {
			return artifact.Process{PID: all[i], Outcome: manifest.OutcomeTimeout,
				Errors: []string{fmt.Sprintf("no answer within %v", p.timeout())}}
		})
	for i := len(pids); i < len(procs); i++ {
		procs[i].Hidden = true
	}
	for _, pr := range procs {
		if pr.Outcome == manifest.OutcomeVanished {
			table.Vanished++
		}
	}
	table.Processes = procs
	table.Count = len(procs)
	redacted := redactTable(env, &table)
	if err := putJSONRedacted(sink, artifact.PathProcesses, p.Name(), &table, redacted); err != nil {
		return err
	}
	return PutJSON(sink, artifact.PathHiddenPIDs, p.Name(), &hidden)
}

// idNames maps user and group ids to names from the host's own files.
type idNames struct{ users, groups map[uint32]string }

func readIDNames(ctx context.Context, env *Env, errs *[]string) idNames {
	read := func(p string) []byte {
		res := ReadPseudo(ctx, env.Path(p), 16<<20)
		if res.Err != nil {
			*errs = append(*errs, fmt.Sprintf("%s: %v (names unresolved)", p, res.Err))
		}
		return res.Data
	}
	users, _ := etc.ParsePasswd(read("/etc/passwd"))
	groups, _ := etc.ParseGroup(read("/etc/group"))
	return idNames{users: etc.UserNames(users), groups: etc.GroupNames(groups)}
}

type devIno struct{ dev, ino uint64 }

// exeEntry is one executable's digest, computed once by whoever claims it.
type exeEntry struct {
	done chan struct{}
	h    artifact.ExeHash
}

// procReader reads processes; it is shared by the workers.
type procReader struct {
	p    *Processes
	env  *Env
	ids  idNames
	boot time.Time

	mu       sync.Mutex
	exeCache map[devIno]*exeEntry
}

// read reads one process. Errors go into the record; a process that
// exits before or while it is read is recorded as vanished.
func (r *procReader) read(ctx context.Context, pid int) artifact.Process {
	pr := artifact.Process{PID: pid, Outcome: manifest.OutcomeOK, Argv: []manifest.BString{}}
	base := procDir(r.env, pid)
	gone := false
	fail := func(what string, err error) {
		if isGone(err) {
			gone = true
		}
		pr.Errors = append(pr.Errors, fmt.Sprintf("%s: %v", what, err))
	}
	read := func(name string, max int64) ([]byte, bool) {
		if err := ctx.Err(); err != nil {
			fail(name, err)
			return nil, false
		}
		res := ReadPseudo(ctx, base+"/"+name, max)
		if res.Err != nil {
			fail(name, res.Err)
		}
		return res.Data, res.Outcome == manifest.OutcomeOK || res.Outcome == manifest.OutcomePartial
	}

	statRaw, ok := read("stat", 64<<10)
	if !ok {
		if gone {
			pr.Outcome = manifest.OutcomeVanished
		} else {
			pr.Outcome = manifest.OutcomeDenied
			if !errors.Is(errFrom(pr.Errors), fs.ErrPermission) {
				pr.Outcome = manifest.OutcomeError
			}
		}
		return pr
	}
	st, err := procfs.ParseStat(statRaw)
	if err != nil {
		fail("stat", err)
	} else {
		pr.PPID, pr.Name, pr.State = st.PPID, manifest.BString(st.Comm), st.State
		pr.PGRP, pr.Session, pr.TTY = st.PGRP, st.Session, st.TTY
		pr.StartTicks, pr.UTimeTicks, pr.STimeTicks = st.StartTime, st.UTime, st.STime
		pr.VSizeBytes, pr.Threads = st.VSize, int(st.NumThreads)
		pr.KernelThread = st.Flags&pfKthread != 0
		if !r.boot.IsZero() {
			t := r.boot.Add(time.Duration(st.StartTime) * (time.Second / procfs.ClockTicks))
			pr.StartTime = &t
		}
	}
	if raw, ok := read("status", 64<<10); ok {
		if s, err := procfs.ParseStatus(raw); err != nil {
			fail("status", err)
		} else {
			if s.HasUID {
				pr.UID, pr.EUID, pr.SUID = ptr(s.UID[0]), ptr(s.UID[1]), ptr(s.UID[2])
				pr.User, pr.EUser = r.ids.users[s.UID[0]], r.ids.users[s.UID[1]]
			}
			if s.HasGID {
				pr.GID, pr.EGID = ptr(s.GID[0]), ptr(s.GID[1])
				pr.Group, pr.EGroup = r.ids.groups[s.GID[0]], r.ids.groups[s.GID[1]]
			}
			pr.Groups, pr.NSpid, pr.TracerPID, pr.CapEff = s.Groups, s.NSpid, s.TracerPID, s.CapEff
			pr.RSSBytes, pr.SwapBytes = s.VmRSSKB*1024, s.VmSwapKB*1024
			if s.Threads > 0 {
				pr.Threads = s.Threads
			}
			if pr.Name == "" {
				pr.Name = manifest.BString(s.Name)
			}
		}
	}
	zombie := pr.State == "Z" || pr.State == "X"
	if !pr.KernelThread && !zombie {
		if raw, ok := read("cmdline", 8<<20); ok {
			for _, a := range procfs.SplitNUL(raw) {
				pr.Argv = append(pr.Argv, manifest.BString(a))
			}
		}
		if r.p.NoEnviron {
			pr.EnvironSkipped = true
		} else if raw, ok := read("environ", 8<<20); ok {
			for _, e := range procfs.SplitNUL(raw) {
				pr.Environ = append(pr.Environ, manifest.BString(e))
			}
		}
		r.readLinks(ctx, base, &pr, fail)
	}
	r.readFDs(ctx, base, &pr, fail)
	r.readNamespaces(ctx, base, &pr, fail)
	if tids, err := listNumeric(base + "/task"); err != nil {
		fail("task", err)
	} else {
		pr.TIDs = tids
	}
	if len(pr.Errors) > 0 {
		pr.Outcome = manifest.OutcomePartial
		if gone {
			if _, err := os.Lstat(base); isGone(err) {
				pr.Outcome = manifest.OutcomeVanished
			}
		}
	}
	return pr
}

// errFrom turns the first recorded error back into something errors.Is
// can test for a permission failure.
func errFrom(errs []string) error {
	for _, e := range errs {
		if strings.Contains(e, "permission denied") {
			return fs.ErrPermission
		}
	}
	return nil
}

// readLinks reads exe, cwd and root, and hashes the executable.
func (r *procReader) readLinks(ctx context.Context, base string, pr *artifact.Process, fail func(string, error)) {
	if t, err := os.Readlink(base + "/cwd"); err != nil {
		fail("cwd", err)
	} else {
		pr.Cwd = manifest.BString(t)
	}
	if t, err := os.Readlink(base + "/root"); err != nil {
		fail("root", err)
	} else {
		pr.Root = manifest.BString(t)
	}
	target, err := os.Readlink(base + "/exe")
	if err != nil {
		fail("exe", err)
		return
	}
	name, suffixed := strings.CutSuffix(target, " (deleted)")
	pr.Exe = manifest.BString(target)
	if suffixed {
		// The kernel appends " (deleted)" to an unlinked file's name; a
		// link count of zero below confirms it.
		pr.Exe, pr.ExeDeleted = manifest.BString(name), true
	}
	if r.p.NoExeHash || ctx.Err() != nil {
		return
	}
	h, nlink, known := r.hashExe(ctx, pr.PID)
	pr.ExeHash = h
	if known && suffixed && nlink > 0 {
		// A file really named "... (deleted)" that still exists.
		pr.Exe, pr.ExeDeleted = manifest.BString(target), false
	}
}

// hashExe returns the digest of pid's executable, hashing each distinct
// file (device and inode) once.
func (r *procReader) hashExe(ctx context.Context, pid int) (*artifact.ExeHash, uint64, bool) {
	open := r.p.openExe
	if open == nil {
		open = openExeLive
	}
	f, err := open(r.env, pid)
	if err != nil {
		return &artifact.ExeHash{Error: err.Error()}, 0, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return &artifact.ExeHash{Error: err.Error()}, 0, false
	}
	var key devIno
	var nlink uint64 = 1
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		key = devIno{uint64(st.Dev), st.Ino}
		nlink = uint64(st.Nlink)
	}
	r.mu.Lock()
	e, found := r.exeCache[key]
	if !found {
		e = &exeEntry{done: make(chan struct{})}
		r.exeCache[key] = e
	}
	r.mu.Unlock()
	if found {
		select {
		case <-e.done:
			h := e.h
			return &h, nlink, true
		case <-ctx.Done():
			return &artifact.ExeHash{Error: "hashed by another process's read, which did not finish in time"}, nlink, true
		}
	}
	h := artifact.ExeHash{Size: fi.Size(), Device: key.dev, Inode: key.ino}
	sum := sha256.New()
	n, err := io.Copy(sum, io.LimitReader(f, r.p.maxExeBytes()))
	h.Hashed = n
	switch {
	case err != nil:
		h.Error = err.Error()
	case n < fi.Size():
		h.Truncated = true
		h.SHA256 = hex.EncodeToString(sum.Sum(nil))
		h.Error = fmt.Sprintf("hashed the first %d bytes only (cap)", n)
	default:
		h.SHA256 = hex.EncodeToString(sum.Sum(nil))
	}
	e.h = h
	close(e.done)
	return &h, nlink, true
}

// openExeLive opens /proc/PID/exe, which the kernel resolves to the mapped
// file even when it was deleted. Outside a live root the link would point
// into the analyst's machine, so it is not followed.
func openExeLive(env *Env, pid int) (exeFile, error) {
	if !isLiveRoot(env) {
		return nil, errors.New("exe link not followed: not a live root")
	}
	path := procDir(env, pid) + "/exe"
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOATIME|unix.O_CLOEXEC, 0)
	if err != nil && errors.Is(err, fs.ErrPermission) {
		f, err = os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// readFDs lists /proc/PID/fd and each descriptor's target.
func (r *procReader) readFDs(ctx context.Context, base string, pr *artifact.Process, fail func(string, error)) {
	fds, err := listNumericAll(base + "/fd")
	if err != nil {
		if !(pr.KernelThread && isGone(err)) {
			fail("fd", err)
		}
		if len(fds) == 0 {
			return
		}
	}
	pr.FDCount = len(fds)
	if len(fds) > r.p.maxFDs() {
		fds, pr.FDsTruncated = fds[:r.p.maxFDs()], true
	}
	pr.FDs = make([]artifact.FD, 0, len(fds))
	failed := map[string]int{}
	var failedOrder []string
	defer func() {
		for _, msg := range failedOrder {
			fail("fd", fmt.Errorf("%d of %d links unreadable: %s", failed[msg], len(fds), msg))
		}
	}()
	for i, fd := range fds {
		if i%256 == 0 && ctx.Err() != nil {
			fail("fd", ctx.Err())
			return
		}
		t, err := os.Readlink(base + "/fd/" + strconv.Itoa(fd))
		if err != nil {
			if isGone(err) {
				continue // closed between listing and reading
			}
			// One line per kind of failure, not one per descriptor.
			msg := errnoText(err)
			if failed[msg] == 0 {
				failedOrder = append(failedOrder, msg)
			}
			failed[msg]++
			continue
		}
		d := artifact.FD{FD: fd, Target: manifest.BString(t)}
		if ino, ok := procfs.SocketInode(t); ok {
			d.SocketInode = ino
		}
		pr.FDs = append(pr.FDs, d)
	}
}

// listNumericAll is listNumeric that includes 0 (fd 0).
func listNumericAll(dir string) ([]int, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	out := make([]int, 0, len(names))
	for _, n := range names {
		if v, perr := strconv.Atoi(n); perr == nil && v >= 0 {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, err
}

// nsKinds are the namespace links under /proc/PID/ns.
var nsKinds = []string{"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts"}

func (r *procReader) readNamespaces(ctx context.Context, base string, pr *artifact.Process, fail func(string, error)) {
	if ctx.Err() != nil {
		return
	}
	for _, k := range nsKinds {
		t, err := os.Readlink(base + "/ns/" + k)
		if err != nil {
			if isGone(err) {
				if _, serr := os.Lstat(base + "/ns"); serr == nil {
					continue // this kernel has no such namespace
				}
			}
			fail("ns/"+k, err)
			return
		}
		if ino, ok := procfs.NamespaceInode(t); ok {
			if pr.Namespaces == nil {
				pr.Namespaces = map[string]uint64{}
			}
			pr.Namespaces[k] = ino
		}
	}
}

// errnoText is the system error's text without the path, for grouping.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}
