package artifact

import (
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// ProcessTable is volatile/processes/processes.json.
type ProcessTable struct {
	Header
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
	// its own secrets out: the value of HOZEN_PASSPHRASE in the
	// environment, a passphrase in the command line.
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
	Header
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
