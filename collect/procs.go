package collect

import (
	"context"
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Processes collects the process table: one record per process with its
// identity, owner, command line, executable (and its SHA-256), working
// directory, environment, open files, namespaces, threads and memory. On
// Linux it reads /proc itself and also probes the pid range for processes
// that the /proc listing hides (see [HiddenPIDs]); elsewhere it asks the OS
// through gopsutil.
//
// Artifacts:
//
//	volatile/processes/processes.json   a [ProcessTable]
//	volatile/findings/hidden_pids.json  a [HiddenPIDs] finding (Linux; always written)
//	volatile/raw/proc/stat              raw, for the boot time (Linux)
//
// The zero value collects everything with default caps.
type Processes struct {
	// NoEnviron skips process environments (they may hold secrets).
	NoEnviron bool
	// NoExeHash skips hashing executables.
	NoExeHash bool
	// MaxExeBytes caps the bytes hashed per executable (0: DefaultMaxExeBytes).
	MaxExeBytes int64
	// MaxFDs caps the open files listed per process (0: DefaultMaxFDs).
	MaxFDs int
	// ProbeMax bounds the pid probe by stat (0: DefaultProbeMax, and never
	// beyond the kernel's pid_max).
	ProbeMax int
	// Timeout bounds the reads of one process (0: DefaultProcessTimeout).
	Timeout time.Duration
	// Workers is how many processes are read at once (0: DefaultWorkers).
	Workers int

	// list lists pids (tests hide one); nil reads the /proc directory.
	list func(env *Env) ([]int, error)
	// openExe opens a process's executable (tests point it at a fixture
	// file); nil follows /proc/PID/exe on a live root.
	openExe func(env *Env, pid int) (exeFile, error)
}

// Defaults of [Processes].
const (
	DefaultMaxExeBytes    = 64 << 20
	DefaultMaxFDs         = 1 << 16
	DefaultProbeMax       = 1 << 18
	DefaultProcessTimeout = 3 * time.Second
	DefaultWorkers        = 8
)

// Name implements [Collector].
func (*Processes) Name() string { return "processes" }

// ProcessTable is volatile/processes/processes.json.
type ProcessTable struct {
	CollectedAt time.Time `json:"collected_at"`
	// Source says where the table came from: "/proc" or "gopsutil".
	Source string `json:"source"`
	// BootTime is from /proc/stat's btime; start times derive from it.
	BootTime   *time.Time `json:"boot_time,omitempty"`
	ClockTicks int        `json:"clock_ticks,omitempty"`
	Count      int        `json:"count"`
	// Vanished counts processes listed but gone before they were read.
	Vanished  int       `json:"vanished"`
	Processes []Process `json:"processes"`
	Errors    []string  `json:"errors,omitempty"`
}

// Process is one process as read from the kernel.
type Process struct {
	PID  int `json:"pid"`
	PPID int `json:"ppid"`
	// Name is the kernel's short command name (comm).
	Name  manifest.BString `json:"name"`
	State string           `json:"state,omitempty"`
	// Real and effective user and group ids, and their names from the
	// host's /etc/passwd and /etc/group (empty when unknown).
	UID     *uint32  `json:"uid,omitempty"`
	EUID    *uint32  `json:"euid,omitempty"`
	SUID    *uint32  `json:"suid,omitempty"`
	User    string   `json:"user,omitempty"`
	EUser   string   `json:"euser,omitempty"`
	GID     *uint32  `json:"gid,omitempty"`
	EGID    *uint32  `json:"egid,omitempty"`
	Group   string   `json:"group,omitempty"`
	EGroup  string   `json:"egroup,omitempty"`
	Groups  []uint32 `json:"groups,omitempty"`
	PGRP    int      `json:"pgrp,omitempty"`
	Session int      `json:"session,omitempty"`
	TTY     int      `json:"tty,omitempty"`
	// StartTime is in UTC; StartTicks the raw clock ticks after boot.
	StartTime  *time.Time `json:"start_time,omitempty"`
	StartTicks uint64     `json:"start_ticks,omitempty"`
	// Argv is the exact command line, byte for byte.
	Argv []manifest.BString `json:"argv"`
	// Exe is the executable's path as the kernel gives it, without the
	// " (deleted)" suffix; ExeDeleted says the file was unlinked.
	Exe        manifest.BString `json:"exe,omitempty"`
	ExeDeleted bool             `json:"exe_deleted,omitempty"`
	ExeHash    *ExeHash         `json:"exe_hash,omitempty"`
	Cwd        manifest.BString `json:"cwd,omitempty"`
	Root       manifest.BString `json:"root,omitempty"`
	// Environ is nil when skipped (EnvironSkipped) or unreadable.
	Environ        []manifest.BString `json:"environ,omitempty"`
	EnvironSkipped bool               `json:"environ_skipped,omitempty"`
	// Redacted says what hozen replaced in this process's fields to keep
	// its own secrets out (see [Redactor]): the value of HOZEN_PASSPHRASE
	// in the environment, a passphrase in the command line.
	Redacted     []string `json:"redacted,omitempty"`
	FDs          []FD     `json:"fds,omitempty"`
	FDCount      int      `json:"fd_count"`
	FDsTruncated bool     `json:"fds_truncated,omitempty"`
	// Namespaces maps a namespace kind (net, pid, mnt, ...) to its inode.
	Namespaces map[string]uint64 `json:"namespaces,omitempty"`
	// NSpid is the pid in each nested pid namespace, outermost first.
	NSpid   []int `json:"nspid,omitempty"`
	Threads int   `json:"threads"`
	// TIDs lists the task ids under /proc/PID/task.
	TIDs         []int  `json:"tids,omitempty"`
	VSizeBytes   uint64 `json:"vsize_bytes,omitempty"`
	RSSBytes     uint64 `json:"rss_bytes,omitempty"`
	SwapBytes    uint64 `json:"swap_bytes,omitempty"`
	UTimeTicks   uint64 `json:"utime_ticks,omitempty"`
	STimeTicks   uint64 `json:"stime_ticks,omitempty"`
	KernelThread bool   `json:"kernel_thread,omitempty"`
	TracerPID    int    `json:"tracer_pid,omitempty"`
	CapEff       string `json:"cap_eff,omitempty"`
	// Hidden marks a process that the /proc listing did not show.
	Hidden bool `json:"hidden,omitempty"`
	// Outcome is ok, partial (some reads failed: see Errors), vanished
	// (exited before it was read), timeout or denied.
	Outcome string   `json:"outcome"`
	Errors  []string `json:"errors,omitempty"`
}

// ExeHash is the digest of a process's executable as the kernel maps it
// (read through /proc/PID/exe, so a deleted file is still hashed).
type ExeHash struct {
	SHA256 string `json:"sha256,omitempty"`
	// Size is the file's size; Hashed the bytes hashed (less when capped).
	Size      int64  `json:"size"`
	Hashed    int64  `json:"hashed"`
	Truncated bool   `json:"truncated,omitempty"`
	Device    uint64 `json:"device,omitempty"`
	Inode     uint64 `json:"inode,omitempty"`
	Error     string `json:"error,omitempty"`
}

// FD is one open file descriptor and what it points at.
type FD struct {
	FD     int              `json:"fd"`
	Target manifest.BString `json:"target"`
	// SocketInode is set for "socket:[N]" targets.
	SocketInode uint64 `json:"socket_inode,omitempty"`
}

// HiddenPIDs is volatile/findings/hidden_pids.json: the cross-check of the
// /proc listing against pids probed one by one. It is written even when
// nothing is hidden, so that the check is on record.
type HiddenPIDs struct {
	CollectedAt time.Time `json:"collected_at"`
	// Method says how pids were probed.
	Method []string `json:"method"`
	// PIDMax is the kernel's pid_max; StatProbedTo and SignalProbedTo the
	// highest pid probed by each method (0: not used).
	PIDMax         int `json:"pid_max"`
	StatProbedTo   int `json:"stat_probed_to"`
	SignalProbedTo int `json:"signal_probed_to"`
	Listed         int `json:"listed"`
	// Threads counts probed ids that are threads of listed processes.
	Threads int `json:"threads"`
	// Appeared lists pids that appeared in a second listing (started
	// during the probe): not hidden.
	Appeared []int       `json:"appeared,omitempty"`
	Hidden   []HiddenPID `json:"hidden"`
	Errors   []string    `json:"errors,omitempty"`
	Duration string      `json:"duration"`
}

// HiddenPID is one process or thread the listing did not show.
type HiddenPID struct {
	PID  int `json:"pid"`
	Tgid int `json:"tgid"`
	// Kind is "process" (a thread-group leader missing from /proc) or
	// "thread" (a thread missing from its process's task list).
	Kind string           `json:"kind"`
	Name manifest.BString `json:"name,omitempty"`
	// SeenBy names the probes that found it: "stat", "signal".
	SeenBy []string `json:"seen_by"`
	// ProcEntry says whether /proc/PID answers a stat.
	ProcEntry bool   `json:"proc_entry"`
	Note      string `json:"note,omitempty"`
}

func (p *Processes) maxExeBytes() int64 {
	if p.MaxExeBytes > 0 {
		return p.MaxExeBytes
	}
	return DefaultMaxExeBytes
}

func (p *Processes) maxFDs() int {
	if p.MaxFDs > 0 {
		return p.MaxFDs
	}
	return DefaultMaxFDs
}

func (p *Processes) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultProcessTimeout
}

func (p *Processes) workers() int {
	if p.Workers > 0 {
		return p.Workers
	}
	return DefaultWorkers
}

func envNow(env *Env) time.Time {
	if env.Now != nil {
		return env.Now().UTC()
	}
	return time.Now().UTC()
}

func isLiveRoot(env *Env) bool { return env.Root == "" || env.Root == "/" }

func bs(s string) manifest.BString { return manifest.BString(s) }

// runBounded returns fn(ctx, i) for i in [0,n), run on up to workers
// goroutines. Each call gets a context bounded by timeout; a call that
// overruns it is abandoned (its goroutine ends when the kernel answers and
// its result is dropped) and onTimeout(i) stands in for it, so one stuck
// process cannot stall the rest.
func runBounded[T any](ctx context.Context, n, workers int, timeout time.Duration, fn func(ctx context.Context, i int) T, onTimeout func(i int) T) []T {
	out := make([]T, n)
	if n == 0 {
		return out
	}
	workers = max(1, min(workers, n))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				pctx, cancel := context.WithTimeout(ctx, timeout)
				res := make(chan T, 1)
				go func() { res <- fn(pctx, i) }()
				select {
				case v := <-res:
					out[i] = v
				case <-pctx.Done():
					out[i] = onTimeout(i)
				}
				cancel()
			}
		})
	}
	sent := 0
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
		sent++
	}
	close(next)
	wg.Wait()
	for i := sent; i < n; i++ {
		out[i] = onTimeout(i)
	}
	return out
}

// exeFile is an opened executable: *os.File in production.
type exeFile interface {
	io.Reader
	Close() error
	Stat() (fs.FileInfo, error)
}

func ptr[T any](v T) *T { return &v }
